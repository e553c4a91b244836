/* The Go encoding/json writer (host/bus/gojson.c) and the event catalogue
 * (host/bus/catalogue.c, conform.c). Every expected string is what Go's
 * encoding/json (Go >= 1.22) writes for the same Go value, worked out from
 * its documented rules: HTML-safe escaping, \b and \f short escapes, \ufffd
 * for each invalid UTF-8 byte, strconv's shortest floats with 'e' below
 * 1e-6 and from 1e21 on, nil slices as null, map keys sorted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <stratus/errors.h>

#include "catalogue.h"
#include "gojson.h"

static char *render(const json_t *v, const ev_type *t) {
  strbuf sb;
  sb_init(&sb);
  assert_int_equal(gojson_write(&sb, v, t), 0);
  return sb_steal(&sb);
}

static void expect(json_t *v, const ev_type *t, const char *want) {
  char *got = render(v, t);
  assert_string_equal(got, want);
  free(got);
  json_decref(v);
}

static void expect_str(const char *bytes, size_t len, const char *want) {
  expect(json_stringn_nocheck(bytes, len), NULL, want);
}

static void expect_float(double v, int bits, const char *want) {
  strbuf sb;
  sb_init(&sb);
  gojson_float(&sb, v, bits);
  assert_string_equal(sb.data, want);
  sb_free(&sb);
}

/* ---- strings -------------------------------------------------------------- */

static void html_characters_are_escaped(void **state) {
  (void)state;
  expect_str("<b>Tom & Jerry</b>", 18,
             "\"\\u003cb\\u003eTom \\u0026 Jerry\\u003c/b\\u003e\"");
  expect_str("\"quoted\" \\ /", 12, "\"\\\"quoted\\\" \\\\ /\"");
}

static void control_characters_as_go_writes_them(void **state) {
  (void)state;
  expect_str("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
  expect_str("\x01\x1f\x0b", 3, "\"\\u0001\\u001f\\u000b\"");
  expect_str("a\0b", 3, "\"a\\u0000b\"");
  expect_str("\x7f", 1, "\"\x7f\""); /* DEL is not escaped */
}

static void line_separators_are_escaped(void **state) {
  (void)state;
  expect_str("a\xe2\x80\xa8" "b\xe2\x80\xa9", 8, "\"a\\u2028b\\u2029\"");
}

static void invalid_utf8_becomes_replacement_per_byte(void **state) {
  (void)state;
  expect_str("a\xff" "b", 3, "\"a\\ufffdb\"");
  expect_str("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");         /* truncated */
  expect_str("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");         /* overlong */
  expect_str("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
  expect_str("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
  expect_str("\xef\xbf\xbd", 3, "\"\xef\xbf\xbd\""); /* a real U+FFFD stays */
}

static void non_ascii_is_written_raw(void **state) {
  (void)state;
  expect(json_string("Jaïna Тралл 龍 \xf0\x9f\x90\x89"), NULL,
         "\"Jaïna Тралл 龍 \xf0\x9f\x90\x89\"");
  json_t *o = json_object();
  json_object_set_new(o, "Näme<>", json_string("Ärthas"));
  expect(o, NULL, "{\"Näme\\u003c\\u003e\":\"Ärthas\"}");
}

/* ---- numbers -------------------------------------------------------------- */

static void float64_shortest_form(void **state) {
  (void)state;
  expect_float(0.1, 64, "0.1");
  expect_float(0.1 + 0.2, 64, "0.30000000000000004");
  expect_float(3.0, 64, "3");
  expect_float(-0.0, 64, "-0");
  expect_float(0.0, 64, "0");
  expect_float(123456789.125, 64, "123456789.125");
  expect_float(1e20, 64, "100000000000000000000");
  expect_float(1e21, 64, "1e+21");
  expect_float(1.5e300, 64, "1.5e+300");
  expect_float(1e-6, 64, "0.000001");
  expect_float(1e-7, 64, "1e-7");
  expect_float(-2.5e-10, 64, "-2.5e-10");
  expect_float(1.23e-18, 64, "1.23e-18");
  expect_float(5e-324, 64, "5e-324");
  expect_float(1.7976931348623157e308, 64, "1.7976931348623157e+308");
}

static void float32_shortest_form(void **state) {
  (void)state;
  expect_float(0.1, 32, "0.1");
  expect_float(1234.5678, 32, "1234.5677"); /* nearest float32, shortest */
  expect_float(1234.5678, 64, "1234.5678");
  expect_float(-100.25, 32, "-100.25");
  expect_float(16777217.0, 32, "16777216");
  expect_float(1e-7, 32, "1e-7");
  expect_float(1e21, 32, "1e+21");
  expect_float(3.4028234663852886e38, 32, "3.4028235e+38");
}

static void integers_are_numbers(void **state) {
  (void)state;
  ev_type u64 = {.kind = EV_U64}, f32 = {.kind = EV_F32};
  expect(json_integer(9007199254740993LL), NULL, "9007199254740993"); /* 2^53 + 1 */
  expect(json_integer(INT64_MAX), &u64, "9223372036854775807");
  expect(json_integer((json_int_t)(int64_t)UINT64_C(18446744073709551615)), &u64,
         "18446744073709551615");
  expect(json_integer((json_int_t)(int64_t)UINT64_C(9223372036854775808)), &u64,
         "9223372036854775808");
  expect(json_integer(-1), NULL, "-1");
  expect(json_integer(7), &f32, "7");
  expect(json_real(2.0), NULL, "2");
}

/* ---- containers ----------------------------------------------------------- */

static void nil_slices_and_order(void **state) {
  (void)state;
  json_t *o = json_object();
  json_object_set_new(o, "Zeta", json_true());
  json_object_set_new(o, "Receivers", json_null());
  json_object_set_new(o, "Empty", json_array());
  json_object_set_new(o, "Alpha", json_pack("[i,b,s]", 1, 0, "x"));
  expect(o, NULL, "{\"Zeta\":true,\"Receivers\":null,\"Empty\":[],\"Alpha\":[1,false,\"x\"]}");
}

static void map_keys_are_sorted(void **state) {
  (void)state;
  ev_type u8 = {.kind = EV_U8}, map = {.kind = EV_MAP, .elem = &u8};
  json_t *m = json_pack("{s:i,s:i,s:i}", "9", 1, "10", 2, "2", 3);
  expect(m, &map, "{\"10\":2,\"2\":3,\"9\":1}");
  expect(json_null(), &map, "null");
}

static void too_deep_is_refused(void **state) {
  (void)state;
  json_t *root = json_array(), *a = root;
  for (int i = 0; i < GOJSON_MAX_DEPTH + 1; i++) {
    json_t *inner = json_array();
    json_array_append_new(a, inner);
    a = inner;
  }
  strbuf sb;
  sb_init(&sb);
  assert_int_equal(gojson_write(&sb, root, NULL), STRATUS_EINVAL);
  sb_free(&sb);
  json_decref(root);
}

/* ---- the catalogue ---------------------------------------------------------- */

static void parse_error(const char *text, const char *want) {
  char err[256] = "";
  ev_catalogue *c = ev_catalogue_parse(text, strlen(text), "t.txt", err, sizeof(err));
  assert_null(c);
  assert_string_equal(err, want);
}

static void catalogue_errors_name_file_and_line(void **state) {
  (void)state;
  parse_error("event a.b 1 envelope\n  X nope\n", "t.txt:2: unknown type 'nope'");
  parse_error("# c\n  X u8\n", "t.txt:2: a field outside an event or struct block");
  parse_error("event a.b 1 envelope\nevent a.b 2 envelope\n", "t.txt:2: subject 'a.b' twice");
  parse_error("event a..b 1 envelope\n", "t.txt:1: bad subject 'a..b'");
  parse_error("event a.b x envelope\n", "t.txt:1: bad type number 'x'");
  parse_error("event a.b 1 raw\n", "t.txt:1: a raw event has no type: write '-'");
  parse_error("event a.b 1 envelope\n  X u8\n  X u32\n", "t.txt:3: field 'X' twice in 'a.b'");
  parse_error("event a.b 1 envelope\n  X []obj:Nope\n", "t.txt:1: unknown struct 'Nope'");
  parse_error("# nothing\n", "t.txt: no events");
}

static void builtin_catalogue_finds_subjects(void **state) {
  (void)state;
  ev_catalogue *c = ev_catalogue_builtin();
  assert_true(ev_catalogue_count(c) >= 70);
  ev_subject *w = ev_catalogue_find(c, "chat.gw.42.income.whisper");
  assert_non_null(w);
  assert_string_equal(w->subject, "chat.gw.*.income.whisper");
  assert_int_equal(w->type, 1);
  assert_false(w->raw);
  ev_subject *bid = ev_catalogue_find(c, "auctionhouse.bid.placed");
  assert_non_null(bid);
  assert_true(bid->raw);
  assert_null(ev_catalogue_find(c, "thirdparty.thing"));
  const ev_field *f = ev_struct_field(&ev_catalogue_find(c, "gw.char.logged-in")->payload, "CharPosX");
  assert_int_equal(f->type.kind, EV_F32);
}

static char *conform_render(const char *subject, json_t *payload, char *err) {
  ev_subject *e = ev_catalogue_find(ev_catalogue_builtin(), subject);
  assert_non_null(e);
  json_t *ordered = ev_conform(&e->payload, payload, err, 256);
  json_decref(payload);
  if (!ordered) return NULL;
  ev_type t = {.kind = EV_OBJ, .obj = &e->payload};
  char *text = render(ordered, &t);
  json_decref(ordered);
  return text;
}

static void conform_puts_keys_in_go_order(void **state) {
  (void)state;
  char err[256] = "";
  json_t *p = json_pack("{s:n,s:i,s:I,s:I,s:I,s:s}", "Receivers", "DungeonDifficulty", 1,
                        "Updater", (json_int_t)0, "GroupID", (json_int_t)7,
                        "RealmID", (json_int_t)1, "ServiceID", "");
  char *text = conform_render("group.difficulty.changed", p, err);
  assert_non_null(text);
  /* tocloud9.md §3.1's example, RaidDifficulty (omitempty) left out */
  assert_string_equal(text, "{\"ServiceID\":\"\",\"RealmID\":1,\"GroupID\":7,"
                            "\"Updater\":0,\"DungeonDifficulty\":1,\"Receivers\":null}");
  free(text);
}

static void conform_typed_nested_values(void **state) {
  (void)state;
  char err[256] = "";
  json_t *gs = json_pack("{s:[i,i],s:n,s:b,s:i,s:s,s:s,s:[]}", "NewAssignedMapsToHandle", 0, 1,
                         "AvailableMaps", "IsCrossRealm", 0, "RealmID", 1, "Address",
                         "10.0.0.5:8085", "ID", "3632450545", "OldAssignedMapsToHandle");
  char *text = conform_render("sr.gs.added", json_pack("{s:o}", "GameServer", gs), err);
  assert_non_null(text);
  assert_string_equal(text, "{\"GameServer\":{\"ID\":\"3632450545\",\"Address\":\"10.0.0.5:8085\","
                            "\"RealmID\":1,\"IsCrossRealm\":false,\"AvailableMaps\":null,"
                            "\"OldAssignedMapsToHandle\":[],\"NewAssignedMapsToHandle\":[0,1]}}");
  free(text);
}

static void refused(const char *subject, json_t *payload, const char *why) {
  char err[256] = "";
  assert_null(conform_render(subject, payload, err));
  assert_string_equal(err, why);
}

static void conform_refuses_differences(void **state) {
  (void)state;
  refused("group.disband", json_pack("{s:s,s:i,s:i}", "ServiceID", "", "RealmID", 1, "GroupID", 2),
          "missing key 'OnlineMembers'");
  refused("group.disband", json_pack("{s:s,s:i,s:i,s:n,s:i}", "ServiceID", "", "RealmID", 1,
                                     "GroupID", 2, "OnlineMembers", "Extra", 1),
          "unknown key 'Extra'");
  refused("group.disband", json_pack("{s:s,s:s,s:i,s:n}", "ServiceID", "", "RealmID", "1",
                                     "GroupID", 2, "OnlineMembers"),
          "RealmID: want u32");
  refused("group.disband", json_pack("{s:s,s:i,s:i,s:[i,s]}", "ServiceID", "", "RealmID", 1,
                                     "GroupID", 2, "OnlineMembers", 5, "x"),
          "OnlineMembers[1]: want u64");
  refused("group.difficulty.changed",
          json_pack("{s:s,s:i,s:i,s:i,s:i,s:n}", "ServiceID", "", "RealmID", 1, "GroupID", 2,
                    "Updater", 3, "RaidDifficulty", 256, "Receivers"),
          "RaidDifficulty: want u8");
  refused("sr.gs.added", json_pack("{s:{s:s}}", "GameServer", "ID", "x"),
          "missing key 'GameServer.Address'");
  refused("sr.gs.maps.reassigned", json_pack("{s:[{s:i}]}", "Servers", "Port", 1),
          "unknown key 'Servers[0].Port'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(html_characters_are_escaped),
      cmocka_unit_test(control_characters_as_go_writes_them),
      cmocka_unit_test(line_separators_are_escaped),
      cmocka_unit_test(invalid_utf8_becomes_replacement_per_byte),
      cmocka_unit_test(non_ascii_is_written_raw),
      cmocka_unit_test(float64_shortest_form),
      cmocka_unit_test(float32_shortest_form),
      cmocka_unit_test(integers_are_numbers),
      cmocka_unit_test(nil_slices_and_order),
      cmocka_unit_test(map_keys_are_sorted),
      cmocka_unit_test(too_deep_is_refused),
      cmocka_unit_test(catalogue_errors_name_file_and_line),
      cmocka_unit_test(builtin_catalogue_finds_subjects),
      cmocka_unit_test(conform_puts_keys_in_go_order),
      cmocka_unit_test(conform_typed_nested_values),
      cmocka_unit_test(conform_refuses_differences),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  ev_catalogue_builtin_free();
  return rc;
}
