/* Metric families: ownership across generations and the text format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

#include <stratus/errors.h>

static void test_same_owner_shares_family_other_owner_refused(void **state) {
  (void)state;
  static const char *const labels[] = {"method", NULL};
  stratus_metric_desc d = {sizeof(d), STRATUS_METRIC_COUNTER, "calls_total",
                           "Calls", labels, NULL, 0};
  int err = 0;
  stratus_metric *a = metrics_register("p", &d, &err);
  stratus_metric *b = metrics_register("p", &d, &err);
  assert_non_null(a);
  assert_ptr_equal(a, b);
  assert_null(metrics_register("q", &d, &err));
  assert_int_equal(err, STRATUS_EEXIST);
  d.kind = STRATUS_METRIC_GAUGE;
  assert_null(metrics_register("p", &d, &err));
  const char *v[] = {"Get"};
  metrics_add(a, v, 2);
  metrics_add(a, v, -1); /* counters never go down */
  assert_true(metrics_value(a, v) == 2);
  metrics_unref(a);
  metrics_unref(b);
  d.kind = STRATUS_METRIC_COUNTER;
  d.name = "bad name";
  assert_null(metrics_register("p", &d, &err));
  assert_int_equal(err, STRATUS_EINVAL);
}

static void test_render(void **state) {
  (void)state;
  static const char *const labels[] = {"path", NULL};
  static const double bounds[] = {0.1, 1};
  stratus_metric_desc h = {sizeof(h), STRATUS_METRIC_HISTOGRAM, "latency_seconds",
                           "Latency", labels, bounds, 2};
  int err;
  stratus_metric *m = metrics_register(NULL, &h, &err);
  const char *v[] = {"/a\"b"};
  metrics_observe(m, v, 0.05);
  metrics_observe(m, v, 0.5);
  metrics_observe(m, v, 5);
  strbuf out;
  sb_init(&out);
  metrics_render(&out);
  assert_non_null(strstr(out.data, "# TYPE latency_seconds histogram\n"));
  assert_non_null(strstr(out.data, "latency_seconds_bucket{path=\"/a\\\"b\",le=\"0.10000000000000001\"} 1\n"));
  assert_non_null(strstr(out.data, "latency_seconds_bucket{path=\"/a\\\"b\",le=\"1\"} 2\n"));
  assert_non_null(strstr(out.data, "latency_seconds_bucket{path=\"/a\\\"b\",le=\"+Inf\"} 3\n"));
  assert_non_null(strstr(out.data, "latency_seconds_count{path=\"/a\\\"b\"} 3\n"));
  sb_free(&out);
  metrics_unref(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_owner_shares_family_other_owner_refused),
      cmocka_unit_test(test_render),
  };
  int rc = cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
  metrics_shutdown();
  return rc;
}
