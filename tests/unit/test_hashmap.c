/* The host's string map: insert, replace, remove, growth with tombstones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "hashmap.h"

static void test_put_get_remove(void **state) {
  (void)state;
  hashmap m;
  hm_init(&m);
  assert_null(hm_get(&m, "a"));
  assert_null(hm_put(&m, "a", (void *)1));
  assert_ptr_equal(hm_put(&m, "a", (void *)2), (void *)1);
  assert_ptr_equal(hm_get(&m, "a"), (void *)2);
  assert_ptr_equal(hm_remove(&m, "a"), (void *)2);
  assert_null(hm_get(&m, "a"));
  assert_int_equal(hm_len(&m), 0);
  hm_free(&m);
}

static void test_many_keys_with_churn(void **state) {
  (void)state;
  hashmap m;
  char key[32];
  hm_init(&m);
  for (uintptr_t i = 1; i <= 5000; i++) {
    snprintf(key, sizeof(key), "k%lu", (unsigned long)i);
    hm_put(&m, key, (void *)i);
    if (i % 3 == 0) {
      snprintf(key, sizeof(key), "k%lu", (unsigned long)(i - 1));
      hm_remove(&m, key);
    }
  }
  size_t live = 0;
  for (uintptr_t i = 1; i <= 5000; i++) {
    snprintf(key, sizeof(key), "k%lu", (unsigned long)i);
    void *v = hm_get(&m, key);
    if (i % 3 == 2 && i < 5000) {
      assert_null(v);
    } else {
      assert_ptr_equal(v, (void *)i);
      live++;
    }
  }
  assert_int_equal(hm_len(&m), live);
  size_t seen = 0, it = 0;
  while (hm_next(&m, &it, NULL, NULL)) seen++;
  assert_int_equal(seen, live);
  hm_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_remove),
      cmocka_unit_test(test_many_keys_with_churn),
  };
  return cmocka_run_group_tests_name("hashmap", tests, NULL, NULL);
}
