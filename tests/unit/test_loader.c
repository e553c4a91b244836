/* The loader against fixture plugins: what it accepts, what it refuses and
 * with which message, and fresh mappings for changed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "loader.h"

static stratus_host_api fake_api;
static char err[1024];

static module *load(const char *name, const char *file) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, file);
  err[0] = '\0';
  return loader_open(name, path, &fake_api, err, sizeof(err));
}

static void expect_refusal(const char *name, const char *file, const char *why) {
  module *m = load(name, file);
  assert_null(m);
  if (!strstr(err, why)) fail_msg("message '%s' lacks '%s'", err, why);
  if (!strstr(err, name)) fail_msg("message '%s' does not name the plugin", err);
}

static void test_accepts_current_abi(void **state) {
  (void)state;
  module *m = load("abi_ok", "abi_ok.so");
  assert_non_null(m);
  assert_string_equal(m->desc.name, "abi_ok");
  assert_int_equal(m->desc.hdr.struct_size, sizeof(stratus_plugin));
  module_unref(m);
}

static void test_accepts_older_minor_with_smaller_descriptor(void **state) {
  (void)state;
  module *m = load("abi_old_minor", "abi_old_minor.so");
  if (!m) fail_msg("%s", err);
  assert_true(m->desc.hdr.struct_size < sizeof(stratus_plugin));
  assert_null(m->desc.export_state); /* beyond its struct_size: absent */
  assert_null(m->desc.import_state);
  assert_non_null(m->desc.init);
  module_unref(m);
}

static void test_accepts_newer_minor_and_hides_future_host_members(void **state) {
  (void)state;
  /* The fixture refuses to load if STRATUS_HOST_HAS claims a member this
   * host's table does not reach. */
  module *m = load("abi_new_minor", "abi_new_minor.so");
  if (!m) fail_msg("%s", err);
  assert_int_equal(m->desc.hdr.abi_minor, STRATUS_ABI_MINOR + 1);
  module_unref(m);
}

static void test_refusals(void **state) {
  (void)state;
  expect_refusal("abi_major", "abi_major.so", "was built for ABI 2.0, this host speaks ABI 1.");
  expect_refusal("abi_magic", "abi_magic.so", "bad descriptor magic 0xdeadbeef");
  expect_refusal("abi_no_symbol", "abi_no_symbol.so", "does not export stratus_plugin_entry");
  expect_refusal("abi_null", "abi_null.so", "refused to load (stratus_plugin_entry returned NULL)");
  expect_refusal("abi_name", "abi_name.so",
                 "describes itself as 'someone_else'; its section must be [plugin.someone_else]");
  expect_refusal("ghost", "ghost.so", "cannot open");
  assert_non_null(strstr(err, "No such file or directory"));
}

static void copy_file(const char *from, const char *to) {
  char cmd[1024];
  snprintf(cmd, sizeof(cmd), "cp '%s' '%s.tmp' && mv '%s.tmp' '%s'", from, to, to, to);
  assert_int_equal(system(cmd), 0);
}

static void test_same_file_shares_a_module_changed_file_gets_a_fresh_one(void **state) {
  (void)state;
  char dir[] = "/tmp/stratus-loader-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof(path), "%s/counter.so", dir);
  copy_file(FIXTURE_DIR "/counter.so", path);

  module *a = loader_open("counter", path, &fake_api, err, sizeof(err));
  module *b = loader_open("counter", path, &fake_api, err, sizeof(err));
  assert_non_null(a);
  assert_ptr_equal(a, b);
  assert_int_equal(a->refs, 2);
  assert_string_equal(a->desc.version, "1");

  copy_file(FIXTURE_DIR "/counter-v2.so", path);
  module *c = loader_open("counter", path, &fake_api, err, sizeof(err));
  if (!c) fail_msg("%s", err);
  assert_ptr_not_equal(a, c);
  assert_true(c->memfd >= 0); /* the path was mapped already: a private copy */
  assert_string_equal(c->desc.version, "2");
  assert_string_equal(a->desc.version, "1"); /* old code untouched */
  module_unref(a);
  module_unref(b);
  module_unref(c);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  fake_api.hdr = (stratus_abi_header){STRATUS_HOST_MAGIC, STRATUS_ABI_MAJOR,
                                      STRATUS_ABI_MINOR, sizeof(fake_api)};
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts_current_abi),
      cmocka_unit_test(test_accepts_older_minor_with_smaller_descriptor),
      cmocka_unit_test(test_accepts_newer_minor_and_hides_future_host_members),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_same_file_shares_a_module_changed_file_gets_a_fresh_one),
  };
  int rc = cmocka_run_group_tests_name("loader", tests, NULL, NULL);
  loader_shutdown();
  return rc;
}
