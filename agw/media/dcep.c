/* dcep.c -- Data Channel Establishment Protocol codec (RFC 8832). Pure. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "agw/media/wgmedia.h"

static int valid_type(uint8_t t) {
  switch (t) {
  case WGM_DC_RELIABLE:
  case WGM_DC_RELIABLE_UNORDERED:
  case WGM_DC_PARTIAL_RELIABLE_REXMIT:
  case WGM_DC_PARTIAL_RELIABLE_REXMIT_UNORDERED:
  case WGM_DC_PARTIAL_RELIABLE_TIMED:
  case WGM_DC_PARTIAL_RELIABLE_TIMED_UNORDERED:
    return 1;
  default:
    return 0;
  }
}

int wgm_dcep_parse(const void *buf, size_t len, wgm_dcep_open_t *open) {
  const uint8_t *p = buf;
  if (!buf && len)
    return -EINVAL;
  if (len < 1)
    return -EBADMSG;
  if (p[0] == WGM_DCEP_ACK)
    return len == 1 ? WGM_DCEP_ACK : -EBADMSG;
  if (p[0] != WGM_DCEP_OPEN)
    return -ENOTSUP;
  if (!open)
    return -EINVAL;
  if (len < 12)
    return -EBADMSG;
  memset(open, 0, sizeof(*open));
  open->channel_type = p[1];
  open->priority = (uint16_t)((p[2] << 8) | p[3]);
  open->reliability = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
  size_t ll = (size_t)((p[8] << 8) | p[9]), pl = (size_t)((p[10] << 8) | p[11]);
  if (!valid_type(open->channel_type))
    return -EBADMSG;
  if (12 + ll + pl != len)
    return -EBADMSG;
  open->label = (const char *)p + 12;
  open->label_len = ll;
  open->protocol = (const char *)p + 12 + ll;
  open->protocol_len = pl;
  return WGM_DCEP_OPEN;
}

int wgm_dcep_build_open(const wgm_dcep_open_t *o, void *outv, size_t cap) {
  uint8_t *out = outv;
  if (!o || !out || o->label_len > 0xFFFF || o->protocol_len > 0xFFFF ||
      (o->label_len && !o->label) || (o->protocol_len && !o->protocol) ||
      !valid_type(o->channel_type))
    return -EINVAL;
  size_t n = 12 + o->label_len + o->protocol_len;
  if (n > cap || n > 0x7FFFFFFF)
    return -ENOSPC;
  out[0] = WGM_DCEP_OPEN;
  out[1] = o->channel_type;
  out[2] = (uint8_t)(o->priority >> 8);
  out[3] = (uint8_t)o->priority;
  out[4] = (uint8_t)(o->reliability >> 24);
  out[5] = (uint8_t)(o->reliability >> 16);
  out[6] = (uint8_t)(o->reliability >> 8);
  out[7] = (uint8_t)o->reliability;
  out[8] = (uint8_t)(o->label_len >> 8);
  out[9] = (uint8_t)o->label_len;
  out[10] = (uint8_t)(o->protocol_len >> 8);
  out[11] = (uint8_t)o->protocol_len;
  if (o->label_len)
    memcpy(out + 12, o->label, o->label_len);
  if (o->protocol_len)
    memcpy(out + 12 + o->label_len, o->protocol, o->protocol_len);
  return (int)n;
}

int wgm_dcep_build_ack(void *outv, size_t cap) {
  if (!outv)
    return -EINVAL;
  if (cap < 1)
    return -ENOSPC;
  ((uint8_t *)outv)[0] = WGM_DCEP_ACK;
  return 1;
}
