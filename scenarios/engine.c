/* engine.c -- wicsim's call engine: the WIC (SIP UAC + ICE/DTLS/SCTP/data
 * channel/MSRP through libwgmedia) and UE-B (SIP UAS + MSRP over TCP), and
 * the walk through a scenario's steps. One libuv loop, one thread.
 *
 * SIP: wicsim writes its SIP messages itself (like SIPp: a test tool must be
 * able to send exactly what a scenario says) and reads what comes with
 * Sofia-SIP's message parser; the transport is UDP on the uv loop, so every
 * message also lands in the capture. The transaction rules a UA needs are
 * here: INVITE/BYE/CANCEL retransmission (Timer A/E), ACK for non-2xx
 * (automatic) and 2xx (a step), 2xx retransmission until ACK, answers to
 * retransmitted requests, 100 Trying from UE-B, 200 to a BYE at the WIC. */
#include "config.h"
#include "scenarios/wicsim.h"
#include "agw/media/wgmedia.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#define T1_MS 500

static void call_advance(struct call *c);
static void step_fail(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void call_finish(struct call *c);
static int wic_start_media(struct call *c);
static int bind_udp(const char *ip, int *port);
static void dc_closed_cb(wgm_dc_t *dc);

static int64_t now_us(void) { return wg_time_us(); }

/* Random hex for tags, branches, ICE credentials and MSRP ids: from a pool
 * filled by getrandom(2) 256 bytes at a time. (It was an fopen of
 * /dev/urandom per id, whose stdio buffer read 4 KiB each time: ~26 opens
 * and 100 KiB of kernel ChaCha per figure call, two per MSRP message; the
 * load generator's largest avoidable cost, bench/RESULTS.md P2.) */
static void rnd_bytes(unsigned char *b, size_t n)
{
  static unsigned char pool[256];
  static size_t left = 0;
  while (n) {
    if (!left) {
      ssize_t r = getrandom(pool, sizeof pool, 0);
      if (r != (ssize_t)sizeof pool) {
        for (size_t i = 0; i < sizeof pool; i++)
          pool[i] = (unsigned char)rand();
      }
      left = sizeof pool;
    }
    size_t k = n < left ? n : left;
    memcpy(b, pool + sizeof pool - left, k);
    memset(pool + sizeof pool - left, 0, k);
    left -= k;
    b += k;
    n -= k;
  }
}

static void rnd_hex(char *out, size_t nbytes)
{
  static const char hx[] = "0123456789abcdef";
  unsigned char b[64];
  rnd_bytes(b, nbytes);
  for (size_t i = 0; i < nbytes; i++) {
    out[2 * i] = hx[b[i] >> 4];
    out[2 * i + 1] = hx[b[i] & 15];
  }
  out[2 * nbytes] = 0;
}

const char *fig_list(uint32_t fig, char *buf, size_t len)
{
  size_t w = 0;
  buf[0] = 0;
  for (int i = 1; i <= SCN_MAX_FIG; i++) {
    if (!(fig & (1u << i)))
      continue;
    int j = i;
    while (j + 1 <= SCN_MAX_FIG && (fig & (1u << (j + 1))))
      j++;
    int n = j > i ? snprintf(buf + w, len - w, "%s%d-%d", w ? "," : "", i, j)
                  : snprintf(buf + w, len - w, "%s%d", w ? "," : "", i);
    if (n < 0 || (size_t)n >= len - w)
      break;
    w += (size_t)n;
    i = j;
  }
  return buf;
}

static int sa_port(const struct sockaddr_storage *ss)
{
  if (ss->ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
  if (ss->ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
  return 0;
}

/* ------------------------------------------------------------ variables */

static const char *lookup(void *ctx, const char *name)
{
  struct call *c = ctx;
  struct sim *s = c->sim;
  char *nb = c->numbuf[0];
  /* rotate the number buffers so that several numbers live in one expansion */
  static int rot;
  rot = (rot + 1) % 8;
  nb = c->numbuf[rot];
  if (!strcmp(name, "wic.ip") || !strcmp(name, "ueb.ip"))
    return s->ip;
  if (!strcmp(name, "wic.port")) {
    snprintf(nb, 160, "%d", c->wic_port);
    return nb;
  }
  if (!strcmp(name, "wic.port.2")) {
    if (c->wic_fd2 < 0 && !c->wic_port2) {
      int fd = bind_udp(s->ip, &c->wic_port2);
      if (fd < 0)
        return NULL;
      c->wic_fd2 = fd;
    }
    snprintf(nb, 160, "%d", c->wic_port2);
    return nb;
  }
  if (!strcmp(name, "wic.sip-port")) {
    snprintf(nb, 160, "%d", sa_port(&s->wic_sip_addr));
    return nb;
  }
  if (!strcmp(name, "ueb.sip-port")) {
    snprintf(nb, 160, "%d", sa_port(&s->ueb_sip_addr));
    return nb;
  }
  if (!strcmp(name, "ueb.port")) {
    snprintf(nb, 160, "%d", c->ueb_port);
    return nb;
  }
  if (!strcmp(name, "ueb.port.2")) {
    snprintf(nb, 160, "%d", c->ueb_port2);
    return nb;
  }
  if (!strcmp(name, "wic.fingerprint"))
    return c->wic_fp;
  if (!strcmp(name, "bad.fingerprint"))
    return c->bad_fp;
  if (!strcmp(name, "wic.ufrag"))
    return c->wic_ufrag;
  if (!strcmp(name, "wic.pwd"))
    return c->wic_pwd;
  if (!strcmp(name, "wic.path"))
    return c->wic_path;
  if (!strcmp(name, "wic.path.2"))
    return c->wic_path2;
  if (!strcmp(name, "ueb.path"))
    return c->ueb_path;
  if (!strcmp(name, "ueb.path.2"))
    return c->ueb_path2;
  if (!strcmp(name, "wic.sess") || !strcmp(name, "ueb.sess"))
    return c->sess;
  if (!strcmp(name, "rand"))
    return c->rnd;
  if (!strcmp(name, "call-id"))
    return c->call_id;
  if (!strcmp(name, "wic.uri")) {
    snprintf(nb, 160, "sip:wic-a@%s", s->ip);
    return nb;
  }
  if (!strcmp(name, "ueb.uri")) {
    snprintf(nb, 160, "sip:ue-b@%s:%d", s->ip, sa_port(&s->ueb_sip_addr));
    return nb;
  }
  if (!strcmp(name, "target"))
    return wg_format_addr((const struct sockaddr *)&s->target, nb, 160);
  if (!strncmp(name, "agw.", 4) || !strcmp(name, "dc.id")) {
    /* the WIC as callee: values of the data-channel offer it received
     * (empty before the INVITE came) */
    static const struct { const char *var, *prefix; } m[] = {
      { "agw.port", "m=application " }, { "agw.ufrag", "a=ice-ufrag:" },
      { "agw.pwd", "a=ice-pwd:" },       { "agw.fingerprint", "a=fingerprint:" },
      { "agw.sctp-port", "a=sctp-port:" }, { "agw.max-message-size", "a=max-message-size:" },
      { "dc.id", "a=dcmap:" },
    };
    nb[0] = 0;
    const char *o = c->callee ? c->wic_answer : NULL;
    if (o && !strcmp(name, "agw.ip")) {
      if (scn_sdp_get(o, "c=IN IP4 ", nb, 160) != 0)
        scn_sdp_get(o, "c=IN IP6 ", nb, 160);
    }
    for (size_t i = 0; o && i < sizeof m / sizeof m[0]; i++)
      if (!strcmp(name, m[i].var) && scn_sdp_get(o, m[i].prefix, nb, 160) == 0 &&
          (!strcmp(name, "agw.port") || !strcmp(name, "dc.id")))
        nb[strcspn(nb, " ")] = 0; /* the first word: port / stream id */
    return nb;
  }
  for (size_t i = 0; i < s->scn->nvars; i++)
    if (!strcmp(s->scn->vars[i].name, name))
      return s->scn->vars[i].value;
  return NULL;
}

/* Expand with no call (the daemon's arguments): only the run's addresses
 * and ports mean something. Returns a malloc'd string or NULL (err set). */
char *sim_expand(struct sim *s, const char *t, char *err, size_t errlen)
{
  struct call *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->sim = s;
  char *out = NULL, e2[256];
  if (scn_expand(t, lookup, c, &out, e2, sizeof e2) != 0)
    snprintf(err, errlen, "daemon %s: %s", t, e2);
  free(c);
  return out;
}

static char *expand(struct call *c, const char *t)
{
  char *out = NULL, err[256];
  if (scn_expand(t, lookup, c, &out, err, sizeof err) != 0) {
    step_fail(c, "cannot expand \"%s\": %s", t, err);
    return NULL;
  }
  return out;
}

/* -------------------------------------------------------------- rows */

size_t call_add_row(struct call *c, int64_t t_us, int from, int to, uint32_t fig, int traffic,
                    int auto_, const char *fmt, ...)
{
  if (c->nrows == c->caprows) {
    size_t cap = c->caprows ? c->caprows * 2 : 64;
    struct row *r = realloc(c->rows, cap * sizeof *r);
    if (!r)
      return 0;
    c->rows = r;
    c->caprows = cap;
  }
  struct row *r = &c->rows[c->nrows++];
  memset(r, 0, sizeof *r);
  r->t_us = t_us;
  r->from = from;
  r->to = to;
  r->fig = fig;
  r->traffic = traffic;
  r->auto_ = auto_;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->label, sizeof r->label, fmt, ap);
  va_end(ap);
  return c->nrows; /* index + 1 */
}


/* ------------------------------------------------------------- inboxes */

static int role_idx(enum scn_role r) { return r == SCN_ROLE_UEB ? 1 : r == SCN_ROLE_H248 ? 2 : 0; }

static void ev_free(struct ev *e)
{
  if (!e)
    return;
  free(e->text);
  free(e);
}

static void push_ev(struct call *c, enum scn_role role, struct ev *e)
{
  /* append at the kept end: a walk from the head made each push O(n), and
   * a stream of N MSRP messages O(N^2) (the WIC's 200s pile up while UE-B's
   * step runs) */
  int i = role_idx(role);
  if (!c->inbox_end[i])
    c->inbox_end[i] = &c->inbox[i];
  e->next = NULL;
  *c->inbox_end[i] = e;
  c->inbox_end[i] = &e->next;
  call_advance(c);
}

static struct ev *new_ev(enum ev_kind k)
{
  struct ev *e = calloc(1, sizeof *e);
  if (e) {
    e->kind = k;
    e->t_us = now_us();
  }
  return e;
}

static void push_simple(struct call *c, enum scn_role role, enum ev_kind k, int num, size_t row)
{
  struct ev *e = new_ev(k);
  if (!e)
    return;
  e->num = num;
  e->row = row;
  push_ev(c, role, e);
}

/* ------------------------------------------------------------ SIP text */

/* Raw header values named `name` (or its compact form) from a SIP/MSRP
 * head. Calls fn for each value; stops at the blank line. */
static int hdr_each(const char *msg, const char *name, const char *compact,
                    int (*fn)(const char *v, size_t n, void *ctx), void *ctx)
{
  const char *p = strstr(msg, "\r\n");
  if (!p)
    return 0;
  p += 2;
  size_t nl = strlen(name);
  while (*p && !(p[0] == '\r' && p[1] == '\n')) {
    const char *e = strstr(p, "\r\n");
    if (!e)
      e = p + strlen(p);
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (colon) {
      size_t hn = (size_t)(colon - p);
      while (hn && (p[hn - 1] == ' ' || p[hn - 1] == '\t'))
        hn--;
      if ((hn == nl && strncasecmp(p, name, nl) == 0) ||
          (compact && hn == strlen(compact) && strncasecmp(p, compact, hn) == 0)) {
        const char *v = colon + 1;
        while (v < e && (*v == ' ' || *v == '\t'))
          v++;
        int r = fn(v, (size_t)(e - v), ctx);
        if (r)
          return r;
      }
    }
    if (!*e)
      break;
    p = e + 2;
  }
  return 0;
}

static const char *compact_of(const char *name)
{
  static const char *const tab[][2] = { { "Via", "v" },         { "From", "f" },
                                        { "To", "t" },          { "Call-ID", "i" },
                                        { "Contact", "m" },     { "Content-Length", "l" },
                                        { "Content-Type", "c" }, { "Supported", "k" },
                                        { "Subject", "s" },     { NULL, NULL } };
  for (int i = 0; tab[i][0]; i++)
    if (strcasecmp(tab[i][0], name) == 0)
      return tab[i][1];
  return NULL;
}

struct sb {
  char *p;
  size_t n, cap;
};

static void sb_addn(struct sb *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 512;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q)
      return;
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
  char tmp[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof tmp) {
    char *big = malloc((size_t)n + 1);
    if (!big)
      return;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_addn(b, big, (size_t)n);
    free(big);
    return;
  }
  sb_addn(b, tmp, (size_t)n);
}

struct copy_ctx {
  struct sb *b;
  const char *name;
  char *first;
  size_t firstlen;
};

static int copy_cb(const char *v, size_t n, void *vctx)
{
  struct copy_ctx *cc = vctx;
  sb_printf(cc->b, "%s: %.*s\r\n", cc->name, (int)n, v);
  return 0;
}

static void copy_hdrs(struct sb *b, const char *msg, const char *name)
{
  struct copy_ctx cc = { b, name, NULL, 0 };
  hdr_each(msg, name, compact_of(name), copy_cb, &cc);
}

static int first_cb(const char *v, size_t n, void *vctx)
{
  struct copy_ctx *cc = vctx;
  if (n >= cc->firstlen)
    n = cc->firstlen - 1;
  memcpy(cc->first, v, n);
  cc->first[n] = 0;
  return 1;
}

static int hdr_get(const char *msg, const char *name, char *buf, size_t len)
{
  struct copy_ctx cc = { NULL, name, buf, len };
  buf[0] = 0;
  return hdr_each(msg, name, compact_of(name), first_cb, &cc) ? 0 : -ENOENT;
}

/* Route set: the Record-Route values (split at commas outside <>), in order
 * or reversed, as "Route: v\r\n" lines. */
struct rr_ctx {
  char *v[32];
  int n;
};

static int rr_cb(const char *v, size_t n, void *vctx)
{
  struct rr_ctx *r = vctx;
  size_t i = 0, start = 0;
  int in = 0;
  for (; i <= n; i++) {
    if (i == n || (v[i] == ',' && !in)) {
      size_t a = start, e = i;
      while (a < e && (v[a] == ' ' || v[a] == '\t'))
        a++;
      while (e > a && (v[e - 1] == ' ' || v[e - 1] == '\t'))
        e--;
      if (e > a && r->n < 32)
        r->v[r->n++] = strndup(v + a, e - a);
      start = i + 1;
    } else if (v[i] == '<')
      in = 1;
    else if (v[i] == '>')
      in = 0;
  }
  return 0;
}

static char *route_set(const char *msg, int reverse)
{
  struct rr_ctx r = { { 0 }, 0 };
  hdr_each(msg, "Record-Route", NULL, rr_cb, &r);
  if (!r.n)
    return NULL;
  struct sb b = { 0 };
  for (int i = 0; i < r.n; i++) {
    int k = reverse ? r.n - 1 - i : i;
    sb_printf(&b, "Route: %s\r\n", r.v[k]);
  }
  for (int i = 0; i < r.n; i++)
    free(r.v[i]);
  return b.p;
}

static const char *reason_of(int code)
{
  switch (code) {
  case 100: return "Trying";
  case 180: return "Ringing";
  case 183: return "Session Progress";
  case 200: return "OK";
  case 400: return "Bad Request";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 408: return "Request Timeout";
  case 480: return "Temporarily Unavailable";
  case 481: return "Call/Transaction Does Not Exist";
  case 486: return "Busy Here";
  case 487: return "Request Terminated";
  case 488: return "Not Acceptable Here";
  case 500: return "Server Internal Error";
  case 503: return "Service Unavailable";
  case 603: return "Decline";
  default: return code < 300 ? "OK" : "Error";
  }
}

/* Summary of an SDP for a ladder label: "SDP UDP/DTLS/SCTP" etc. */
static void sdp_summary(const char *sdp, char *buf, size_t len)
{
  char m[256];
  buf[0] = 0;
  if (!sdp || !*sdp)
    return;
  if (scn_sdp_get(sdp, "m=", m, sizeof m) == 0) {
    /* media port proto fmt -> proto */
    char media[32] = "", proto[64] = "";
    int port = 0;
    sscanf(m, "%31s %d %63s", media, &port, proto);
    int nm = 0;
    char tmp[256];
    while (scn_sdp_get_nth(sdp, "m=", nm, tmp, sizeof tmp) == 0)
      nm++;
    snprintf(buf, len, " (SDP %s%s)", proto, nm > 1 ? " x2" : "");
  } else {
    snprintf(buf, len, " (SDP)");
  }
}

/* ----------------------------------------------------------- SIP send */

static void udp_sent(uv_udp_send_t *req, int status)
{
  free(req->data);
  free(req);
}

static int sip_send(struct sim *s, uv_udp_t *h, const struct sockaddr_storage *from,
                    const struct sockaddr *to, const char *msg, size_t len)
{
  uv_udp_send_t *req = malloc(sizeof *req);
  char *copy = malloc(len);
  if (!req || !copy) {
    free(req);
    free(copy);
    return -ENOMEM;
  }
  memcpy(copy, msg, len);
  req->data = copy;
  uv_buf_t b = uv_buf_init(copy, (unsigned)len);
  /* time and capture before the send: the peer may answer (and record its
   * answer) before this process runs again */
  s->last_send_us = wg_time_us();
  if (s->pcap)
    wg_pcap_udp(s->pcap, (const struct sockaddr *)from, to, msg, len);
  int r = uv_udp_send(req, h, &b, 1, to, udp_sent);
  if (r) {
    free(copy);
    free(req);
    return r;
  }
  return 0;
}

static int wic_send_raw(struct call *c, const char *msg)
{
  struct sim *s = c->sim;
  return sip_send(s, &s->wic_sip, &s->wic_sip_addr, (const struct sockaddr *)&s->target, msg,
                  strlen(msg));
}

/* UE-B also takes SIP over TCP on its port (a proxy sends a request over
 * TCP when it is larger than the UDP MTU, RFC 3261 18.1.1); what comes on
 * a connection is answered on it. */
struct sipconn {
  uv_tcp_t h;
  struct sim *sim;
  struct sipconn *next;
  char *buf;
  size_t len, cap;
  struct sockaddr_storage peer;
  int closing;
};

static void conn_write_done(uv_write_t *w, int status)
{
  free(w->data);
  free(w);
}

static int conn_send(struct sipconn *k, const char *msg, size_t len)
{
  if (k->closing)
    return -ENOTCONN;
  uv_write_t *w = malloc(sizeof *w);
  char *copy = malloc(len);
  if (!w || !copy) {
    free(w);
    free(copy);
    return -ENOMEM;
  }
  memcpy(copy, msg, len);
  w->data = copy;
  uv_buf_t b = uv_buf_init(copy, (unsigned)len);
  k->sim->last_send_us = wg_time_us();
  if (k->sim->pcap)
    wg_pcap_tcp(k->sim->pcap, (const struct sockaddr *)&k->sim->ueb_sip_addr,
                (const struct sockaddr *)&k->peer, msg, len);
  int r = uv_write(w, (uv_stream_t *)&k->h, &b, 1, conn_write_done);
  if (r) {
    free(copy);
    free(w);
    return r;
  }
  return 0;
}

static int ueb_send_raw(struct call *c, const char *msg)
{
  struct sim *s = c->sim;
  if (c->ueb_conn)
    return conn_send(c->ueb_conn, msg, strlen(msg));
  return sip_send(s, &s->ueb_sip, &s->ueb_sip_addr, (const struct sockaddr *)&c->ueb_peer, msg,
                  strlen(msg));
}

static void rtx_stop(uv_timer_t *t, int *live)
{
  if (*live)
    uv_timer_stop(t);
}

static void wic_rtx_cb(uv_timer_t *t)
{
  struct call *c = t->data;
  if (!c->wic_last_req || c->wic_rtx_n >= 6) /* ~32 s with doubling */
    return;
  c->wic_rtx_n++;
  wic_send_raw(c, c->wic_last_req);
  uint64_t next = (uint64_t)T1_MS << c->wic_rtx_n;
  if (next > 4000)
    next = 4000;
  uv_timer_start(&c->wic_rtx, wic_rtx_cb, next, 0);
}

static void wic_track(struct call *c, const char *msg)
{
  free(c->wic_last_req);
  c->wic_last_req = strdup(msg);
  c->wic_rtx_n = 0;
  uv_timer_start(&c->wic_rtx, wic_rtx_cb, T1_MS, 0);
}

static const char *extra_headers(struct call *c, const struct scn_step *st, struct sb *b)
{
  for (size_t i = 0; st && i < st->nheaders; i++) {
    char *h = expand(c, st->headers[i]);
    if (!h)
      return NULL;
    sb_printf(b, "%s\r\n", h);
    free(h);
  }
  return "";
}

/* Ends a SIP message in b: the step's extra headers (st may be NULL), then
 * the SDP body with its Content-Type/Length, or Content-Length: 0. Returns 0;
 * on failure frees b->p and returns -EINVAL (an extra header did not expand)
 * or -ENOMEM. */
static int sip_finish(struct call *c, const struct scn_step *st, struct sb *b, const char *body)
{
  if (!extra_headers(c, st, b)) {
    free(b->p);
    b->p = NULL;
    return -EINVAL;
  }
  if (body)
    sb_printf(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", strlen(body),
              body);
  else
    sb_printf(b, "Content-Length: 0\r\n\r\n");
  return b->p ? 0 : -ENOMEM;
}

static int wic_send_request(struct call *c, const struct scn_step *st, const char *method)
{
  struct sim *s = c->sim;
  char via[256], fromto[512], body_sum[96] = "";
  char *body = NULL;
  if (st && st->sdp) {
    body = expand(c, scn_find_tmpl(s->scn, st->sdp)->text);
    if (!body)
      return -EINVAL;
  }
  struct sb b = { 0 };
  char branch[40];
  rnd_hex(branch, 8);
  int sip_port = sa_port(&s->wic_sip_addr);
  int is_invite = !strcmp(method, "INVITE");
  int is_cancel = !strcmp(method, "CANCEL");
  int is_ack = !strcmp(method, "ACK");
  if (is_invite && c->wic_remote_tag[0] == 0 && !c->wic_got_final) {
    snprintf(c->wic_branch, sizeof c->wic_branch, "z9hG4bK%s", branch);
    c->wic_invite_cseq = ++c->wic_cseq;
  }
  int reinvite = is_invite && c->wic_remote_tag[0];
  const char *br = is_cancel ? c->wic_branch : NULL;
  char newbr[64];
  snprintf(newbr, sizeof newbr, "z9hG4bK%s", branch);
  if (is_invite && !c->wic_remote_tag[0])
    br = c->wic_branch;
  snprintf(via, sizeof via, "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n", s->ip, sip_port,
           br ? br : newbr);
  int in_dialog = c->wic_remote_tag[0] && !is_cancel;
  snprintf(fromto, sizeof fromto, "From: <sip:wic-a@%s>;tag=%s\r\nTo: <%s>%s%s\r\n", s->ip,
           c->wic_tag, c->wic_ruri, in_dialog ? ";tag=" : "", in_dialog ? c->wic_remote_tag : "");
  uint32_t cseq = (is_cancel || is_ack) ? c->wic_invite_cseq : is_invite && !in_dialog
                                                                 ? c->wic_invite_cseq
                                                                 : ++c->wic_cseq;
  if (reinvite) {
    /* a re-INVITE: a new INVITE transaction in the dialog (its ACK, its
     * final response) */
    c->wic_invite_cseq = cseq;
    snprintf(c->wic_branch, sizeof c->wic_branch, "%s", newbr);
    c->wic_got_final = 0;
  }
  const char *ruri = in_dialog && c->wic_remote_target[0] ? c->wic_remote_target : c->wic_ruri;
  sb_printf(&b, "%s %s SIP/2.0\r\n%s", method, ruri, via);
  if (in_dialog && c->wic_routes)
    sb_printf(&b, "%s", c->wic_routes);
  sb_printf(&b, "Max-Forwards: 70\r\n%sCall-ID: %s\r\nCSeq: %u %s\r\n", fromto, c->call_id,
            cseq, method);
  if (is_invite)
    sb_printf(&b, "Contact: <sip:wic-a@%s:%d>\r\n", s->ip, sip_port);
  sb_printf(&b, "User-Agent: wicsim/" PACKAGE_VERSION "\r\n");
  int fr = sip_finish(c, st, &b, body);
  if (fr < 0) {
    free(body);
    return fr;
  }
  if (is_invite && body)
    snprintf(c->wic_invite_body, sizeof c->wic_invite_body, "%s", body);
  sdp_summary(body, body_sum, sizeof body_sum);
  int r = wic_send_raw(c, b.p);
  if (r == 0) {
    call_add_row(c, s->last_send_us, L_WIC, L_ALG, st ? st->fig : 0, 0, st == NULL, "%s%s",
                 method, body_sum);
    if (is_ack) {
      free(c->wic_ack);
      c->wic_ack = b.p;
      b.p = NULL;
    } else {
      wic_track(c, b.p);
    }
    if (is_invite && !c->marks.invite)
      c->marks.invite = now_us();
    if (!strcmp(method, "BYE"))
      c->wic_bye_sent = 1;
  }
  free(b.p);
  free(body);
  return r;
}

/* ACK for a non-2xx final response: same branch as the INVITE, To from the
 * response (RFC 3261 17.1.1.3). */
static void wic_ack_non2xx(struct call *c, const char *resp)
{
  struct sim *s = c->sim;
  char to[512];
  if (hdr_get(resp, "To", to, sizeof to))
    return;
  struct sb b = { 0 };
  sb_printf(&b,
            "ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\r\nMax-Forwards: 70\r\n"
            "From: <sip:wic-a@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u ACK\r\n"
            "Content-Length: 0\r\n\r\n",
            c->wic_ruri, s->ip, sa_port(&s->wic_sip_addr), c->wic_branch, s->ip, c->wic_tag, to,
            c->call_id, c->wic_invite_cseq);
  if (b.p && wic_send_raw(c, b.p) == 0) {
    if (!c->wic_ack)
      call_add_row(c, now_us(), L_WIC, L_ALG, 0, 0, 1, "ACK");
    free(c->wic_ack);
    c->wic_ack = b.p;
    return;
  }
  free(b.p);
}

/* A response built from a received request (UAS). */
static char *build_response(struct call *c, const char *req, int code, const char *tag,
                            const char *body, const struct scn_step *st, int with_contact)
{
  struct sim *s = c->sim;
  struct sb b = { 0 };
  char to[512];
  sb_printf(&b, "SIP/2.0 %d %s\r\n", code, reason_of(code));
  copy_hdrs(&b, req, "Via");
  if (with_contact)
    copy_hdrs(&b, req, "Record-Route");
  copy_hdrs(&b, req, "From");
  hdr_get(req, "To", to, sizeof to);
  if (code > 100 && tag && !strstr(to, ";tag="))
    sb_printf(&b, "To: %s;tag=%s\r\n", to, tag);
  else
    sb_printf(&b, "To: %s\r\n", to);
  copy_hdrs(&b, req, "Call-ID");
  copy_hdrs(&b, req, "CSeq");
  if (with_contact == 2)
    sb_printf(&b, "Contact: <sip:wic-a@%s:%d>\r\n", s->ip, sa_port(&s->wic_sip_addr));
  else if (with_contact)
    sb_printf(&b, "Contact: <sip:ue-b@%s:%d>\r\n", s->ip, sa_port(&s->ueb_sip_addr));
  sb_printf(&b, "Server: wicsim/" PACKAGE_VERSION "\r\n");
  sip_finish(c, st, &b, body);
  return b.p;
}

static int req_slot(const char *method)
{
  if (!strcmp(method, "INVITE"))
    return 0;
  if (!strcmp(method, "BYE"))
    return 1;
  if (!strcmp(method, "CANCEL"))
    return 2;
  return 3;
}

static void ueb_rtx_cb(uv_timer_t *t)
{
  struct call *c = t->data;
  if (c->ueb_acked || !c->ueb_2xx || c->ueb_rtx_n >= 7)
    return;
  c->ueb_rtx_n++;
  ueb_send_raw(c, c->ueb_2xx);
  uint64_t next = (uint64_t)T1_MS << c->ueb_rtx_n;
  if (next > 4000)
    next = 4000;
  uv_timer_start(&c->ueb_rtx, ueb_rtx_cb, next, 0);
}

static void ueb_bye_rtx_cb(uv_timer_t *t)
{
  struct call *c = t->data;
  if (!c->ueb_bye || c->ueb_rtx_n >= 6)
    return;
  c->ueb_rtx_n++;
  ueb_send_raw(c, c->ueb_bye);
  uv_timer_start(&c->ueb_rtx, ueb_bye_rtx_cb, (uint64_t)T1_MS << c->ueb_rtx_n, 0);
}

static int ueb_send_response(struct call *c, const struct scn_step *st)
{
  const char *method = st->to;
  int slot = -1;
  if (method) {
    slot = req_slot(method);
  } else {
    /* the latest request without a final response, else the latest one */
    unsigned best = 0, any = 0;
    for (int i = 0; i < 4; i++) {
      if (!c->ueb_last_req[i])
        continue;
      if (!c->ueb_final[i] && c->ueb_req_seq[i] > best) {
        best = c->ueb_req_seq[i];
        slot = i;
      }
      if (c->ueb_req_seq[i] > any && slot < 0)
        any = c->ueb_req_seq[i];
    }
    if (slot < 0)
      for (int i = 0; i < 4; i++)
        if (c->ueb_last_req[i] && c->ueb_req_seq[i] == any)
          slot = i;
  }
  if (slot < 0 || !c->ueb_last_req[slot]) {
    step_fail(c, "UE-B send %d: no %s request received to answer", st->code,
              method ? method : "");
    return -ENOENT;
  }
  const char *req = c->ueb_last_req[slot];
  char *body = NULL;
  if (st->sdp) {
    body = expand(c, scn_find_tmpl(c->sim->scn, st->sdp)->text);
    if (!body)
      return -EINVAL;
  }
  char ftag[96];
  snprintf(ftag, sizeof ftag, "%s%s%s", c->ueb_tag, st->tag ? "-" : "", st->tag ? st->tag : "");
  char *resp = build_response(c, req, st->code, ftag, body, st, slot == 0);
  if (!resp) {
    free(body);
    return -ENOMEM;
  }
  char sum[96] = "";
  sdp_summary(body, sum, sizeof sum);
  int r = ueb_send_raw(c, resp);
  if (r == 0) {
    call_add_row(c, c->sim->last_send_us, L_UEB, L_ALG, st->fig, 0, 0, "%d %s%s", st->code,
                 reason_of(st->code), sum);
    if (slot == 0 && st->code >= 200) {
      free(c->ueb_2xx);
      c->ueb_2xx = strdup(resp);
      c->ueb_rtx_n = 0;
      c->ueb_acked = 0;
      uv_timer_start(&c->ueb_rtx, ueb_rtx_cb, T1_MS, 0);
    }
  }
  free(c->ueb_last_resp[slot]);
  c->ueb_last_resp[slot] = resp;
  if (st->code >= 200)
    c->ueb_final[slot] = 1;
  if (body && slot == 0) {
    free(c->ueb_answer);
    c->ueb_answer = body;
    body = NULL;
  }
  free(body);
  return r;
}

/* The head of a request UE-B sends in its dialog, up to CSeq: request line
 * to the remote target, Via, the route set, From (UE-B, tagged) and To.
 * When UE-B's own INVITE or re-INVITE got a 2xx, that response names the
 * dialog's ends as UE-B sent them; else the INVITE UE-B received does,
 * reversed. */
static void ueb_dialog_head(struct call *c, struct sb *b, const char *method, const char *branch,
                            unsigned cseq)
{
  char local[512], remote[512];
  if (c->ueb_2xx_resp) {
    hdr_get(c->ueb_2xx_resp, "From", local, sizeof local);
    hdr_get(c->ueb_2xx_resp, "To", remote, sizeof remote);
  } else {
    hdr_get(c->ueb_invite, "To", local, sizeof local);
    hdr_get(c->ueb_invite, "From", remote, sizeof remote);
  }
  int tagged = strstr(local, ";tag=") != NULL;
  sb_printf(b,
            "%s %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%d;branch=%s;rport\r\n%s"
            "Max-Forwards: 70\r\nFrom: %s%s%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n",
            method, c->ueb_remote_target, c->ueb_conn ? "TCP" : "UDP", c->sim->ip,
            sa_port(&c->sim->ueb_sip_addr), branch, c->ueb_routes ? c->ueb_routes : "", local,
            tagged ? "" : ";tag=", tagged ? "" : c->ueb_tag, remote, c->call_id, cseq, method);
}

static int ueb_send_bye(struct call *c, const struct scn_step *st)
{
  struct sim *s = c->sim;
  if (!c->ueb_invite && !c->ueb_2xx_resp) {
    step_fail(c, "UE-B send BYE: there is no dialog (no INVITE received, no 2xx to its own)");
    return -ENOENT;
  }
  char branch[40] = "z9hG4bK";
  rnd_hex(branch + 7, 8);
  struct sb b = { 0 };
  ueb_dialog_head(c, &b, "BYE", branch, ++c->ueb_cseq);
  sb_printf(&b, "User-Agent: wicsim/" PACKAGE_VERSION "\r\n");
  int fr = sip_finish(c, st, &b, NULL);
  if (fr < 0)
    return fr;
  int r = ueb_send_raw(c, b.p);
  if (r == 0) {
    call_add_row(c, s->last_send_us, L_UEB, L_ALG, st->fig, 0, 0, "BYE");
    free(c->ueb_bye);
    c->ueb_bye = b.p;
    c->ueb_rtx_n = 0;
    uv_timer_start(&c->ueb_rtx, ueb_bye_rtx_cb, T1_MS, 0);
    return 0;
  }
  free(b.p);
  return r;
}

/* UE-B as the caller (the mirror flow, digest 7.1): its INVITE goes to the
 * eP-CSCF with the WIC's address as Request-URI (the ALG routes requests
 * from its next hop by Request-URI). */
static void ueb_inv_rtx_cb(uv_timer_t *t)
{
  struct call *c = t->data;
  if (!c->ueb_inv_req || c->ueb_rtx_n >= 6)
    return;
  c->ueb_rtx_n++;
  ueb_send_raw(c, c->ueb_inv_req);
  uint64_t next = (uint64_t)T1_MS << c->ueb_rtx_n;
  uv_timer_start(&c->ueb_rtx, ueb_inv_rtx_cb, next > 4000 ? 4000 : next, 0);
}

/* UE-B's re-INVITE in the dialog it was called in (the WIC called): a new
 * INVITE transaction to the remote target through the route set. */
static int ueb_send_reinvite(struct call *c, const struct scn_step *st)
{
  struct sim *s = c->sim;
  char branch[40];
  if (c->callee ? !c->ueb_ack : !c->ueb_acked) {
    step_fail(c, "UE-B send INVITE: its dialog is not confirmed yet (no ACK)");
    return -EINVAL;
  }
  char *body = NULL;
  if (st->sdp) {
    body = expand(c, scn_find_tmpl(s->scn, st->sdp)->text);
    if (!body)
      return -EINVAL;
  }
  rnd_hex(branch, 8);
  snprintf(c->ueb_branch, sizeof c->ueb_branch, "z9hG4bK%s", branch);
  c->ueb_invite_cseq = ++c->ueb_cseq;
  struct sb b = { 0 };
  ueb_dialog_head(c, &b, "INVITE", c->ueb_branch, c->ueb_invite_cseq);
  sb_printf(&b, "Contact: <sip:ue-b@%s:%d>\r\nUser-Agent: wicsim/" PACKAGE_VERSION "\r\n",
            s->ip, sa_port(&s->ueb_sip_addr));
  int fr = sip_finish(c, st, &b, body);
  if (fr < 0) {
    free(body);
    return fr;
  }
  char sum[96] = "";
  sdp_summary(body, sum, sizeof sum);
  int r = ueb_send_raw(c, b.p);
  if (r == 0) {
    call_add_row(c, s->last_send_us, L_UEB, L_ALG, st->fig, 0, 0, "INVITE%s (re-INVITE)", sum);
    free(c->ueb_inv_req);
    c->ueb_inv_req = b.p;
    b.p = NULL;
    c->ueb_reinv = 1;
    c->ueb_got_final = 0;
    c->ueb_rtx_n = 0;
    uv_timer_start(&c->ueb_rtx, ueb_inv_rtx_cb, T1_MS, 0);
    if (body) {
      free(c->ueb_answer); /* UE-B's own SDP from now on */
      c->ueb_answer = body;
      body = NULL;
    }
  }
  free(b.p);
  free(body);
  return r;
}

static int ueb_send_invite(struct call *c, const struct scn_step *st)
{
  struct sim *s = c->sim;
  if ((c->ueb_invite && !c->callee) || (c->callee && c->ueb_2xx_resp))
    return ueb_send_reinvite(c, st);
  if (c->ueb_invite || c->ueb_branch[0]) {
    step_fail(c, "UE-B send INVITE: UE-B already has a call (re-INVITE is not supported)");
    return -EINVAL;
  }
  char *body = NULL;
  if (st->sdp) {
    body = expand(c, scn_find_tmpl(s->scn, st->sdp)->text);
    if (!body)
      return -EINVAL;
  }
  char branch[40];
  rnd_hex(branch, 8);
  snprintf(c->ueb_branch, sizeof c->ueb_branch, "z9hG4bK%s", branch);
  c->ueb_invite_cseq = ++c->ueb_cseq;
  int port = sa_port(&s->ueb_sip_addr);
  struct sb b = { 0 };
  sb_printf(&b,
            "INVITE sip:wic-a@%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:ue-b@%s:%d>;tag=%s\r\nTo: <sip:wic-a@%s>\r\n"
            "Call-ID: %s\r\nCSeq: %u INVITE\r\nContact: <sip:ue-b@%s:%d>\r\n"
            "User-Agent: wicsim/" PACKAGE_VERSION "\r\n",
            s->ip, sa_port(&s->wic_sip_addr), s->ip, port, c->ueb_branch, s->ip, port, c->ueb_tag,
            s->ip, c->call_id, c->ueb_invite_cseq, s->ip, port);
  int fr = sip_finish(c, st, &b, body);
  if (fr < 0) {
    free(body);
    return fr;
  }
  c->callee = 1;
  c->ueb_conn = NULL;
  memcpy(&c->ueb_peer, &s->target, sizeof c->ueb_peer);
  char sum[96] = "";
  sdp_summary(body, sum, sizeof sum);
  int r = ueb_send_raw(c, b.p);
  if (r == 0) {
    call_add_row(c, s->last_send_us, L_UEB, L_ALG, st->fig, 0, 0, "INVITE%s", sum);
    free(c->ueb_inv_req);
    c->ueb_inv_req = b.p;
    b.p = NULL;
    c->ueb_rtx_n = 0;
    uv_timer_start(&c->ueb_rtx, ueb_inv_rtx_cb, T1_MS, 0);
    if (!c->marks.invite)
      c->marks.invite = now_us();
    /* UE-B's own SDP: its MSRP paths (ueb_path_of) come from here */
    free(c->ueb_answer);
    c->ueb_answer = body;
    body = NULL;
  }
  free(b.p);
  free(body);
  return r;
}

/* UE-B's ACK: for a 2xx a new transaction to the remote target through the
 * route set; for a non-2xx the INVITE's branch and the response's To. */
static int ueb_send_ack(struct call *c, const struct scn_step *st, const char *non2xx)
{
  struct sim *s = c->sim;
  if (!non2xx && !c->ueb_2xx_resp) {
    step_fail(c, "UE-B send ACK: no 2xx answer to its INVITE to acknowledge");
    return -ENOENT;
  }
  char from[512], to[512], branch[40];
  const char *resp = non2xx ? non2xx : c->ueb_2xx_resp;
  hdr_get(resp, "From", from, sizeof from);
  hdr_get(resp, "To", to, sizeof to);
  rnd_hex(branch, 8);
  int port = sa_port(&s->ueb_sip_addr);
  struct sb b = { 0 };
  if (non2xx)
    sb_printf(&b, "ACK sip:wic-a@%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n", s->ip,
              sa_port(&s->wic_sip_addr), s->ip, port, c->ueb_branch);
  else
    sb_printf(&b, "ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n%s",
              c->ueb_remote_target, s->ip, port, branch, c->ueb_routes ? c->ueb_routes : "");
  sb_printf(&b,
            "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u ACK\r\n",
            from, to, c->call_id, c->ueb_invite_cseq);
  int fr = sip_finish(c, st, &b, NULL);
  if (fr < 0)
    return fr;
  int r = ueb_send_raw(c, b.p);
  if (r == 0) {
    if (!c->ueb_ack || st)
      call_add_row(c, s->last_send_us, L_UEB, L_ALG, st ? st->fig : 0, 0, st == NULL, "ACK");
    free(c->ueb_ack);
    c->ueb_ack = b.p;
    return 0;
  }
  free(b.p);
  return r;
}

/* The WIC as callee answers the INVITE it received. A final response is
 * retransmitted until the ACK comes; its SDP is the WIC's own SDP from then
 * on (paths, sctp-port, DTLS role). */
static int wic_send_response(struct call *c, const struct scn_step *st)
{
  struct sim *s = c->sim;
  if (!c->wic_inv_req) {
    step_fail(c, "WIC send %d: the WIC received no INVITE to answer", st->code);
    return -ENOENT;
  }
  char *body = NULL;
  if (st->sdp) {
    body = expand(c, scn_find_tmpl(s->scn, st->sdp)->text);
    if (!body)
      return -EINVAL;
  }
  char *resp = build_response(c, c->wic_inv_req, st->code, c->wic_tag, body, st, 2);
  if (!resp) {
    free(body);
    return -ENOMEM;
  }
  char sum[96] = "";
  sdp_summary(body, sum, sizeof sum);
  int r = wic_send_raw(c, resp);
  if (r == 0) {
    call_add_row(c, s->last_send_us, L_WIC, L_ALG, st->fig, 0, 0, "%d %s%s", st->code,
                 reason_of(st->code), sum);
    wic_track(c, resp); /* until the ACK */
    if (st->code < 300)
      c->marks.answered = now_us();
    if (body)
      snprintf(c->wic_invite_body, sizeof c->wic_invite_body, "%s", body);
  }
  free(c->wic_inv_resp);
  c->wic_inv_resp = resp;
  free(body);
  return r;
}

/* ---------------------------------------------------------- SIP receive */

static struct call *find_call(struct sim *s, const char *call_id)
{
  for (struct call *c = s->calls; c; c = c->next)
    if (!strcmp(c->call_id, call_id))
      return c;
  return NULL;
}

struct parsed {
  int is_request;
  char method[16];
  int code;
  char cseq_method[16];
  uint32_t cseq;
  char call_id[128];
  char to_tag[64], from_tag[64];
  char contact[256];
  const char *body;
  size_t body_len;
};

static int sip_parse(const char *data, size_t len, struct parsed *p, char *err, size_t errlen)
{
  memset(p, 0, sizeof *p);
  msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)len);
  sip_t *sip = msg ? sip_object(msg) : NULL;
  if (!sip || (!sip->sip_request && !sip->sip_status) || !sip->sip_call_id || !sip->sip_cseq ||
      !sip->sip_from || !sip->sip_to || !sip->sip_via) {
    snprintf(err, errlen, "not a valid SIP message (start line, Via, From, To, Call-ID or CSeq "
                          "missing or bad)");
    if (msg)
      msg_destroy(msg);
    return -EBADMSG;
  }
  if (sip->sip_request) {
    p->is_request = 1;
    snprintf(p->method, sizeof p->method, "%s", sip->sip_request->rq_method_name);
  } else {
    p->code = sip->sip_status->st_status;
  }
  snprintf(p->cseq_method, sizeof p->cseq_method, "%s", sip->sip_cseq->cs_method_name);
  p->cseq = sip->sip_cseq->cs_seq;
  snprintf(p->call_id, sizeof p->call_id, "%s", sip->sip_call_id->i_id);
  if (sip->sip_to->a_tag)
    snprintf(p->to_tag, sizeof p->to_tag, "%s", sip->sip_to->a_tag);
  if (sip->sip_from->a_tag)
    snprintf(p->from_tag, sizeof p->from_tag, "%s", sip->sip_from->a_tag);
  if (sip->sip_contact)
    url_e(p->contact, (isize_t)sizeof p->contact, sip->sip_contact->m_url);
  p->contact[sizeof p->contact - 1] = 0;
  msg_destroy(msg);
  /* the body: after the blank line (Sofia checked Content-Length) */
  const char *b = strstr(data, "\r\n\r\n");
  if (b) {
    p->body = b + 4;
    p->body_len = len - (size_t)(p->body - data);
  }
  return 0;
}

static struct ev *sip_ev(const char *data, size_t len, const struct parsed *p)
{
  struct ev *e = new_ev(EV_SIP);
  if (!e)
    return NULL;
  e->text = malloc(len + 1);
  if (!e->text) {
    free(e);
    return NULL;
  }
  memcpy(e->text, data, len);
  e->text[len] = 0;
  e->len = len;
  e->is_request = p->is_request;
  snprintf(e->method, sizeof e->method, "%s", p->method);
  e->code = p->code;
  snprintf(e->cseq_method, sizeof e->cseq_method, "%s", p->cseq_method);
  if (p->body) {
    e->body = e->text + (p->body - data);
    e->body_len = p->body_len;
  }
  return e;
}

/* RFC 3262: PRACK for a reliable provisional response, in its early dialog
 * (To with the response's tag, its Contact as target, its Record-Route as
 * route set); fire and forget on loopback. */
static void wic_prack(struct call *c, const char *resp, const struct parsed *p, const char *rseq)
{
  struct sim *s = c->sim;
  char to[512] = "", branch[40];
  if (hdr_get(resp, "To", to, sizeof to) || !p->contact[0])
    return;
  char *routes = route_set(resp, 1);
  rnd_hex(branch, 8);
  struct sb b = { 0 };
  sb_printf(&b,
            "PRACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n%s"
            "Max-Forwards: 70\r\nFrom: <sip:wic-a@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\n"
            "CSeq: %u PRACK\r\nRAck: %s %u INVITE\r\nContent-Length: 0\r\n\r\n",
            p->contact, s->ip, sa_port(&s->wic_sip_addr), branch, routes ? routes : "", s->ip,
            c->wic_tag, to, c->call_id, ++c->wic_cseq, rseq, c->wic_invite_cseq);
  free(routes);
  if (b.p && wic_send_raw(c, b.p) == 0)
    call_add_row(c, now_us(), L_WIC, L_ALG, 0, 0, 1, "PRACK (RAck %s %u INVITE)", rseq,
                 c->wic_invite_cseq);
  free(b.p);
}

static void wic_on_sip(struct sim *s, const char *data, size_t len, const struct sockaddr *from)
{
  struct parsed p;
  char err[256];
  if (sip_parse(data, len, &p, err, sizeof err))
    return;
  if (!p.is_request && !strncmp(p.call_id, "wicsim-probe-", 13)) {
    s->probe_ok = 1; /* the eP-CSCF answers SIP */
    return;
  }
  struct call *c = find_call(s, p.call_id);
  if (!c || c->finished)
    return;
  char sum[96] = "";
  if (p.body_len) {
    char *tmp = strndup(p.body, p.body_len);
    sdp_summary(tmp, sum, sizeof sum);
    free(tmp);
  }
  if (p.is_request) {
    int is_inv = !strcmp(p.method, "INVITE"), is_ack = !strcmp(p.method, "ACK");
    if (is_inv && c->wic_inv_req) {
      char cs_old[64] = "", cs_new[64] = "";
      hdr_get(c->wic_inv_req, "CSeq", cs_old, sizeof cs_old);
      char *tmp = strndup(data, len);
      if (tmp)
        hdr_get(tmp, "CSeq", cs_new, sizeof cs_new);
      free(tmp);
      if (!strcmp(cs_old, cs_new)) {
        /* a retransmitted INVITE: the same answer again */
        if (c->wic_inv_resp)
          wic_send_raw(c, c->wic_inv_resp);
        return;
      }
    }
    if (is_inv && c->wic_remote_tag[0]) {
      /* a re-INVITE in the WIC's dialog: answered by a "WIC send CODE" step;
       * the dialog (tags, target, route set) stays as it is */
      struct ev *e = sip_ev(data, len, &p);
      if (!e)
        return;
      free(c->wic_inv_req);
      c->wic_inv_req = strdup(e->text);
      c->wic_reinv = 1;
      if (p.body_len) {
        free(c->wic_answer); /* the peer's SDP now: its paths give the To-Paths */
        c->wic_answer = strndup(p.body, p.body_len);
      }
      e->row = call_add_row(c, now_us(), L_ALG, L_WIC, 0, 0, 0, "INVITE%s (re-INVITE)", sum);
      char *resp = build_response(c, e->text, 100, NULL, NULL, NULL, 0);
      if (resp) {
        wic_send_raw(c, resp);
        free(c->wic_inv_resp);
        c->wic_inv_resp = resp;
      }
      push_ev(c, SCN_ROLE_WIC, e);
      return;
    }
    if (is_ack && (c->callee || c->wic_reinv)) {
      if (!c->wic_last_req)
        return; /* a retransmitted ACK */
      free(c->wic_last_req);
      c->wic_last_req = NULL;
      rtx_stop(&c->wic_rtx, &c->wic_rtx_live);
    }
    struct ev *e = sip_ev(data, len, &p);
    if (!e)
      return;
    if (is_inv) {
      /* the WIC is called (mirror flow): the dialog is the INVITE's */
      c->wic_inv_req = strdup(e->text);
      free(c->wic_answer); /* the peer's SDP: the data-channel offer */
      c->wic_answer = p.body_len ? strndup(p.body, p.body_len) : NULL;
      snprintf(c->wic_remote_tag, sizeof c->wic_remote_tag, "%s", p.from_tag);
      snprintf(c->wic_remote_target, sizeof c->wic_remote_target, "%s", p.contact);
      free(c->wic_routes);
      c->wic_routes = route_set(e->text, 0);
      char fromh[512] = "";
      hdr_get(e->text, "From", fromh, sizeof fromh);
      const char *lt = strchr(fromh, '<'), *gt = lt ? strchr(lt, '>') : NULL;
      if (lt && gt)
        snprintf(c->wic_ruri, sizeof c->wic_ruri, "%.*s", (int)(gt - lt - 1), lt + 1);
      c->wic_got_final = 1; /* no CANCEL of our own to send on a failure */
      e->row = call_add_row(c, now_us(), L_ALG, L_WIC, 0, 0, 0, "INVITE%s", sum);
      char *resp = build_response(c, e->text, 100, NULL, NULL, NULL, 0);
      if (resp) {
        wic_send_raw(c, resp);
        call_add_row(c, now_us(), L_WIC, L_ALG, 0, 0, 1, "100 Trying");
        free(c->wic_inv_resp);
        c->wic_inv_resp = resp;
      }
      push_ev(c, SCN_ROLE_WIC, e);
      return;
    }
    e->row = call_add_row(c, now_us(), L_ALG, L_WIC, 0, 0, 0, "%s%s", p.method, sum);
    /* answer it at once: 200 to BYE (the WIC always accepts a release) */
    if (!strcmp(p.method, "BYE") || !strcmp(p.method, "OPTIONS") || !strcmp(p.method, "UPDATE")) {
      char *resp = build_response(c, data, 200, c->wic_tag, NULL, NULL, 0);
      if (resp) {
        struct sockaddr_storage to;
        memcpy(&to, &s->target, sizeof to);
        sip_send(s, &s->wic_sip, &s->wic_sip_addr, (const struct sockaddr *)&to, resp,
                 strlen(resp));
        call_add_row(c, now_us(), L_WIC, L_ALG, 0, 0, 1, "200 OK");
        free(resp);
      }
    }
    push_ev(c, SCN_ROLE_WIC, e);
    /* the callee's media starts with the ACK of its 2xx: ICE (controlling),
     * DTLS in the role its answer took, SCTP */
    if (is_ack && c->callee && !c->dc && c->wic_answer && c->wic_invite_body[0])
      wic_start_media(c);
    return;
  }
  /* responses */
  int is_invite = !strcmp(p.cseq_method, "INVITE");
  if (is_invite && p.code >= 200 && !c->callee && p.cseq != c->wic_invite_cseq)
    return; /* a retransmitted final response of an earlier INVITE of the dialog */
  if (is_invite && p.code >= 200 && c->wic_got_final) {
    /* a retransmitted final response: ACK again, nothing new */
    if (c->wic_ack)
      wic_send_raw(c, c->wic_ack);
    return;
  }
  if (!strcmp(p.cseq_method, "PRACK")) {
    call_add_row(c, now_us(), L_ALG, L_WIC, 0, 0, 1, "%d %s (PRACK)", p.code, reason_of(p.code));
    return; /* the answer to our own PRACK: not a step */
  }
  if (p.code >= 100)
    rtx_stop(&c->wic_rtx, &c->wic_rtx_live);
  if (!is_invite && p.code >= 200) {
    free(c->wic_last_req);
    c->wic_last_req = NULL;
  }
  if (is_invite && p.code < 200) {
    /* provisional: stop retransmitting the INVITE (Timer A), keep it for CANCEL */
    c->wic_rtx_n = 99;
  }
  if (is_invite && p.code > 100 && p.code < 200 && !c->callee && p.body_len) {
    /* an early answer (18x with SDP): the answer of that early dialog */
    free(c->wic_answer);
    c->wic_answer = strndup(p.body, p.body_len);
    c->wic_early = 1;
  }
  if (is_invite && p.code > 100 && p.code < 200 && !c->callee) {
    char req[128] = "", rseq[32] = "";
    char *tmp = strndup(data, len);
    if (tmp) {
      hdr_get(tmp, "Require", req, sizeof req);
      hdr_get(tmp, "RSeq", rseq, sizeof rseq);
      if (strstr(req, "100rel") && rseq[0])
        wic_prack(c, tmp, &p, rseq);
      free(tmp);
    }
  }
  struct ev *e = sip_ev(data, len, &p);
  if (!e)
    return;
  e->row = call_add_row(c, now_us(), L_ALG, L_WIC, 0, 0, 0, "%d %s%s", p.code,
                        reason_of(p.code), sum);
  if (is_invite && p.code >= 200) {
    c->wic_got_final = 1;
    free(c->wic_last_req);
    c->wic_last_req = NULL;
    if (p.code < 300) {
      snprintf(c->wic_remote_tag, sizeof c->wic_remote_tag, "%s", p.to_tag);
      snprintf(c->wic_remote_target, sizeof c->wic_remote_target, "%s", p.contact);
      free(c->wic_routes);
      c->wic_routes = route_set(e->text, 1);
      if (p.body_len || !c->wic_early) {
        /* a 2xx without SDP keeps the answer of a reliable 18x (RFC 3262) */
        free(c->wic_answer);
        c->wic_answer = p.body_len ? strndup(p.body, p.body_len) : NULL;
      }
      c->marks.answered = now_us();
    } else {
      wic_ack_non2xx(c, e->text);
    }
  }
  push_ev(c, SCN_ROLE_WIC, e);
}

/* A scenario without WIC steps has wicsim play only UE-B, for a real WIC (a
 * browser) that calls through the eP-CSCF: the oldest call that has had no
 * INVITE yet takes the Call-ID of an INVITE no call knows. */
static struct call *adopt_call(struct sim *s, const struct parsed *p)
{
  if (!p->is_request || strcmp(p->method, "INVITE") || strlen(p->call_id) >= sizeof s->calls->call_id)
    return NULL;
  for (size_t i = 0; i < s->scn->nsteps; i++)
    if (s->scn->steps[i].role == SCN_ROLE_WIC)
      return NULL;
  struct call *oldest = NULL;
  for (struct call *c = s->calls; c; c = c->next) /* newest first */
    if (!c->finished && !c->ueb_invite)
      oldest = c;
  if (oldest)
    snprintf(oldest->call_id, sizeof oldest->call_id, "%s", p->call_id);
  return oldest;
}

static void ueb_on_sip(struct sim *s, const char *data, size_t len, const struct sockaddr *from,
                       struct sipconn *conn)
{
  struct parsed p;
  char err[256];
  if (sip_parse(data, len, &p, err, sizeof err))
    return;
  struct call *c = find_call(s, p.call_id);
  if (!c)
    c = adopt_call(s, &p);
  if (!c || c->finished)
    return;
  char sum[96] = "";
  if (p.body_len) {
    char *tmp = strndup(p.body, p.body_len);
    sdp_summary(tmp, sum, sizeof sum);
    free(tmp);
  }
  if (!p.is_request && !strcmp(p.cseq_method, "INVITE") && c->ueb_inv_req) {
    /* UE-B is the caller */
    rtx_stop(&c->ueb_rtx, &c->ueb_rtx_live);
    c->ueb_rtx_n = 99;
    if (p.code >= 200 && c->ueb_got_final) {
      if (c->ueb_ack) /* a retransmitted final response */
        ueb_send_raw(c, c->ueb_ack);
      return;
    }
    struct ev *e = sip_ev(data, len, &p);
    if (!e)
      return;
    e->row = call_add_row(c, now_us(), L_ALG, L_UEB, 0, 0, 0, "%d %s%s", p.code,
                          reason_of(p.code), sum);
    if (p.code >= 200) {
      c->ueb_got_final = 1;
      if (p.code < 300 && c->ueb_reinv) {
        /* the 2xx of UE-B's re-INVITE: the dialog stays as it is */
        free(c->ueb_2xx_resp);
        c->ueb_2xx_resp = strdup(e->text);
        free(c->ueb_offer);
        c->ueb_offer = p.body_len ? strndup(p.body, p.body_len) : NULL;
      } else if (p.code < 300) {
        free(c->ueb_2xx_resp);
        c->ueb_2xx_resp = strdup(e->text);
        snprintf(c->ueb_remote_tag, sizeof c->ueb_remote_tag, "%s", p.to_tag);
        snprintf(c->ueb_remote_target, sizeof c->ueb_remote_target, "%s", p.contact);
        free(c->ueb_routes);
        c->ueb_routes = route_set(e->text, 1);
        free(c->ueb_offer); /* the peer's SDP: the TCP/MSRP answer */
        c->ueb_offer = p.body_len ? strndup(p.body, p.body_len) : NULL;
      } else {
        ueb_send_ack(c, NULL, e->text);
      }
    }
    push_ev(c, SCN_ROLE_UEB, e);
    return;
  }
  if (!p.is_request) {
    if (!strcmp(p.cseq_method, "BYE") && p.code >= 200) {
      if (!c->ueb_bye)
        return; /* retransmission */
      free(c->ueb_bye);
      c->ueb_bye = NULL;
      rtx_stop(&c->ueb_rtx, &c->ueb_rtx_live);
    }
    struct ev *e = sip_ev(data, len, &p);
    if (!e)
      return;
    e->row = call_add_row(c, now_us(), L_ALG, L_UEB, 0, 0, 0, "%d %s", p.code, reason_of(p.code));
    push_ev(c, SCN_ROLE_UEB, e);
    return;
  }
  int slot = req_slot(p.method);
  int is_ack = !strcmp(p.method, "ACK");
  if (conn && !c->ueb_conn)
    c->ueb_conn = conn;
  if (!is_ack && c->ueb_last_req[slot]) {
    /* a retransmission? same CSeq and method, and the same top Via (branch):
     * the ALG's own BYE to another fork may carry the CSeq of the call's */
    char cs_old[64], cs_new[64], via_old[512] = "", via_new[512] = "";
    hdr_get(c->ueb_last_req[slot], "CSeq", cs_old, sizeof cs_old);
    hdr_get(c->ueb_last_req[slot], "Via", via_old, sizeof via_old);
    char *tmp = strndup(data, len);
    hdr_get(tmp, "CSeq", cs_new, sizeof cs_new);
    hdr_get(tmp, "Via", via_new, sizeof via_new);
    free(tmp);
    if (!strcmp(cs_old, cs_new) && !strcmp(via_old, via_new)) {
      if (c->ueb_last_resp[slot])
        ueb_send_raw(c, c->ueb_last_resp[slot]);
      return;
    }
  }
  if (is_ack) {
    if (c->ueb_acked)
      return;
    c->ueb_acked = 1;
    rtx_stop(&c->ueb_rtx, &c->ueb_rtx_live);
  }
  struct ev *e = sip_ev(data, len, &p);
  if (!e)
    return;
  e->row = call_add_row(c, now_us(), L_ALG, L_UEB, 0, 0, 0, "%s%s", p.method, sum);
  if (!is_ack) {
    free(c->ueb_last_req[slot]);
    c->ueb_last_req[slot] = strdup(e->text);
    free(c->ueb_last_resp[slot]);
    c->ueb_last_resp[slot] = NULL;
    c->ueb_final[slot] = 0;
    c->ueb_req_seq[slot] = ++c->ueb_seq;
  }
  if (!strcmp(p.method, "PRACK")) {
    /* RFC 3262: UE-B acknowledges the PRACK of its reliable provisional */
    char *resp = build_response(c, e->text, 200, c->ueb_tag, NULL, NULL, 0);
    if (resp) {
      ueb_send_raw(c, resp);
      call_add_row(c, now_us(), L_UEB, L_ALG, 0, 0, 1, "200 OK (PRACK)");
      free(c->ueb_last_resp[slot]);
      c->ueb_last_resp[slot] = resp;
      c->ueb_final[slot] = 1;
    }
  } else if (!strcmp(p.method, "INVITE")) {
    memcpy(&c->ueb_peer, from,
           from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    c->ueb_conn = conn;
    free(c->ueb_invite);
    c->ueb_invite = strdup(e->text);
    snprintf(c->ueb_remote_tag, sizeof c->ueb_remote_tag, "%s", p.from_tag);
    snprintf(c->ueb_remote_target, sizeof c->ueb_remote_target, "%s", p.contact);
    free(c->ueb_routes);
    c->ueb_routes = route_set(e->text, 0);
    free(c->ueb_offer);
    c->ueb_offer = p.body_len ? strndup(p.body, p.body_len) : NULL;
    /* 100 Trying at once: the proxy stops retransmitting */
    char *resp = build_response(c, e->text, 100, NULL, NULL, NULL, 0);
    if (resp) {
      ueb_send_raw(c, resp);
      call_add_row(c, now_us(), L_UEB, L_ALG, 0, 0, 1, "100 Trying");
      c->ueb_last_resp[0] = resp;
    }
  } else if (!c->ueb_peer.ss_family) {
    memcpy(&c->ueb_peer, from,
           from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
  }
  push_ev(c, SCN_ROLE_UEB, e);
}

static void alloc_cb(uv_handle_t *h, size_t sug, uv_buf_t *buf)
{
  static char slab[65536];
  buf->base = slab;
  buf->len = sizeof slab;
}

static void sip_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                     unsigned flags)
{
  struct sim *s = h->data;
  if (n <= 0 || !from)
    return;
  int is_ueb = h == &s->ueb_sip;
  if (s->pcap)
    wg_pcap_udp(s->pcap, from, (const struct sockaddr *)(is_ueb ? &s->ueb_sip_addr : &s->wic_sip_addr),
                buf->base, (size_t)n);
  char *copy = malloc((size_t)n + 1);
  if (!copy)
    return;
  memcpy(copy, buf->base, (size_t)n);
  copy[n] = 0;
  if (is_ueb)
    ueb_on_sip(s, copy, (size_t)n, from, NULL);
  else
    wic_on_sip(s, copy, (size_t)n, from);
  free(copy);
}

/* ---------------------------------------------------------------- MSRP */

struct outq {
  struct outq *next;
  int tcp_idx; /* -1: data channel */
  int sid;
  char *data;
  size_t len;
  uint32_t fig; /* the ladder row is added when it is really sent */
  int auto_;
};

static void msrp_row(struct call *c, int from, int to, const char *data, size_t len, int auto_,
                     const char *via)
{
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  wgm_msrp_framer_init(&f, len + 16);
  if (wgm_msrp_frame(&f, data, len, &fr) > 0) {
    if (fr.is_request)
      call_add_row(c, now_us(), from, to, 0, 1, auto_, "MSRP %s %zu B%s", fr.method, fr.body_len,
                   via);
    else
      call_add_row(c, now_us(), from, to, 0, 1, auto_, "MSRP %d%s", fr.status, via);
  }
}

/* The row of a received message, from the framing msrp_ev already did (a
 * second wgm_msrp_frame per message was ~4 % of wicsim in P3's stream). */
static void msrp_row_ev(struct call *c, int from, int to, const struct ev *e, const char *via)
{
  if (e->is_request)
    call_add_row(c, now_us(), from, to, 0, 1, 0, "MSRP %s %zu B%s", e->method, e->body_len, via);
  else if (e->code >= 0)
    call_add_row(c, now_us(), from, to, 0, 1, 0, "MSRP %d%s", e->code, via);
}

static int out_flush(struct call *c)
{
  while (c->outq) {
    struct outq *q = c->outq;
    int r;
    if (q->tcp_idx < 0)
      r = c->dc ? wgm_dc_send(c->dc, (uint16_t)q->sid, WGM_PPID_BINARY, q->data, q->len)
                : -ENOTCONN;
    else
      r = c->tcp[q->tcp_idx] ? wgm_tcp_send(c->tcp[q->tcp_idx], q->data, q->len) : -ENOTCONN;
    /* full, or not there yet (TCP connecting, SCTP or the channel not up):
     * keep it queued; `writable`, `connected`, `sctp_up` and
     * `channel_open` flush the queue */
    if (r == -EAGAIN || r == -ENOTCONN)
      return 0;
    if (r < 0)
      return r;
    c->outq = q->next;
    if (!c->outq)
      c->outq_end = NULL;
    char via[32];
    if (q->tcp_idx < 0)
      snprintf(via, sizeof via, q->auto_ ? "" : " (DC %d)", q->sid);
    else
      snprintf(via, sizeof via, " (TCP)");
    size_t before = c->nrows;
    msrp_row(c, q->tcp_idx < 0 ? L_WIC : L_UEB, L_AGW, q->data, q->len, q->auto_, via);
    if (c->nrows > before)
      c->rows[c->nrows - 1].fig |= q->fig;
    free(q->data);
    free(q);
  }
  return 0;
}

static int out_send(struct call *c, int tcp_idx, int sid, const char *data, size_t len,
                    uint32_t fig, int auto_)
{
  struct outq *q = calloc(1, sizeof *q);
  if (!q)
    return -ENOMEM;
  q->fig = fig;
  q->auto_ = auto_;
  q->tcp_idx = tcp_idx;
  q->sid = sid;
  q->data = malloc(len);
  if (!q->data) {
    free(q);
    return -ENOMEM;
  }
  memcpy(q->data, data, len);
  q->len = len;
  /* append at the kept end (a walk from the head was O(n) per message:
   * `send MSRP count=8000` queued in O(n^2), half a second in P3) */
  if (!c->outq)
    c->outq_end = &c->outq;
  *c->outq_end = q;
  c->outq_end = &q->next;
  return out_flush(c);
}

/* The first URI of an MSRP path header value. */
static void first_uri(const char *v, char *out, size_t len)
{
  size_t n = strcspn(v, " \t\r\n");
  if (n >= len)
    n = len - 1;
  memcpy(out, v, n);
  out[n] = 0;
}

static struct ev *msrp_ev(struct call *c, const uint8_t *data, size_t len)
{
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  wgm_msrp_framer_init(&f, len + 16);
  struct ev *e = new_ev(EV_MSRP);
  if (!e)
    return NULL;
  e->text = malloc(len + 1);
  if (!e->text) {
    free(e);
    return NULL;
  }
  memcpy(e->text, data, len);
  e->text[len] = 0;
  e->len = len;
  int r = wgm_msrp_frame(&f, data, len, &fr);
  if (r <= 0 || (size_t)r != len) {
    snprintf(e->method, sizeof e->method, "(bad)");
    e->code = -1;
    return e;
  }
  e->is_request = fr.is_request;
  if (fr.is_request)
    snprintf(e->method, sizeof e->method, "%s", fr.method);
  else
    e->code = fr.status;
  e->body = e->text + fr.body_off;
  e->body_len = fr.body_len;
  return e;
}

/* Answer an MSRP SEND with 200 (unless Failure-Report: no / partial). */
static void msrp_auto_answer(struct call *c, const struct ev *e, int tcp_idx, int sid,
                             const char *own_path)
{
  if (!e->is_request || strcmp(e->method, "SEND") != 0)
    return;
  char fr[32] = "", from_path[512] = "", tid[64] = "";
  hdr_get(e->text, "Failure-Report", fr, sizeof fr);
  if (!strcasecmp(fr, "no") || !strcasecmp(fr, "partial"))
    return;
  hdr_get(e->text, "From-Path", from_path, sizeof from_path);
  sscanf(e->text, "MSRP %63s", tid);
  char uri[512];
  first_uri(from_path, uri, sizeof uri);
  char buf[1400];
  int n = snprintf(buf, sizeof buf, "MSRP %s 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n",
                   tid, uri, own_path, tid);
  if (n > 0 && (size_t)n < sizeof buf)
    out_send(c, tcp_idx, sid, buf, (size_t)n, 0, 1);
}

static char *msrp_build_send(struct call *c, const char *to_path, const char *from_path,
                             long size, const char *text, size_t *outlen)
{
  char tid[24], mid[24];
  rnd_hex(tid, 6);
  rnd_hex(mid, 8);
  size_t blen = text ? strlen(text) : (size_t)size;
  struct sb b = { 0 };
  sb_printf(&b, "MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: %s\r\n"
                "Byte-Range: 1-%zu/%zu\r\n",
            tid, to_path, from_path, mid, blen, blen);
  if (blen) {
    sb_printf(&b, "Content-Type: text/plain\r\n\r\n");
    if (text) {
      sb_addn(&b, text, blen);
    } else {
      static const char pat[] = "wicsim-msrp-payload-0123456789-abcdefghijklmnopqrstuvwxyz.";
      size_t k = sizeof pat - 1;
      char *tmp = malloc(blen);
      if (!tmp) {
        free(b.p);
        return NULL;
      }
      for (size_t i = 0; i < blen; i++)
        tmp[i] = pat[(i + (size_t)c->msrp_seq) % k];
      sb_addn(&b, tmp, blen);
      free(tmp);
    }
    sb_printf(&b, "\r\n");
  }
  sb_printf(&b, "-------%s$\r\n", tid);
  c->msrp_seq++;
  *outlen = b.n;
  return b.p;
}

/* -------------------------------------------------------- media: WIC */

static void on_keylog(wgm_dc_t *dc, const char *line)
{
  struct call *c = wgm_dc_get_data(dc);
  if (c && c->sim->keylog)
    wg_keylog_write(c->sim->keylog, line);
}

static const char *hs_name(int t)
{
  switch (t) {
  case 0: return "HelloRequest";
  case 1: return "ClientHello";
  case 2: return "ServerHello";
  case 3: return "HelloVerifyRequest";
  case 11: return "Certificate";
  case 12: return "ServerKeyExchange";
  case 13: return "CertificateRequest";
  case 14: return "ServerHelloDone";
  case 15: return "CertificateVerify";
  case 16: return "ClientKeyExchange";
  default: return "Handshake";
  }
}

/* Ladder rows from the datagrams: STUN once per direction, each DTLS
 * handshake flight (plaintext part), alerts. */
static void on_dc_tap(wgm_dc_t *dc, int outgoing, const struct sockaddr *src,
                      const struct sockaddr *dst, const uint8_t *d, size_t len)
{
  struct call *c = wgm_dc_get_data(dc);
  if (!c)
    return;
  if (c->sim->pcap)
    wg_pcap_udp(c->sim->pcap, src, dst, d, len);
  int from = outgoing ? L_WIC : L_AGW, to = outgoing ? L_AGW : L_WIC;
  if (len >= 20 && d[0] < 4) {
    int type = (d[0] << 8) | d[1];
    int bit = (outgoing ? 1 : 2) << (type == 0x0101 ? 2 : 0);
    if (!(c->seen & bit)) {
      c->seen |= bit;
      call_add_row(c, now_us(), from, to, 0, 0, 0, "STUN Binding %s",
                   type == 0x0001 ? "request (ICE check)" : type == 0x0101 ? "success" : "message");
    }
    return;
  }
  if (len < 13 || d[0] < 20 || d[0] > 63)
    return;
  char lab[96] = "";
  size_t w = 0;
  uint32_t fig = 0;
  size_t off = 0;
  int ccs = 0, alert = 0, enc_hs = 0, app = 0;
  while (off + 13 <= len) {
    int ct = d[off];
    int epoch = (d[off + 3] << 8) | d[off + 4];
    size_t rl = ((size_t)d[off + 11] << 8) | d[off + 12];
    if (ct == 22 && epoch == 0 && off + 13 < len) {
      int ht = d[off + 13];
      const char *nm = hs_name(ht);
      if (!strstr(lab, nm)) {
        int k = snprintf(lab + w, sizeof lab - w, "%s%s", w ? ", " : "", nm);
        if (k > 0 && (size_t)k < sizeof lab - w)
          w += (size_t)k;
      }
      fig |= ht == 1 ? (1u << 16) : (1u << 17);
    } else if (ct == 22) {
      enc_hs = 1;
    } else if (ct == 20) {
      ccs = 1;
    } else if (ct == 21) {
      alert = 1;
    } else if (ct == 23) {
      app = 1;
    }
    off += 13 + rl;
  }
  if (ccs || enc_hs) {
    int k = snprintf(lab + w, sizeof lab - w, "%sChangeCipherSpec, Finished", w ? ", " : "");
    if (k > 0 && (size_t)k < sizeof lab - w)
      w += (size_t)k;
    fig |= 1u << 17;
  }
  if (w) {
    call_add_row(c, now_us(), from, to, fig, 0, 0, "DTLS %s", lab);
  } else if (alert && c->dtls_up == 0) {
    call_add_row(c, now_us(), from, to, 0, 0, 0, "DTLS Alert");
  } else if (app && !c->sctp_up && !(c->seen & (outgoing ? 0x1000 : 0x2000))) {
    c->seen |= outgoing ? 0x1000 : 0x2000;
    call_add_row(c, now_us(), from, to, 1u << 18, 0, 0, "SCTP INIT.. over DTLS");
  }
}

static void on_ice(wgm_dc_t *dc, const struct sockaddr *peer)
{
  (void)dc;
  (void)peer;
}

static void on_dtls_up(wgm_dc_t *dc)
{
  struct call *c = wgm_dc_get_data(dc);
  c->dtls_up = 1;
  size_t row =
      call_add_row(c, now_us(), L_AGW, L_WIC, 0, 0, 0, "DTLS handshake done, fingerprint verified");
  push_simple(c, SCN_ROLE_WIC, EV_DTLS_UP, 0, row);
}

static void on_dtls_fail(wgm_dc_t *dc, enum wgm_dtls_fail why, const char *detail)
{
  struct call *c = wgm_dc_get_data(dc);
  call_add_row(c, now_us(), L_AGW, L_WIC, 0, 0, 0, "DTLS failed: %s", wgm_dtls_fail_name(why));
  struct ev *e = new_ev(EV_DTLS_FAIL);
  if (!e)
    return;
  e->text = strdup(detail ? detail : wgm_dtls_fail_name(why));
  push_ev(c, SCN_ROLE_WIC, e);
}

static void on_sctp_up(wgm_dc_t *dc)
{
  struct call *c = wgm_dc_get_data(dc);
  c->sctp_up = 1;
  if (!c->marks.channel)
    c->marks.channel = now_us();
  size_t row = call_add_row(c, now_us(), L_AGW, L_WIC, 0, 0, 0, "SCTP association up");
  push_simple(c, SCN_ROLE_WIC, EV_SCTP_UP, 0, row);
  out_flush(c);
}

static void on_sctp_lost(wgm_dc_t *dc, int err)
{
  struct call *c = wgm_dc_get_data(dc);
  size_t row = call_add_row(c, now_us(), L_AGW, L_WIC, 0, 0, 0, "SCTP association lost (%s)",
                            err == -ECONNRESET  ? "reset"
                            : err == -ETIMEDOUT ? "consent lost"
                                                : "aborted");
  push_simple(c, SCN_ROLE_WIC, EV_SCTP_LOST, err, row);
}

static void on_channel_open(wgm_dc_t *dc, const wgm_channel_info_t *info)
{
  struct call *c = wgm_dc_get_data(dc);
  size_t row = call_add_row(c, now_us(), L_WIC, L_WIC, 0, 1, 0, "data channel %u open (%s)",
                            info->sid, info->negotiated ? "negotiated, no DCEP" : "DCEP");
  push_simple(c, SCN_ROLE_WIC, EV_CHANNEL, info->sid, row);
  out_flush(c);
}

static void on_channel_closed(wgm_dc_t *dc, uint16_t sid)
{
  struct call *c = wgm_dc_get_data(dc);
  size_t row = call_add_row(c, now_us(), L_AGW, L_WIC, 0, 1, 0,
                            "data channel %u closed (stream reset)", sid);
  push_simple(c, SCN_ROLE_WIC, EV_CHANNEL_CLOSED, sid, row);
}

/* The WIC's own path for channel sid: its offer's a=dcsa:<sid> path:. */
static void wic_own_path(struct call *c, int sid, char *buf, size_t len)
{
  char key[32];
  snprintf(key, sizeof key, "a=dcsa:%d path:", sid);
  if (scn_sdp_get(c->wic_invite_body, key, buf, len) != 0)
    snprintf(buf, len, "%s", c->wic_path);
}

static void on_dc_message(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const uint8_t *data,
                          size_t len)
{
  struct call *c = wgm_dc_get_data(dc);
  struct ev *e = msrp_ev(c, data, len);
  if (!e)
    return;
  e->num = sid;
  char via[32];
  snprintf(via, sizeof via, " (DC %u)", sid);
  size_t before = c->nrows;
  msrp_row_ev(c, L_AGW, L_WIC, e, via);
  if (c->nrows > before)
    e->row = c->nrows;
  if (e->is_request && !c->marks.first_msrp)
    c->marks.first_msrp = now_us();
  char own[256];
  wic_own_path(c, sid, own, sizeof own);
  msrp_auto_answer(c, e, -1, sid, own);
  push_ev(c, SCN_ROLE_WIC, e);
}

static void on_dc_writable(wgm_dc_t *dc)
{
  struct call *c = wgm_dc_get_data(dc);
  out_flush(c);
}

static void on_dropped(wgm_dc_t *dc, uint16_t sid, enum wgm_drop why, size_t len)
{
  struct call *c = wgm_dc_get_data(dc);
  if (why != WGM_DROP_UNKNOWN_PROTO)
    call_add_row(c, now_us(), L_AGW, L_WIC, 0, 1, 0, "dropped %zu B: %s", len, wgm_drop_name(why));
}

static const wgm_dc_callbacks_t dc_cb = {
  .ice_connected = on_ice,
  .dtls_connected = on_dtls_up,
  .dtls_failed = on_dtls_fail,
  .sctp_up = on_sctp_up,
  .sctp_lost = on_sctp_lost,
  .channel_open = on_channel_open,
  .channel_closed = on_channel_closed,
  .message = on_dc_message,
  .writable = on_dc_writable,
  .dropped = on_dropped,
  .keylog = on_keylog,
  .tap = on_dc_tap,
};

/* The WIC's media socket is bound when the call starts (its port goes into
 * the offer); the DC endpoint takes it over when the answer is known
 * (c->wic_fd). */

static int bind_udp(const char *ip, int *port)
{
  struct sockaddr_storage ss;
  char hp[96];
  snprintf(hp, sizeof hp, strchr(ip, ':') ? "[%s]:0" : "%s:0", ip);
  if (wg_parse_hostport(hp, 1, &ss))
    return -EINVAL;
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  socklen_t sl = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
    int e = -errno;
    close(fd);
    return e;
  }
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  *port = sa_port(&ss);
  return fd;
}

static int wic_start_media(struct call *c)
{
  struct sim *s = c->sim;
  const char *a = c->wic_answer;
  if (!a) {
    step_fail(c, "the WIC got no SDP answer: cannot start ICE/DTLS");
    return -EINVAL;
  }
  char cline[128] = "", mline[256] = "", ufrag[128] = "", pwd[128] = "", fp[256] = "",
       setup[32] = "", sport[32] = "", mms[32] = "";
  if (scn_sdp_get(a, "c=IN IP4 ", cline, sizeof cline) != 0)
    scn_sdp_get(a, "c=IN IP6 ", cline, sizeof cline);
  scn_sdp_get(a, "m=application ", mline, sizeof mline);
  scn_sdp_get(a, "a=ice-ufrag:", ufrag, sizeof ufrag);
  scn_sdp_get(a, "a=ice-pwd:", pwd, sizeof pwd);
  scn_sdp_get(a, "a=fingerprint:", fp, sizeof fp);
  scn_sdp_get(a, "a=setup:", setup, sizeof setup);
  scn_sdp_get(a, "a=sctp-port:", sport, sizeof sport);
  scn_sdp_get(a, "a=max-message-size:", mms, sizeof mms);
  int port = atoi(mline);
  if (!cline[0] || port <= 0 || !fp[0]) {
    step_fail(c, "the %s lacks c=, m=application <port> or a=fingerprint: cannot reach the "
                 "AGW\n%s",
              c->callee ? "offer" : "answer",
              a);
    return -EINVAL;
  }
  char hp[200];
  snprintf(hp, sizeof hp, strchr(cline, ':') ? "[%s]:%d" : "%s:%d", cline, port);
  struct sockaddr_storage peer;
  if (wg_parse_hostport(hp, 1, &peer)) {
    step_fail(c, "the answer's address %s is not usable", hp);
    return -EINVAL;
  }
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.sock = c->wic_fd >= 0 ? c->wic_fd : -1;
  c->wic_fd = -1;
  cfg.ice = ufrag[0] ? WGM_ICE_CONTROLLING : WGM_ICE_NONE;
  cfg.local_ufrag = c->wic_ufrag;
  cfg.local_pwd = c->wic_pwd;
  cfg.remote_ufrag = ufrag[0] ? ufrag : NULL;
  cfg.remote_pwd = pwd[0] ? pwd : NULL;
  cfg.remote_addr = (const struct sockaddr *)&peer;
  cfg.role = !strcmp(setup, "passive") ? WGM_DTLS_CLIENT : WGM_DTLS_SERVER;
  if (c->callee) {
    /* the WIC answered: its own a=setup decides (active = DTLS client) */
    char own[32] = "";
    scn_sdp_get(c->wic_invite_body, "a=setup:", own, sizeof own);
    cfg.role = !strcmp(own, "active") ? WGM_DTLS_CLIENT : WGM_DTLS_SERVER;
  }
  const char *fps[1] = { fp };
  cfg.remote_fingerprints = fps;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_autostart = 1;
  cfg.dtls_timeout_ms = 10000;
  char mine[32] = "";
  scn_sdp_get(c->wic_invite_body, "a=sctp-port:", mine, sizeof mine);
  cfg.local_sctp_port = (uint16_t)(mine[0] ? atoi(mine) : 5000);
  cfg.remote_sctp_port = (uint16_t)(sport[0] ? atoi(sport) : 5000);
  mine[0] = 0;
  scn_sdp_get(c->wic_invite_body, "a=max-message-size:", mine, sizeof mine);
  cfg.local_max_message_size = mine[0] ? (size_t)atol(mine) : 262144;
  cfg.remote_max_message_size = mms[0] ? (size_t)atol(mms) : 65536;
  /* 1024 SCTP streams each way, as Chromium's WebRTC stack offers (usrsctp's
   * per-association cost grows with the count; 65535 made the WIC side the
   * bottleneck of `wicsim load`, bench/RESULTS.md P2). Stream ids of the
   * scenarios' channels stay below it. */
  cfg.sctp_streams = 1024;
  c->remote_max_msg = cfg.remote_max_message_size;
  cfg.cb = &dc_cb;
  cfg.data = c;
  wgm_dc_t *dc = NULL;
  int r = wgm_dc_new((wgm_ctx_t *)s->mctx, &cfg, &dc);
  if (r) {
    step_fail(c, "cannot start the WIC's media endpoint: %s", wgm_strerror(r));
    return r;
  }
  c->dc = dc;
  snprintf(c->dc_peer, sizeof c->dc_peer, "%d %s", port, fp);
  wgm_dc_start_dtls(dc);
  return 0;
}

/* After the ACK of a re-INVITE's 2xx: a new answer port or fingerprint means
 * a new association (DTLS restart, RFC 8842): close the running one and
 * start again, from the port the WIC's last offer named. 1 restarted, 0 not
 * needed, <0 error. */
static int wic_maybe_restart(struct call *c)
{
  char mline[256] = "", fp[256] = "", peer[320], mine[256] = "";
  if (!c->dc || !c->wic_answer || c->callee)
    return 0;
  scn_sdp_get(c->wic_answer, "m=application ", mline, sizeof mline);
  scn_sdp_get(c->wic_answer, "a=fingerprint:", fp, sizeof fp);
  snprintf(peer, sizeof peer, "%d %s", atoi(mline), fp);
  if (!strcmp(peer, c->dc_peer))
    return 0;
  scn_sdp_get(c->wic_invite_body, "m=application ", mine, sizeof mine);
  int my_port = atoi(mine);
  call_add_row(c, now_us(), L_WIC, L_WIC, 0, 1, 0, "new association (DTLS restart) to port %d",
               atoi(mline));
  wgm_dc_close(c->dc, dc_closed_cb);
  c->dc = NULL;
  c->dtls_up = c->sctp_up = 0;
  if (my_port == c->wic_port2 && c->wic_fd2 >= 0) {
    c->wic_fd = c->wic_fd2;
    c->wic_fd2 = -1;
  } else if (my_port != c->wic_port2) {
    step_fail(c, "DTLS restart: the WIC's re-offer keeps port %d, which the old association "
                 "holds; offer ${wic.port.2}", my_port);
    return -EINVAL;
  }
  int r = wic_start_media(c);
  return r < 0 ? r : 1;
}

/* ------------------------------------------------------- media: UE-B */

static int tcp_index(struct call *c, wgm_tcp_t *t)
{
  for (int i = 0; i < c->ntcp; i++)
    if (c->tcp[i] == t)
      return i;
  return -1;
}

static void on_tcp_connected(wgm_tcp_t *t, const struct sockaddr *peer)
{
  struct call *c = wgm_tcp_get_data(t);
  int i = tcp_index(c, t);
  size_t row =
      call_add_row(c, now_us(), L_UEB, L_AGW, 0, 1, 0, "TCP connected (MSRP session %d)", i + 1);
  push_simple(c, SCN_ROLE_UEB, EV_TCP_UP, i + 1, row);
  out_flush(c);
}

static void on_tcp_closed(wgm_tcp_t *t, int err)
{
  struct call *c = wgm_tcp_get_data(t);
  int i = tcp_index(c, t);
  size_t row = call_add_row(c, now_us(), L_AGW, L_UEB, 0, 1, 0, "TCP closed (%s)",
                            err == 0 ? "by the gateway" : wgm_strerror(err));
  push_simple(c, SCN_ROLE_UEB, EV_TCP_DOWN, i + 1, row);
}

/* UE-B's own path for MSRP session idx: the a=path it answered with. */
static const char *ueb_path_of(struct call *c, int idx)
{
  static char buf[256];
  if (c->ueb_answer && scn_sdp_get_nth(c->ueb_answer, "a=path:", idx, buf, sizeof buf) == 0)
    return buf;
  return idx == 1 ? c->ueb_path2 : c->ueb_path;
}

static void on_tcp_message(wgm_tcp_t *t, const uint8_t *data, size_t len)
{
  struct call *c = wgm_tcp_get_data(t);
  int i = tcp_index(c, t);
  struct ev *e = msrp_ev(c, data, len);
  if (!e)
    return;
  e->num = i + 1;
  size_t before = c->nrows;
  msrp_row_ev(c, L_AGW, L_UEB, e, " (TCP)");
  if (c->nrows > before)
    e->row = c->nrows;
  if (e->is_request) {
    int64_t at = now_us(); /* one reading: both marks name this delivery */
    if (!c->marks.first_msrp)
      c->marks.first_msrp = at;
    if (!c->marks.ueb_msrp)
      c->marks.ueb_msrp = at;
  }
  msrp_auto_answer(c, e, i, 0, ueb_path_of(c, i));
  push_ev(c, SCN_ROLE_UEB, e);
}

static void on_tcp_writable(wgm_tcp_t *t)
{
  out_flush(wgm_tcp_get_data(t));
}

static void on_tcp_tap(wgm_tcp_t *t, int outgoing, const struct sockaddr *src,
                       const struct sockaddr *dst, const uint8_t *data, size_t len)
{
  struct call *c = wgm_tcp_get_data(t);
  if (c && c->sim->pcap) {
    if (len)
      wg_pcap_tcp(c->sim->pcap, src, dst, data, len);
  }
}

static const wgm_tcp_callbacks_t tcp_cb = {
  .connected = on_tcp_connected,
  .closed = on_tcp_closed,
  .message = on_tcp_message,
  .writable = on_tcp_writable,
  .tap = on_tcp_tap,
};

static int ueb_connect(struct call *c, const struct scn_step *st)
{
  int idx = st->channel > 0 ? st->channel - 1 : 0;
  if (!c->ueb_offer) {
    step_fail(c, "UE-B connect: no offer received (expect INVITE first)");
    return -ENOENT;
  }
  char mline[256] = "", cline[128] = "";
  if (scn_sdp_get_nth(c->ueb_offer, "m=message ", idx, mline, sizeof mline)) {
    step_fail(c, "UE-B connect m=%d: the offer has no m=message line number %d\n%s", idx + 1,
              idx + 1, c->ueb_offer);
    return -ENOENT;
  }
  /* the c= line of that media, else the session one */
  const char *mpos = c->ueb_offer;
  for (int k = 0; k <= idx && mpos; k++) {
    mpos = strstr(mpos, "m=message ");
    if (mpos && k < idx)
      mpos++;
  }
  const char *cpos = mpos ? strstr(mpos, "c=IN IP") : NULL;
  const char *next_m = mpos ? strstr(mpos + 1, "m=") : NULL;
  if (!cpos || (next_m && cpos > next_m))
    cpos = strstr(c->ueb_offer, "c=IN IP");
  if (cpos)
    sscanf(cpos + 7, "%*c %127s", cline);
  int port = atoi(mline);
  char hp[200];
  snprintf(hp, sizeof hp, strchr(cline, ':') ? "[%s]:%d" : "%s:%d", cline, port);
  struct sockaddr_storage peer;
  if (!cline[0] || port <= 0 || wg_parse_hostport(hp, 1, &peer)) {
    step_fail(c, "UE-B connect: the offer's address \"%s\" is not usable", hp);
    return -EINVAL;
  }
  if (idx >= 4) {
    step_fail(c, "UE-B connect: at most 4 MSRP sessions");
    return -EINVAL;
  }
  wgm_tcp_config_t cfg;
  wgm_tcp_config_init(&cfg);
  cfg.listen = 0;
  cfg.connect_addr = (const struct sockaddr *)&peer;
  cfg.framing = WGM_TCP_MSRP;
  cfg.max_message_size = 16 * 1024 * 1024;
  cfg.cb = &tcp_cb;
  cfg.data = c;
  wgm_tcp_t *t = NULL;
  if (c->ntcp <= idx)
    c->ntcp = idx + 1;
  int r = wgm_tcp_new((wgm_ctx_t *)c->sim->mctx, &cfg, &t);
  if (r) {
    step_fail(c, "UE-B connect %s: %s", hp, wgm_strerror(r));
    return r;
  }
  c->tcp[idx] = t;
  call_add_row(c, now_us(), L_UEB, L_AGW, st->fig, 1, 0, "TCP connect to %s (MSRP)", hp);
  return 0;
}

/* ---------------------------------------------------------- the steps */

static const char *what_text(const struct scn_step *st, char *buf, size_t len)
{
  switch (st->what) {
  case SCN_W_REQUEST: snprintf(buf, len, "%s", st->method); break;
  case SCN_W_RESPONSE:
    if (st->code_class)
      snprintf(buf, len, "%dxx", st->code);
    else
      snprintf(buf, len, "%d", st->code);
    break;
  case SCN_W_MSRP:
    if (st->method)
      snprintf(buf, len, "MSRP %s", st->method);
    else
      snprintf(buf, len, "MSRP %d", st->code);
    break;
  case SCN_W_DTLS: snprintf(buf, len, "DTLS handshake done"); break;
  case SCN_W_DTLS_FAIL: snprintf(buf, len, "DTLS failure / release"); break;
  case SCN_W_SCTP: snprintf(buf, len, "SCTP association up"); break;
  case SCN_W_CHANNEL: snprintf(buf, len, "data channel open"); break;
  case SCN_W_MSRP_CONN: snprintf(buf, len, "MSRP TCP connection"); break;
  case SCN_W_CHANNEL_CLOSED: snprintf(buf, len, "data channel closed"); break;
  case SCN_W_CONN_CLOSED: snprintf(buf, len, "MSRP TCP connection closed"); break;
  case SCN_W_NOTHING: snprintf(buf, len, "nothing"); break;
  case SCN_W_H248:
    snprintf(buf, len, "H.248 %s %s", st->method, st->command ? st->command : "");
    break;
  default: snprintf(buf, len, "?");
  }
  return buf;
}

static void ev_text(const struct ev *e, char *buf, size_t len)
{
  switch (e->kind) {
  case EV_SIP:
  case EV_MSRP: {
    size_t n = strcspn(e->text ? e->text : "", "\r\n");
    snprintf(buf, len, "%s\"%.*s\"", e->kind == EV_MSRP ? "MSRP " : "", (int)(n < 200 ? n : 200),
             e->text ? e->text : "");
    break;
  }
  case EV_DTLS_UP: snprintf(buf, len, "DTLS handshake done"); break;
  case EV_DTLS_FAIL: snprintf(buf, len, "DTLS failure (%s)", e->text ? e->text : ""); break;
  case EV_SCTP_UP: snprintf(buf, len, "SCTP association up"); break;
  case EV_SCTP_LOST: snprintf(buf, len, "SCTP association lost"); break;
  case EV_CHANNEL: snprintf(buf, len, "data channel %d open", e->num); break;
  case EV_TCP_UP: snprintf(buf, len, "TCP connected"); break;
  case EV_TCP_DOWN: snprintf(buf, len, "TCP closed"); break;
  case EV_CHANNEL_CLOSED: snprintf(buf, len, "data channel %d closed", e->num); break;
  }
}

static void res_set(struct call *c, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void res_set(struct call *c, enum verdict v, const char *fmt, ...)
{
  struct step_result *r = &c->res[c->cur];
  r->v = v;
  r->t_us = now_us();
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
  }
}

static void step_fail(struct call *c, const char *fmt, ...)
{
  if (c->finished || c->cur >= c->sim->scn->nsteps)
    return;
  struct step_result *r = &c->res[c->cur];
  if (r->v == V_FAIL)
    return;
  r->v = V_FAIL;
  r->t_us = now_us();
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->msg, sizeof r->msg, fmt, ap);
  va_end(ap);
  c->failed = 1;
}

static int hdr_match_cb(const char *v, size_t n, void *vctx)
{
  const char *pat = vctx;
  char *val = strndup(v, n);
  int m = val && scn_glob(pat, val);
  free(val);
  return m;
}

/* Check the matchers on a message; returns 1 or 0 with why filled. */
static int check_matchers(struct call *c, const struct scn_step *st, const char *text,
                          const char *body, size_t body_len, char *why, size_t wlen)
{
  char *b = body ? strndup(body, body_len) : strdup("");
  if (!b)
    return 0;
  for (size_t i = 0; i < st->nmatches; i++) {
    const struct scn_match *m = &st->matches[i];
    char *a = expand(c, m->a);
    char *bb = m->b ? expand(c, m->b) : NULL;
    int ok = 0;
    if (!a || (m->b && !bb)) {
      free(a);
      free(bb);
      free(b);
      snprintf(why, wlen, "cannot expand a matcher");
      return 0;
    }
    switch (m->kind) {
    case SCN_M_SDP_LINE: ok = scn_sdp_has_line(b, a); break;
    case SCN_M_SDP_HAS: ok = scn_sdp_has_attr(b, a); break;
    case SCN_M_SDP_LACKS: ok = !scn_sdp_has_attr(b, a); break;
    case SCN_M_HDR: ok = hdr_each(text, a, compact_of(a), hdr_match_cb, bb); break;
    case SCN_M_HDR_HAS: {
      char tmp[8];
      ok = hdr_get(text, a, tmp, sizeof tmp) == 0;
      break;
    }
    case SCN_M_HDR_LACKS: {
      char tmp[8];
      ok = hdr_get(text, a, tmp, sizeof tmp) != 0;
      break;
    }
    case SCN_M_BODY: ok = strstr(st->what == SCN_W_H248 ? text : b, a) != NULL; break;
    }
    if (!ok) {
      const char *kind = m->kind == SCN_M_SDP_LINE    ? "an SDP line matching"
                         : m->kind == SCN_M_SDP_HAS   ? "the SDP to have"
                         : m->kind == SCN_M_SDP_LACKS ? "the SDP not to have"
                         : m->kind == SCN_M_HDR       ? "header"
                         : m->kind == SCN_M_HDR_HAS   ? "a header"
                         : m->kind == SCN_M_HDR_LACKS ? "no header"
                                                      : "the body to contain";
      if (m->kind == SCN_M_HDR) {
        char got[512] = "(absent)";
        hdr_get(text, a, got, sizeof got);
        snprintf(why, wlen, "expected header %s matching \"%s\" (line %d); got: %s", a, bb,
                 m->line, got);
      } else if (m->kind <= SCN_M_SDP_LACKS) {
        snprintf(why, wlen, "expected %s \"%s\" (line %d); the SDP that came:\n%s", kind, a,
                 m->line, *b ? b : "    (no body)");
      } else {
        snprintf(why, wlen, "expected %s \"%s\" (line %d)", kind, a, m->line);
      }
      free(a);
      free(bb);
      free(b);
      return 0;
    }
    free(a);
    free(bb);
  }
  free(b);
  return 1;
}

static void unlink_ev(struct call *c, int i, struct ev **pp)
{
  struct ev *e = *pp;
  *pp = e->next;
  if (c->inbox_end[i] == &e->next)
    c->inbox_end[i] = pp;
  e->next = NULL;
}

/* H.248 steps: messages from the daemon's capture, in order. */
static struct h248msg *h248 = NULL;
static size_t nh248 = 0, h248_used = 0;

static void h248_row(struct call *c, const struct h248msg *m, uint32_t fig)
{
  char lab[96];
  const char *what = strstr(m->text, "UDP/DTLS/SCTP") ? " (DTLS/SCTP)"
                     : strstr(m->text, "m=message")   ? " (TCP)"
                                                      : "";
  if (m->is_reply)
    snprintf(lab, sizeof lab, "H.248 Reply %s %s", m->command, m->term);
  else if (!strcmp(m->kind, "Transaction"))
    snprintf(lab, sizeof lab, "H.248 %s %s%s", m->command,
             !strcmp(m->term, "$") ? "T=?" : m->term, what);
  else
    snprintf(lab, sizeof lab, "H.248 %s", m->kind);
  call_add_row(c, m->t_us, m->to_agw ? L_ALG : L_AGW, m->to_agw ? L_AGW : L_ALG, fig, 0, 0, "%s",
               lab);
}

/* The H.248 messages of the call's time that no step looked at (Pending,
 * ResponseAck, Notify, the release...): in the ladder too. */
void call_add_h248_rows(struct call *c)
{
  capture_read_h248(c->sim, &h248, &nh248);
  for (size_t i = 0; i < nh248; i++)
    if (!h248[i].used && h248[i].t_us >= c->t0_us)
      h248_row(c, &h248[i], 0);
}

static int try_h248(struct call *c, const struct scn_step *st, char *why, size_t wlen)
{
  struct sim *s = c->sim;
  if (!s->daemon_running && !s->daemon_pcap[0])
    return -2; /* not observable */
  capture_read_h248(s, &h248, &nh248);
  if (!strcasecmp(st->method, "next-request")) {
    /* the first request after the last matched message must be this one
     * (e.g. nothing between a session refresh and the release) */
    for (size_t i = h248_used; i < nh248; i++) {
      struct h248msg *m = &h248[i];
      /* the ALG's periodic audits, acks and the AGW's own messages are
       * not steps of a call */
      if (m->is_reply || strcasecmp(m->kind, "Transaction") != 0 ||
          !strcasecmp(m->command, "Notify") || !strcasecmp(m->command, "ServiceChange") ||
          !strcasecmp(m->command, "AuditValue"))
        continue;
      if (strcasecmp(st->command, m->command) != 0) {
        size_t n = strcspn(m->text, "\r\n");
        snprintf(why, wlen, "expected the next H.248 request to be %s; got %s: %.*s",
                 st->command, m->command, (int)(n < 160 ? n : 160), m->text);
        return -1;
      }
      if (!check_matchers(c, st, m->text, m->text, strlen(m->text), why, wlen))
        return -1;
      h248_used = i + 1;
      m->used = 1;
      h248_row(c, m, st->fig);
      return 1;
    }
    return 0;
  }
  for (size_t i = h248_used; i < nh248; i++) {
    struct h248msg *m = &h248[i];
    int want_reply = !strcasecmp(st->method, "reply");
    int want_notify = !strcasecmp(st->method, "notify");
    if (want_notify ? strcasecmp(m->command, "Notify") != 0
                    : (m->is_reply != want_reply ||
                       (st->command && strcasecmp(st->command, m->command) != 0)))
      continue;
    if (!check_matchers(c, st, m->text, m->text, strlen(m->text), why, wlen))
      return -1;
    h248_used = i + 1;
    m->used = 1;
    h248_row(c, m, st->fig);
    return 1;
  }
  return 0;
}

/* Try to satisfy the current expect step. 1 done, 0 wait, -1 failed (why). */
static int try_expect(struct call *c, const struct scn_step *st, char *why, size_t wlen)
{
  if (st->role == SCN_ROLE_H248) {
    int r = try_h248(c, st, why, wlen);
    return r;
  }
  struct ev **pp = &c->inbox[role_idx(st->role)];
  char wt[64], et[256];
  what_text(st, wt, sizeof wt);
  if (st->what == SCN_W_NOTHING) {
    for (struct ev *e = *pp; e; e = e->next) {
      int quiet = e->kind != EV_SIP && e->kind != EV_MSRP;
      if (e->kind == EV_SIP && ((!e->is_request && e->code < 200) ||
                                (e->is_request && !strcmp(e->method, "ACK"))))
        quiet = 1;
      if (!quiet) {
        ev_text(e, et, sizeof et);
        snprintf(why, wlen, "expected nothing at %s; got %s", scn_role_name(st->role), et);
        return -1;
      }
    }
    return 0; /* the timeout makes it pass */
  }
  while (*pp) {
    struct ev *e = *pp;
    int match = 0, consider = 0;
    switch (st->what) {
    case SCN_W_REQUEST:
    case SCN_W_RESPONSE:
      if (e->kind != EV_SIP)
        break;
      consider = 1;
      if (st->what == SCN_W_REQUEST)
        match = e->is_request && !strcmp(e->method, st->method);
      else
        match = !e->is_request &&
                (st->code_class ? e->code / 100 == st->code : e->code == st->code);
      if (!match) {
        /* provisional responses and ACKs pass by unless expected */
        /* 100 Trying is hop by hop: it passes by unless "expect 100" */
        int want_1xx = st->what == SCN_W_RESPONSE && (st->code_class ? st->code == 1 : st->code < 200);
        int prov = !e->is_request && e->code < 200 &&
                   (!want_1xx || (e->code == 100 && !(st->what == SCN_W_RESPONSE &&
                                                      !st->code_class && st->code == 100)));
        int ack = e->is_request && !strcmp(e->method, "ACK");
        /* responses to other transactions (e.g. the 200 to a CANCEL while
         * the 487 is expected) pass by too */
        int other_tx = !e->is_request && st->what == SCN_W_RESPONSE && e->code >= 200 &&
                       st->code != 487 && 0;
        if (prov || ack || other_tx) {
          unlink_ev(c, role_idx(st->role), pp);
          ev_free(e);
          continue;
        }
        if (!e->is_request && st->what == SCN_W_RESPONSE && !strcmp(e->cseq_method, "CANCEL")) {
          unlink_ev(c, role_idx(st->role), pp);
          ev_free(e);
          continue;
        }
        ev_text(e, et, sizeof et);
        snprintf(why, wlen, "expected %s %s; got %s", scn_role_name(st->role), wt, et);
        return -1;
      }
      break;
    case SCN_W_MSRP:
      if (e->kind != EV_MSRP)
        break;
      if (st->method)
        match = e->is_request && !strcmp(e->method, st->method);
      else
        match = !e->is_request &&
                (st->code_class ? e->code / 100 == st->code : e->code == st->code);
      if (st->channel >= 0 && e->num != st->channel)
        match = 0;
      consider = match;
      break;
    case SCN_W_DTLS: match = e->kind == EV_DTLS_UP; break;
    case SCN_W_DTLS_FAIL: match = e->kind == EV_DTLS_FAIL || e->kind == EV_SCTP_LOST; break;
    case SCN_W_SCTP: match = e->kind == EV_SCTP_UP; break;
    case SCN_W_CHANNEL:
      match = e->kind == EV_CHANNEL && (st->channel < 0 || e->num == st->channel);
      break;
    case SCN_W_MSRP_CONN: match = e->kind == EV_TCP_UP; break;
    case SCN_W_CHANNEL_CLOSED:
      match = e->kind == EV_CHANNEL_CLOSED && (st->channel < 0 || e->num == st->channel);
      break;
    case SCN_W_CONN_CLOSED:
      match = e->kind == EV_TCP_DOWN && (st->channel <= 0 || e->num == st->channel);
      break;
    default: break;
    }
    (void)consider;
    if (!match) {
      if ((st->what == SCN_W_DTLS || st->what == SCN_W_SCTP) &&
          (e->kind == EV_DTLS_FAIL || e->kind == EV_SCTP_LOST)) {
        ev_text(e, et, sizeof et);
        snprintf(why, wlen, "expected %s; got %s", wt, et);
        return -1;
      }
      pp = &e->next;
      continue;
    }
    unlink_ev(c, role_idx(st->role), pp);
    if (e->row && e->row <= c->nrows)
      c->rows[e->row - 1].fig |= st->fig;
    if (st->what == SCN_W_MSRP && st->method && st->size != -1) {
      long want = st->size == -2 ? c->max_body : st->size;
      if ((long)e->body_len != want) {
        snprintf(why, wlen, "expected MSRP %s with a %ld-byte body; got %zu bytes (message %ld of %ld)",
                 st->method, want, e->body_len, c->got_count + 1, st->count);
        ev_free(e);
        return -1;
      }
    }
    if (st->nmatches &&
        !check_matchers(c, st, e->text ? e->text : "", e->body, e->body_len, why, wlen)) {
      char head[256];
      ev_text(e, head, sizeof head);
      size_t n = strlen(why);
      snprintf(why + n, wlen - n, "\n  in %s", head);
      ev_free(e);
      return -1;
    }
    ev_free(e);
    if (st->what == SCN_W_MSRP && ++c->got_count < st->count)
      continue;
    return 1;
  }
  return 0;
}

static void timer_cb(uv_timer_t *t);

static void arm_timer(struct call *c, uint64_t ms)
{
  uv_timer_start(&c->timer, timer_cb, ms, 0);
}

static int do_send(struct call *c, const struct scn_step *st)
{
  switch (st->what) {
  case SCN_W_REQUEST:
    if (st->role == SCN_ROLE_WIC) {
      if (!strcmp(st->method, "ACK") && !c->wic_remote_tag[0]) {
        step_fail(c, "WIC send ACK: no 2xx answer to acknowledge");
        return -1;
      }
      if (!strcmp(st->method, "BYE") && !c->wic_remote_tag[0]) {
        step_fail(c, "WIC send BYE: no dialog (no 2xx answer yet)");
        return -1;
      }
      if (!strcmp(st->method, "CANCEL") && !c->wic_branch[0]) {
        step_fail(c, "WIC send CANCEL: no INVITE sent");
        return -1;
      }
      int r = wic_send_request(c, st, st->method);
      if (r == 0 && !strcmp(st->method, "ACK") && c->wic_answer && !c->dc)
        r = wic_start_media(c);
      else if (r == 0 && !strcmp(st->method, "ACK") && c->dc && (r = wic_maybe_restart(c)) > 0)
        r = 0;
      if (r && !c->failed)
        step_fail(c, "cannot send %s: %s", st->method, uv_strerror(r));
      return r ? -1 : 0;
    }
    if (!strcmp(st->method, "INVITE"))
      return ueb_send_invite(c, st) ? -1 : 0;
    if (!strcmp(st->method, "ACK"))
      return ueb_send_ack(c, st, NULL) ? -1 : 0;
    return ueb_send_bye(c, st) ? -1 : 0;
  case SCN_W_RESPONSE:
    if (st->role == SCN_ROLE_WIC)
      return wic_send_response(c, st) ? -1 : 0;
    return ueb_send_response(c, st) ? -1 : 0;
  case SCN_W_MSRP: {
    long size = st->size < 0 ? 0 : st->size;
    for (long k = 0; k < st->count; k++) {
      size_t len;
      char *m;
      char via[32];
      if (st->role == SCN_ROLE_WIC) {
        char to[256] = "";
        if (!c->wic_answer || scn_sdp_get(c->wic_answer, "a=dcsa:", to, sizeof to) < 0) {
          step_fail(c, "WIC send MSRP: no answer with a=dcsa ... path: to send to");
          return -1;
        }
        /* the path of the channel: a=dcsa:<sid> path:<uri> */
        int sid = st->channel >= 0 ? st->channel : (c->chan[0] >= 0 ? c->chan[0] : 1);
        char key[32];
        snprintf(key, sizeof key, "a=dcsa:%d path:", sid);
        if (scn_sdp_get(c->wic_answer, key, to, sizeof to)) {
          step_fail(c, "WIC send MSRP: the answer has no \"%s\"", key);
          return -1;
        }
        if (st->size == -2) {
          /* size=max: the largest body whose message fits the peer */
          size_t probe_len;
          char *probe = msrp_build_send(c, to, c->wic_path, 0, NULL, &probe_len);
          free(probe);
          c->msrp_seq--;
          size = (long)c->remote_max_msg - (long)probe_len - 64;
          c->max_body = size;
        }
        char from[256];
        wic_own_path(c, sid, from, sizeof from);
        m = msrp_build_send(c, to, from, size, st->text, &len);
        snprintf(via, sizeof via, " (DC %d)", sid);
        int r = m ? out_send(c, -1, sid, m, len, st->fig, 0) : -ENOMEM;
        if (r < 0) {
          step_fail(c, "WIC send MSRP (%zu bytes) on channel %d failed: %s%s", m ? len : 0, sid,
                    wgm_strerror(r),
                    r == -EMSGSIZE ? " (larger than the peer's a=max-message-size)" : "");
          free(m);
          return -1;
        }
        (void)via;
      } else {
        int idx = st->channel > 0 ? st->channel - 1 : 0;
        char to[256] = "";
        if (!c->ueb_offer ||
            scn_sdp_get_nth(c->ueb_offer, "a=path:", idx, to, sizeof to)) {
          step_fail(c, "UE-B send MSRP: the offer has no a=path for session %d", idx + 1);
          return -1;
        }
        if (!c->tcp[idx]) {
          step_fail(c, "UE-B send MSRP: no TCP connection (use \"UE-B connect\" first)");
          return -1;
        }
        if (st->size == -2) {
          /* size=max: the largest body whose message fits the WIC (its
           * offer's a=max-message-size) */
          char mms[32] = "";
          size_t probe_len;
          scn_sdp_get(c->wic_invite_body, "a=max-message-size:", mms, sizeof mms);
          char *probe = msrp_build_send(c, to, ueb_path_of(c, idx), 0, NULL, &probe_len);
          free(probe);
          c->msrp_seq--;
          size = (mms[0] ? atol(mms) : 65536) - (long)probe_len - 64;
          c->max_body = size;
        }
        m = msrp_build_send(c, to, ueb_path_of(c, idx), size, st->text, &len);
        int r = m ? out_send(c, idx, 0, m, len, st->fig, 0) : -ENOMEM;
        if (r < 0) {
          step_fail(c, "UE-B send MSRP (%zu bytes) failed: %s", m ? len : 0, wgm_strerror(r));
          free(m);
          return -1;
        }
      }
      free(m);
    }
    return 0;
  }
  default: step_fail(c, "cannot send that"); return -1;
  }
}

static void call_advance(struct call *c)
{
  struct sim *s = c->sim;
  static int depth;
  if (depth > 0)
    return; /* events pushed while a step runs are looked at after it */
  depth++;
  while (!c->finished) {
    if (c->cur >= s->scn->nsteps) {
      call_finish(c);
      break;
    }
    const struct scn_step *st = &s->scn->steps[c->cur];
    int started = c->step_start_us != 0;
    if (!started) {
      c->step_start_us = now_us();
      c->got_count = 0;
    }
    int r = 0;
    char why[900] = "";
    switch (st->verb) {
    case SCN_SEND: r = do_send(c, st) ? -1 : 1; break;
    case SCN_WAIT:
      if (!started) {
        arm_timer(c, (uint64_t)st->wait_ms);
        r = 0;
      } else {
        r = (now_us() - c->step_start_us) / 1000 >= st->wait_ms - 1 ? 1 : 0;
      }
      break;
    case SCN_OPEN: {
      if (!c->dc) {
        if (c->wic_answer && wic_start_media(c) != 0) {
          r = -1;
          break;
        }
        if (!c->dc) {
          step_fail(c, "open channel: the WIC has no media yet (no answer)");
          r = -1;
          break;
        }
      }
      wgm_channel_info_t ci = { 0 };
      int sid = st->channel;
      if (sid == -2) {
        /* "offered": the stream id of the data-channel offer's a=dcmap */
        char v[64] = "";
        if (!c->wic_answer || scn_sdp_get(c->wic_answer, "a=dcmap:", v, sizeof v) ||
            !isdigit((unsigned char)v[0])) {
          step_fail(c, "open channel offered: the offer the WIC got has no a=dcmap");
          r = -1;
          break;
        }
        sid = atoi(v);
      }
      ci.sid = (uint16_t)sid;
      ci.negotiated = !st->dcep;
      ci.channel_type = WGM_DC_RELIABLE;
      ci.label = st->label ? st->label : "msrp";
      ci.protocol = "MSRP";
      int e = wgm_dc_open_channel(c->dc, &ci);
      if (e) {
        step_fail(c, "open channel %d: %s", sid, wgm_strerror(e));
        r = -1;
      } else {
        for (int k = 0; k < 8; k++)
          if (c->chan[k] < 0) {
            c->chan[k] = sid;
            break;
          }
        call_add_row(c, now_us(), L_WIC, L_WIC, st->fig, 1, 0, "open data channel %d (%s)",
                     sid, st->dcep ? "DCEP" : "negotiated");
        r = 1;
      }
      break;
    }
    case SCN_CONNECT: r = ueb_connect(c, st) ? -1 : 1; break;
    case SCN_CLOSE:
      for (int k = 0; k < c->ntcp; k++)
        if (c->tcp[k]) {
          wgm_tcp_close(c->tcp[k], NULL);
          c->tcp[k] = NULL;
        }
      call_add_row(c, now_us(), L_UEB, L_AGW, st->fig, 1, 0, "TCP close");
      r = 1;
      break;
    case SCN_EXPECT:
      if (st->role == SCN_ROLE_H248 && s->o->calls > 1) {
        res_set(c, V_SKIP, "H.248 is not checked in load mode");
        r = 2;
        break;
      }
      r = try_expect(c, st, why, sizeof why);
      if (r == -2) {
        res_set(c, V_SKIP, "inside the gateway (the Iq between its ALG and AGW): not "
                           "observable with --target; --with-daemon shows it");
        r = 2;
        break;
      }
      if (r == 0) {
        long to = st->timeout_ms ? st->timeout_ms : s->scn->timeout_ms;
        int64_t el = (now_us() - c->step_start_us) / 1000;
        if (el >= to && st->what == SCN_W_NOTHING) {
          r = 1;
        } else if (el >= to) {
          char wt[64];
          what_text(st, wt, sizeof wt);
          /* what is waiting in that inbox instead */
          char pend[600] = "";
          size_t w = 0;
          for (struct ev *e = c->inbox[role_idx(st->role)]; e && w < sizeof pend - 100;
               e = e->next) {
            char et[256];
            ev_text(e, et, sizeof et);
            w += (size_t)snprintf(pend + w, sizeof pend - w, "\n    %s", et);
          }
          if (st->role == SCN_ROLE_H248) {
            /* what the Iq carried instead */
            for (size_t k = h248_used; k < nh248 && w < sizeof pend - 200; k++) {
              const struct h248msg *m = &h248[k];
              char first[160];
              const char *body = strchr(m->text, '\n');
              body = body ? body + 1 : m->text;
              size_t n = 0;
              /* the message on one line, spaces squeezed */
              for (const char *q = body; *q && n < sizeof first - 1; q++) {
                char ch = (*q == '\r' || *q == '\n' || *q == '\t') ? ' ' : *q;
                if (ch == ' ' && n && first[n - 1] == ' ')
                  continue;
                first[n++] = ch;
              }
              first[n] = 0;
              w += (size_t)snprintf(pend + w, sizeof pend - w, "\n    %s %s: %s",
                                    m->to_agw ? "ALG->AGW" : "AGW->ALG", m->command, first);
            }
          }
          if (st->what == SCN_W_MSRP && c->got_count)
            snprintf(why, sizeof why, "expected %ld x %s %s within %.1f s; got %ld%s%s", st->count,
                     scn_role_name(st->role), wt, to / 1000.0, c->got_count,
                     w ? "; pending:" : "", pend);
          else
            snprintf(why, sizeof why, "expected %s %s within %.1f s; got nothing%s%s",
                     scn_role_name(st->role), wt, to / 1000.0, w ? " it expects; pending:" : "",
                     pend);
          /* what the other side got meanwhile often says why (e.g. the WIC
           * got a 488 while UE-B waited for the INVITE) */
          if (st->role != SCN_ROLE_H248) {
            enum scn_role other = st->role == SCN_ROLE_WIC ? SCN_ROLE_UEB : SCN_ROLE_WIC;
            size_t wl = strlen(why);
            int first = 1;
            for (struct ev *e = c->inbox[role_idx(other)]; e && wl < sizeof why - 300;
                 e = e->next) {
              if (e->kind == EV_SIP && !e->is_request && e->code < 200)
                continue;
              char et[256];
              ev_text(e, et, sizeof et);
              wl += (size_t)snprintf(why + wl, sizeof why - wl, "%s%s", first ? "\n  meanwhile " : ", ",
                                     first ? "" : "");
              if (first)
                wl += (size_t)snprintf(why + wl, sizeof why - wl, "%s got: ", scn_role_name(other));
              wl += (size_t)snprintf(why + wl, sizeof why - wl, "%s", et);
              first = 0;
            }
          }
          r = -1;
        } else {
          uint64_t left = (uint64_t)(to - el);
          arm_timer(c, st->role == SCN_ROLE_H248 && left > 50 ? 50 : left);
        }
      }
      break;
    }
    if (r == 0)
      break; /* wait for an event or the timer */
    uv_timer_stop(&c->timer);
    if (r < 0) {
      if (st->optional && st->verb == SCN_EXPECT) {
        res_set(c, V_SKIP, "optional, not seen: %s", why);
      } else {
        if (why[0])
          step_fail(c, "%s", why);
        else
          step_fail(c, "failed");
        if (!c->fail_reason[0]) {
          char wt[64];
          snprintf(c->fail_reason, sizeof c->fail_reason, "%s %s", scn_role_name(st->role),
                   what_text(st, wt, sizeof wt));
        }
        call_finish(c);
        break;
      }
    } else if (r == 1) {
      res_set(c, V_PASS, NULL);
    }
    c->cur++;
    c->step_start_us = 0;
  }
  depth--;
}

static void timer_cb(uv_timer_t *t)
{
  struct call *c = t->data;
  call_advance(c);
}

/* ------------------------------------------------------ call lifecycle */

struct call *call_start(struct sim *s)
{
  struct call *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->sim = s;
  c->id = ++s->call_seq;
  c->wic_fd = -1;
  c->res = calloc(s->scn->nsteps, sizeof *c->res);
  if (!c->res) {
    free(c);
    return NULL;
  }
  for (int k = 0; k < 8; k++)
    c->chan[k] = -1;
  char r[40];
  rnd_hex(r, 8);
  snprintf(c->call_id, sizeof c->call_id, "wicsim-%u-%s", c->id, r);
  rnd_hex(c->wic_tag, 6);
  rnd_hex(c->ueb_tag, 6);
  rnd_hex(c->wic_ufrag, 4);
  rnd_hex(c->wic_pwd, 12);
  rnd_hex(r, 6);
  snprintf(c->wic_path, sizeof c->wic_path, "msrp://%s:9/%s;dc", s->ip, r);
  rnd_hex(r, 6);
  snprintf(c->wic_path2, sizeof c->wic_path2, "msrp://%s:9/%s;dc", s->ip, r);
  rnd_hex(c->rnd, 8);
  snprintf(c->sess, sizeof c->sess, "%u%06u", (unsigned)(wg_time_us() / 1000000 % 100000), c->id);
  /* a well-formed fingerprint of no certificate */
  char fb[80];
  rnd_hex(fb, 32);
  size_t w = (size_t)snprintf(c->bad_fp, sizeof c->bad_fp, "sha-256 ");
  for (int i = 0; i < 32; i++) {
    c->bad_fp[w++] = (char)toupper((unsigned char)fb[2 * i]);
    c->bad_fp[w++] = (char)toupper((unsigned char)fb[2 * i + 1]);
    if (i < 31)
      c->bad_fp[w++] = ':';
  }
  c->bad_fp[w] = 0;
  snprintf(c->wic_fp, sizeof c->wic_fp, "%s",
           wgm_cert_fingerprint(wgm_ctx_cert((wgm_ctx_t *)s->mctx)));
  int fd = bind_udp(s->ip, &c->wic_port);
  if (fd < 0) {
    free(c->res);
    free(c);
    return NULL;
  }
  c->wic_fd = fd; /* taken by the DC endpoint when the answer comes */
  c->wic_fd2 = -1;
  /* UE-B's nominal MSRP ports (it connects: a=setup:active) */
  c->ueb_port = 2855;
  c->ueb_port2 = 2856;
  rnd_hex(r, 6);
  snprintf(c->ueb_path, sizeof c->ueb_path, "msrp://%s:%d/%s;tcp", s->ip, c->ueb_port, r);
  rnd_hex(r, 6);
  snprintf(c->ueb_path2, sizeof c->ueb_path2, "msrp://%s:%d/%s;tcp", s->ip, c->ueb_port2, r);
  snprintf(c->wic_ruri, sizeof c->wic_ruri, "sip:ue-b@%s:%d", s->ip, sa_port(&s->ueb_sip_addr));
  uv_timer_init(s->loop, &c->timer);
  c->timer.data = c;
  uv_timer_init(s->loop, &c->wic_rtx);
  c->wic_rtx.data = c;
  c->wic_rtx_live = 1;
  uv_timer_init(s->loop, &c->ueb_rtx);
  c->ueb_rtx.data = c;
  c->ueb_rtx_live = 1;
  c->t0_us = now_us();
  c->next = s->calls;
  s->calls = c;
  call_advance(c);
  return c;
}

/* Media endpoints close asynchronously; the call is "done" for the sim
 * when its steps are over (finished) -- the handles are released later. */
static void call_finish(struct call *c)
{
  if (c->finished)
    return;
  c->finished = 1;
  c->marks.done = now_us();
  struct sim *s = c->sim;
  /* steps not reached stay V_NOTRUN */
  uv_timer_stop(&c->timer);
  uv_timer_stop(&c->wic_rtx);
  uv_timer_stop(&c->ueb_rtx);
  /* when it failed half way, release what is up, so that the gateway is
   * clean for the next run: BYE an established dialog, CANCEL a pending
   * INVITE (best effort, no step) */
  if (c->failed && s->o->calls <= 1) {
    if (c->wic_remote_tag[0] && !c->wic_bye_sent)
      wic_send_request(c, NULL, "BYE");
    else if (c->wic_branch[0] && !c->wic_got_final)
      wic_send_request(c, NULL, "CANCEL");
    uv_timer_stop(&c->wic_rtx);
  }
  if (c->wic_fd >= 0) {
    close(c->wic_fd);
    c->wic_fd = -1;
  }
  if (c->wic_fd2 >= 0) {
    close(c->wic_fd2);
    c->wic_fd2 = -1;
  }
}

static void tcp_closed_cb(wgm_tcp_t *t) { (void)t; }
static void dc_closed_cb(wgm_dc_t *dc) { (void)dc; }
static void h_close(uv_handle_t *h) { (void)h; }

void call_free(struct call *c)
{
  struct sim *s = c->sim;
  for (struct call **pp = &s->calls; *pp; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  for (int k = 0; k < 4; k++)
    if (c->tcp[k])
      wgm_tcp_close(c->tcp[k], tcp_closed_cb);
  if (c->dc)
    wgm_dc_close(c->dc, dc_closed_cb);
  uv_close((uv_handle_t *)&c->timer, h_close);
  uv_close((uv_handle_t *)&c->wic_rtx, h_close);
  uv_close((uv_handle_t *)&c->ueb_rtx, h_close);
  for (int i = 0; i < 3; i++)
    while (c->inbox[i]) {
      struct ev *e = c->inbox[i];
      c->inbox[i] = e->next;
      ev_free(e);
    }
  memset(c->inbox_end, 0, sizeof c->inbox_end);
  while (c->outq) {
    struct outq *q = c->outq;
    c->outq = q->next;
    free(q->data);
    free(q);
  }
  c->outq_end = NULL;
  free(c->wic_routes);
  free(c->wic_last_req);
  free(c->wic_ack);
  free(c->wic_answer);
  free(c->ueb_invite);
  for (int i = 0; i < 4; i++) {
    free(c->ueb_last_req[i]);
    free(c->ueb_last_resp[i]);
  }
  free(c->ueb_routes);
  free(c->ueb_offer);
  free(c->ueb_answer);
  free(c->ueb_2xx);
  free(c->ueb_bye);
  free(c->wic_inv_req);
  free(c->wic_inv_resp);
  free(c->ueb_inv_req);
  free(c->ueb_2xx_resp);
  free(c->ueb_ack);
  c->next = s->dead;
  s->dead = c;
  /* rows and res stay with the caller until it frees them: the handles
   * above reference c until their close callbacks ran, so the memory of c
   * is released by sim_close after the loop drained. */
}

/* ------------------------------------------------------------ the sim */

static void conn_closed(uv_handle_t *h)
{
  struct sipconn *k = h->data;
  free(k->buf);
  free(k);
}

static void conn_close(struct sipconn *k)
{
  struct sim *s = k->sim;
  if (k->closing)
    return;
  k->closing = 1;
  for (struct call *c = s->calls; c; c = c->next)
    if (c->ueb_conn == k)
      c->ueb_conn = NULL;
  for (struct call *c = s->dead; c; c = c->next)
    if (c->ueb_conn == k)
      c->ueb_conn = NULL;
  for (struct sipconn **pp = &s->conns; *pp; pp = &(*pp)->next)
    if (*pp == k) {
      *pp = k->next;
      break;
    }
  if (s->pcap)
    wg_pcap_tcp_close(s->pcap, (const struct sockaddr *)&k->peer,
                      (const struct sockaddr *)&s->ueb_sip_addr);
  uv_close((uv_handle_t *)&k->h, conn_closed);
}

static void conn_alloc(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
  struct sipconn *k = h->data;
  if (k->cap - k->len < 65536) {
    size_t cap = k->cap ? k->cap * 2 : 65536 * 2;
    char *nb = cap <= 4 * 1024 * 1024 ? realloc(k->buf, cap) : NULL;
    if (!nb) {
      b->base = NULL;
      b->len = 0;
      return;
    }
    k->buf = nb;
    k->cap = cap;
  }
  b->base = k->buf + k->len;
  b->len = k->cap - k->len - 1;
}

/* One SIP message from the stream: the head up to the blank line, then
 * Content-Length bytes. Returns its length, 0 (need more), -1 (bad). */
static long sip_frame(const char *b, size_t n)
{
  const char *e = NULL;
  for (size_t i = 0; i + 3 < n; i++)
    if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
      e = b + i + 4;
      break;
    }
  if (!e)
    return n > 65536 ? -1 : 0;
  long cl = -1;
  for (const char *q = b; q < e;) {
    const char *eol = memchr(q, '\n', (size_t)(e - q));
    if (!eol)
      break;
    if (!strncasecmp(q, "Content-Length:", 15))
      cl = atol(q + 15);
    else if (!strncasecmp(q, "l:", 2))
      cl = atol(q + 2);
    q = eol + 1;
  }
  if (cl < 0 || cl > 1024 * 1024)
    return -1; /* RFC 3261 18.3: Content-Length is mandatory on a stream */
  size_t total = (size_t)(e - b) + (size_t)cl;
  return total <= n ? (long)total : 0;
}

static void conn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
  struct sipconn *k = st->data;
  struct sim *s = k->sim;
  if (nread < 0 || !b->base) {
    conn_close(k);
    return;
  }
  if (s->pcap && nread > 0)
    wg_pcap_tcp(s->pcap, (const struct sockaddr *)&k->peer,
                (const struct sockaddr *)&s->ueb_sip_addr, b->base, (size_t)nread);
  k->len += (size_t)nread;
  for (;;) {
    /* keep-alive CRLFs between messages */
    size_t skip = 0;
    while (skip < k->len && (k->buf[skip] == '\r' || k->buf[skip] == '\n'))
      skip++;
    if (skip) {
      memmove(k->buf, k->buf + skip, k->len - skip);
      k->len -= skip;
    }
    long m = sip_frame(k->buf, k->len);
    if (m < 0) {
      conn_close(k);
      return;
    }
    if (m == 0)
      return;
    char *copy = malloc((size_t)m + 1);
    if (!copy) {
      conn_close(k);
      return;
    }
    memcpy(copy, k->buf, (size_t)m);
    copy[m] = 0;
    memmove(k->buf, k->buf + m, k->len - (size_t)m);
    k->len -= (size_t)m;
    ueb_on_sip(s, copy, (size_t)m, (const struct sockaddr *)&k->peer, k);
    free(copy);
    if (k->closing)
      return;
  }
}

static void on_sip_conn(uv_stream_t *server, int status)
{
  struct sim *s = server->data;
  if (status < 0)
    return;
  struct sipconn *k = calloc(1, sizeof *k);
  if (!k)
    return;
  k->sim = s;
  uv_tcp_init(s->loop, &k->h);
  k->h.data = k;
  if (uv_accept(server, (uv_stream_t *)&k->h) != 0) {
    uv_close((uv_handle_t *)&k->h, conn_closed);
    return;
  }
  int nl = sizeof k->peer;
  uv_tcp_getpeername(&k->h, (struct sockaddr *)&k->peer, &nl);
  k->next = s->conns;
  s->conns = k;
  uv_read_start((uv_stream_t *)&k->h, conn_alloc, conn_read);
}

/* A port on ip where both UDP and TCP can bind: `fixed` when not 0, else a
 * random one in 15000-19999 (below the kernel's ephemeral range, where
 * port-0 binds of other programs land; the test suite draws its own free
 * ports from 10000-14999, so the two never race for one). With keep, the two bound sockets
 * are returned (the TCP one with SO_REUSEADDR), else closed. Returns the
 * port or -errno. */
int sim_pick_port(const char *ip, int fixed, int keep, int *ufd, int *tfd)
{
  static int seeded;
  if (!seeded) {
    srand((unsigned)(getpid() ^ (wg_time_us() & 0xffffff)));
    seeded = 1;
  }
  for (int attempt = 0; attempt < 200; attempt++) {
    int port = fixed ? fixed : 15000 + rand() % 5000;
    char hp[96];
    struct sockaddr_storage ss;
    snprintf(hp, sizeof hp, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
    if (wg_parse_hostport(hp, 1, &ss))
      return -EINVAL;
    socklen_t sl =
        ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int u = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int t = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (t >= 0)
      setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (u >= 0 && t >= 0 && bind(u, (struct sockaddr *)&ss, sl) == 0 &&
        bind(t, (struct sockaddr *)&ss, sl) == 0) {
      if (keep) {
        *ufd = u;
        *tfd = t;
      } else {
        close(u);
        close(t);
      }
      return port;
    }
    int e = errno;
    if (u >= 0)
      close(u);
    if (t >= 0)
      close(t);
    if (fixed)
      return -e;
  }
  return -EADDRINUSE;
}

static int udp_bind(struct sim *s, uv_udp_t *h, int *live, const char *ip, int port,
                    struct sockaddr_storage *out)
{
  char hp[96];
  snprintf(hp, sizeof hp, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
  if (wg_parse_hostport(hp, 1, out))
    return -EINVAL;
  uv_udp_init(s->loop, h);
  h->data = s;
  *live = 1;
  int r = uv_udp_bind(h, (const struct sockaddr *)out, 0);
  if (r)
    return r;
  int nl = sizeof *out;
  uv_udp_getsockname(h, (struct sockaddr *)out, &nl);
  return uv_udp_recv_start(h, alloc_cb, sip_recv);
}

int sim_init(struct sim *s, uv_loop_t *loop, struct sim_opts *o, struct scn *scn, char *err,
             size_t errlen)
{
  s->loop = loop;
  s->o = o;
  s->scn = scn;
  snprintf(s->ip, sizeof s->ip, "%s", o->ip ? o->ip : "127.0.0.1");
  wgm_ctx_t *m = NULL;
  int r = wgm_ctx_new(loop, NULL, &m);
  if (r) {
    snprintf(err, errlen, "cannot start the media library: %s", wgm_strerror(r));
    return r;
  }
  s->mctx = m;
  if ((r = udp_bind(s, &s->wic_sip, &s->wic_sip_live, s->ip, 0, &s->wic_sip_addr))) {
    snprintf(err, errlen, "cannot bind the WIC's SIP socket on %s: %s", s->ip, uv_strerror(r));
    return r;
  }
  /* UE-B: SIP over UDP and TCP on one port */
  int ufd = -1, tfd = -1;
  int port = sim_pick_port(s->ip, o->ueb_sip_port, 1, &ufd, &tfd);
  if (port < 0) {
    if (o->ueb_sip_port)
      snprintf(err, errlen, "cannot bind UE-B's SIP port %d (--ueb-port) on %s: %s",
               o->ueb_sip_port, s->ip, strerror(-port));
    else
      snprintf(err, errlen, "cannot bind UE-B's SIP port (none free in 15000-19999) on %s: %s",
               s->ip, strerror(-port));
    return port;
  }
  char hp[96];
  snprintf(hp, sizeof hp, strchr(s->ip, ':') ? "[%s]:%d" : "%s:%d", s->ip, port);
  wg_parse_hostport(hp, 1, &s->ueb_sip_addr);
  uv_udp_init(loop, &s->ueb_sip);
  s->ueb_sip.data = s;
  s->ueb_sip_live = 1;
  uv_tcp_init(loop, &s->ueb_tcp);
  s->ueb_tcp.data = s;
  s->ueb_tcp_live = 1;
  /* the handles own the descriptors only once opened: close the others here */
  if ((r = uv_udp_open(&s->ueb_sip, ufd))) {
    close(ufd);
    close(tfd);
  } else if ((r = uv_tcp_open(&s->ueb_tcp, tfd))) {
    close(tfd);
  } else if (!(r = uv_udp_recv_start(&s->ueb_sip, alloc_cb, sip_recv))) {
    r = uv_listen((uv_stream_t *)&s->ueb_tcp, 16, on_sip_conn);
  }
  if (r) {
    snprintf(err, errlen, "cannot use UE-B's SIP port %d: %s", port, uv_strerror(r));
    return r;
  }
  return 0;
}

void sim_close(struct sim *s)
{
  while (s->calls)
    call_free(s->calls);

  if (s->wic_sip_live && !uv_is_closing((uv_handle_t *)&s->wic_sip))
    uv_close((uv_handle_t *)&s->wic_sip, NULL);
  if (s->ueb_sip_live && !uv_is_closing((uv_handle_t *)&s->ueb_sip))
    uv_close((uv_handle_t *)&s->ueb_sip, NULL);
  while (s->conns)
    conn_close(s->conns);
  if (s->ueb_tcp_live && !uv_is_closing((uv_handle_t *)&s->ueb_tcp))
    uv_close((uv_handle_t *)&s->ueb_tcp, NULL);
}

void *sim_media_ctx(struct sim *s) { return s->mctx; }

/* An OPTIONS to the target: is something answering SIP there? (A response
 * sets s->probe_ok.) */
int sim_probe(struct sim *s)
{
  char b[1024], br[20], id[20];
  rnd_hex(br, 6);
  rnd_hex(id, 6);
  int port = sa_port(&s->wic_sip_addr);
  int n = snprintf(b, sizeof b,
                   "OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n"
                   "Max-Forwards: 0\r\nFrom: <sip:wic-a@%s>;tag=%s\r\nTo: <sip:%s>\r\n"
                   "Call-ID: wicsim-probe-%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
                   s->ip, s->ip, port, br, s->ip, id, s->ip, id);
  return sip_send(s, &s->wic_sip, &s->wic_sip_addr, (const struct sockaddr *)&s->target, b,
                  (size_t)n);
}

void sim_free_dead(struct sim *s)
{
  while (s->dead) {
    struct call *c = s->dead;
    s->dead = c->next;
    free(c->rows);
    free(c->res);
    free(c);
  }
}

int sim_free_media(struct sim *s)
{
  if (!s->mctx)
    return 0;
  int r = wgm_ctx_free((wgm_ctx_t *)s->mctx);
  if (r == 0)
    s->mctx = NULL;
  return r;
}
