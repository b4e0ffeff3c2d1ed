/* msrp.c -- incremental MSRP framer (RFC 4975 section 7). Pure: no I/O, no
 * allocation, never modifies the bytes it frames. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "agw/media/wgmedia.h"

enum { ST_START = 0, ST_HEADERS = 1, ST_BODY = 2 };

#define START_LINE_MAX 1024
#define DEFAULT_MAX (1024 * 1024)

void wgm_msrp_framer_init(wgm_msrp_framer_t *f, size_t max_size) {
  memset(f, 0, sizeof(*f));
  f->max_size = max_size ? max_size : DEFAULT_MAX;
}

static int is_alnum(int c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_tid_char(int c) {
  return is_alnum(c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '=';
}

static const uint8_t *find_crlf(const uint8_t *p, size_t from, size_t len) {
  for (size_t i = from; i + 1 < len; i++)
    if (p[i] == '\r' && p[i + 1] == '\n')
      return p + i;
  return NULL;
}

/* Validate "MSRP SP tid SP (METHOD | code [SP comment])" of length n. */
static int parse_start(const uint8_t *p, size_t n, wgm_msrp_frame_t *c) {
  if (n < 5 || memcmp(p, "MSRP ", 5) != 0)
    return -EBADMSG;
  size_t i = 5, t = 0;
  while (i < n && p[i] != ' ') {
    if (!is_tid_char(p[i]) || t >= WGM_MSRP_TID_MAX)
      return -EBADMSG;
    c->tid[t++] = (char)p[i++];
  }
  c->tid[t] = 0;
  if (t < 4 || !is_alnum((unsigned char)c->tid[0]) || i >= n)
    return -EBADMSG;
  i++; /* SP */
  size_t rest = n - i;
  const uint8_t *r = p + i;
  if (rest >= 3 && r[0] >= '0' && r[0] <= '9' && r[1] >= '0' && r[1] <= '9' && r[2] >= '0' &&
      r[2] <= '9') {
    if (rest > 3 && r[3] != ' ')
      return -EBADMSG;
    if (r[0] == '0')
      return -EBADMSG;
    c->is_request = 0;
    c->status = (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
    for (size_t k = 4; k < rest; k++)
      if ((r[k] < 0x20 && r[k] != '\t') || r[k] == 0x7f)
        return -EBADMSG;
    return 0;
  }
  if (rest == 0 || rest >= sizeof(c->method))
    return -EBADMSG;
  for (size_t k = 0; k < rest; k++) {
    if (r[k] < 'A' || r[k] > 'Z')
      return -EBADMSG;
    c->method[k] = (char)r[k];
  }
  c->method[rest] = 0;
  c->is_request = 1;
  return 0;
}

/* "-------<tid><flag>" exactly, n bytes (without CRLF). 1 match, 0 no. */
static int is_end_line(const uint8_t *p, size_t n, const char *tid, char *flag) {
  size_t tl = strlen(tid);
  if (n != 7 + tl + 1 || memcmp(p, "-------", 7) != 0 || memcmp(p + 7, tid, tl) != 0)
    return 0;
  char fl = (char)p[7 + tl];
  if (fl != '$' && fl != '+' && fl != '#')
    return 0;
  *flag = fl;
  return 1;
}

static int finish(wgm_msrp_framer_t *f, size_t total, wgm_msrp_frame_t *out) {
  f->cur.len = total;
  if (total > f->max_size)
    return -EMSGSIZE;
  if (out)
    *out = f->cur;
  size_t max = f->max_size;
  wgm_msrp_framer_init(f, max);
  return (int)total;
}

int wgm_msrp_frame(wgm_msrp_framer_t *f, const void *buf, size_t len, wgm_msrp_frame_t *out) {
  const uint8_t *p = buf;
  if (!f || (!buf && len))
    return -EINVAL;
  if (f->max_size == 0)
    f->max_size = DEFAULT_MAX;
  if (f->max_size > (size_t)0x7FFFFFFF)
    f->max_size = 0x7FFFFFFF;
  for (;;) {
    switch (f->state) {
    case ST_START: {
      size_t chk = len < 5 ? len : 5;
      if (memcmp(p, "MSRP ", chk) != 0)
        return -EBADMSG;
      const uint8_t *e = find_crlf(p, f->scan ? f->scan - 1 : 0, len);
      if (!e) {
        f->scan = len;
        if (len > START_LINE_MAX)
          return -EBADMSG;
        return WGM_MSRP_NEED_MORE;
      }
      size_t n = (size_t)(e - p);
      memset(&f->cur, 0, sizeof(f->cur));
      if (n > START_LINE_MAX || parse_start(p, n, &f->cur) < 0)
        return -EBADMSG;
      f->scan = n + 2;
      f->state = ST_HEADERS;
      break;
    }
    case ST_HEADERS: {
      size_t ls = f->scan;
      const uint8_t *e = find_crlf(p, ls, len);
      if (!e) {
        if (len > f->max_size)
          return -EMSGSIZE;
        /* an incomplete line: check what can already be checked */
        for (size_t k = ls; k < len; k++)
          if (p[k] != '\r' && ((p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7f))
            return -EBADMSG;
        return WGM_MSRP_NEED_MORE;
      }
      size_t n = (size_t)(e - p) - ls;
      const uint8_t *line = p + ls;
      if (n == 0) { /* blank line: body follows */
        f->cur.header_len = ls;
        f->cur.body_off = ls + 2;
        f->scan = ls + 2;
        f->state = ST_BODY;
        break;
      }
      if (n >= 7 && memcmp(line, "-------", 7) == 0) {
        char fl;
        if (!is_end_line(line, n, f->cur.tid, &fl))
          return -EBADMSG;
        f->cur.flag = fl;
        f->cur.header_len = ls;
        f->cur.body_off = ls;
        f->cur.body_len = 0;
        return finish(f, ls + n + 2, out);
      }
      const uint8_t *colon = memchr(line, ':', n);
      if (!colon || colon == line)
        return -EBADMSG;
      for (size_t k = 0; k < n; k++) {
        uint8_t ch = line[k];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
          return -EBADMSG;
        if (line + k < colon && (ch == ' ' || ch == '\t'))
          return -EBADMSG; /* no space inside a header name */
      }
      f->scan = ls + n + 2;
      break;
    }
    case ST_BODY: {
      /* look for CRLF "-------" tid flag CRLF, starting at body_off - 2 so
       * an empty body ("\r\n" blank line, then "\r\n-------") is found */
      char pat[2 + 7 + WGM_MSRP_TID_MAX + 1];
      size_t tl = strlen(f->cur.tid);
      memcpy(pat, "\r\n-------", 9);
      memcpy(pat + 9, f->cur.tid, tl);
      size_t pl = 9 + tl;
      size_t from = f->scan;
      if (from < f->cur.body_off - 2)
        from = f->cur.body_off - 2;
      for (;;) {
        if (len < from + pl) {
          if (len > f->max_size)
            return -EMSGSIZE;
          return WGM_MSRP_NEED_MORE;
        }
        const uint8_t *m = memmem(p + from, len - from, pat, pl);
        if (!m) {
          f->scan = len - pl + 1;
          if (len > f->max_size)
            return -EMSGSIZE;
          return WGM_MSRP_NEED_MORE;
        }
        size_t at = (size_t)(m - p);
        if (at + pl + 3 > len) {
          f->scan = at;
          if (len > f->max_size)
            return -EMSGSIZE;
          return WGM_MSRP_NEED_MORE;
        }
        char fl = (char)p[at + pl];
        if ((fl == '$' || fl == '+' || fl == '#') && p[at + pl + 1] == '\r' &&
            p[at + pl + 2] == '\n') {
          f->cur.flag = fl;
          if (at < f->cur.body_off) { /* blank line straight before the end-line */
            f->cur.body_off = at;
            f->cur.body_len = 0;
          } else {
            f->cur.body_len = at - f->cur.body_off;
          }
          return finish(f, at + pl + 3, out);
        }
        from = at + 1; /* not an end-line: part of the body */
      }
    }
    default:
      return -EINVAL;
    }
  }
}
