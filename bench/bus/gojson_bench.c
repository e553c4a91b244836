/*
 * gojson_bench: the cost of writing event payloads as Go does. For two
 * ToCloud9 payloads (gw.char.logged-in: 16 scalars with floats; group.created
 * with 5 members) it times, per payload:
 *   dumps     jansson's json_dumps(JSON_COMPACT) (what bus_publish_json does)
 *   gojson    gojson_write without a type (insertion order)
 *   checked   ev_conform against the catalogue + typed gojson_write (what
 *             event_publish_json does before handing the bytes to the bus)
 * Usage: gojson_bench [N]   (default 200000 rounds). Figures go to stdout.
 */
#include <stdio.h>
#include <stdlib.h>

#include "catalogue.h"
#include "gojson.h"
#include "util.h"

static json_t *login(void) {
  return json_pack("{s:i,s:s,s:I,s:I,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:f,s:f,s:f,s:i,s:i}",
                   "RealmID", 1, "GatewayID", "42", "EventTimeUnixNano",
                   (json_int_t)1765000000123456789LL, "CharGUID", (json_int_t)5, "CharName",
                   "Arthas", "CharRace", 1, "CharClass", 6, "CharGender", 0, "CharLevel", 80,
                   "CharZone", 1519, "CharMap", 0, "CharPosX", 1234.5678, "CharPosY", -8949.95,
                   "CharPosZ", 82.25, "CharGuildID", 0, "AccountID", 3);
}

static json_t *group(void) {
  json_t *members = json_array();
  for (int i = 0; i < 5; i++)
    json_array_append_new(members, json_pack("{s:I,s:i,s:s,s:b,s:i,s:i}", "MemberGUID",
                                             (json_int_t)(1000 + i), "MemberFlags", 0,
                                             "MemberName", "Jaïna<&>", "IsOnline", 1,
                                             "SubGroup", 0, "Roles", 2));
  return json_pack("{s:s,s:i,s:I,s:I,s:i,s:I,s:i,s:i,s:i,s:i,s:I,s:i,s:o}", "ServiceID", "",
                   "RealmID", 1, "GroupID", (json_int_t)7, "LeaderGUID", (json_int_t)1000,
                   "LootMethod", 3, "LooterGUID", (json_int_t)0, "LootThreshold", 2,
                   "GroupType", 0, "Difficulty", 0, "RaidDifficulty", 0, "MasterLooterGuid",
                   (json_int_t)0, "LfgDungeonEntry", 0, "Members", members);
}

static double rate(long n, uint64_t t0) {
  double s = (double)(clock_mono_ns() - t0) / 1e9;
  return s > 0 ? (double)n / s : 0;
}

static void bench(const char *subject, json_t *p, long n) {
  ev_subject *e = ev_catalogue_find(ev_catalogue_builtin(), subject);
  ev_type t = {.kind = EV_OBJ, .obj = &e->payload};
  strbuf sb;
  char err[256];
  sb_init(&sb);
  uint64_t t0 = clock_mono_ns();
  for (long i = 0; i < n; i++) free(json_dumps(p, JSON_COMPACT));
  double dumps = rate(n, t0);
  t0 = clock_mono_ns();
  for (long i = 0; i < n; i++, sb.len = 0) gojson_write(&sb, p, NULL);
  double plain = rate(n, t0);
  t0 = clock_mono_ns();
  for (long i = 0; i < n; i++, sb.len = 0) {
    json_t *ordered = ev_conform(&e->payload, p, err, sizeof(err));
    gojson_write(&sb, ordered, &t);
    json_decref(ordered);
  }
  double checked = rate(n, t0);
  gojson_write(&sb, p, &t);
  printf("%-20s %4zu bytes  dumps %9.0f/s  gojson %9.0f/s  checked+gojson %9.0f/s\n",
         subject, sb.len, dumps, plain, checked);
  sb_free(&sb);
  json_decref(p);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  bench("gw.char.logged-in", login(), n);
  bench("group.created", group(), n / 4);
  ev_catalogue_builtin_free();
  return 0;
}
