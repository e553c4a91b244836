/* The gRPC server's input: whatever a client sends on an h2c connection,
 * fed to the real server (grpc/server.c, conn.c, h2.c, call.c, respond.c
 * through nghttp2 and the project's callbacks) on a loopback socket. The
 * dispatcher answers at once: an echo, a status, or a reply too big, as the
 * first byte of the request message says. Each input is one connection: it
 * is written, the client half-closes, and the loop runs until the server
 * has closed it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "server.h"

static uv_loop_t loop;
static struct sockaddr_in addr;

static void dispatch(grpc_call *call, const char *path, const uint8_t *msg, size_t len,
                     void *ud) {
  (void)path;
  (void)ud;
  grpc_call_header(call, ":authority");
  grpc_call_remaining_ms(call);
  if (len && msg[0] % 4 == 1)
    grpc_call_fail(call, msg[0] % 17, "fuzz \xff status");
  else if (len && msg[0] % 4 == 2)
    grpc_call_reply(call, NULL, 0);
  else
    grpc_call_reply(call, msg, len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&loop);
  const char *listen[] = {"127.0.0.1:0", NULL};
  grpc_server_config cfg = {.listen = listen, .max_message_size = 64 * 1024,
                            .max_concurrent_streams = 100};
  char err[256];
  if (grpc_server_start(&loop, &cfg, dispatch, NULL, err, sizeof(err)) != 0) {
    fprintf(stderr, "fuzz_h2_server: %s\n", err);
    abort();
  }
  const char *bound = grpc_server_address(0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)atoi(strrchr(bound, ':') + 1));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return 0;
}

/* Run the loop until the server closes the connection (EOF or reset), for
 * at most 5 s of wall time (a slow machine must not look like a bug). */
static void converse(int fd, const uint8_t *data, size_t size) {
  size_t sent = 0;
  bool shut = false, eof = false;
  uint8_t buf[65536];
  uint64_t until = uv_hrtime() + 5000000000ull;
  while (!eof && uv_hrtime() < until) {
    if (sent < size) {
      ssize_t n = send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) sent += (size_t)n;
      else if (n < 0 && errno != EAGAIN) sent = size;
    }
    if (sent == size && !shut) {
      shutdown(fd, SHUT_WR);
      shut = true;
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    eof = r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR);
    if (!eof && r < 0) {
      struct pollfd p = {.fd = uv_backend_fd(&loop), .events = POLLIN};
      poll(&p, 1, 1); /* the server's turn */
    }
  }
  if (!eof) abort(); /* the server kept a half-closed connection */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) abort();
  converse(fd, data, size);
  close(fd);
  uv_run(&loop, UV_RUN_NOWAIT); /* close callbacks */
  return 0;
}
