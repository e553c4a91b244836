/* Config reading and typed validation: a good file and every error class,
 * each with its file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "host_config.h"
#include "schema.h"

#include <stratus/errors.h>

static bool has_error(const cfg_errors *e, const char *needle) {
  for (size_t i = 0; i < e->n; i++)
    if (strstr(e->msgs[i], needle)) return true;
  return false;
}

static void print_errors(const cfg_errors *e) {
  for (size_t i = 0; i < e->n; i++) print_message("  error: %s\n", e->msgs[i]);
}

#define assert_error(errs, needle)                 \
  do {                                             \
    if (!has_error((errs), (needle))) {            \
      print_errors(errs);                          \
      fail_msg("no error contains: %s", (needle)); \
    }                                              \
  } while (0)

/* Errors of parsing `text` plus validating its host sections. */
static cfg_errors check_text(const char *text) {
  cfg_snapshot *snap = cfg_load_string("t.ini", text);
  cfg_errors errs = {0};
  cfg_errors_move(&errs, &snap->errors);
  host_config_free(host_config_build(snap, &errs));
  cfg_free(snap);
  return errs;
}

static void test_good_file(void **state) {
  (void)state;
  cfg_snapshot *snap = cfg_load(TEST_DATA_DIR "/good.ini");
  print_errors(&snap->errors);
  assert_int_equal(snap->errors.n, 0);
  assert_int_equal(snap->n, 5);
  assert_string_equal(snap->sections[3].name, "plugin.one");
  assert_string_equal(snap->sections[4].name, "plugin.two");
  assert_non_null(strstr(snap->sections[4].file, "conf.d/20-two.ini"));
  const cfg_entry *e = cfg_section_get(cfg_find(snap, "log"), "level");
  assert_string_equal(e->value, "debug");
  assert_int_equal(e->line, 8);

  cfg_errors errs = {0};
  host_config *hc = host_config_build(snap, &errs);
  assert_int_equal(errs.n, 0);
  assert_string_equal(hc->host->plugin_dir, "/opt/stratus/plugins");
  assert_int_equal(hc->host->shutdown_timeout_ms, 2000);
  assert_int_equal(hc->host->drain_warn_ms, 30000); /* default */
  assert_int_equal(hc->log->level, 3);
  assert_string_equal(hc->http->listen[0], "127.0.0.1:18900");
  assert_string_equal(hc->http->listen[1], "[::1]:18900");
  assert_null(hc->http->listen[2]);
  assert_string_equal(hc->http->admin_socket, "");
  host_config_free(hc);
  cfg_free(snap);
}

static void test_syntax_errors(void **state) {
  (void)state;
  cfg_errors e = check_text("[log]\nlevel info\n");
  assert_error(&e, "t.ini:2: syntax error");
  cfg_errors_free(&e);

  e = check_text("level = info\n[log]\n");
  assert_error(&e, "t.ini:1: key 'level' outside of any [section]");
  cfg_errors_free(&e);

  e = check_text("[log\nlevel = info\n");
  assert_error(&e, "t.ini:1: malformed section header");
  cfg_errors_free(&e);

  e = check_text("[log]\n  level = info\n");
  assert_error(&e, "t.ini:2: unexpected indentation");
  cfg_errors_free(&e);
}

static void test_duplicates(void **state) {
  (void)state;
  cfg_errors e = check_text("[log]\nlevel = info\nlevel = debug\n");
  assert_error(&e, "t.ini:3: duplicate key 'level' in [log] (first set at t.ini:2)");
  cfg_errors_free(&e);

  e = check_text("[log]\n[http]\n[log]\n");
  assert_error(&e, "t.ini:3: duplicate section [log] (first at t.ini:1)");
  cfg_errors_free(&e);
}

/* A value of `len` x's after "key = ". */
static char *line_of(const char *key, size_t len) {
  size_t head = strlen(key) + 3;
  char *line = malloc(head + len + 2);
  sprintf(line, "%s = ", key);
  memset(line + head, 'x', len);
  strcpy(line + head + len, "\n");
  return line;
}

static void test_long_values_are_read_whole(void **state) {
  (void)state;
  static const stratus_config_key keys[] = {
      {.name = "note", .type = STRATUS_CFG_STRING, .max = 1000}};
  static const schema s = {keys, 1, sizeof(char *)};
  char *line = line_of("note", 1000);
  char *text = malloc(strlen(line) + 8);
  sprintf(text, "[x]\n%s", line);
  cfg_snapshot *snap = cfg_load_string("t.ini", text);
  cfg_errors errs = {0};
  char **note = schema_build(&s, cfg_find(snap, "x"), NULL, "[x]", &errs);
  assert_int_equal(snap->errors.n + errs.n, 0);
  assert_int_equal(strlen(*note), 1000);
  schema_free(&s, note);
  cfg_free(snap);

  /* one character over the key's own bound: the schema says so */
  free(line);
  line = line_of("note", 1001);
  text = realloc(text, strlen(line) + 8);
  sprintf(text, "[x]\n%s", line);
  snap = cfg_load_string("t.ini", text);
  note = schema_build(&s, cfg_find(snap, "x"), NULL, "[x]", &errs);
  assert_error(&errs, "t.ini:2: [x]: note: value longer than 1000 characters");
  schema_free(&s, note);
  cfg_errors_free(&errs);
  cfg_free(snap);
  free(line);
  free(text);
}

static void test_line_over_the_limit_is_an_error_not_a_truncation(void **state) {
  (void)state;
  char *line = line_of("plugin_dir", 70000);
  char *text = malloc(strlen(line) + 64);
  sprintf(text, "[host]\nshutdown_timeout = 1s\n%slevel = 1\n", line);
  cfg_snapshot *snap = cfg_load_string("t.ini", text);
  assert_error(&snap->errors, "t.ini:3: line longer than 65536 characters (the limit of a line)");
  /* the value was not taken, and the next line still counts as line 4 */
  assert_null(cfg_section_get(cfg_find(snap, "host"), "plugin_dir"));
  assert_int_equal(cfg_section_get(cfg_find(snap, "host"), "level")->line, 4);
  cfg_free(snap);
  free(line);
  free(text);
}

static void test_comments_and_spacing(void **state) {
  (void)state;
  cfg_snapshot *snap = cfg_load_string(
      "t.ini", "\xEF\xBB\xBF; comment\r\n[x]\r\n# another\n"
               "a =  spaced value ; inline comment\nb=c;not a comment\nd =\n");
  assert_int_equal(snap->errors.n, 0);
  const cfg_section *x = cfg_find(snap, "x");
  assert_string_equal(cfg_section_get(x, "a")->value, "spaced value");
  assert_string_equal(cfg_section_get(x, "b")->value, "c;not a comment");
  assert_string_equal(cfg_section_get(x, "d")->value, "");
  assert_int_equal(cfg_section_get(x, "b")->line, 5);
  cfg_free(snap);
}

static void test_nul_byte_is_an_error(void **state) {
  (void)state;
  char path[] = "/tmp/stratus-nul-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  static const char text[] = "[log]\nlevel = info\n\0[http]\n";
  assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
  close(fd);
  cfg_snapshot *snap = cfg_load(path);
  char want[64];
  snprintf(want, sizeof(want), "%s:3: NUL byte", path);
  assert_error(&snap->errors, want);
  assert_null(cfg_find(snap, "log")); /* nothing of the file was taken */
  cfg_free(snap);
  unlink(path);
}

/* Found by fuzz_ini: a line of carriage returns before other text. */
static void test_stray_carriage_returns(void **state) {
  (void)state;
  cfg_snapshot *snap = cfg_load_string("cr.ini", "\r\r\rkey\n[log]\n\r\r\rlevel = info\r\n");
  assert_non_null(snap);
  cfg_free(snap);
}

static void test_unknown_keys_and_sections(void **state) {
  (void)state;
  cfg_errors e = check_text("[log]\nlevle = debug\n");
  assert_error(&e, "t.ini:2: unknown key 'levle' in [log]");
  cfg_errors_free(&e);

  e = check_text("[log]\nLevel = debug\n");
  assert_error(&e, "t.ini:2: unknown key 'Level' in [log] (did you mean 'level'?)");
  cfg_errors_free(&e);

  e = check_text("[nonsense]\n");
  assert_error(&e, "t.ini:1: unknown section [nonsense]");
  cfg_errors_free(&e);
}

static void test_types_and_ranges(void **state) {
  (void)state;
  cfg_errors e = check_text("[log]\nlevel = loud\n");
  assert_error(&e, "t.ini:2: [log]: level: 'loud' is not one of: error warn info debug trace");
  cfg_errors_free(&e);

  e = check_text("[host]\nshutdown_timeout = 10\n");
  assert_error(&e, "t.ini:2: [host]: shutdown_timeout: '10' is not a duration");
  cfg_errors_free(&e);

  e = check_text("[host]\nshutdown_timeout = 2h\n");
  assert_error(&e, "t.ini:2: [host]: shutdown_timeout: value out of range (0..3600000 ms)");
  cfg_errors_free(&e);
}

static void test_include_missing_file(void **state) {
  (void)state;
  cfg_snapshot *snap = cfg_load(TEST_DATA_DIR "/include-missing.ini");
  assert_error(&snap->errors, "include-missing.ini:2: include: no such file");
  cfg_free(snap);
}

static void test_missing_main_file(void **state) {
  (void)state;
  cfg_snapshot *snap = cfg_load(TEST_DATA_DIR "/does-not-exist.ini");
  assert_error(&snap->errors, "does-not-exist.ini: cannot open: No such file");
  cfg_free(snap);
}

/* ---- schema ------------------------------------------------------------- */

typedef struct all_types {
  bool flag;
  int64_t count;
  double ratio;
  const char *name;
  int64_t wait_ms;
  uint64_t bytes;
  int mode;
  const char *const *items;
} all_types;

static const char *const modes[] = {"fast", "safe", NULL};
static const stratus_config_key all_keys[] = {
    {.name = "flag", .type = STRATUS_CFG_BOOL, .offset = offsetof(all_types, flag), .default_value = "no"},
    {.name = "count", .type = STRATUS_CFG_INT, .offset = offsetof(all_types, count),
     .default_value = "5", .min = 1, .max = 10, .flags = STRATUS_CFG_RESTART},
    {.name = "ratio", .type = STRATUS_CFG_DOUBLE, .offset = offsetof(all_types, ratio), .default_value = "0.5"},
    {.name = "name", .type = STRATUS_CFG_STRING, .offset = offsetof(all_types, name),
     .flags = STRATUS_CFG_REQUIRED, .max = 8},
    {.name = "wait", .type = STRATUS_CFG_DURATION, .offset = offsetof(all_types, wait_ms), .default_value = "1m"},
    {.name = "bytes", .type = STRATUS_CFG_SIZE, .offset = offsetof(all_types, bytes), .default_value = "4MiB"},
    {.name = "mode", .type = STRATUS_CFG_ENUM, .offset = offsetof(all_types, mode),
     .default_value = "safe", .choices = modes},
    {.name = "items", .type = STRATUS_CFG_LIST, .offset = offsetof(all_types, items)},
};
static const schema all_schema = {all_keys, 8, sizeof(all_types)};

static all_types *build(const char *text, cfg_errors *errs) {
  cfg_snapshot *snap = cfg_load_string("s.ini", text);
  cfg_errors_move(errs, &snap->errors);
  all_types *v = schema_build(&all_schema, cfg_find(snap, "x"), NULL, "[x]", errs);
  cfg_free(snap);
  return v;
}

static void test_schema_values_and_defaults(void **state) {
  (void)state;
  cfg_errors errs = {0};
  all_types *v = build("[x]\nname = abc\nflag = On\nitems = a, b ,,c\nbytes = 512\n", &errs);
  print_errors(&errs);
  assert_int_equal(errs.n, 0);
  assert_true(v->flag);
  assert_int_equal(v->count, 5);
  assert_true(v->ratio == 0.5);
  assert_string_equal(v->name, "abc");
  assert_int_equal(v->wait_ms, 60000);
  assert_int_equal(v->bytes, 512);
  assert_int_equal(v->mode, 1);
  assert_string_equal(v->items[0], "a");
  assert_string_equal(v->items[1], "b");
  assert_string_equal(v->items[2], "c");
  assert_null(v->items[3]);
  schema_free(&all_schema, v);
}

static void test_schema_errors(void **state) {
  (void)state;
  cfg_errors errs = {0};
  all_types *v = build("[x]\nflag = perhaps\ncount = 11\nratio = lots\n"
                       "name = far-too-long\nbytes = 3 parsecs\nmode = slow\n", &errs);
  assert_error(&errs, "s.ini:2: [x]: flag: 'perhaps' is not a boolean");
  assert_error(&errs, "s.ini:3: [x]: count: value out of range (1..10)");
  assert_error(&errs, "s.ini:4: [x]: ratio: 'lots' is not a number");
  assert_error(&errs, "s.ini:5: [x]: name: value longer than 8 characters");
  assert_error(&errs, "s.ini:6: [x]: bytes: '3 parsecs' is not a size");
  assert_error(&errs, "s.ini:7: [x]: mode: 'slow' is not one of: fast safe");
  schema_free(&all_schema, v);
  cfg_errors_free(&errs);

  v = build("[x]\nflag = yes\n", &errs);
  assert_error(&errs, "s.ini:1: [x]: required key 'name' is missing");
  schema_free(&all_schema, v);
  cfg_errors_free(&errs);
}

static void test_restart_keys_keep_running_value(void **state) {
  (void)state;
  cfg_errors errs = {0};
  all_types *running = build("[x]\nname = a\ncount = 3\n", &errs);
  all_types *next = build("[x]\nname = b\ncount = 7\n", &errs);
  assert_int_equal(errs.n, 0);
  strbuf notes;
  sb_init(&notes);
  assert_int_equal(schema_keep_restart_keys(&all_schema, running, next, &notes), 1);
  assert_string_equal(notes.data, "count");
  assert_int_equal(next->count, 3);
  assert_string_equal(next->name, "b");
  assert_false(schema_equal(&all_schema, running, next));
  sb_free(&notes);
  schema_free(&all_schema, running);
  schema_free(&all_schema, next);
}

/* New code of a plugin: its keys moved and its enum choices changed order. */
static void test_restart_keys_survive_new_code(void **state) {
  (void)state;
  typedef struct { int mode; const char *name; } old_cfg;
  typedef struct { const char *name; int64_t extra; int mode; } new_cfg;
  static const char *const old_modes[] = {"fast", "safe", NULL};
  static const char *const new_modes[] = {"safe", "gone", "fast", NULL};
  static const stratus_config_key old_keys[] = {
      {.name = "mode", .type = STRATUS_CFG_ENUM, .flags = STRATUS_CFG_RESTART,
       .offset = offsetof(old_cfg, mode), .choices = old_modes},
      {.name = "name", .type = STRATUS_CFG_STRING, .flags = STRATUS_CFG_RESTART,
       .offset = offsetof(old_cfg, name)}};
  static const stratus_config_key new_keys[] = {
      {.name = "name", .type = STRATUS_CFG_STRING, .flags = STRATUS_CFG_RESTART,
       .offset = offsetof(new_cfg, name)},
      {.name = "extra", .type = STRATUS_CFG_INT, .flags = STRATUS_CFG_RESTART,
       .offset = offsetof(new_cfg, extra)},
      {.name = "mode", .type = STRATUS_CFG_ENUM, .flags = STRATUS_CFG_RESTART,
       .offset = offsetof(new_cfg, mode), .choices = new_modes}};
  static const schema olds = {old_keys, 2, sizeof(old_cfg)};
  static const schema news = {new_keys, 3, sizeof(new_cfg)};
  cfg_errors errs = {0};
  cfg_snapshot *a = cfg_load_string("a.ini", "[x]\nmode = fast\nname = running\n");
  cfg_snapshot *b = cfg_load_string("b.ini", "[x]\nmode = safe\nname = waiting\nextra = 9\n");
  old_cfg *running = schema_build(&olds, cfg_find(a, "x"), NULL, "[x]", &errs);
  new_cfg *next = schema_build(&news, cfg_find(b, "x"), NULL, "[x]", &errs);
  assert_int_equal(errs.n, 0);
  strbuf notes;
  sb_init(&notes);
  assert_int_equal(schema_keep_restart_keys_from(&olds, running, &news, next, &notes), 2);
  assert_string_equal(notes.data, "name, mode");
  assert_string_equal(next->name, "running");
  assert_string_equal(new_modes[next->mode], "fast");
  assert_int_equal(next->extra, 9); /* new key: nothing to keep */
  sb_free(&notes);
  schema_free(&olds, running);
  schema_free(&news, next);
  cfg_free(a);
  cfg_free(b);
}

static void test_describe_keys(void **state) {
  (void)state;
  
  static const stratus_config_key keys[] = {
      {.name = "wait", .type = STRATUS_CFG_DURATION, .flags = STRATUS_CFG_RESTART,
       .default_value = "90s", .min = 1500, .max = 3600000, .help = "how long"},
      {.name = "buf", .type = STRATUS_CFG_SIZE, .default_value = "64KiB",
       .min = 1024, .max = 4 << 20},
      {.name = "name", .type = STRATUS_CFG_STRING, .flags = STRATUS_CFG_REQUIRED,
       .max = 12, .help = "who"},
      {.name = "mode", .type = STRATUS_CFG_ENUM, .choices = modes, /* fast, safe */
       .default_value = "safe"},
      {.name = "pass", .type = STRATUS_CFG_STRING, .flags = STRATUS_CFG_SECRET}};
  static const char *const want[] = {
      "; wait (duration, 1500ms..1h, restart-only)\n;   how long\n;wait = 90s\n",
      "; buf (size, 1KiB..4MiB, reloadable)\n;buf = 64KiB\n",
      "; name (string, at most 12 characters, required, reloadable)\n;   who\n;name =\n",
      "; mode (enum, one of: fast safe, reloadable)\n;mode = safe\n",
      "; pass (string, secret, reloadable)\n;pass =\n"};
  for (size_t i = 0; i < 5; i++) {
    strbuf sb;
    sb_init(&sb);
    schema_describe_key(&keys[i], &sb);
    assert_string_equal(sb.data, want[i]);
    sb_free(&sb);
  }
}

static void test_schema_definition_checks(void **state) {
  (void)state;
  char err[256];
  static const char *const reserved[] = {"enabled", NULL};
  stratus_config_key bad_offset[] = {{.name = "a", .type = STRATUS_CFG_INT, .offset = 4}};
  schema s1 = {bad_offset, 1, 16};
  assert_int_equal(schema_check(&s1, NULL, err, sizeof(err)), STRATUS_EINVAL);
  assert_non_null(strstr(err, "misaligned"));

  stratus_config_key reserved_key[] = {{.name = "enabled", .type = STRATUS_CFG_BOOL}};
  schema s2 = {reserved_key, 1, 8};
  assert_int_equal(schema_check(&s2, reserved, err, sizeof(err)), STRATUS_EINVAL);
  assert_non_null(strstr(err, "reserved for the host"));

  stratus_config_key bad_default[] = {
      {.name = "n", .type = STRATUS_CFG_INT, .default_value = "many"}};
  schema s3 = {bad_default, 1, 8};
  assert_int_equal(schema_check(&s3, NULL, err, sizeof(err)), STRATUS_EINVAL);
  assert_non_null(strstr(err, "default of key 'n'"));

  stratus_config_key twice[] = {{.name = "n", .type = STRATUS_CFG_INT},
                                {.name = "n", .type = STRATUS_CFG_INT, .offset = 8}};
  schema s4 = {twice, 2, 16};
  assert_int_equal(schema_check(&s4, NULL, err, sizeof(err)), STRATUS_EINVAL);
  assert_non_null(strstr(err, "declared twice"));

  schema ok = all_schema;
  assert_int_equal(schema_check(&ok, reserved, err, sizeof(err)), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_file),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_long_values_are_read_whole),
      cmocka_unit_test(test_line_over_the_limit_is_an_error_not_a_truncation),
      cmocka_unit_test(test_comments_and_spacing),
      cmocka_unit_test(test_nul_byte_is_an_error),
      cmocka_unit_test(test_stray_carriage_returns),
      cmocka_unit_test(test_unknown_keys_and_sections),
      cmocka_unit_test(test_types_and_ranges),
      cmocka_unit_test(test_include_missing_file),
      cmocka_unit_test(test_missing_main_file),
      cmocka_unit_test(test_schema_values_and_defaults),
      cmocka_unit_test(test_schema_errors),
      cmocka_unit_test(test_restart_keys_keep_running_value),
      cmocka_unit_test(test_restart_keys_survive_new_code),
      cmocka_unit_test(test_describe_keys),
      cmocka_unit_test(test_schema_definition_checks),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
