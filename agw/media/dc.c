/* dc.c -- the DC endpoint: UDP socket, RFC 7983 demultiplexing, life cycle,
 * deferred work, statistics and the public wgm_dc_* API. ICE is in ice.c,
 * DTLS in dtls.c, SCTP and data channels in sctp.c. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "agw/media/media-int.h"

/* ------------------------------------------------------- deferred work */

void wgm__schedule(wgm_dc_t *dc) {
  if (dc->pending || dc->closing)
    return;
  dc->pending = 1;
  dc->pending_next = dc->ctx->pending_head;
  dc->ctx->pending_head = dc;
  uv_idle_start(&dc->ctx->idle, dc->ctx->idle_cb);
}

static void unschedule(wgm_dc_t *dc) {
  if (!dc->pending)
    return;
  wgm_dc_t **pp = &dc->ctx->pending_head;
  while (*pp && *pp != dc)
    pp = &(*pp)->pending_next;
  if (*pp) {
    *pp = dc->pending_next;
    dc->pending = 0;
    dc->pending_next = NULL;
  }
  /* else it is on a list being run right now: it stays linked (pending
   * set) and is skipped there because it is closing; its memory lives
   * until its handles are closed, after that run */
}

void wgm__run_pending(wgm_ctx_t *ctx) {
  /* only what is pending now: work scheduled while processing (more to
   * read) waits for the next loop turn, so I/O of others is not starved */
  wgm_dc_t *list = ctx->pending_head;
  ctx->pending_head = NULL;
  while (list) {
    wgm_dc_t *dc = list;
    list = dc->pending_next;
    dc->pending = 0;
    dc->pending_next = NULL;
    wgm__dc_process(dc);
  }
  if (ctx->pending_head)
    uv_idle_start(&ctx->idle, ctx->idle_cb);
}

void wgm__dc_process(wgm_dc_t *dc) {
  if (dc->closing || dc->in_process)
    return;
  dc->in_process = 1;
  wgm__sctp_process(dc);
  dc->in_process = 0;
}

uint64_t wgm__now(wgm_dc_t *dc) { return uv_now(dc->ctx->loop); }

/* -------------------------------------------------------------- names */

const char *wgm_dtls_fail_name(enum wgm_dtls_fail r) {
  switch (r) {
  case WGM_DTLS_FAIL_TIMEOUT: return "timeout";
  case WGM_DTLS_FAIL_ALERT: return "alert";
  case WGM_DTLS_FAIL_FINGERPRINT: return "fingerprint-mismatch";
  default: return "unknown";
  }
}

const char *wgm_drop_name(enum wgm_drop d) {
  static const char *const n[WGM_DROP__COUNT] = {
      "unknown-proto", "stun-bad",   "stun-auth",  "not-latched", "dtls-early",
      "dtls-bad",      "sctp-bad",   "too-big",    "no-channel",  "bad-ppid",
      "dcep-bad",      "loss-test",  "send-fail"};
  return (unsigned)d < WGM_DROP__COUNT ? n[d] : "unknown";
}

/* --------------------------------------------------------- fingerprints */

static int parse_fp(const char *text, struct wgm_fp *fp) {
  while (*text == ' ')
    text++;
  const char *sp = strchr(text, ' ');
  if (!sp)
    return -EINVAL;
  char alg[16];
  size_t al = (size_t)(sp - text);
  if (al == 0 || al >= sizeof(alg))
    return -EINVAL;
  for (size_t i = 0; i < al; i++)
    alg[i] = (char)tolower((unsigned char)text[i]);
  alg[al] = 0;
  if (!strcmp(alg, "sha-1"))
    fp->md = EVP_sha1();
  else if (!strcmp(alg, "sha-224"))
    fp->md = EVP_sha224();
  else if (!strcmp(alg, "sha-256"))
    fp->md = EVP_sha256();
  else if (!strcmp(alg, "sha-384"))
    fp->md = EVP_sha384();
  else if (!strcmp(alg, "sha-512"))
    fp->md = EVP_sha512();
  else
    return -EINVAL;
  const char *p = sp;
  while (*p == ' ')
    p++;
  unsigned n = 0;
  while (*p) {
    if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
      return -EINVAL;
    if (n >= sizeof(fp->digest))
      return -EINVAL;
    char hx[3] = {p[0], p[1], 0};
    fp->digest[n++] = (unsigned char)strtoul(hx, NULL, 16);
    p += 2;
    if (*p == ':')
      p++;
    else if (*p && *p != ' ' && *p != '\r' && *p != '\n')
      return -EINVAL;
    while (*p == ' ' || *p == '\r' || *p == '\n')
      p++;
  }
  if (n != (unsigned)EVP_MD_get_size(fp->md))
    return -EINVAL;
  fp->len = n;
  return 0;
}

static int set_fps(wgm_dc_t *dc, const char *const *fps, size_t n) {
  struct wgm_fp tmp[WGM_MAX_FP];
  if (n > WGM_MAX_FP)
    return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!fps[i] || parse_fp(fps[i], &tmp[i]) < 0)
      return -EINVAL;
  memcpy(dc->fps, tmp, n * sizeof(tmp[0]));
  dc->n_fps = n;
  return 0;
}

int wgm__dc_verify_cert(wgm_dc_t *dc, X509 *cert) {
  if (dc->accept_any_fp)
    return 0;
  for (size_t i = 0; i < dc->n_fps; i++) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(cert, dc->fps[i].md, md, &n) && n == dc->fps[i].len &&
        memcmp(md, dc->fps[i].digest, n) == 0)
      return 0;
  }
  dc->fp_mismatch = 1;
  return -EACCES;
}

void wgm__dc_keylog(wgm_dc_t *dc, const char *line) {
  if (dc->cb.keylog && !dc->closing)
    dc->cb.keylog(dc, line);
}

/* ---------------------------------------------------------------- UDP */

static socklen_t sa_len(const struct sockaddr *sa) {
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int sa_equal(const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
  }
  return 0;
}

const struct sockaddr *wgm__dc_dest(wgm_dc_t *dc) {
  if (dc->latched)
    return (const struct sockaddr *)&dc->peer;
  if (dc->has_remote && dc->ice == WGM_ICE_NONE)
    return (const struct sockaddr *)&dc->remote;
  return NULL;
}

struct send_req {
  uv_udp_send_t req;
  uv_buf_t buf;
};

static void send_done(uv_udp_send_t *req, int status) {
  (void)status;
  struct send_req *sr = (struct send_req *)req;
  free(sr->buf.base);
  free(sr);
}

static uint32_t xorshift(uint32_t *s) {
  uint32_t x = *s ? *s : 0x9E3779B9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

int wgm__udp_send(wgm_dc_t *dc, const void *buf, size_t len, const struct sockaddr *to) {
  if (!to || !dc->udp_inited || uv_is_closing((uv_handle_t *)&dc->udp))
    return -ENOTCONN;
  if (dc->loss_permille && xorshift(&dc->loss_state) % 1000 < dc->loss_permille) {
    dc->st.drops[WGM_DROP_LOSS_TEST]++;
    return 0;
  }
  if (dc->cb.tap && !dc->closing)
    dc->cb.tap(dc, 1, (const struct sockaddr *)&dc->local, to, buf, len);
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
  int rc = uv_udp_try_send(&dc->udp, &b, 1, to);
  if (rc == UV_EAGAIN || rc == UV_ENOSYS) {
    struct send_req *sr = malloc(sizeof(*sr));
    char *copy = malloc(len ? len : 1);
    if (!sr || !copy) {
      free(sr);
      free(copy);
      dc->st.drops[WGM_DROP_SEND_FAIL]++;
      return -ENOMEM;
    }
    memcpy(copy, buf, len);
    sr->buf = uv_buf_init(copy, (unsigned)len);
    rc = uv_udp_send(&sr->req, &dc->udp, &sr->buf, 1, to, send_done);
    if (rc < 0) {
      free(copy);
      free(sr);
    }
  }
  if (rc < 0) {
    dc->st.drops[WGM_DROP_SEND_FAIL]++;
    return rc;
  }
  dc->st.udp_tx_packets++;
  dc->st.udp_tx_bytes += len;
  return 0;
}

static void udp_alloc(uv_handle_t *h, size_t sugg, uv_buf_t *buf) {
  (void)sugg;
  wgm_dc_t *dc = h->data;
  *buf = uv_buf_init((char *)dc->ctx->udp_rx, sizeof(dc->ctx->udp_rx));
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *src,
                     unsigned flags) {
  (void)flags;
  wgm_dc_t *dc = h->data;
  if (nread <= 0 || !src || dc->closing)
    return;
  const uint8_t *p = (const uint8_t *)buf->base;
  size_t len = (size_t)nread;
  dc->st.udp_rx_packets++;
  dc->st.udp_rx_bytes += len;
  if (dc->cb.tap)
    dc->cb.tap(dc, 0, src, (const struct sockaddr *)&dc->local, p, len);
  if (dc->closing)
    return;
  if (p[0] <= 3) {
    dc->st.stun_rx++;
    if (dc->ice == WGM_ICE_NONE) {
      dc->st.drops[WGM_DROP_UNKNOWN_PROTO]++;
      return;
    }
    wgm__ice_on_stun(dc, p, len, src);
  } else if (p[0] >= 20 && p[0] <= 63) {
    dc->st.dtls_rx++;
    if (!dc->latched) {
      if (dc->ice == WGM_ICE_NONE &&
          (!dc->has_remote || sa_equal(src, (const struct sockaddr *)&dc->remote))) {
        memcpy(&dc->peer, src, sa_len(src));
        dc->latched = 1;
      } else {
        dc->st.drops[WGM_DROP_NOT_LATCHED]++;
        return;
      }
    } else if (!sa_equal(src, (const struct sockaddr *)&dc->peer)) {
      dc->st.drops[WGM_DROP_NOT_LATCHED]++;
      return;
    }
    wgm__dtls_on_packet(dc, p, len);
  } else {
    dc->st.drops[WGM_DROP_UNKNOWN_PROTO]++;
  }
  if (!dc->closing)
    wgm__run_pending(dc->ctx);
}

/* ------------------------------------------------------------ life cycle */

void wgm_dc_config_init(wgm_dc_config_t *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->sock = -1;
}

static void random_token(char *out, size_t nbytes) {
  static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t r[64];
  wgm__random(r, nbytes);
  for (size_t i = 0; i < nbytes; i++)
    out[i] = al[r[i] & 63];
  out[nbytes] = 0;
}

static int valid_ice_token(const char *s, size_t maxlen) {
  size_t n = strlen(s);
  if (n == 0 || n >= maxlen)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
      return 0;
  return 1;
}

static void dc_free(wgm_dc_t *dc) {
  wgm__sctp_free_chans(dc);
  free(dc->msg);
  free(dc->notif);
  free(dc);
}

static void handle_closed(uv_handle_t *h) {
  wgm_dc_t *dc = h->data;
  if (--dc->handles_open > 0)
    return;
  dc->ctx->n_dc--;
  if (dc->close_cb)
    dc->close_cb(dc);
  dc_free(dc);
}

int wgm_dc_new(wgm_ctx_t *ctx, const wgm_dc_config_t *cfg, wgm_dc_t **out) {
  if (!ctx || !cfg || !out || ctx->closing)
    return -EINVAL;
  if (cfg->ice != WGM_ICE_LITE && cfg->ice != WGM_ICE_CONTROLLING && cfg->ice != WGM_ICE_NONE)
    return -EINVAL;
  if (cfg->role != WGM_DTLS_CLIENT && cfg->role != WGM_DTLS_SERVER)
    return -EINVAL;
  /* fingerprints may also come later (wgm_dc_set_remote); without any, the
   * handshake fails with WGM_DTLS_FAIL_FINGERPRINT */
  if (cfg->port_min > cfg->port_max && cfg->port_max)
    return -EINVAL;
  if ((cfg->local_ufrag && !valid_ice_token(cfg->local_ufrag, 64)) ||
      (cfg->local_pwd && !valid_ice_token(cfg->local_pwd, 128)) ||
      (cfg->remote_ufrag && !valid_ice_token(cfg->remote_ufrag, 64)) ||
      (cfg->remote_pwd && !valid_ice_token(cfg->remote_pwd, 128)))
    return -EINVAL;
  if (cfg->remote_addr && cfg->remote_addr->sa_family != AF_INET &&
      cfg->remote_addr->sa_family != AF_INET6)
    return -EINVAL;
  wgm_dc_t *dc = calloc(1, sizeof(*dc));
  if (!dc)
    return -ENOMEM;
  dc->ctx = ctx;
  if (cfg->cb)
    dc->cb = *cfg->cb;
  dc->data = cfg->data;
  dc->ice = cfg->ice;
  dc->role = cfg->role;
  int rc;
  if ((rc = set_fps(dc, cfg->remote_fingerprints, cfg->n_remote_fingerprints)) < 0) {
    free(dc);
    return rc;
  }
  dc->accept_any_fp = cfg->accept_any_fingerprint;
  if (cfg->local_ufrag)
    snprintf(dc->lufrag, sizeof(dc->lufrag), "%s", cfg->local_ufrag);
  else
    random_token(dc->lufrag, 8);
  if (cfg->local_pwd)
    snprintf(dc->lpwd, sizeof(dc->lpwd), "%s", cfg->local_pwd);
  else
    random_token(dc->lpwd, 24);
  if (cfg->remote_ufrag)
    snprintf(dc->rufrag, sizeof(dc->rufrag), "%s", cfg->remote_ufrag);
  if (cfg->remote_pwd)
    snprintf(dc->rpwd, sizeof(dc->rpwd), "%s", cfg->remote_pwd);
  if (cfg->remote_addr) {
    memcpy(&dc->remote, cfg->remote_addr, sa_len(cfg->remote_addr));
    dc->has_remote = 1;
  }
  wgm__random(&dc->tiebreaker, sizeof(dc->tiebreaker));
  dc->consent_timeout_ms = cfg->consent_timeout_ms ? cfg->consent_timeout_ms : 30000;
  dc->check_interval_ms = cfg->ice_check_interval_ms ? cfg->ice_check_interval_ms : 50;
  dc->dtls_autostart = cfg->dtls_autostart;
  dc->dtls_timeout_ms = cfg->dtls_timeout_ms ? cfg->dtls_timeout_ms : 20000;
  dc->lport = cfg->local_sctp_port ? cfg->local_sctp_port : 5000;
  dc->rport = cfg->remote_sctp_port ? cfg->remote_sctp_port : 5000;
  dc->lmax = cfg->local_max_message_size ? cfg->local_max_message_size : 262144;
  dc->rmax = cfg->remote_max_message_size ? cfg->remote_max_message_size : 65536;
  dc->streams = cfg->sctp_streams ? cfg->sctp_streams : 65535;

  int fd = -1;
  if (cfg->sock >= 0) {
    fd = cfg->sock;
  } else if ((rc = wgm__bind_range(SOCK_DGRAM, cfg->bind_addr, cfg->port_min,
                                   cfg->port_max ? cfg->port_max : cfg->port_min, &fd, 0)) < 0) {
    free(dc);
    return rc;
  }
  uv_udp_init(ctx->loop, &dc->udp);
  dc->udp.data = dc;
  if ((rc = uv_udp_open(&dc->udp, fd)) < 0) {
    close(fd);
    dc->handles_open = 1;
    dc->closing = 1;
    ctx->n_dc++;
    uv_close((uv_handle_t *)&dc->udp, handle_closed);
    return rc;
  }
  dc->udp_inited = 1;
  int namelen = sizeof(dc->local);
  uv_udp_getsockname(&dc->udp, (struct sockaddr *)&dc->local, &namelen);
  /* room for a whole SCTP receive window of datagrams (with kernel
   * overhead), so a burst from the peer is not dropped by the socket */
  int bufsz = 2 << 20;
  uv_recv_buffer_size((uv_handle_t *)&dc->udp, &bufsz);
  bufsz = 1 << 20;
  uv_send_buffer_size((uv_handle_t *)&dc->udp, &bufsz);
  uv_timer_init(ctx->loop, &dc->ice_timer);
  dc->ice_timer.data = dc;
  uv_timer_init(ctx->loop, &dc->dtls_timer);
  dc->dtls_timer.data = dc;
  uv_timer_init(ctx->loop, &dc->watch_timer);
  dc->watch_timer.data = dc;
  dc->handles_open = 4;
  ctx->n_dc++;
  uv_udp_recv_start(&dc->udp, udp_alloc, udp_recv);
  wgm__ice_start(dc);
  *out = dc;
  return 0;
}

void wgm_dc_close(wgm_dc_t *dc, void (*close_cb)(wgm_dc_t *dc)) {
  if (!dc || dc->closing)
    return;
  dc->closing = 1;
  dc->close_cb = close_cb;
  unschedule(dc);
  wgm__sctp_close(dc);
  wgm__dtls_shutdown(dc);
  uv_close((uv_handle_t *)&dc->udp, handle_closed);
  uv_close((uv_handle_t *)&dc->ice_timer, handle_closed);
  uv_close((uv_handle_t *)&dc->dtls_timer, handle_closed);
  uv_close((uv_handle_t *)&dc->watch_timer, handle_closed);
}

void wgm__dc_lost(wgm_dc_t *dc, int err) {
  if (dc->sctp_lost || dc->closing)
    return;
  dc->sctp_lost = 1;
  if (dc->sctp_up && dc->cb.sctp_lost)
    dc->cb.sctp_lost(dc, err);
}

/* ------------------------------------------------------------- accessors */

void *wgm_dc_get_data(const wgm_dc_t *dc) { return dc->data; }
void wgm_dc_set_data(wgm_dc_t *dc, void *data) { dc->data = data; }
uint16_t wgm_dc_port(const wgm_dc_t *dc) {
  if (dc->local.ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)&dc->local)->sin6_port);
  return ntohs(((const struct sockaddr_in *)&dc->local)->sin_port);
}
int wgm_dc_local_addr(const wgm_dc_t *dc, struct sockaddr_storage *out) {
  *out = dc->local;
  return 0;
}
const char *wgm_dc_local_ufrag(const wgm_dc_t *dc) { return dc->lufrag; }
const char *wgm_dc_local_pwd(const wgm_dc_t *dc) { return dc->lpwd; }
const char *wgm_dc_fingerprint(const wgm_dc_t *dc) { return dc->ctx->cert->fingerprint; }
int wgm_dc_peer_addr(const wgm_dc_t *dc, struct sockaddr_storage *out) {
  if (!dc->latched)
    return -ENOTCONN;
  *out = dc->peer;
  return 0;
}

int wgm_dc_set_remote(wgm_dc_t *dc, const char *ufrag, const char *pwd,
                      const struct sockaddr *addr, const char *const *fps, size_t n_fps) {
  if (!dc || dc->closing)
    return -EINVAL;
  if (dc->ssl)
    return -EISCONN;
  if ((ufrag && !valid_ice_token(ufrag, 64)) || (pwd && !valid_ice_token(pwd, 128)))
    return -EINVAL;
  if (addr && addr->sa_family != AF_INET && addr->sa_family != AF_INET6)
    return -EINVAL;
  int rc;
  if (fps && n_fps && (rc = set_fps(dc, fps, n_fps)) < 0)
    return rc;
  if (ufrag)
    snprintf(dc->rufrag, sizeof(dc->rufrag), "%s", ufrag);
  if (pwd)
    snprintf(dc->rpwd, sizeof(dc->rpwd), "%s", pwd);
  if (addr) {
    memcpy(&dc->remote, addr, sa_len(addr));
    dc->has_remote = 1;
  }
  wgm__ice_start(dc);
  if (dc->dtls_started || dc->dtls_autostart)
    wgm__dtls_maybe_start(dc);
  return 0;
}

int wgm_dc_set_sctp(wgm_dc_t *dc, uint16_t rport, size_t rmax) {
  if (!dc || dc->closing)
    return -EINVAL;
  if (dc->sock)
    return -EISCONN;
  if (rport)
    dc->rport = rport;
  if (rmax)
    dc->rmax = rmax;
  return 0;
}

int wgm_dc_start_dtls(wgm_dc_t *dc) {
  if (!dc || dc->closing)
    return -EINVAL;
  if (dc->dtls_failed || dc->consent_lost)
    return -EPIPE;
  dc->dtls_started = 1;
  return wgm__dtls_maybe_start(dc);
}

void wgm_dc_get_stats(const wgm_dc_t *dc, wgm_dc_stats_t *out) { *out = dc->st; }

void wgm_dc_set_loss(wgm_dc_t *dc, unsigned permille, uint32_t seed) {
  dc->loss_permille = permille > 1000 ? 1000 : permille;
  dc->loss_state = seed ? seed : 1;
}

void wgm_dc_set_consent_timeout(wgm_dc_t *dc, uint32_t ms) {
  if (!dc || dc->closing)
    return;
  dc->consent_timeout_ms = ms ? ms : 30000;
  if (dc->ice == WGM_ICE_CONTROLLING && dc->nominated && !dc->check_outstanding)
    dc->next_check_ms = wgm__now(dc); /* next consent check at the new pace */
  if (uv_is_active((uv_handle_t *)&dc->ice_timer)) {
    uv_timer_stop(&dc->ice_timer);
    wgm__ice_start(dc);
  }
}
