/* ws.c -- SIP over WebSocket (RFC 7118 on RFC 6455) and the static files of
 * the demo page, on the ALG's su_root thread (no thread of its own).
 *
 * One listening TCP socket per alg.ws-listen / alg.wss-listen (wss: OpenSSL
 * TLS with alg.tls-cert/alg.tls-key). On each connection the first bytes
 * are an HTTP/1.1 request:
 *   - "Upgrade: websocket" with Sec-WebSocket-Protocol "sip" -> 101, then
 *     WebSocket frames through wslay (Debian libwslay: masking of client
 *     frames, fragmentation, ping/pong, close handshake, UTF-8 of text
 *     messages, alg.ws-max-message -> close 1009);
 *   - otherwise GET/HEAD of a file under alg.http-root (Connection: close).
 *
 * The bridge to Sofia-SIP: Debian's Sofia-SIP 1.12.11 has no WebSocket
 * transport and no way to add one from outside, so every WebSocket
 * connection gets its own TCP connection from here to the ALG's own SIP TCP
 * address. nta sees the client as a TCP client on that connection: each WS
 * message (one SIP message, RFC 7118 section 5) is written to it with the
 * top Via transport WS/WSS turned into TCP (nta refuses a Via transport
 * that differs from the connection's); the bytes nta writes back are split
 * into SIP messages and sent as one WS message each, top Via TCP turned
 * back into WS/WSS. Closing either side closes the other. The ALG knows a
 * request came over WebSocket by the bridge connection's address, keeps
 * that connection's nta transport (nta_incoming_transport) and the client's
 * Contact URIs, and sends requests to such a Contact on that transport
 * (NTATAG_TPORT): RFC 7118's connection-oriented routing. */
#include "config.h"
#include "alg/alg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/tcp.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <wslay/wslay.h>

#include <sofia-sip/nta_tport.h>
#include <sofia-sip/url.h>

#define HTTP_MAX_REQ 8192
#define HTTP_MAX_FILE (16L * 1024 * 1024)
#define HTTP_TIMEOUT_MS 10000
#define CLOSE_TIMEOUT_MS 2000
#define MAX_CONTACTS 8

enum cst { C_TLS, C_HTTP, C_WS };

typedef struct ws_conn ws_conn_t;

struct ws_conn {
  ws_conn_t *next, **prev;
  alg_t *alg;
  uint64_t id;
  int secure;
  int fd, index, mask;
  su_wait_t wait[1];
  SSL *ssl;
  int tls_want_write;        /* the last SSL call wanted to write */
  enum cst st;
  int dead;                  /* close at the end of the current event */
  int draining;              /* our side is done: read and drop until EOF */
  char peer[64];
  uint64_t deadline;         /* HTTP request / close handshake timeout */
  char hbuf[HTTP_MAX_REQ + 1];
  size_t hlen, lstart;       /* request bytes; first byte after the request */
  char *obuf;                /* HTTP response bytes still to write */
  size_t olen, ooff;
  int close_after;           /* HTTP: close when obuf is written */
  wslay_event_context_ptr ws;
  uint64_t last_rx, ping_sent; /* liveness (alg.ws-ping-interval) */
  /* bridge to nta's TCP transport */
  int bfd, bindex, bmask, bconnected, beof;
  su_wait_t bwait[1];
  struct sockaddr_storage blocal;
  char *sout;
  size_t soutlen, soutoff;
  char *sin;
  size_t sinlen, sincap;
  tport_t *tport;
  su_home_t home[1];
  url_t *contacts[MAX_CONTACTS];
  int ncontacts;
};

struct ws_listener {
  int fd, index, secure;
  su_wait_t wait[1];
  char where[128];
};

struct ws_priv {
  struct ws_listener l[2];
  ws_conn_t *conns;
  unsigned nconns;
  uint64_t next_id;
  su_timer_t *tick;
};

static struct ws_priv *P(alg_t *alg) { return alg->ws; }

static void conn_close(ws_conn_t *c, const char *why);
static void conn_update(ws_conn_t *c);
static void conn_drain(ws_conn_t *c);
static void bridge_flush(ws_conn_t *c);

/* ------------------------------------------------------------ config */

static void split_hostport(const struct sockaddr_storage *ss, char *host, size_t hl,
                           unsigned *port)
{
  char a[128], *colon;
  wg_format_addr((const struct sockaddr *)ss, a, sizeof a);
  colon = strrchr(a, ':');
  if (!colon) {
    snprintf(host, hl, "%.63s", a);
    *port = 0;
    return;
  }
  *colon = 0;
  *port = (unsigned)atoi(colon + 1);
  if (a[0] == '[') {
    a[strlen(a) - 1] = 0;
    snprintf(host, hl, "%.63s", a + 1);
  } else {
    snprintf(host, hl, "%.63s", a);
  }
}

static int file_readable(const char *path)
{
  return access(path, R_OK) == 0;
}

/* One of alg.ws-listen / alg.wss-listen: unset or empty leaves listen[]
 * empty (off); else HOST:PORT into listen[], host[] and *port. */
static int listen_key(const wg_config_t *cfg, const char *key, char *listen, size_t listen_len,
                      char *host, size_t host_len, unsigned *port, char *err, size_t errlen)
{
  struct sockaddr_storage ss;
  const char *v = wg_config_get(cfg, key, NULL);
  if (!v || !*v)
    return 0;
  if (wg_parse_hostport(v, 1, &ss) < 0) {
    snprintf(err, errlen, "%s: \"%s\" is not HOST:PORT", key, v);
    return -EINVAL;
  }
  snprintf(listen, listen_len, "%s", v);
  split_hostport(&ss, host, host_len, port);
  return 0;
}

int alg_ws_config(alg_t *alg, const wg_config_t *cfg, char *err, size_t errlen)
{
  const char *v, *cert, *key;
  struct stat st;

  if (listen_key(cfg, "alg.ws-listen", alg->ws_listen, sizeof alg->ws_listen, alg->ws_host,
                 sizeof alg->ws_host, &alg->ws_port, err, errlen) < 0 ||
      listen_key(cfg, "alg.wss-listen", alg->wss_listen, sizeof alg->wss_listen, alg->wss_host,
                 sizeof alg->wss_host, &alg->wss_port, err, errlen) < 0)
    return -EINVAL;
  cert = wg_config_get(cfg, "alg.tls-cert", NULL);
  key = wg_config_get(cfg, "alg.tls-key", NULL);
  if (alg->wss_listen[0]) {
    SSL_CTX *ctx;
    if (!cert || !*cert) {
      snprintf(err, errlen, "alg.wss-listen needs alg.tls-cert (a PEM certificate file)");
      return -EINVAL;
    }
    if (!key || !*key) {
      snprintf(err, errlen, "alg.wss-listen needs alg.tls-key (a PEM private key file)");
      return -EINVAL;
    }
    if (!file_readable(cert)) {
      snprintf(err, errlen, "alg.tls-cert: cannot read \"%s\": %s", cert, strerror(errno));
      return -EINVAL;
    }
    if (!file_readable(key)) {
      snprintf(err, errlen, "alg.tls-key: cannot read \"%s\": %s", key, strerror(errno));
      return -EINVAL;
    }
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
      snprintf(err, errlen, "alg.wss-listen: cannot create a TLS context");
      return -ENOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
      snprintf(err, errlen, "alg.tls-cert: \"%s\" is not a PEM certificate", cert);
      SSL_CTX_free(ctx);
      ERR_clear_error();
      return -EINVAL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      snprintf(err, errlen, "alg.tls-key: \"%s\" is not the PEM private key of alg.tls-cert", key);
      SSL_CTX_free(ctx);
      ERR_clear_error();
      return -EINVAL;
    }
    alg->tls_ctx = ctx;
  }
  v = wg_config_get(cfg, "alg.http-root", NULL);
  if (v && *v) {
    if (stat(v, &st) < 0 || !S_ISDIR(st.st_mode)) {
      snprintf(err, errlen, "alg.http-root: \"%s\" is not a directory", v);
      return -EINVAL;
    }
    alg->http_root = su_strdup(alg->home, v);
  }
  v = wg_config_get(cfg, "alg.registrar", "builtin");
  if (strcasecmp(v, "builtin") != 0) {
    url_t *u = url_hdup(alg->home, (url_t *)url_make(alg->home, v));
    if (!u || (u->url_type != url_sip && u->url_type != url_sips) || !u->url_host) {
      snprintf(err, errlen, "alg.registrar: \"%s\" is neither builtin nor a sip: URI", v);
      return -EINVAL;
    }
    alg->registrar = su_strdup(alg->home, v);
    alg->registrar_url = u;
  }
  if (wg_config_get_int(cfg, "alg.ws-max-connections", 100, 1, 100000, &alg->ws_max_conns,
                        err, errlen) < 0 ||
      wg_config_get_int(cfg, "alg.ws-max-message", 65536, 1024, 16 * 1024 * 1024,
                        &alg->ws_max_msg, err, errlen) < 0 ||
      wg_config_get_int(cfg, "alg.ws-ping-interval", 30, 0, 3600, &alg->ws_ping_s, err,
                        errlen) < 0)
    return -EINVAL;
  if ((alg->ws_listen[0] || alg->wss_listen[0]) && !alg->record_route) {
    snprintf(err, errlen, "alg.ws-listen/alg.wss-listen need alg.record-route = yes "
             "(a WebSocket client can only be reached through the ALG)");
    return -EINVAL;
  }
  if ((alg->ws_listen[0] || alg->wss_listen[0]) && !alg->sip_tcp) {
    snprintf(err, errlen, "alg.ws-listen/alg.wss-listen need tcp in alg.sip-transports "
             "(WebSocket clients are bridged to the SIP TCP transport)");
    return -EINVAL;
  }
  return 0;
}

void alg_ws_free(alg_t *alg)
{
  if (alg->tls_ctx)
    SSL_CTX_free(alg->tls_ctx), alg->tls_ctx = NULL;
}

/* ------------------------------------------------------------ lookups */

static ws_conn_t *conn_by_id(alg_t *alg, uint64_t id)
{
  ws_conn_t *c;
  if (!P(alg) || !id)
    return NULL;
  for (c = P(alg)->conns; c; c = c->next)
    if (c->id == id)
      return c;
  return NULL;
}

static int addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
  if (a->ss_family != b->ss_family)
    return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
  }
  return 0;
}

uint64_t alg_ws_conn_by_src(alg_t *alg, const struct sockaddr_storage *src)
{
  ws_conn_t *c;
  if (!P(alg))
    return 0;
  for (c = P(alg)->conns; c; c = c->next)
    if (c->bconnected && addr_eq(&c->blocal, src))
      return c->id;
  return 0;
}

int alg_ws_conn_secure(alg_t *alg, uint64_t id)
{
  ws_conn_t *c = conn_by_id(alg, id);
  return c && c->secure;
}

const char *alg_ws_conn_name(alg_t *alg, uint64_t id)
{
  ws_conn_t *c = conn_by_id(alg, id);
  return c ? c->peer : "";
}

static int str_eq(const char *a, const char *b, int nocase)
{
  if (!a || !*a)
    return !b || !*b;
  if (!b)
    return 0;
  return nocase ? !strcasecmp(a, b) : !strcmp(a, b);
}

static int contact_match(url_t const *a, url_t const *b)
{
  return str_eq(a->url_user, b->url_user, 0) && str_eq(a->url_host, b->url_host, 1) &&
         str_eq(a->url_port, b->url_port, 0);
}

void alg_ws_learn(alg_t *alg, uint64_t id, nta_incoming_t *irq, sip_t const *sip)
{
  ws_conn_t *c = conn_by_id(alg, id);
  sip_contact_t const *m;
  int i;

  if (!c)
    return;
  if (!c->tport)
    c->tport = nta_incoming_transport(alg->agent, irq, NULL);
  for (m = sip->sip_contact; m; m = m->m_next) {
    if (!m->m_url->url_host)
      continue;
    for (i = 0; i < c->ncontacts; i++)
      if (contact_match(c->contacts[i], m->m_url))
        break;
    if (i < c->ncontacts || c->ncontacts >= MAX_CONTACTS)
      continue;
    c->contacts[c->ncontacts] = url_hdup(c->home, m->m_url);
    if (c->contacts[c->ncontacts])
      c->ncontacts++;
  }
}

tport_t *alg_ws_tport_for(alg_t *alg, url_t const *uri, uint64_t *id)
{
  ws_conn_t *c;
  int i;
  if (!P(alg) || !uri || !uri->url_host)
    return NULL;
  for (c = P(alg)->conns; c; c = c->next) {
    if (!c->tport || c->st != C_WS || c->dead)
      continue;
    for (i = 0; i < c->ncontacts; i++)
      if (contact_match(c->contacts[i], uri)) {
        if (id)
          *id = c->id;
        return c->tport;
      }
  }
  return NULL;
}

int alg_ws_uri_is_ws(url_t const *uri)
{
  char t[8];
  if (!uri || !uri->url_params)
    return 0;
  if (url_param(uri->url_params, "transport", t, sizeof t) <= 0)
    return 0;
  return !strcasecmp(t, "ws") || !strcasecmp(t, "wss");
}

/* ------------------------------------------------------------ raw I/O */

/* The result r of SSL_read/SSL_write on c: r > 0 bytes, -1 would block (and
 * whether TLS wants to write first), eof (0 for a read, -2 for a write) when
 * the peer closed TLS, else -2 error. */
static ssize_t tls_result(ws_conn_t *c, int r, ssize_t eof)
{
  if (r > 0)
    return r;
  int e = SSL_get_error(c->ssl, r);
  c->tls_want_write = e == SSL_ERROR_WANT_WRITE;
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return -1;
  ERR_clear_error();
  return e == SSL_ERROR_ZERO_RETURN ? eof : -2;
}

/* >0 bytes, 0 end of stream, -1 would block, -2 error */
static ssize_t io_read(ws_conn_t *c, void *buf, size_t n)
{
  if (c->ssl)
    return tls_result(c, SSL_read(c->ssl, buf, (int)(n > INT_MAX ? INT_MAX : n)), 0);
  else {
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r >= 0)
      return r;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
  }
}

static ssize_t io_write(ws_conn_t *c, const void *buf, size_t n)
{
  if (c->ssl)
    return n ? tls_result(c, SSL_write(c->ssl, buf, (int)(n > INT_MAX ? INT_MAX : n)), -2) : 0;
  else {
    ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (r >= 0)
      return r;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
  }
}

/* Writes what is left of obuf. 1 all written, 0 blocked, -1 error. */
static int flush_obuf(ws_conn_t *c)
{
  while (c->ooff < c->olen) {
    ssize_t r = io_write(c, c->obuf + c->ooff, c->olen - c->ooff);
    if (r == -1)
      return 0;
    if (r < 0)
      return -1;
    c->ooff += (size_t)r;
  }
  free(c->obuf);
  c->obuf = NULL;
  c->olen = c->ooff = 0;
  return 1;
}

/* ------------------------------------------------------------ HTTP */

static void http_respond(ws_conn_t *c, int status, const char *reason, const char *extra,
                         const char *ctype, const char *body, size_t blen, int head_only)
{
  char h[1024];
  int n = snprintf(h, sizeof h,
                   "HTTP/1.1 %d %s\r\nServer: wicgated\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\nCache-Control: no-cache\r\n"
                   "X-Content-Type-Options: nosniff\r\nConnection: close\r\n%s\r\n",
                   status, reason, ctype ? ctype : "text/plain; charset=utf-8", blen,
                   extra ? extra : "");
  size_t total = (size_t)n + (head_only ? 0 : blen);
  free(c->obuf);
  c->obuf = malloc(total);
  c->olen = c->ooff = 0;
  c->close_after = 1;
  if (!c->obuf) {
    c->dead = 1;
    return;
  }
  memcpy(c->obuf, h, (size_t)n);
  if (!head_only && blen)
    memcpy(c->obuf + n, body, blen);
  c->olen = total;
  if (WG_LOG_ENABLED(WG_LOG_INFO))
    wg_log(WG_LOG_INFO, "alg", NULL, "http %s: %d %s", c->peer, status, reason);
}

static void http_error(ws_conn_t *c, int status, const char *reason, const char *text,
                       const char *extra)
{
  char b[512];
  int n = snprintf(b, sizeof b, "%d %s: %s\n", status, reason, text);
  http_respond(c, status, reason, extra, NULL, b, (size_t)n, 0);
}

/* Finds the value of header name in the request (first one). */
static const char *req_header(const char *hbuf, const char *name, char *out, size_t outlen)
{
  const char *p = strstr(hbuf, "\r\n");
  size_t nl = strlen(name);
  while (p && p[2] != '\r') {
    const char *line = p + 2, *e = strstr(line, "\r\n"), *v;
    if (!e)
      break;
    if ((size_t)(e - line) > nl && !strncasecmp(line, name, nl) && line[nl] == ':') {
      size_t n;
      v = line + nl + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      n = (size_t)(e - v);
      while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
      if (n >= outlen)
        n = outlen - 1;
      memcpy(out, v, n);
      out[n] = 0;
      return out;
    }
    p = e;
  }
  return NULL;
}

/* Whether the comma-separated list has the token (case-insensitive). */
static int list_has(const char *list, const char *tok)
{
  size_t tl = strlen(tok);
  const char *p = list;
  while (p && *p) {
    const char *e;
    size_t n;
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    e = p;
    while (*e && *e != ',')
      e++;
    n = (size_t)(e - p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n == tl && !strncasecmp(p, tok, tl))
      return 1;
    p = e;
  }
  return 0;
}

static void http_file(ws_conn_t *c, const char *target, int head_only)
{
  alg_t *alg = c->alg;
  char rel[1024], path[PATH_MAX + 16], real[PATH_MAX], root[PATH_MAX];
  struct stat st;
  size_t rl;
  int rc = alg_http_path(target, rel, sizeof rel);
  FILE *f;
  char *body;

  if (rc == -400) {
    http_error(c, 400, "Bad Request", "the request-target is not a path", NULL);
    return;
  }
  if (rc == -414) {
    http_error(c, 414, "URI Too Long", "the path is too long", NULL);
    return;
  }
  if (rc < 0) {
    http_error(c, 403, "Forbidden", "the path leaves the document root", NULL);
    return;
  }
  if (!alg->http_root) {
    http_error(c, 404, "Not Found", "no alg.http-root configured", NULL);
    return;
  }
  if (!realpath(alg->http_root, root)) {
    http_error(c, 404, "Not Found", "alg.http-root is gone", NULL);
    return;
  }
  rl = strlen(rel);
  if (snprintf(path, sizeof path, "%s/%s%s", root, rel,
               rl == 0 || rel[rl - 1] == '/' ? "index.html" : "") >= (int)sizeof path ||
      !realpath(path, real)) {
    http_error(c, 404, "Not Found", "no such file", NULL);
    return;
  }
  if (strncmp(real, root, strlen(root)) != 0 || (real[strlen(root)] != '/' && real[strlen(root)])) {
    http_error(c, 403, "Forbidden", "the path leaves the document root", NULL);
    return;
  }
  if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
    size_t n = strlen(real);
    if (n + 12 >= sizeof real) {
      http_error(c, 404, "Not Found", "no such file", NULL);
      return;
    }
    memcpy(real + n, "/index.html", 12);
  }
  if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
    http_error(c, 404, "Not Found", "no such file", NULL);
    return;
  }
  if (st.st_size > HTTP_MAX_FILE) {
    http_error(c, 500, "Internal Server Error", "file too large to serve", NULL);
    return;
  }
  f = fopen(real, "rb");
  body = malloc((size_t)st.st_size + 1);
  if (!f || !body || fread(body, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
    if (f)
      fclose(f);
    free(body);
    http_error(c, 500, "Internal Server Error", "cannot read the file", NULL);
    return;
  }
  fclose(f);
  http_respond(c, 200, "OK", NULL, alg_http_mime(real), body, (size_t)st.st_size, head_only);
  free(body);
}

static int ws_start(ws_conn_t *c);

/* A whole request head is in hbuf (ends at he). */
static void http_request(ws_conn_t *c, size_t he)
{
  char method[16], target[2048], version[16], tmp[256], key[64], accept[29];
  int n = 0;

  c->hbuf[he + 2] = 0;  /* keep the last CRLF, cut the blank line */
  if (sscanf(c->hbuf, "%15s %2047s %15s%n", method, target, version, &n) != 3 ||
      strncmp(version, "HTTP/1.", 7) != 0 || (c->hbuf[n] != '\r')) {
    http_error(c, 400, "Bad Request", "malformed request line", NULL);
    return;
  }
  c->lstart = he + 4;
  if (req_header(c->hbuf, "Upgrade", tmp, sizeof tmp)) {
    if (!list_has(tmp, "websocket")) {
      http_error(c, 400, "Bad Request", "only Upgrade: websocket is supported", NULL);
      return;
    }
    if (strcmp(method, "GET") != 0) {
      http_error(c, 400, "Bad Request", "a WebSocket handshake is a GET", NULL);
      return;
    }
    if (!req_header(c->hbuf, "Connection", tmp, sizeof tmp) || !list_has(tmp, "upgrade")) {
      http_error(c, 400, "Bad Request", "Connection: Upgrade missing", NULL);
      return;
    }
    if (!req_header(c->hbuf, "Sec-WebSocket-Version", tmp, sizeof tmp) || strcmp(tmp, "13")) {
      http_error(c, 426, "Upgrade Required", "WebSocket version 13 only",
                 "Sec-WebSocket-Version: 13\r\n");
      return;
    }
    if (!req_header(c->hbuf, "Sec-WebSocket-Key", key, sizeof key) ||
        alg_ws_accept_key(key, accept) < 0) {
      http_error(c, 400, "Bad Request", "Sec-WebSocket-Key is not 16 bytes in base64", NULL);
      return;
    }
    if (!req_header(c->hbuf, "Sec-WebSocket-Protocol", tmp, sizeof tmp) || !list_has(tmp, "sip")) {
      http_error(c, 400, "Bad Request",
                 "WebSocket subprotocol \"sip\" required (RFC 7118)", NULL);
      return;
    }
    {
      char h[256];
      int k = snprintf(h, sizeof h,
                       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                       "Sec-WebSocket-Protocol: sip\r\n\r\n", accept);
      c->obuf = malloc((size_t)k);
      if (!c->obuf) {
        c->dead = 1;
        return;
      }
      memcpy(c->obuf, h, (size_t)k);
      c->olen = (size_t)k;
      c->ooff = 0;
    }
    if (ws_start(c) < 0)
      c->dead = 1;
    return;
  }
  if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
    http_file(c, target, !strcmp(method, "HEAD"));
    return;
  }
  http_error(c, 405, "Method Not Allowed", "only GET and HEAD", "Allow: GET, HEAD\r\n");
}

static void http_readable(ws_conn_t *c)
{
  for (;;) {
    ssize_t r;
    size_t i, from;
    if (c->hlen >= HTTP_MAX_REQ) {
      http_error(c, 431, "Request Header Fields Too Large", "the request is too large", NULL);
      return;
    }
    r = io_read(c, c->hbuf + c->hlen, HTTP_MAX_REQ - c->hlen);
    if (r == -1)
      return;
    if (r <= 0) {
      c->dead = 1;
      return;
    }
    from = c->hlen >= 3 ? c->hlen - 3 : 0;
    c->hlen += (size_t)r;
    c->hbuf[c->hlen] = 0;
    for (i = from; i + 3 < c->hlen; i++)
      if (!memcmp(c->hbuf + i, "\r\n\r\n", 4)) {
        http_request(c, i);
        return;
      }
  }
}

/* ------------------------------------------------------------ WebSocket */

static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                          void *user)
{
  ws_conn_t *c = user;
  ssize_t r;
  (void)flags;
  c->last_rx = wg_mono_ms();
  if (c->lstart < c->hlen) {   /* bytes that came with the handshake */
    size_t n = c->hlen - c->lstart;
    if (n > len)
      n = len;
    memcpy(buf, c->hbuf + c->lstart, n);
    c->lstart += n;
    return (ssize_t)n;
  }
  r = io_read(c, buf, len);
  if (r == -1) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  if (r <= 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  c->last_rx = wg_mono_ms();
  return r;
}

static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
                          int flags, void *user)
{
  ws_conn_t *c = user;
  ssize_t r;
  (void)flags;
  if (c->obuf) {   /* the 101 goes first */
    int f = flush_obuf(c);
    if (f == 0) {
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    if (f < 0) {
      wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
      return -1;
    }
  }
  r = io_write(c, data, len);
  if (r == -1) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  if (r < 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  return r;
}

static void ws_close_with(ws_conn_t *c, uint16_t code, const char *reason)
{
  if (c->ws && !wslay_event_get_close_sent(c->ws)) {
    wg_log(WG_LOG_INFO, "alg", NULL, "ws %s: closing (%u %s)", c->peer, code, reason);
    wslay_event_queue_close(c->ws, code, (const uint8_t *)reason, strlen(reason));
    c->deadline = wg_mono_ms() + CLOSE_TIMEOUT_MS;
  }
}

static void ws_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                      void *user)
{
  ws_conn_t *c = user;
  char *out = NULL;
  size_t outlen = 0, i;
  const char *why = NULL;
  (void)ctx;

  if (a->opcode == WSLAY_CONNECTION_CLOSE) {
    wg_log(WG_LOG_INFO, "alg", NULL, "ws %s: close from the client (%u)", c->peer, a->status_code);
    c->deadline = wg_mono_ms() + CLOSE_TIMEOUT_MS;
    return;
  }
  if (a->opcode != WSLAY_TEXT_FRAME && a->opcode != WSLAY_BINARY_FRAME)
    return;   /* ping/pong: wslay answers pings itself */
  for (i = 0; i < a->msg_length && (a->msg[i] == '\r' || a->msg[i] == '\n'); i++)
    ;
  if (i == a->msg_length)
    return;   /* CRLF keep-alive */
  if (WG_LOG_ENABLED(WG_LOG_DEBUG))
    wg_log(WG_LOG_DEBUG, "alg", NULL, "ws %s: recv %zu bytes:\n%.*s", c->peer, a->msg_length,
           (int)a->msg_length, (const char *)a->msg);
  if (alg_ws_to_stream((const char *)a->msg, a->msg_length, &out, &outlen, &why) < 0) {
    ws_close_with(c, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, why);
    return;
  }
  if (c->soutlen - c->soutoff + outlen > (size_t)c->alg->ws_max_msg * 4 + 65536) {
    free(out);
    ws_close_with(c, WSLAY_CODE_POLICY_VIOLATION, "too much SIP traffic queued");
    return;
  }
  if (c->soutoff == c->soutlen) {
    free(c->sout);
    c->sout = out;
    c->soutlen = outlen;
    c->soutoff = 0;
  } else {
    char *n = realloc(c->sout, c->soutlen + outlen);
    if (!n) {
      free(out);
      c->dead = 1;
      return;
    }
    memcpy(n + c->soutlen, out, outlen);
    free(out);
    c->sout = n;
    c->soutlen += outlen;
  }
  bridge_flush(c);
}

/* ------------------------------------------------------------ bridge */

static int bridge_cb(su_root_magic_t *m, su_wait_t *w, void *arg);

static void bridge_update(ws_conn_t *c)
{
  int mask;
  if (c->bfd < 0 || !c->bindex)
    return;
  mask = c->bconnected ? SU_WAIT_IN : SU_WAIT_OUT;
  if (c->bconnected && c->soutoff < c->soutlen)
    mask |= SU_WAIT_OUT;
  if (c->beof)
    mask &= ~SU_WAIT_IN;
  if (mask != c->bmask) {
    su_root_eventmask(c->alg->root, c->bindex, c->bfd, mask);
    c->bmask = mask;
  }
}

static void bridge_flush(ws_conn_t *c)
{
  while (c->bconnected && c->soutoff < c->soutlen) {
    ssize_t r = send(c->bfd, c->sout + c->soutoff, c->soutlen - c->soutoff, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        break;
      ws_close_with(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "the SIP connection failed");
      break;
    }
    c->soutoff += (size_t)r;
  }
  bridge_update(c);
}

static void bridge_deliver(ws_conn_t *c)
{
  const char *proto = c->secure ? "WSS" : "WS";
  size_t pos = 0;
  for (;;) {
    size_t skip = 0;
    long n = alg_ws_sip_split(c->sin + pos, c->sinlen - pos, (size_t)c->alg->ws_max_msg * 4 + 65536,
                              &skip);
    char *out = NULL;
    size_t outlen = 0;
    struct wslay_event_msg msg;
    if (n < 0) {
      ws_close_with(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "bad SIP stream from the proxy");
      c->sinlen = 0;
      return;
    }
    pos += skip;
    if (n == 0)
      break;
    if (alg_ws_from_stream(c->sin + pos, (size_t)n, proto, &out, &outlen) == 0) {
      msg.opcode = alg_ws_utf8_valid((const unsigned char *)out, outlen) ? WSLAY_TEXT_FRAME
                                                                         : WSLAY_BINARY_FRAME;
      msg.msg = (const uint8_t *)out;
      msg.msg_length = outlen;
      if (WG_LOG_ENABLED(WG_LOG_DEBUG))
        wg_log(WG_LOG_DEBUG, "alg", NULL, "ws %s: send %zu bytes:\n%.*s", c->peer, outlen,
               (int)outlen, out);
      if (c->ws)
        wslay_event_queue_msg(c->ws, &msg);
      free(out);
    }
    pos += (size_t)n;
  }
  if (pos) {
    memmove(c->sin, c->sin + pos, c->sinlen - pos);
    c->sinlen -= pos;
  }
}

static void bridge_readable(ws_conn_t *c)
{
  for (;;) {
    ssize_t r;
    if (c->sincap - c->sinlen < 4096) {
      size_t cap = c->sincap ? c->sincap * 2 : 16384;
      char *n;
      if (cap > (size_t)c->alg->ws_max_msg * 8 + 262144) {
        ws_close_with(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "SIP message too large");
        return;
      }
      n = realloc(c->sin, cap);
      if (!n) {
        c->dead = 1;
        return;
      }
      c->sin = n;
      c->sincap = cap;
    }
    r = recv(c->bfd, c->sin + c->sinlen, c->sincap - c->sinlen, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        break;
      r = 0;
    }
    if (r == 0) {
      c->beof = 1;
      bridge_deliver(c);
      ws_close_with(c, WSLAY_CODE_GOING_AWAY, "the SIP connection closed");
      break;
    }
    c->sinlen += (size_t)r;
    bridge_deliver(c);
  }
}

static int bridge_cb(su_root_magic_t *m, su_wait_t *w, void *arg)
{
  ws_conn_t *c = arg;
  int ev = su_wait_events(w, c->bfd);
  (void)m;
  if (!c->bconnected && (ev & (SU_WAIT_OUT | SU_WAIT_ERR | SU_WAIT_HUP))) {
    int err = 0;
    socklen_t el = sizeof err, al = sizeof c->blocal;
    getsockopt(c->bfd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
      wg_log(WG_LOG_ERROR, "alg", NULL, "ws %s: cannot connect to the SIP TCP transport: %s",
             c->peer, strerror(err));
      ws_close_with(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "no SIP transport");
      c->beof = 1;
      conn_update(c);
      return 0;
    }
    getsockname(c->bfd, (struct sockaddr *)&c->blocal, &al);
    c->bconnected = 1;
  }
  if (c->bconnected && (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR)))
    bridge_readable(c);
  if (c->bconnected)
    bridge_flush(c);
  conn_update(c);
  return 0;
}

static int bridge_open(ws_conn_t *c)
{
  alg_t *alg = c->alg;
  struct sockaddr_storage to = alg->sip_addr;
  socklen_t tl;
  int one = 1;

  if (to.ss_family == AF_INET) {
    struct sockaddr_in *s = (void *)&to;
    if (s->sin_addr.s_addr == htonl(INADDR_ANY))
      s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tl = sizeof *s;
  } else {
    struct sockaddr_in6 *s = (void *)&to;
    if (!memcmp(&s->sin6_addr, &in6addr_any, sizeof in6addr_any))
      s->sin6_addr = in6addr_loopback;
    tl = sizeof *s;
  }
  c->bfd = socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->bfd < 0)
    return -errno;
  setsockopt(c->bfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->bfd, (struct sockaddr *)&to, tl) < 0 && errno != EINPROGRESS)
    return -errno;
  if (su_wait_create(c->bwait, c->bfd, SU_WAIT_OUT) < 0)
    return -EIO;
  c->bmask = SU_WAIT_OUT;
  c->bindex = su_root_register(alg->root, c->bwait, bridge_cb, c, 0);
  if (c->bindex <= 0) {
    c->bindex = 0;
    return -EIO;
  }
  return 0;
}

static int ws_start(ws_conn_t *c)
{
  static const struct wslay_event_callbacks cbs = {
    ws_recv_cb, ws_send_cb, NULL, NULL, NULL, NULL, ws_msg_cb,
  };
  int rc;
  if (wslay_event_context_server_init(&c->ws, &cbs, c) != 0)
    return -ENOMEM;
  wslay_event_config_set_max_recv_msg_length(c->ws, (uint64_t)c->alg->ws_max_msg);
  c->st = C_WS;
  c->deadline = 0;
  c->last_rx = wg_mono_ms();
  snprintf(c->peer + strlen(c->peer), sizeof c->peer - strlen(c->peer), "#%llu",
           (unsigned long long)c->id);
  if ((rc = bridge_open(c)) < 0) {
    wg_log(WG_LOG_ERROR, "alg", NULL, "ws %s: cannot connect to the SIP TCP transport: %s",
           c->peer, strerror(-rc));
    return rc;
  }
  wg_log(WG_LOG_INFO, "alg", NULL, "ws %s: WebSocket open (%s, subprotocol sip)", c->peer,
         c->secure ? "wss" : "ws");
  return 0;
}

/* ------------------------------------------------------------ connection */

static void conn_update(ws_conn_t *c)
{
  int mask = 0;
  if (c->dead) {
    conn_close(c, NULL);
    return;
  }
  if (c->draining) {
    mask = SU_WAIT_IN;
  } else switch (c->st) {
  case C_TLS:
    mask = c->tls_want_write ? SU_WAIT_OUT : SU_WAIT_IN;
    break;
  case C_HTTP:
    if (c->obuf)
      mask = SU_WAIT_OUT;
    else if (c->close_after) {
      conn_drain(c);
      mask = SU_WAIT_IN;
    } else
      mask = SU_WAIT_IN;
    break;
  case C_WS:
    if (!wslay_event_want_read(c->ws) && !wslay_event_want_write(c->ws) && !c->obuf) {
      conn_drain(c);
      mask = SU_WAIT_IN;
      break;
    }
    if (wslay_event_want_read(c->ws))
      mask |= SU_WAIT_IN;
    if (wslay_event_want_write(c->ws) || c->obuf || c->tls_want_write)
      mask |= SU_WAIT_OUT;
    break;
  }
  if (mask != c->mask) {
    su_root_eventmask(c->alg->root, c->index, c->fd, mask);
    c->mask = mask;
  }
}

/* Our side is finished (response or close frame written): half-close and
 * read until the peer closes too, so that unread input does not turn the
 * close into a reset that could destroy what we wrote (RFC 6455 7.1.1). */
static void conn_drain(ws_conn_t *c)
{
  if (c->draining)
    return;
  c->draining = 1;
  if (c->ssl) {
    SSL_shutdown(c->ssl);
    ERR_clear_error();
  }
  shutdown(c->fd, SHUT_WR);
  c->deadline = wg_mono_ms() + CLOSE_TIMEOUT_MS;
  if (c->bfd >= 0 && !c->beof) {
    shutdown(c->bfd, SHUT_WR);
    c->beof = 1;
    bridge_update(c);
  }
}

static void drain_readable(ws_conn_t *c)
{
  char buf[4096];
  for (;;) {
    ssize_t r = recv(c->fd, buf, sizeof buf, 0);
    if (r > 0)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    c->dead = 1;
    return;
  }
}

static void ws_pump(ws_conn_t *c, int ev)
{
  /* with TLS any event may unblock a read (SSL_read can want to write) */
  if ((ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR)) || c->ssl || c->lstart < c->hlen) {
    if (wslay_event_want_read(c->ws) && wslay_event_recv(c->ws) != 0) {
      c->dead = 1;
      return;
    }
  }
  if (c->obuf) {
    int f = flush_obuf(c);
    if (f < 0) {
      c->dead = 1;
      return;
    }
  }
  if (!c->obuf && wslay_event_want_write(c->ws) && wslay_event_send(c->ws) != 0) {
    c->dead = 1;
    return;
  }
  /* the client closed: close the SIP side too */
  if (wslay_event_get_close_received(c->ws) && c->bfd >= 0 && !c->beof) {
    shutdown(c->bfd, SHUT_WR);
    c->beof = 1;
    bridge_update(c);
  }
}

static int conn_cb(su_root_magic_t *m, su_wait_t *w, void *arg)
{
  ws_conn_t *c = arg;
  int ev = su_wait_events(w, c->fd);
  (void)m;

  if (c->draining) {
    drain_readable(c);
    conn_update(c);
    return 0;
  }
  if (c->st == C_TLS) {
    int r = SSL_accept(c->ssl);
    if (r == 1) {
      c->st = C_HTTP;
      c->tls_want_write = 0;
    } else {
      int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c->tls_want_write = e == SSL_ERROR_WANT_WRITE;
      } else {
        unsigned long le = ERR_get_error();
        char eb[160] = "";
        if (le)
          ERR_error_string_n(le, eb, sizeof eb);
        ERR_clear_error();
        wg_log(WG_LOG_INFO, "alg", NULL, "wss %s: TLS handshake failed %s", c->peer, eb);
        c->dead = 1;
      }
      conn_update(c);
      return 0;
    }
  }
  if (c->st == C_HTTP) {
    if (!c->obuf && !c->close_after)
      http_readable(c);
    if (c->st == C_HTTP && c->obuf && !c->dead) {
      if (flush_obuf(c) < 0)
        c->dead = 1;
    }
  }
  if (c->st == C_WS && !c->dead)
    ws_pump(c, ev);
  conn_update(c);
  return 0;
}

static void conn_close(ws_conn_t *c, const char *why)
{
  alg_t *alg = c->alg;
  struct ws_priv *p = P(alg);
  if (why || c->st == C_WS)
    wg_log(WG_LOG_INFO, "alg", NULL, "%s %s: connection closed%s%s", c->st == C_WS ? "ws" : "http",
           c->peer, why ? ": " : "", why ? why : "");
  if ((*c->prev = c->next))
    c->next->prev = c->prev;
  p->nconns--;
  if (c->st == C_WS) {
    alg_reg_conn_closed(alg, c->id);
    /* its dialogs cannot reach it any more (RFC 7118: requests go over
     * the connection): release its data-channel calls */
    c->dead = 1;
    if (c->ncontacts && !alg->stopping)
      alg_calls_release_contacts(alg, c->contacts, c->ncontacts,
                                 "the WIC's WebSocket connection closed");
  }
  if (c->index)
    su_root_deregister(alg->root, c->index);
  if (c->bindex)
    su_root_deregister(alg->root, c->bindex);
  if (c->bfd >= 0)
    close(c->bfd);
  if (c->ws)
    wslay_event_context_free(c->ws);
  if (c->ssl)
    SSL_free(c->ssl);
  if (c->fd >= 0)
    close(c->fd);
  if (c->tport)
    tport_unref(c->tport);
  free(c->obuf);
  free(c->sout);
  free(c->sin);
  su_home_deinit(c->home);
  free(c);
}

static int listen_cb(su_root_magic_t *m, su_wait_t *w, void *arg)
{
  struct ws_listener *l = arg;
  alg_t *alg = m;
  struct ws_priv *p = P(alg);
  (void)w;

  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    ws_conn_t *c;
    char a[64];
    if (fd < 0)
      break;
    wg_format_addr((struct sockaddr *)&ss, a, sizeof a);
    if (p->nconns >= (unsigned)alg->ws_max_conns) {
      static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10\r\n"
                                 "Content-Type: text/plain\r\nContent-Length: 51\r\n"
                                 "Connection: close\r\n\r\n503: too many connections (alg.ws-max-connections)\n";
      ssize_t n = 0;
      wg_log(WG_LOG_WARN, "alg", NULL, "%s %s: refused, alg.ws-max-connections (%ld) reached",
             l->secure ? "wss" : "ws", a, alg->ws_max_conns);
      if (!l->secure)
        n = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
      (void)n;
      close(fd);
      continue;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    su_home_init(c->home);
    c->alg = alg;
    c->id = ++p->next_id;
    c->fd = fd;
    c->bfd = -1;
    c->secure = l->secure;
    snprintf(c->peer, sizeof c->peer, "%s", a);
    c->deadline = wg_mono_ms() + HTTP_TIMEOUT_MS;
    c->st = C_HTTP;
    if (l->secure) {
      c->ssl = SSL_new(alg->tls_ctx);
      if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1)
        goto drop;
      c->st = C_TLS;
    }
    if (su_wait_create(c->wait, fd, SU_WAIT_IN) < 0 ||
        (c->index = su_root_register(alg->root, c->wait, conn_cb, c, 0)) <= 0)
      goto drop;
    c->mask = SU_WAIT_IN;
    c->next = p->conns;
    if (c->next)
      c->next->prev = &c->next;
    c->prev = &p->conns;
    p->conns = c;
    p->nconns++;
    continue;
  drop: /* no TLS object or no registration: the connection is closed */
    if (c->ssl)
      SSL_free(c->ssl);
    close(fd);
    su_home_deinit(c->home);
    free(c);
  }
  return 0;
}

static void tick_cb(su_root_magic_t *m, su_timer_t *t, void *arg)
{
  alg_t *alg = arg;
  ws_conn_t *c, *n;
  uint64_t now = wg_mono_ms();
  (void)m; (void)t;
  uint64_t iv = (uint64_t)alg->ws_ping_s * 1000;
  for (c = P(alg)->conns; c; c = n) {
    n = c->next;
    if (c->deadline && now >= c->deadline) {
      conn_close(c, c->draining ? NULL : c->st == C_WS ? "close handshake timed out"
                                                       : "request timed out");
      continue;
    }
    /* liveness: a ping after an idle interval; nothing at all for two
     * intervals (not even the pong) -> close */
    if (!iv || c->st != C_WS || c->draining || c->dead || wslay_event_get_close_sent(c->ws))
      continue;
    if (now - c->last_rx >= 2 * iv) {
      ws_close_with(c, WSLAY_CODE_GOING_AWAY, "no answer to ping");
      conn_update(c);
    } else if (now - c->last_rx >= iv && now - c->ping_sent >= iv) {
      struct wslay_event_msg ping = { WSLAY_PING, (const uint8_t *)"wicgated", 8 };
      wslay_event_queue_msg(c->ws, &ping);
      c->ping_sent = now;
      conn_update(c);
    }
  }
  alg_reg_tick(alg);
}

/* ------------------------------------------------------------ start/stop */

static int listen_on(alg_t *alg, struct ws_listener *l, const char *where, int secure)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  int one = 1;

  l->fd = -1;
  l->secure = secure;
  snprintf(l->where, sizeof l->where, "%s", where);
  if (wg_parse_hostport(where, 1, &ss) < 0)
    return -EINVAL;
  sl = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l->fd < 0)
    return -errno;
  setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l->fd, (struct sockaddr *)&ss, sl) < 0 || listen(l->fd, 64) < 0) {
    int e = errno;
    wg_log(WG_LOG_ERROR, "alg", NULL, "cannot listen for %s on %s: %s",
           secure ? "WebSocket (wss)" : "WebSocket (ws)", where, strerror(e));
    return -e;
  }
  if (su_wait_create(l->wait, l->fd, SU_WAIT_ACCEPT) < 0 ||
      (l->index = su_root_register(alg->root, l->wait, listen_cb, l, 0)) <= 0) {
    l->index = 0;
    return -EIO;
  }
  return 0;
}

int alg_ws_start(alg_t *alg)
{
  struct ws_priv *p;
  int rc, i;
  const char *lst[2] = { alg->ws_listen, alg->wss_listen };

  if (!alg->ws_listen[0] && !alg->wss_listen[0])
    return 0;
  p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  alg->ws = p;
  p->l[0].fd = p->l[1].fd = -1;
  for (i = 0; i < 2; i++) {
    if (!lst[i][0])
      continue;
    if ((rc = listen_on(alg, &p->l[i], lst[i], i == 1)) < 0)
      return rc;
    wg_log(WG_LOG_NOTICE, "alg", NULL,
           "SIP over WebSocket at %s://%s/ (subprotocol sip); demo page at %s://%s/ %s%s",
           i ? "wss" : "ws", lst[i], i ? "https" : "http", lst[i],
           alg->http_root ? "from " : "(no alg.http-root: 404)", alg->http_root ? alg->http_root : "");
  }
  p->tick = su_timer_create(su_root_task(alg->root), 1000);
  if (!p->tick || su_timer_run(p->tick, tick_cb, alg) < 0)
    return -ENOMEM;
  return alg_reg_start(alg);
}

void alg_ws_stop(alg_t *alg)
{
  struct ws_priv *p = P(alg);
  ws_conn_t *c;
  int i;
  if (!p)
    return;
  /* best effort: what nta wrote last (BYEs of the released calls) and a
   * close frame "going away" reach the clients before their sockets close */
  for (c = p->conns; c; c = c->next) {
    if (c->st != C_WS || c->dead || !c->ws)
      continue;
    if (c->bconnected && !c->beof)
      bridge_readable(c);
    ws_close_with(c, WSLAY_CODE_GOING_AWAY, "service shutting down");
    if (!c->obuf || flush_obuf(c) > 0)
      wslay_event_send(c->ws);
  }
  while (p->conns)
    conn_close(p->conns, NULL);
  for (i = 0; i < 2; i++) {
    if (p->l[i].index)
      su_root_deregister(alg->root, p->l[i].index);
    if (p->l[i].fd >= 0)
      close(p->l[i].fd);
  }
  if (p->tick)
    su_timer_destroy(p->tick);
  alg_reg_stop(alg);
  free(p);
  alg->ws = NULL;
}
