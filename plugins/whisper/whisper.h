/*
 * whisper plugin internals: v1.ChatService/SendWhisperMessage with PR #37's
 * crossrealm policy.
 *   whisper.c            descriptor, config, lifecycle, metrics
 *   whisper_directory.c  who is online where (the host's presence owner)
 *   whisper_handler.c    the RPC: checks, receiver resolution, delivery
 *   whisper_groups.c     dungeon-finder groups (from group and matchmaking events)
 *   whisper_policy.c     the crossrealm policy: shared context, Real ID
 * Names are checked and case-folded with the SDK's <stratus/text.h>.
 */
#ifndef WHISPER_H
#define WHISPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <stratus/proto/chat/chat.pb-c.h>
#include <stratus/stratus.h>

#include "jsonf.h"

extern const stratus_host_api *whisper_host;

#define WHISPER_NAME_BYTES STRATUS_NAME_PLAYER_BYTES
#define WHISPER_GATEWAY_MAX 63

typedef struct whisper_config {
  int64_t max_message;
  const char *const *crossrealm_maps; /* map ids counted as crossrealm maps */
  int64_t realid_timeout_ms;
} whisper_config;

/* One online character, as the presence owner reports it. */
typedef struct whisper_char {
  uint32_t realm;
  uint64_t guid;           /* realm-local (low) GUID */
  char name[WHISPER_NAME_BYTES + 1];
  uint8_t race, klass, gender;
  uint32_t account, map, zone;
  char gateway[WHISPER_GATEWAY_MAX + 1];
} whisper_char;

typedef struct whisper_plugin {
  const whisper_config *config;
  stratus_ctx *ctx;
  bool stopped;
  void *lfg_groups;        /* tsearch root: dungeon-finder groups by (home realm, id) */
  void *lfg_members;       /* tsearch root: their members by (realm, guid) */
  size_t lfg_group_count;
  stratus_metric *m_whispers, *m_lfg_groups;
} whisper_plugin;

/* ---- whisper_directory.c ---------------------------------------------------- */
typedef struct whisper_subscription {
  const char *subject;
  stratus_event_cb cb;
} whisper_subscription;
int whisper_subscribe_all(stratus_ctx *ctx, whisper_plugin *p, const whisper_subscription *subs,
                          size_t n);
/* The online character (realm, low GUID) into *out; false when offline. */
bool whisper_find_guid(whisper_plugin *p, uint32_t realm, uint64_t guid, whisper_char *out);
/* Up to max online characters of that name (case-insensitive) on `realm`,
 * or on every realm when it is 0; how many were found. */
size_t whisper_find_name(whisper_plugin *p, uint32_t realm, const char *name, whisper_char *out,
                         size_t max);

/* ---- whisper_groups.c ------------------------------------------------------- */
int whisper_groups_subscribe(stratus_ctx *ctx, whisper_plugin *p);
void whisper_groups_free(whisper_plugin *p);
bool whisper_same_lfg_group(whisper_plugin *p, const whisper_char *a, const whisper_char *b);

/* ---- whisper_policy.c ------------------------------------------------------- */
/* A crossrealm context both characters share that the host can check: the
 * same crossrealm map (battleground, arena, crossrealm dungeon or zone), or
 * the same dungeon-finder group. */
bool whisper_shared_context(whisper_plugin *p, const whisper_char *sender,
                            const whisper_char *receiver);
bool whisper_crossrealm_map(whisper_plugin *p, uint32_t realm, uint32_t map);
/* Ask the realid plugin (CharactersService.AreRealIDFriends). `done` gets
 * 1 friends, 0 not (or the realid plugin is not enabled), < 0 a gRPC
 * failure (-status) with its message. */
typedef void (*whisper_realid_done)(whisper_plugin *p, int verdict, const char *message,
                                    void *ud);
int whisper_ask_realid(whisper_plugin *p, uint32_t account, uint32_t friend_account,
                       whisper_realid_done done, void *ud);

/* ---- whisper_handler.c ------------------------------------------------------ */
extern const stratus_method whisper_method; /* SendWhisperMessage */
void whisper_count(whisper_plugin *p, const char *result);

#endif
