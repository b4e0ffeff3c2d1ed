/* ctx.c -- the per-loop context: usrsctp init (refcounted, no threads, timers
 * from a uv timer), the opaque-id table for AF_CONN, deferred work, the
 * shared SSL_CTX, helpers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <usrsctp.h>

#include "agw/media/media-int.h"

/* ---------------------------------------------------------- usrsctp glue */

static int g_refs;             /* live contexts */
static int g_usrsctp_inited;   /* usrsctp_init_nothreads done */
static uv_loop_t *g_loop;      /* the loop of the live contexts */

/* id -> endpoint. usrsctp sees only (void *)(uintptr_t)id, never a pointer
 * to our memory, so a late callback for a closed endpoint finds nothing. */
#define ID_BUCKETS 1024
struct id_entry {
  uint32_t id;
  struct wgm_dc *dc;
  struct id_entry *next;
};
static struct id_entry *g_ids[ID_BUCKETS];
static uint32_t g_next_id = 1;

uint32_t wgm__id_register(struct wgm_dc *dc) {
  struct id_entry *e = calloc(1, sizeof(*e));
  if (!e)
    return 0;
  for (;;) {
    uint32_t id = g_next_id++;
    if (id == 0)
      continue;
    if (wgm__id_lookup(id))
      continue;
    e->id = id;
    break;
  }
  e->dc = dc;
  e->next = g_ids[e->id % ID_BUCKETS];
  g_ids[e->id % ID_BUCKETS] = e;
  return e->id;
}

void wgm__id_unregister(uint32_t id) {
  struct id_entry **pp = &g_ids[id % ID_BUCKETS];
  while (*pp) {
    if ((*pp)->id == id) {
      struct id_entry *e = *pp;
      *pp = e->next;
      free(e);
      return;
    }
    pp = &(*pp)->next;
  }
}

struct wgm_dc *wgm__id_lookup(uint32_t id) {
  for (struct id_entry *e = g_ids[id % ID_BUCKETS]; e; e = e->next)
    if (e->id == id)
      return e->dc;
  return NULL;
}

static int sctp_conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df) {
  (void)tos;
  (void)set_df;
  struct wgm_dc *dc = wgm__id_lookup((uint32_t)(uintptr_t)addr);
  if (!dc)
    return -1;
  return wgm__dc_sctp_output(dc, buf, len) < 0 ? -1 : 0;
}

static void sctp_debug(const char *fmt, ...) { (void)fmt; }

static void sctp_timer_cb(uv_timer_t *t) {
  wgm_ctx_t *ctx = t->data;
  uint64_t now = uv_now(ctx->loop);
  uint32_t el = (uint32_t)(now - ctx->sctp_last_ms);
  ctx->sctp_last_ms = now;
  usrsctp_handle_timers(el);
  wgm__run_pending(ctx);
}

/* ------------------------------------------------------- deferred work */

static void idle_cb(uv_idle_t *h) {
  wgm_ctx_t *ctx = h->data;
  wgm__run_pending(ctx);
  if (!ctx->pending_head)
    uv_idle_stop(&ctx->idle);
}


/* ------------------------------------------------------------- helpers */

int wgm__random(void *buf, size_t len) { return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO; }

static int ssl_ex_idx = -1;
int wgm__ssl_ex_index(void) {
  if (ssl_ex_idx < 0)
    ssl_ex_idx = SSL_get_ex_new_index(0, "wgm_dc", NULL, NULL, NULL);
  return ssl_ex_idx;
}

int wgm__bind_range(int type, const struct sockaddr *bind_addr, uint16_t pmin, uint16_t pmax,
                    int *fd_out, int backlog) {
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof(ss));
  if (!bind_addr) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
    sl = sizeof(*sin);
  } else if (bind_addr->sa_family == AF_INET) {
    memcpy(&ss, bind_addr, sizeof(struct sockaddr_in));
    sl = sizeof(struct sockaddr_in);
  } else if (bind_addr->sa_family == AF_INET6) {
    memcpy(&ss, bind_addr, sizeof(struct sockaddr_in6));
    sl = sizeof(struct sockaddr_in6);
  } else {
    return -EINVAL;
  }
  if (pmin > pmax || (pmin == 0 && pmax != 0))
    return -EINVAL;
  int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (type == SOCK_STREAM) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  }
  unsigned span = (unsigned)pmax - pmin + 1;
  unsigned start = 0;
  if (span > 1) {
    uint32_t r = 0;
    wgm__random(&r, sizeof(r));
    start = r % span;
  }
  int last = -EADDRINUSE;
  for (unsigned i = 0; i < span; i++) {
    uint16_t port = (uint16_t)(pmin ? pmin + (start + i) % span : 0);
    if (ss.ss_family == AF_INET)
      ((struct sockaddr_in *)&ss)->sin_port = htons(port);
    else
      ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
    if (bind(fd, (struct sockaddr *)&ss, sl) == 0) {
      if (type == SOCK_STREAM && listen(fd, backlog) < 0) {
        last = -errno;
        close(fd);
        if (last != -EADDRINUSE)
          return last;
        /* Linux reports a conflicting listener at listen(): next port */
        fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
          return -errno;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        continue;
      }
      *fd_out = fd;
      return 0;
    }
    last = -errno;
    if (last != -EADDRINUSE && last != -EACCES)
      break;
  }
  close(fd);
  if (last == -EADDRINUSE && span > 1)
    return -ENOSPC;
  return last;
}

const char *wgm_strerror(int err) {
  switch (err) {
  case 0: return "ok";
  case -EAGAIN: return "send buffer full, wait for writable";
  case -EMSGSIZE: return "message larger than the max-message-size";
  case -ENOTCONN: return "not connected (yet)";
  case -EADDRINUSE: return "address in use";
  case -ENOSPC: return "no free port in the range";
  case -EBADMSG: return "malformed message";
  case -EACCES: return "integrity check failed";
  case -EPIPE: return "endpoint failed or closing";
  default: return strerror(err < 0 ? -err : err);
  }
}

/* ---------------------------------------------------------------- ctx */

static void keylog_cb(const SSL *ssl, const char *line) {
  struct wgm_dc *dc = SSL_get_ex_data(ssl, wgm__ssl_ex_index());
  if (dc)
    wgm__dc_keylog(dc, line);
}

static int verify_cb(int ok, X509_STORE_CTX *x) {
  (void)ok;
  SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct wgm_dc *dc = ssl ? SSL_get_ex_data(ssl, wgm__ssl_ex_index()) : NULL;
  if (!dc)
    return 0;
  if (X509_STORE_CTX_get_error_depth(x) != 0)
    return 1; /* only the leaf counts: it must match a fingerprint */
  X509 *cert = X509_STORE_CTX_get_current_cert(x);
  if (cert && wgm__dc_verify_cert(dc, cert) == 0)
    return 1;
  X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
  return 0;
}

static SSL_CTX *make_ssl_ctx(wgm_cert_t *cert) {
  SSL_CTX *c = SSL_CTX_new(DTLS_method());
  if (!c)
    return NULL;
  if (!SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) ||
      !SSL_CTX_use_certificate(c, cert->x509) || !SSL_CTX_use_PrivateKey(c, cert->pkey) ||
      !SSL_CTX_check_private_key(c) ||
      !SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                                  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
                                  "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
                                  "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA") ||
      !SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384")) {
    SSL_CTX_free(c);
    return NULL;
  }
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
  SSL_CTX_set_verify_depth(c, 4);
  SSL_CTX_set_read_ahead(c, 1);
  SSL_CTX_set_keylog_callback(c, keylog_cb);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(c, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  return c;
}

int wgm_ctx_new(uv_loop_t *loop, const wgm_ctx_options_t *opt, wgm_ctx_t **out) {
  if (!loop || !out)
    return -EINVAL;
  if (g_refs > 0 && g_loop != loop)
    return -EBUSY;
  wgm_ctx_t *ctx = calloc(1, sizeof(*ctx));
  if (!ctx)
    return -ENOMEM;
  ctx->loop = loop;
  int rc;
  if (opt && opt->cert) {
    ctx->cert = opt->cert;
    wgm_cert_ref(ctx->cert);
  } else if ((rc = wgm_cert_generate(&ctx->cert)) < 0) {
    free(ctx);
    return rc;
  }
  ctx->ssl_ctx = make_ssl_ctx(ctx->cert);
  if (!ctx->ssl_ctx) {
    wgm_cert_unref(ctx->cert);
    free(ctx);
    return -EIO;
  }
  if (!g_usrsctp_inited) {
    usrsctp_init_nothreads(0, sctp_conn_output, sctp_debug);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    usrsctp_sysctl_set_sctp_nr_outgoing_streams_default(1024);
    usrsctp_sysctl_set_sctp_enable_sack_immediately(1);
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
    usrsctp_sysctl_set_sctp_max_chunks_on_queue(8192);
    g_usrsctp_inited = 1;
  }
  g_refs++;
  g_loop = loop;
  uv_timer_init(loop, &ctx->sctp_timer);
  ctx->sctp_timer.data = ctx;
  ctx->sctp_last_ms = uv_now(loop);
  uv_timer_start(&ctx->sctp_timer, sctp_timer_cb, 10, 10);
  uv_unref((uv_handle_t *)&ctx->sctp_timer);
  uv_idle_init(loop, &ctx->idle);
  ctx->idle.data = ctx;
  ctx->idle_cb = idle_cb;
  *out = ctx;
  return 0;
}

static void ctx_closed(uv_handle_t *h) {
  wgm_ctx_t *ctx = h->data;
  if (--ctx->closing == 0) {
    SSL_CTX_free(ctx->ssl_ctx);
    wgm_cert_unref(ctx->cert);
    free(ctx);
  }
}

int wgm_ctx_free(wgm_ctx_t *ctx) {
  if (!ctx)
    return -EINVAL;
  if (ctx->n_dc || ctx->n_tcp)
    return -EBUSY;
  if (ctx->closing)
    return 0;
  ctx->closing = 2;
  uv_close((uv_handle_t *)&ctx->sctp_timer, ctx_closed);
  uv_close((uv_handle_t *)&ctx->idle, ctx_closed);
  if (--g_refs == 0) {
    g_loop = NULL;
    if (usrsctp_finish() == 0)
      g_usrsctp_inited = 0;
  }
  return 0;
}

wgm_cert_t *wgm_ctx_cert(wgm_ctx_t *ctx) { return ctx->cert; }
uv_loop_t *wgm_ctx_loop(wgm_ctx_t *ctx) { return ctx->loop; }
