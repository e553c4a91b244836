/* TLS for the gRPC server: OpenSSL over memory BIOs, so libuv keeps owning
 * the socket. Ciphertext read from the socket goes into the read BIO;
 * whatever OpenSSL writes to the write BIO joins the connection's batch. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

#define TLS_READ_CHUNK 16384

static const unsigned char alpn_h2[] = "\x02h2";

static const char *ssl_error(void) {
  static char buf[256];
  unsigned long e = ERR_get_error();
  if (!e) return "unknown error";
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

/* Only "h2": a client that offers nothing else gets a fatal alert. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
  (void)ssl;
  (void)arg;
  unsigned char *sel;
  if (SSL_select_next_proto(&sel, outlen, alpn_h2, sizeof(alpn_h2) - 1, in,
                            inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

static int load_client_ca(SSL_CTX *ctx, const grpc_server_config *cfg, char *err,
                          size_t errlen) {
  if (!cfg->tls_client_ca) {
    if (!cfg->tls_verify_client) return 0;
    snprintf(err, errlen, "[grpc] tls_verify_client needs tls_client_ca");
    return -1;
  }
  if (SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL) != 1) {
    snprintf(err, errlen, "[grpc] tls_client_ca %s: %s", cfg->tls_client_ca, ssl_error());
    return -1;
  }
  STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->tls_client_ca);
  if (names) SSL_CTX_set_client_CA_list(ctx, names);
  int mode = SSL_VERIFY_PEER;
  if (cfg->tls_verify_client) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, NULL);
  return 0;
}

static int load_identity(SSL_CTX *ctx, const grpc_server_config *cfg, char *err,
                         size_t errlen) {
  if (!cfg->tls_cert || !cfg->tls_key) {
    snprintf(err, errlen, "[grpc] tls needs tls_cert and tls_key");
    return -1;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
    snprintf(err, errlen, "[grpc] tls_cert %s: %s", cfg->tls_cert, ssl_error());
    return -1;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    snprintf(err, errlen, "[grpc] tls_key %s: %s", cfg->tls_key, ssl_error());
    return -1;
  }
  return 0;
}

SSL_CTX *tls_ctx_new(const grpc_server_config *cfg, char *err, size_t errlen) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    snprintf(err, errlen, "[grpc] tls: %s", ssl_error());
    return NULL;
  }
  /* RFC 9113 9.2: TLS 1.2+ and no compression, renegotiation or CBC suites */
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20");
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
  if (load_identity(ctx, cfg, err, errlen) != 0 ||
      load_client_ca(ctx, cfg, err, errlen) != 0) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

int tls_conn_init(grpc_conn *c) {
  c->ssl = SSL_new(srv.tls);
  BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
  if (!c->ssl || !rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    return -1;
  }
  BIO_set_mem_eof_return(rbio, -1); /* empty means "wait", not EOF */
  SSL_set_bio(c->ssl, rbio, wbio);
  SSL_set_accept_state(c->ssl);
  return 0;
}

static int handshake(grpc_conn *c) {
  int rc = SSL_do_handshake(c->ssl);
  if (rc != 1) {
    if (SSL_get_error(c->ssl, rc) == SSL_ERROR_WANT_READ) return 0;
    grpc_log(STRATUS_LOG_DEBUG, "%s: TLS handshake: %s", c->peer, ssl_error());
    return -1;
  }
  const unsigned char *proto;
  unsigned int len;
  SSL_get0_alpn_selected(c->ssl, &proto, &len);
  if (len != 2 || memcmp(proto, "h2", 2) != 0) {
    grpc_log(STRATUS_LOG_DEBUG, "%s: TLS client did not select ALPN h2", c->peer);
    return -1;
  }
  c->tls_up = true;
  return 0;
}

/* The error queue is per thread, shared by all connections: a stale entry
 * would make SSL_get_error() misreport, so every operation starts clean. */
int tls_recv(grpc_conn *c, const uint8_t *data, size_t len) {
  ERR_clear_error();
  if (BIO_write(SSL_get_rbio(c->ssl), data, (int)len) != (int)len) return -1;
  if (!c->tls_up && handshake(c) != 0) return -1;
  if (!c->tls_up) return 0;
  uint8_t buf[TLS_READ_CHUNK];
  for (;;) {
    int n = SSL_read(c->ssl, buf, sizeof(buf));
    if (n > 0) {
      if (conn_h2_recv(c, buf, (size_t)n) != 0) return -1;
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ) return 0;
    if (e != SSL_ERROR_ZERO_RETURN)
      grpc_log(STRATUS_LOG_DEBUG, "%s: TLS read: %s", c->peer, ssl_error());
    return -1;
  }
}

void tls_pump_out(grpc_conn *c) {
  BIO *wbio = SSL_get_wbio(c->ssl);
  size_t pending;
  while ((pending = BIO_ctrl_pending(wbio)) > 0) {
    int n = BIO_read(wbio, grpc_io_reserve(&c->io, pending), (int)pending);
    if (n <= 0) break;
    c->io.out_len += (size_t)n;
  }
}

int tls_send(grpc_conn *c, const uint8_t *data, size_t len) {
  ERR_clear_error();
  while (len > 0) {
    int n = SSL_write(c->ssl, data, len > INT_MAX ? INT_MAX : (int)len);
    if (n <= 0) {
      grpc_log(STRATUS_LOG_DEBUG, "%s: TLS write: %s", c->peer, ssl_error());
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  tls_pump_out(c);
  return 0;
}

void tls_shutdown(grpc_conn *c) {
  c->tls_shut = true;
  ERR_clear_error();
  SSL_shutdown(c->ssl);
  tls_pump_out(c);
}
