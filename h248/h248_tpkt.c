/* h248_tpkt.c -- RFC 1006 TPKT framing for H.248 over TCP (Annex D.2). */
#include "config.h"
#include "h248/h248.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int h248_tpkt_header(uint8_t hdr[H248_TPKT_HDR], size_t len)
{
  if (!hdr)
    return -EINVAL;
  if (len > H248_TPKT_MAX - H248_TPKT_HDR)
    return -EMSGSIZE;
  size_t total = len + H248_TPKT_HDR;
  hdr[0] = 3;
  hdr[1] = 0;
  hdr[2] = (uint8_t)(total >> 8);
  hdr[3] = (uint8_t)(total & 0xff);
  return 0;
}

int h248_tpkt_read(const uint8_t *buf, size_t len, size_t *payload_len)
{
  if (len >= 1 && buf[0] != 3)
    return -EBADMSG;
  if (len < H248_TPKT_HDR)
    return 0;
  size_t total = (size_t)buf[2] << 8 | buf[3];
  if (total < H248_TPKT_HDR)
    return -EBADMSG;
  if (len < total)
    return 0;
  if (payload_len)
    *payload_len = total - H248_TPKT_HDR;
  return (int)total;
}

/* ------------------------------------------------------------ stream reader */

struct h248_tpkt_reader {
  uint8_t *buf;
  size_t cap;   /* allocated */
  size_t start; /* first byte not yet returned */
  size_t end;   /* one past the last buffered byte */
  size_t max_frame;
  int err;      /* sticky: 0 or -EBADMSG / -EMSGSIZE */
};

int h248_tpkt_reader_new(h248_tpkt_reader_t **out, size_t max_frame)
{
  if (!out)
    return -EINVAL;
  *out = NULL;
  if (max_frame == 0)
    max_frame = H248_TPKT_MAX;
  if (max_frame < H248_TPKT_HDR || max_frame > H248_TPKT_MAX)
    return -EINVAL;
  h248_tpkt_reader_t *r = calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->max_frame = max_frame;
  *out = r;
  return 0;
}

void h248_tpkt_reader_free(h248_tpkt_reader_t *r)
{
  if (!r)
    return;
  free(r->buf);
  free(r);
}

void h248_tpkt_reader_reset(h248_tpkt_reader_t *r)
{
  if (!r)
    return;
  r->start = r->end = 0;
  r->err = 0;
}

size_t h248_tpkt_reader_buffered(const h248_tpkt_reader_t *r)
{
  return r ? r->end - r->start : 0;
}

int h248_tpkt_reader_feed(h248_tpkt_reader_t *r, const void *data, size_t len)
{
  if (!r || (!data && len > 0))
    return -EINVAL;
  if (r->err)
    return r->err;
  if (len == 0)
    return 0;
  /* drop what was already returned, then make room */
  if (r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  if (len > SIZE_MAX - r->end)
    return -ENOMEM;
  if (r->end + len > r->cap) {
    size_t cap = r->cap ? r->cap : 1024;
    while (cap < r->end + len)
      cap = cap > SIZE_MAX / 2 ? r->end + len : cap * 2;
    uint8_t *nb = realloc(r->buf, cap);
    if (!nb)
      return -ENOMEM;
    r->buf = nb;
    r->cap = cap;
  }
  memcpy(r->buf + r->end, data, len);
  r->end += len;
  return 0;
}

int h248_tpkt_reader_next(h248_tpkt_reader_t *r, const uint8_t **payload, size_t *payload_len)
{
  if (!r || !payload || !payload_len)
    return -EINVAL;
  if (r->err)
    return r->err;
  size_t have = r->end - r->start;
  if (have == 0)
    return 0;
  const uint8_t *p = r->buf + r->start;
  if (p[0] != 3)
    return r->err = -EBADMSG;
  if (have < H248_TPKT_HDR)
    return 0;
  size_t total = (size_t)p[2] << 8 | p[3];
  if (total < H248_TPKT_HDR)
    return r->err = -EBADMSG;
  if (total > r->max_frame)
    return r->err = -EMSGSIZE;
  if (have < total)
    return 0;
  *payload = p + H248_TPKT_HDR;
  *payload_len = total - H248_TPKT_HDR;
  r->start += total;
  if (r->start == r->end)
    r->start = r->end = 0; /* nothing left: next feed needs no memmove */
  return 1;
}
