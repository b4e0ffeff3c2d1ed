/* relay.c -- one data-channel stream <-> one TCP endpoint, one MSRP message
 * per data-channel message, never rewritten (CEMA), back-pressure both ways,
 * nothing dropped silently. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agw/media/media-int.h"

struct held {
  struct held *next;
  size_t len;
  uint8_t data[];
};

struct wgm_relay {
  wgm_dc_t *dc;
  uint16_t sid;
  wgm_tcp_t *tcp;
  wgm_relay_callbacks_t cb;
  void *data;
  struct held *head, *tail; /* DC -> TCP messages TCP could not take yet */
  int dc_paused;            /* we paused SCTP reading */
  int tcp_paused;           /* we paused TCP reading */
  int shut_dc_to_tcp;       /* gate closed: DC messages go to the dc's `message` */
  int shut_tcp_to_dc;       /* gate closed: TCP messages go to the tcp's `message` */
  wgm_relay_stats_t st;
};

int wgm_relay_new(wgm_dc_t *dc, uint16_t sid, wgm_tcp_t *tcp, const wgm_relay_callbacks_t *cb,
                  void *data, wgm_relay_t **out) {
  if (!dc || !tcp || !out || sid == 65535)
    return -EINVAL;
  wgm_relay_t *r = calloc(1, sizeof(*r));
  if (!r)
    return -ENOMEM;
  r->dc = dc;
  r->sid = sid;
  r->tcp = tcp;
  if (cb)
    r->cb = *cb;
  r->data = data;
  int rc = wgm__tcp_attach_relay(tcp, r);
  if (rc < 0) {
    free(r);
    return rc;
  }
  rc = wgm__dc_attach_relay(dc, sid, r);
  if (rc < 0) {
    wgm__tcp_detach_relay(tcp);
    free(r);
    return rc == -ENOENT ? -EINVAL : rc;
  }
  /* TCP -> DC waits until the channel is open */
  if (!wgm__dc_channel_is_open(dc, sid)) {
    r->tcp_paused = 1;
    wgm_tcp_pause_read(tcp, 1);
  }
  *out = r;
  return 0;
}

void wgm_relay_free(wgm_relay_t *r) {
  if (!r)
    return;
  wgm__dc_detach_relay(r->dc, r->sid);
  wgm__tcp_detach_relay(r->tcp);
  if (r->dc_paused)
    wgm_dc_pause_read(r->dc, 0);
  if (r->tcp_paused)
    wgm_tcp_pause_read(r->tcp, 0);
  while (r->head) {
    struct held *h = r->head;
    r->head = h->next;
    free(h);
  }
  free(r);
}

void *wgm_relay_get_data(const wgm_relay_t *r) { return r->data; }
void wgm_relay_get_stats(const wgm_relay_t *r, wgm_relay_stats_t *out) { *out = r->st; }

/* ----------------------------------------------------------- DC -> TCP */

static int hold(wgm_relay_t *r, const uint8_t *d, size_t len) {
  struct held *h = malloc(sizeof(*h) + len);
  if (!h)
    return -ENOMEM;
  h->next = NULL;
  h->len = len;
  memcpy(h->data, d, len);
  if (r->tail)
    r->tail->next = h;
  else
    r->head = h;
  r->tail = h;
  if (!r->dc_paused) {
    r->dc_paused = 1;
    r->st.dc_paused++;
    wgm_dc_pause_read(r->dc, 1);
  }
  return 0;
}

static void flush_held(wgm_relay_t *r) {
  while (r->head) {
    int rc = wgm_tcp_send(r->tcp, r->head->data, r->head->len);
    if (rc == -EAGAIN || rc == -ENOTCONN)
      return;
    struct held *h = r->head;
    if (rc == 0) {
      r->st.dc_to_tcp_msgs++;
      r->st.dc_to_tcp_bytes += h->len;
    }
    r->head = h->next;
    if (!r->head)
      r->tail = NULL;
    free(h);
  }
  if (r->dc_paused) {
    r->dc_paused = 0;
    wgm_dc_pause_read(r->dc, 0);
  }
}

int wgm__relay_from_dc(wgm_relay_t *r, uint32_t ppid, const uint8_t *d, size_t len) {
  (void)ppid;
  if (r->shut_dc_to_tcp)
    return WGM__RELAY_NOT_TAKEN;
  return wgm_relay_send_to_tcp(r, d, len);
}

int wgm_relay_send_to_tcp(wgm_relay_t *r, const uint8_t *d, size_t len) {
  if (!r || (!d && len))
    return -EINVAL;
  if (r->head)
    return hold(r, d, len);
  int rc = wgm_tcp_send(r->tcp, d, len);
  if (rc == -EAGAIN || rc == -ENOTCONN)
    return hold(r, d, len);
  if (rc == 0) {
    r->st.dc_to_tcp_msgs++;
    r->st.dc_to_tcp_bytes += len;
  }
  return rc;
}

void wgm__relay_tcp_writable(wgm_relay_t *r) { flush_held(r); }
void wgm__relay_tcp_connected(wgm_relay_t *r) { flush_held(r); }

/* ----------------------------------------------------------- TCP -> DC */

/* The first URI of To-Path / From-Path and the Failure-Report value in the
 * header lines [p, end) (the start line excluded); lines that are not
 * headers are skipped, so a malformed header block is read as far as it
 * goes. */
static void read_paths(const char *p, const char *end, char to[512], char from[512],
                       char frep[16]) {
  to[0] = from[0] = frep[0] = 0;
  p = memchr(p, '\n', (size_t)(end - p));
  while (p && ++p < end) {
    const char *e = memchr(p, '\r', (size_t)(end - p));
    if (!e || e == p)
      break; /* end of the header block */
    size_t n = (size_t)(e - p);
    char *dst = NULL;
    size_t cap = 0, skip = 0;
    if (n > 10 && !strncasecmp(p, "From-Path:", 10))
      dst = to, cap = 512, skip = 10;
    else if (n > 8 && !strncasecmp(p, "To-Path:", 8))
      dst = from, cap = 512, skip = 8;
    else if (n > 15 && !strncasecmp(p, "Failure-Report:", 15))
      dst = frep, cap = 16, skip = 15;
    if (dst && !dst[0]) {
      const char *v = p + skip;
      while (v < e && *v == ' ')
        v++;
      size_t vl = 0;
      while (v + vl < e && v[vl] != ' ' && vl + 1 < cap)
        vl++;
      memcpy(dst, v, vl);
      dst[vl] = 0;
    }
    p = memchr(e, '\n', (size_t)(end - e));
  }
}

/* Answer the SEND whose transaction id is tid and whose header block is
 * [hdr, end) with an MSRP error on TCP (RFC 4975 7.2): To-Path is the first
 * From-Path URI, From-Path the first To-Path URI; nothing when a path is
 * missing or Failure-Report is "no". 1 when sent. */
static size_t build_status(const char *tid, const char *status, const char *hdr,
                           const char *end, char *out, size_t cap) {
  char to[512], from[512], frep[16];
  read_paths(hdr, end, to, from, frep);
  if (!to[0] || !from[0] || !strcasecmp(frep, "no"))
    return 0;
  int n = snprintf(out, cap, "MSRP %s %s\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n",
                   tid, status, to, from, tid);
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int answer_status(wgm_relay_t *r, const char *tid, const char *status, const char *hdr,
                         const char *end) {
  char out[1300];
  size_t n = build_status(tid, status, hdr, end, out, sizeof(out));
  return n && wgm_tcp_send(r->tcp, out, n) == 0;
}

size_t wgm_msrp_answer(const uint8_t *req, size_t len, const char *status, char *out,
                       size_t cap) {
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  if (!req || !status || !out)
    return 0;
  wgm_msrp_framer_init(&f, len + 1);
  if (wgm_msrp_frame(&f, req, len, &fr) <= 0 || !fr.is_request || strcmp(fr.method, "SEND"))
    return 0;
  return build_status(fr.tid, status, (const char *)req, (const char *)req + fr.header_len, out,
                      cap);
}

/* Answer a SEND that cannot be relayed with 413 on TCP (RFC 4975 7.2). */
static void answer_413(wgm_relay_t *r, const uint8_t *d, size_t len) {
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  wgm_msrp_framer_init(&f, len + 1);
  if (wgm_msrp_frame(&f, d, len, &fr) <= 0 || !fr.is_request || strcmp(fr.method, "SEND"))
    return;
  if (answer_status(r, fr.tid, "413 Message too large", (const char *)d,
                    (const char *)d + fr.header_len))
    r->st.answered_413++;
}

/* The TCP side sent bytes the MSRP framer refuses (err: -EBADMSG, or
 * -EMSGSIZE over the framer's limit); tcp.c closes the connection next.
 * When the start line is a SEND with a readable transaction id and the
 * paths can be read, answer it first: 413 for -EMSGSIZE, else 400 ("the
 * request was unintelligible", RFC 4975 section 10). */
void wgm__relay_tcp_bad_framing(wgm_relay_t *r, const uint8_t *d, size_t len, int err) {
  const char *p = (const char *)d, *end = p + len;
  const char *eol = memchr(p, '\r', len);
  char tid[33];
  size_t tl = 0;
  if (!eol || len < 10 || memcmp(p, "MSRP ", 5))
    return;
  p += 5;
  while (p + tl < eol && p[tl] != ' ' && tl < 32)
    tl++;
  if (tl < 4 || p + tl >= eol || p[tl] != ' ' || (size_t)(eol - (p + tl + 1)) != 4 ||
      memcmp(p + tl + 1, "SEND", 4))
    return;
  for (size_t i = 0; i < tl; i++)
    if (!isalnum((unsigned char)p[i]) && (!p[i] || !strchr(".-+%=", p[i])))
      return;
  memcpy(tid, p, tl);
  tid[tl] = 0;
  const char *hend = memmem(d, len, "\r\n\r\n", 4);
  if (answer_status(r, tid, err == -EMSGSIZE ? "413 Message too large" : "400 Bad Request",
                    (const char *)d, hend ? hend + 2 : end)) {
    if (err == -EMSGSIZE)
      r->st.answered_413++;
    else
      r->st.answered_400++;
  }
}

int wgm__relay_from_tcp(wgm_relay_t *r, const uint8_t *d, size_t len) {
  if (r->shut_tcp_to_dc)
    return WGM__RELAY_NOT_TAKEN;
  if (len > wgm__dc_remote_max(r->dc)) {
    r->st.too_big++;
    answer_413(r, d, len);
    if (r->cb.dropped)
      r->cb.dropped(r, 1, -EMSGSIZE, len);
    return 0; /* consumed (answered / reported) */
  }
  int rc = wgm_dc_send(r->dc, r->sid, WGM_PPID_BINARY, d, len);
  if (rc == -EAGAIN || rc == -ENOTCONN) {
    if (!r->tcp_paused) {
      r->tcp_paused = 1;
      r->st.tcp_paused++;
    }
    wgm_tcp_pause_read(r->tcp, 1);
    return -EAGAIN;
  }
  if (rc < 0) {
    if (r->cb.dropped)
      r->cb.dropped(r, 1, rc, len);
    return 0;
  }
  r->st.tcp_to_dc_msgs++;
  r->st.tcp_to_dc_bytes += len;
  return 0;
}

static void resume_tcp(wgm_relay_t *r) {
  if (r->tcp_paused) {
    r->tcp_paused = 0;
    wgm_tcp_pause_read(r->tcp, 0);
  }
}

void wgm__relay_dc_writable(wgm_relay_t *r) { resume_tcp(r); }

void wgm_relay_set_gates(wgm_relay_t *r, int dc_to_tcp, int tcp_to_dc) {
  if (!r)
    return;
  r->shut_dc_to_tcp = !dc_to_tcp;
  r->shut_tcp_to_dc = !tcp_to_dc;
}
void wgm__relay_dc_open(wgm_relay_t *r) { resume_tcp(r); }
