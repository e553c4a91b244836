/* A scripted HTTP/2 (h2c) server on plain blocking sockets, for tests that
 * need to put exact frames in front of the gRPC client at an exact moment of
 * its loop. The client runs on the caller's loop in the same thread: the
 * functions that wait for the client turn that loop while they wait. */
#ifndef STRATUS_TESTS_FAKE_H2_H
#define STRATUS_TESTS_FAKE_H2_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

typedef struct fake_h2 {
  int listen_fd, fd;      /* -1 when closed */
  char target[32];        /* "127.0.0.1:port" */
  uint8_t in[65536];
  size_t in_len;
  size_t preface_left;    /* client preface bytes still to skip */
  int requests;           /* requests received on the current connection */
} fake_h2;

/* Listens on 127.0.0.1, an ephemeral port. */
void fake_h2_listen(fake_h2 *s);
/* Turns the loop until the client connects, then sends our SETTINGS. */
void fake_h2_accept(fake_h2 *s, uv_loop_t *loop);
/* Turns the loop until a whole request (END_STREAM) arrives; returns its
 * stream id. SETTINGS are acknowledged on the way. */
int32_t fake_h2_read_request(fake_h2 *s, uv_loop_t *loop);
/* :status 200, one message `msg`, grpc-status 0. */
void fake_h2_reply(fake_h2 *s, int32_t stream, const char *msg);
void fake_h2_goaway(fake_h2 *s, int32_t last_stream, uint32_t error_code);
void fake_h2_close_conn(fake_h2 *s);
void fake_h2_stop_listening(fake_h2 *s);

#endif
