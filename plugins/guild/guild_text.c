/*
 * Texts: SetMessageOfTheDay, SetGuildInfo, SetMemberPublicNote,
 * SetMemberOfficerNote, and guild chat (SendGuildMessage), each behind the
 * rank right the core checks.
 */
#include <string.h>

#include "guild.h"

typedef struct text_job {
  uint32_t actor_low, target_low;
  const char *text; /* the request's, valid for the call */
  bool officer;
  uint32_t language, chat_tag;
  gmember actor, target;
  gguild g;
} text_job;

/* ---- MOTD and guild info ------------------------------------------------------------ */

static int motd_check(stratus_req *req, const void *request, void *job) {
  const V1__SetMessageOfTheDayParams *in = request;
  text_job *j = job;
  j->text = in->messageoftheday;
  int rc = guild_text_ok(req, j->text, GUILD_MOTD_CHARS, false, "messageOfTheDay");
  return rc != 0 ? rc : guild_use_player(req, in->realmid, in->changerguid, "changerGUID",
                                         &j->actor_low);
}

static int info_check(stratus_req *req, const void *request, void *job) {
  const V1__SetGuildInfoParams *in = request;
  text_job *j = job;
  j->text = in->info;
  int rc = guild_text_ok(req, j->text, GUILD_INFO_CHARS, false, "info");
  return rc != 0 ? rc : guild_use_player(req, in->realmid, in->changerguid, "changerGUID",
                                         &j->actor_low);
}

static int set_guild_text(stratus_db *db, stratus_req *req, text_job *j, uint32_t right,
                          const char *action, const char *sql) {
  int rc = gsql_lock_actor(db, req, j->actor_low, GUILD_COMMAND_EDIT_MOTD, &j->actor, &j->g);
  if (rc == 0) rc = guild_need_right(req, &j->actor, right, GUILD_COMMAND_EDIT_MOTD, action);
  if (rc == 0) rc = gsql_exec(db, sql, STRATUS_SQL_PARAMS(stratus_sql_text(j->text),
                                                          STRATUS_SQL_UINT_V(j->g.id)));
  return rc < 0 ? rc : gsql_members(db, req, &j->g);
}

static int motd_work(stratus_db *db, stratus_req *req, void *job) {
  return set_guild_text(db, req, job, GR_RIGHT_SETMOTD, "set the message of the day",
                        "UPDATE guild SET motd = ? WHERE guildid = ?");
}

static int info_work(stratus_db *db, stratus_req *req, void *job) {
  return set_guild_text(db, req, job, GR_RIGHT_MODIFY_GUILD_INFO, "edit the guild information",
                        "UPDATE guild SET info = ? WHERE guildid = ?");
}

static int motd_reply(stratus_req *req, void *job) {
  text_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  json_t *o = guild_event_base(p, HOST->req_realm(req), &j->g, 0);
  json_object_set_new(o, "NewMessageOfTheDay", json_string(j->text));
  guild_publish(p, "guild.motd.updated", EV_MOTD_UPDATED, o);
  V1__SetMessageOfTheDayResponse resp = V1__SET_MESSAGE_OF_THE_DAY_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

static int info_reply(stratus_req *req, void *job) {
  text_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  json_t *o = guild_event_base(p, HOST->req_realm(req), &j->g, 0);
  json_object_set_new(o, "NewGuildInfo", json_string(j->text));
  guild_publish(p, "guild.info.updated", EV_INFO_UPDATED, o);
  V1__SetGuildInfoResponse resp = V1__SET_GUILD_INFO_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

/* ---- notes ------------------------------------------------------------------------- */

static int note_check(stratus_req *req, const void *request, void *job) {
  const V1__SetNoteParams *in = request;
  text_job *j = job;
  j->text = in->note;
  int rc = guild_text_ok(req, j->text, GUILD_NOTE_CHARS, false, "note");
  if (rc == 0) rc = guild_use_player(req, in->realmid, in->changerguid, "changerGUID",
                                     &j->actor_low);
  return rc != 0 ? rc : guild_same_realm(req, in->realmid, in->targetguid, "targetGUID",
                                         &j->target_low);
}

static int set_note(stratus_db *db, stratus_req *req, text_job *j, bool officer) {
  j->officer = officer;
  int rc = gsql_lock_actor(db, req, j->actor_low, GUILD_COMMAND_PUBLIC_NOTE, &j->actor, &j->g);
  if (rc == 0)
    rc = guild_need_right(req, &j->actor, officer ? GR_RIGHT_EOFFNOTE : GR_RIGHT_EPNOTE,
                          GUILD_COMMAND_PUBLIC_NOTE,
                          officer ? "edit officer notes" : "edit public notes");
  if (rc == 0) rc = guild_load_target(db, req, j->target_low, GUILD_COMMAND_PUBLIC_NOTE, &j->g,
                                      &j->target);
  if (rc == 0)
    rc = gsql_exec(db, officer ? "UPDATE guild_member SET offnote = ? WHERE guid = ?"
                               : "UPDATE guild_member SET pnote = ? WHERE guid = ?",
                   STRATUS_SQL_PARAMS(stratus_sql_text(j->text), STRATUS_SQL_UINT_V(j->target_low)));
  return rc < 0 ? rc : gsql_members(db, req, &j->g);
}

static int public_note_work(stratus_db *db, stratus_req *req, void *job) {
  return set_note(db, req, job, false);
}

static int officer_note_work(stratus_db *db, stratus_req *req, void *job) {
  return set_note(db, req, job, true);
}

static int note_reply(stratus_req *req, void *job) {
  text_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  /* An officer note goes only to members who may read officer notes. */
  json_t *o = guild_event_base(p, HOST->req_realm(req), &j->g,
                               j->officer ? GR_RIGHT_VIEWOFFNOTE : 0);
  json_object_set_new(o, "MemberGUID", json_integer(j->target.guid));
  json_object_set_new(o, "MemberName", json_string(j->target.name));
  json_object_set_new(o, "UpdaterGUID", json_integer(j->actor.guid));
  json_object_set_new(o, "UpdaterName", json_string(j->actor.name));
  json_object_set_new(o, "Note", json_string(j->text));
  if (j->officer)
    guild_publish(p, "guild.member.officernoteupdated", EV_OFFICER_NOTE_UPDATED, o);
  else
    guild_publish(p, "guild.member.noteupdated", EV_NOTE_UPDATED, o);
  V1__SetNoteResponse resp = V1__SET_NOTE_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

/* ---- guild chat -------------------------------------------------------------------- */

static int message_check(stratus_req *req, const void *request, void *job) {
  const V1__SendGuildMessageParams *in = request;
  text_job *j = job;
  j->text = in->message;
  j->officer = in->isofficermessage;
  j->language = in->language;
  j->chat_tag = in->senderchattag;
  if (!stratus_utf8_valid(j->text, strlen(j->text), NULL) || !j->text[0] ||
      strlen(j->text) > GUILD_CHAT_BYTES)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "message must be 1 to %d bytes of UTF-8", GUILD_CHAT_BYTES);
  return guild_use_player(req, in->realmid, in->senderguid, "senderGUID", &j->actor_low);
}

static int message_work(stratus_db *db, stratus_req *req, void *job) {
  text_job *j = job;
  int rc = gsql_actor(db, req, j->actor_low, GUILD_COMMAND_GUILD_CHAT, &j->actor, &j->g);
  if (rc == 0)
    rc = guild_need_right(req, &j->actor, j->officer ? GR_RIGHT_OFFCHATSPEAK : GR_RIGHT_GCHATSPEAK,
                          GUILD_COMMAND_GUILD_CHAT,
                          j->officer ? "speak in officer chat" : "speak in guild chat");
  return rc != 0 ? rc : gsql_members(db, req, &j->g);
}

static int message_reply(stratus_req *req, void *job) {
  text_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  json_t *o = json_object();
  json_object_set_new(o, "ServiceID", json_string(p->service_id));
  json_object_set_new(o, "RealmID", json_integer(HOST->req_realm(req)));
  json_object_set_new(o, "GuildID", json_integer(j->g.id));
  json_object_set_new(o, "SenderGUID", json_integer(j->actor.guid));
  json_object_set_new(o, "SenderName", json_string(j->actor.name));
  json_object_set_new(o, "Language", json_integer(j->language));
  json_object_set_new(o, "Msg", json_string(j->text));
  json_object_set_new(o, "ForOfficers", json_boolean(j->officer));
  json_object_set_new(o, "Receivers", guild_online(p, HOST->req_realm(req), &j->g,
                                                   j->officer ? GR_RIGHT_OFFCHATLISTEN
                                                              : GR_RIGHT_GCHATLISTEN));
  json_object_set_new(o, "SenderChatTag", json_integer(j->chat_tag));
  guild_publish(p, "guild.message.new", EV_MESSAGE_NEW, o);
  V1__SendGuildMessageResponse resp = V1__SEND_GUILD_MESSAGE_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

#define TEXT(method, check_fn, work_fn, reply_fn, txn)                                  \
  {.name = method, .flags = txn, .job_size = sizeof(text_job), .pool = "characters",     \
   .check = check_fn, .work = work_fn, .reply = reply_fn}

const stratus_method guild_text_methods[] = {
    TEXT("SetMessageOfTheDay", motd_check, motd_work, motd_reply, STRATUS_METHOD_TXN),
    TEXT("SetGuildInfo", info_check, info_work, info_reply, STRATUS_METHOD_TXN),
    TEXT("SetMemberPublicNote", note_check, public_note_work, note_reply, STRATUS_METHOD_TXN),
    TEXT("SetMemberOfficerNote", note_check, officer_note_work, note_reply, STRATUS_METHOD_TXN),
    TEXT("SendGuildMessage", message_check, message_work, message_reply, 0),
};
const size_t guild_text_count = sizeof(guild_text_methods) / sizeof(guild_text_methods[0]);
