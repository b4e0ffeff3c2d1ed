/* dtls.c -- DTLS 1.2 over memory BIOs: the read side is a memory BIO fed
 * with one datagram at a time, the write side a small BIO that sends every
 * write as one UDP datagram (so a flight is never glued into one datagram
 * larger than the MTU). Timers from DTLSv1_get_timeout on the uv loop. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <usrsctp.h>

#include "agw/media/media-int.h"

#define DTLS_MTU 1200

static BIO_METHOD *g_bio_method;

static int bio_write(BIO *b, const char *buf, int len) {
  wgm_dc_t *dc = BIO_get_data(b);
  if (!dc || len < 0)
    return -1;
  dc->st.dtls_tx++;
  wgm__udp_send(dc, buf, (size_t)len, wgm__dc_dest(dc));
  return len; /* a lost datagram is recovered by DTLS / SCTP */
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)b;
  (void)num;
  (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return DTLS_MTU;
  case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
    return 0;
  case BIO_CTRL_WPENDING:
  case BIO_CTRL_PENDING:
    return 0;
  default:
    return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  BIO_set_data(b, NULL);
  return 1;
}

static BIO_METHOD *bio_method(void) {
  if (!g_bio_method) {
    g_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wgm-dtls-out");
    BIO_meth_set_write(g_bio_method, bio_write);
    BIO_meth_set_ctrl(g_bio_method, bio_ctrl);
    BIO_meth_set_create(g_bio_method, bio_create);
  }
  return g_bio_method;
}

static void arm_timer(wgm_dc_t *dc) {
  struct timeval tv;
  if (!dc->ssl || dc->closing)
    return;
  if (DTLSv1_get_timeout(dc->ssl, &tv) == 1) {
    uint64_t ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
    if (ms == 0)
      ms = 1;
    if (!dc->dtls_done) {
      uint64_t now = wgm__now(dc);
      if (now + ms > dc->dtls_deadline_ms)
        ms = dc->dtls_deadline_ms > now ? dc->dtls_deadline_ms - now : 1;
    }
    uv_timer_start(&dc->dtls_timer, wgm__dtls_timer_cb, ms, 0);
  } else if (!dc->dtls_done) {
    uint64_t now = wgm__now(dc);
    uv_timer_start(&dc->dtls_timer, wgm__dtls_timer_cb,
                   dc->dtls_deadline_ms > now ? dc->dtls_deadline_ms - now : 1, 0);
  } else {
    uv_timer_stop(&dc->dtls_timer);
  }
}

void wgm__dtls_fail(wgm_dc_t *dc, enum wgm_dtls_fail why, const char *detail) {
  if (dc->dtls_failed)
    return;
  dc->dtls_failed = 1;
  uv_timer_stop(&dc->dtls_timer);
  if (dc->cb.dtls_failed && !dc->closing)
    dc->cb.dtls_failed(dc, why, detail);
}

static int create_ssl(wgm_dc_t *dc) {
  dc->ssl = SSL_new(dc->ctx->ssl_ctx);
  if (!dc->ssl)
    return -ENOMEM;
  SSL_set_ex_data(dc->ssl, wgm__ssl_ex_index(), dc);
  dc->rbio = BIO_new(BIO_s_mem());
  dc->wbio = BIO_new(bio_method());
  if (!dc->rbio || !dc->wbio) {
    BIO_free(dc->rbio);
    BIO_free(dc->wbio);
    SSL_free(dc->ssl);
    dc->ssl = NULL;
    return -ENOMEM;
  }
  BIO_set_mem_eof_return(dc->rbio, -1);
  BIO_set_data(dc->wbio, dc);
  SSL_set_bio(dc->ssl, dc->rbio, dc->wbio);
  SSL_set_options(dc->ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(dc->ssl, DTLS_MTU);
  DTLS_set_link_mtu(dc->ssl, DTLS_MTU);
  if (dc->role == WGM_DTLS_CLIENT)
    SSL_set_connect_state(dc->ssl);
  else
    SSL_set_accept_state(dc->ssl);
  dc->dtls_deadline_ms = wgm__now(dc) + dc->dtls_timeout_ms;
  return 0;
}

static void handshake_step(wgm_dc_t *dc) {
  ERR_clear_error();
  int rc = SSL_do_handshake(dc->ssl);
  if (rc == 1) {
    dc->dtls_done = 1;
    uv_timer_stop(&dc->dtls_timer);
    arm_timer(dc);
    if (dc->cb.dtls_connected)
      dc->cb.dtls_connected(dc);
    if (!dc->closing && wgm__sctp_start(dc) < 0)
      wgm__dc_lost(dc, -EIO);
    return;
  }
  int err = SSL_get_error(dc->ssl, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    arm_timer(dc);
    return;
  }
  char detail[160];
  unsigned long e = ERR_peek_error();
  if (dc->fp_mismatch) {
    wgm__dtls_fail(dc, WGM_DTLS_FAIL_FINGERPRINT,
                   "peer certificate matches no expected fingerprint");
    return;
  }
  snprintf(detail, sizeof(detail), "%s", e ? ERR_reason_error_string(e) : "handshake failed");
  ERR_clear_error();
  wgm__dtls_fail(dc, WGM_DTLS_FAIL_ALERT, detail[0] ? detail : "handshake failed");
}

int wgm__dtls_maybe_start(wgm_dc_t *dc) {
  if (dc->closing)
    return -EPIPE;
  if (dc->dtls_failed || dc->consent_lost)
    return -EPIPE;
  if (dc->ssl || dc->role != WGM_DTLS_CLIENT)
    return 0; /* server: waits for the ClientHello */
  if (!wgm__dc_dest(dc))
    return 0; /* starts when ICE latches a peer */
  int rc = create_ssl(dc);
  if (rc < 0)
    return rc;
  handshake_step(dc);
  return 0;
}

void wgm__dtls_on_packet(wgm_dc_t *dc, const uint8_t *buf, size_t len) {
  if (dc->dtls_failed) {
    dc->st.drops[WGM_DROP_DTLS_BAD]++;
    return;
  }
  if (!dc->ssl) {
    if (dc->role == WGM_DTLS_SERVER && (dc->dtls_started || dc->dtls_autostart)) {
      /* RFC 6347: a ClientHello is a handshake record (22) */
      if (buf[0] != 22 || create_ssl(dc) < 0) {
        dc->st.drops[WGM_DROP_DTLS_EARLY]++;
        return;
      }
    } else {
      dc->st.drops[WGM_DROP_DTLS_EARLY]++;
      return;
    }
  }
  BIO_write(dc->rbio, buf, (int)len);
  if (!dc->dtls_done) {
    handshake_step(dc);
    if (!dc->dtls_done || dc->closing)
      return;
  }
  /* application data: SCTP packets */
  static uint8_t plain[65536];
  for (;;) {
    ERR_clear_error();
    int n = SSL_read(dc->ssl, plain, sizeof(plain));
    if (n > 0) {
      if (dc->sock)
        usrsctp_conninput((void *)(uintptr_t)dc->id, plain, (size_t)n, 0);
      else
        dc->st.drops[WGM_DROP_SCTP_BAD]++;
      if (dc->closing)
        return;
      continue;
    }
    int err = SSL_get_error(dc->ssl, n);
    if (err == SSL_ERROR_ZERO_RETURN) {
      wgm__dc_lost(dc, -ECONNRESET);
    } else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      dc->st.drops[WGM_DROP_DTLS_BAD]++;
      ERR_clear_error();
    }
    break;
  }
  /* clear what is left of this datagram (it was not decryptable) */
  (void)BIO_reset(dc->rbio);
  if (!dc->closing)
    arm_timer(dc);
}

void wgm__dtls_timer_cb(uv_timer_t *t) {
  wgm_dc_t *dc = t->data;
  if (dc->closing || !dc->ssl || dc->dtls_failed)
    return;
  if (!dc->dtls_done && wgm__now(dc) >= dc->dtls_deadline_ms) {
    wgm__dtls_fail(dc, WGM_DTLS_FAIL_TIMEOUT, "no DTLS handshake within the timeout");
    return;
  }
  int rc = DTLSv1_handle_timeout(dc->ssl);
  if (rc > 0)
    dc->st.dtls_retransmits++;
  if (rc < 0 && !dc->dtls_done) {
    wgm__dtls_fail(dc, WGM_DTLS_FAIL_TIMEOUT, "DTLS retransmissions exhausted");
    return;
  }
  arm_timer(dc);
  wgm__run_pending(dc->ctx);
}

int wgm__dtls_send(wgm_dc_t *dc, const void *buf, size_t len) {
  if (!dc->ssl || !dc->dtls_done || dc->dtls_failed)
    return -ENOTCONN;
  ERR_clear_error();
  int n = SSL_write(dc->ssl, buf, (int)len);
  if (n <= 0) {
    ERR_clear_error();
    return -EIO;
  }
  return 0;
}

void wgm__dtls_shutdown(wgm_dc_t *dc) {
  if (!dc->ssl)
    return;
  if (dc->dtls_done && !dc->dtls_failed) {
    ERR_clear_error();
    SSL_shutdown(dc->ssl); /* close_notify */
    ERR_clear_error();
  }
  SSL_free(dc->ssl); /* frees both BIOs */
  dc->ssl = NULL;
  dc->rbio = dc->wbio = NULL;
}

int wgm__dc_sctp_output(wgm_dc_t *dc, const void *buf, size_t len) {
  return wgm__dtls_send(dc, buf, len);
}
