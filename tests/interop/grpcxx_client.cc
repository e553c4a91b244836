// grpcxx_client <target>: Debian's grpc C++ as a client of a running stratusd,
// the stack ToCloud9's worldserver sidecar uses. test_grpcxx.py runs it
// against a daemon serving the rpcprobe fixture (tests/fixtures/rpcprobe.c)
// and the servers registry. Each check prints "PASS <check>: <detail>"; the
// first failing one prints "FAIL <check>: <why>" and exits 1.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "guilds/guilds.grpc.pb.h"
#include "mail/mail.grpc.pb.h"
#include "servers-registry/registry.grpc.pb.h"

namespace {

using namespace std::chrono_literals;
using MailStub = v1::MailService::Stub;

constexpr int kMiB = 1024 * 1024;
// Ports a worldserver announces; the registry only stores them (the test
// keeps its health checks from running while the client works).
constexpr unsigned kGamePort = 8085;
constexpr unsigned kHealthPort = 8095;
constexpr unsigned kWorldGrpcPort = 9501;

int checks_passed = 0;

// Stops at once: the channels and calls still open are not torn down.
[[noreturn]] void fail(const std::string &check, const std::string &why) {
  std::cout.flush();
  std::cerr << "FAIL " << check << ": " << why << std::endl;
  std::_Exit(1);
}

void pass(const std::string &check, const std::string &detail) {
  checks_passed++;
  std::cout << "PASS " << check << ": " << detail << std::endl;
}

std::string describe(const grpc::Status &s) {
  return "status " + std::to_string(s.error_code()) + " \"" + s.error_message() + "\"";
}

void expect_ok(const std::string &check, const grpc::Status &s) {
  if (!s.ok()) fail(check, "expected OK, got " + describe(s));
}

void expect_code(const std::string &check, const grpc::Status &s, grpc::StatusCode code) {
  if (s.error_code() != code)
    fail(check, "expected status " + std::to_string(code) + ", got " + describe(s));
}

void expect_message(const std::string &check, const grpc::Status &s,
                    const std::string &message) {
  if (s.error_message() != message)
    fail(check, "expected message \"" + message + "\", got " + describe(s));
}

void set_timeout(grpc::ClientContext &ctx, std::chrono::milliseconds timeout) {
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

template <typename List> std::string join(const List &items) {
  std::string out;
  for (const auto &item : items) out += (out.empty() ? "" : ",") + std::to_string(item);
  return out;
}

std::shared_ptr<grpc::Channel> open_channel(const std::string &target,
                                            const grpc::ChannelArguments &args) {
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// ---- servers registry ----------------------------------------------------

std::string check_register_game_server(v1::ServersRegistryService::Stub &registry) {
  const std::string check = "register_game_server";
  v1::RegisterGameServerRequest req;
  req.set_api("1.0.0");
  req.set_gameport(kGamePort);
  req.set_healthport(kHealthPort);
  req.set_grpcport(kWorldGrpcPort);
  req.set_realmid(1);
  req.set_availablemaps("0,1,530,571");
  v1::RegisterGameServerResponse resp;
  grpc::ClientContext ctx;
  set_timeout(ctx, 5s);
  expect_ok(check, registry.RegisterGameServer(&ctx, req, &resp));
  if (resp.id().empty()) fail(check, "empty id");
  if (resp.assignedmaps().empty()) fail(check, "no assignedMaps");
  const std::set<unsigned> offered = {0, 1, 530, 571};
  for (unsigned map : resp.assignedmaps())
    if (!offered.count(map))
      fail(check, "assigned map " + std::to_string(map) + " was not offered");
  pass(check, "id " + resp.id() + ", assignedMaps " + join(resp.assignedmaps()));
  return resp.id();
}

void check_maps_loaded(v1::ServersRegistryService::Stub &registry, const std::string &id) {
  const std::string check = "game_server_maps_loaded";
  v1::GameServerMapsLoadedRequest req;
  req.set_api("1.0.0");
  req.set_gameserverid(id);
  req.add_mapsloaded(0);
  req.add_mapsloaded(1);
  v1::GameServerMapsLoadedResponse resp;
  grpc::ClientContext ctx;
  set_timeout(ctx, 5s);
  expect_ok(check, registry.GameServerMapsLoaded(&ctx, req, &resp));
  pass(check, "id " + id + ", maps 0,1");
}

// ---- mail (rpcprobe) -----------------------------------------------------

grpc::Status mail_by_id(MailStub &mail, int32_t mail_id, v1::MailByIDResponse *resp) {
  v1::MailByIDRequest req;
  req.set_realmid(1);
  req.set_mailid(mail_id);
  grpc::ClientContext ctx;
  set_timeout(ctx, 5s);
  return mail.MailByID(&ctx, req, resp);
}

void expect_mail(const std::string &check, MailStub &mail, int32_t mail_id) {
  v1::MailByIDResponse resp;
  expect_ok(check, mail_by_id(mail, mail_id, &resp));
  if (resp.mail().id() != static_cast<uint32_t>(mail_id))
    fail(check, "asked for mail " + std::to_string(mail_id) + ", got " +
                    std::to_string(resp.mail().id()));
  if (resp.api().empty()) fail(check, "the api field is empty");
  pass(check, "mail.id " + std::to_string(resp.mail().id()) + ", api \"" + resp.api() +
                  "\", subject \"" + resp.mail().subject() + "\"");
}

void check_invalid_argument(MailStub &mail) {
  const std::string check = "mail_by_id_invalid_argument";
  v1::MailByIDResponse resp;
  grpc::Status s = mail_by_id(mail, 0, &resp);
  expect_code(check, s, grpc::StatusCode::INVALID_ARGUMENT);
  expect_message(check, s, "mailID must be > 0");
  pass(check, describe(s));
}

// The message travels percent-encoded in grpc-message: non-ASCII bytes and
// '%' itself must survive the server's encoding and the client's decoding.
void check_not_found_unicode(MailStub &mail) {
  const std::string check = "mail_by_id_not_found_unicode";
  v1::MailByIDResponse resp;
  grpc::Status s = mail_by_id(mail, -5, &resp);
  expect_code(check, s, grpc::StatusCode::NOT_FOUND);
  expect_message(check, s, "status 5: ünïcödé 100% sure");
  pass(check, describe(s));
}

void check_unimplemented(const std::shared_ptr<grpc::Channel> &channel) {
  const std::string check = "guilds_unimplemented";
  auto guilds = v1::GuildService::NewStub(channel);
  v1::GetInfoParams req;
  req.set_realmid(1);
  req.set_guildid(7);
  v1::GetInfoResponse resp;
  grpc::ClientContext ctx;
  set_timeout(ctx, 5s);
  grpc::Status s = guilds->GetGuildInfo(&ctx, req, &resp);
  expect_code(check, s, grpc::StatusCode::UNIMPLEMENTED);
  if (s.error_message().find("/v1.GuildService/GetGuildInfo") == std::string::npos)
    fail(check, "the message does not name the method: " + describe(s));
  pass(check, describe(s));
}

// rpcprobe answers MailsForPlayer after playerGuid ms.
void check_deadline(MailStub &mail) {
  const std::string check = "deadline_exceeded";
  v1::MailsForPlayerRequest req;
  req.set_realmid(1);
  req.set_playerguid(3000);
  v1::MailsForPlayerResponse resp;
  grpc::ClientContext ctx;
  set_timeout(ctx, 200ms);
  auto start = std::chrono::steady_clock::now();
  grpc::Status s = mail.MailsForPlayer(&ctx, req, &resp);
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  expect_code(check, s, grpc::StatusCode::DEADLINE_EXCEEDED);
  if (waited > 2000ms) fail(check, "took " + std::to_string(waited.count()) + " ms");
  pass(check, describe(s) + " after " + std::to_string(waited.count()) + " ms");
}

grpc::Status send_mail(MailStub &mail, size_t body_bytes, v1::SendResponse *resp,
                       bool gzip = false) {
  v1::SendRequest req;
  req.set_realmid(1);
  req.set_receiverguid(42);
  req.set_subject("interop");
  req.set_body(std::string(body_bytes, 'x'));
  grpc::ClientContext ctx;
  set_timeout(ctx, 30s);
  if (gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  return mail.Send(&ctx, req, resp);
}

void check_too_big(MailStub &mail) {
  const std::string check = "send_5mib_resource_exhausted";
  v1::SendResponse resp;
  grpc::Status s = send_mail(mail, 5 * kMiB, &resp);
  expect_code(check, s, grpc::StatusCode::RESOURCE_EXHAUSTED);
  pass(check, describe(s));
}

// rpcprobe answers Send with mailID = the body's length.
void check_send_1mib(MailStub &mail) {
  const std::string check = "send_1mib_ok";
  v1::SendResponse resp;
  expect_ok(check, send_mail(mail, kMiB, &resp));
  if (resp.mailid() != static_cast<uint32_t>(kMiB))
    fail(check, "mailID " + std::to_string(resp.mailid()) + ", expected " +
                    std::to_string(kMiB));
  pass(check, "mailID " + std::to_string(resp.mailid()));
}

// stratusd only takes identity-encoded messages: a compressed one is refused
// with UNIMPLEMENTED (host/grpc/call.c, reject_compressed). The body is
// repetitive so that gzip really shrinks it and the client sends it
// compressed (grpc sends a message plain when compressing does not help).
void check_gzip_refused(MailStub &mail) {
  const std::string check = "send_gzip_refused";
  v1::SendResponse resp;
  grpc::Status s = send_mail(mail, 64 * 1024, &resp, true);
  if (s.ok()) fail(check, "the compressed request was accepted");
  expect_code(check, s, grpc::StatusCode::UNIMPLEMENTED);
  if (s.error_message().find("gzip") == std::string::npos)
    fail(check, "the message does not name the encoding: " + describe(s));
  pass(check, describe(s));
}

// ---- many calls at once ----------------------------------------------------

struct PendingMailByID {
  int32_t mail_id = 0;
  grpc::ClientContext ctx;
  v1::MailByIDResponse resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::MailByIDResponse>> reader;
};

// Starts MailByID 1..total round-robin over the stubs, all in flight before
// the first answer is read, then checks every answer.
void run_concurrent_mail_by_id(const std::string &check,
                               const std::vector<std::unique_ptr<MailStub>> &stubs,
                               int total) {
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<PendingMailByID>> calls;
  for (int i = 0; i < total; i++) {
    auto call = std::make_unique<PendingMailByID>();
    call->mail_id = i + 1;
    set_timeout(call->ctx, 60s);
    v1::MailByIDRequest req;
    req.set_realmid(1);
    req.set_mailid(call->mail_id);
    call->reader = stubs[i % stubs.size()]->AsyncMailByID(&call->ctx, req, &cq);
    call->reader->Finish(&call->resp, &call->status, call.get());
    calls.push_back(std::move(call));
  }
  for (int answered = 0; answered < total; answered++) {
    void *tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok) || !ok) fail(check, "the completion queue failed");
    const auto *call = static_cast<PendingMailByID *>(tag);
    const std::string which = check + " (mailID " + std::to_string(call->mail_id) + ")";
    expect_ok(which, call->status);
    if (call->resp.mail().id() != static_cast<uint32_t>(call->mail_id))
      fail(which, "got mail " + std::to_string(call->resp.mail().id()));
  }
  cq.Shutdown();
  void *tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

void check_concurrent_one_channel(const std::shared_ptr<grpc::Channel> &channel) {
  const std::string check = "async_1000_one_channel";
  std::vector<std::unique_ptr<MailStub>> stubs;
  stubs.push_back(v1::MailService::NewStub(channel));
  run_concurrent_mail_by_id(check, stubs, 1000);
  pass(check, "1000 MailByID OK with the right ids");
}

// A local subchannel pool gives every channel its own connection.
void check_many_channels(const std::string &target, int channels, int calls_each) {
  const std::string check = "channels_50x20";
  std::vector<std::shared_ptr<grpc::Channel>> open;
  std::vector<std::unique_ptr<MailStub>> stubs;
  for (int i = 0; i < channels; i++) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    open.push_back(open_channel(target, args));
    stubs.push_back(v1::MailService::NewStub(open.back()));
  }
  run_concurrent_mail_by_id(check, stubs, channels * calls_each);
  pass(check, std::to_string(channels) + " channels x " + std::to_string(calls_each) +
                  " MailByID OK");
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: grpcxx_client <host:port>" << std::endl;
    return 2;
  }
  const std::string target = argv[1];
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(8 * kMiB);
  args.SetMaxReceiveMessageSize(8 * kMiB);
  auto channel = open_channel(target, args);
  auto registry = v1::ServersRegistryService::NewStub(channel);
  auto mail = v1::MailService::NewStub(channel);

  check_maps_loaded(*registry, check_register_game_server(*registry));
  expect_mail("mail_by_id_ok", *mail, 5);
  check_invalid_argument(*mail);
  check_not_found_unicode(*mail);
  check_unimplemented(channel);
  check_deadline(*mail);
  expect_mail("channel_after_deadline", *mail, 6);
  check_too_big(*mail);
  check_send_1mib(*mail);
  check_gzip_refused(*mail);
  check_concurrent_one_channel(channel);
  check_many_channels(target, 50, 20);
  std::cout << "grpcxx_client: all " << checks_passed << " checks passed" << std::endl;
  return 0;
}
