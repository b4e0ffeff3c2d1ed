/* h248_tpkt.c -- RFC 1006 TPKT framing for H.248 over TCP (Annex D.2). */
#include "config.h"
#include "h248/h248.h"

#include <errno.h>

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
