/* stun.c -- STUN codec (RFC 5389, ICE attributes of RFC 8445). Pure. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "agw/media/wgmedia.h"

enum {
  ATTR_MAPPED_ADDRESS = 0x0001,
  ATTR_USERNAME = 0x0006,
  ATTR_MESSAGE_INTEGRITY = 0x0008,
  ATTR_ERROR_CODE = 0x0009,
  ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  ATTR_REALM = 0x0014,
  ATTR_NONCE = 0x0015,
  ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  ATTR_PRIORITY = 0x0024,
  ATTR_USE_CANDIDATE = 0x0025,
  ATTR_SOFTWARE = 0x8022,
  ATTR_FINGERPRINT = 0x8028,
  ATTR_ICE_CONTROLLED = 0x8029,
  ATTR_ICE_CONTROLLING = 0x802A,
};

#define FINGERPRINT_XOR 0x5354554eu

uint32_t wgm_crc32(const void *buf, size_t len) {
  /* bitwise: STUN messages are small, and no shared table keeps this pure
   * and thread-safe */
  const uint8_t *p = buf;
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

int wgm_stun_is_stun(const void *buf, size_t len) {
  const uint8_t *p = buf;
  if (!buf || len < 20 || p[0] > 3)
    return 0;
  size_t mlen = rd16(p + 2);
  if ((mlen & 3) || mlen + 20 != len)
    return 0;
  return rd32(p + 4) == WGM_STUN_MAGIC;
}

static int parse_addr(const uint8_t *v, size_t vlen, int xor_, const uint8_t *hdr,
                      struct sockaddr_storage *out) {
  if (vlen < 4)
    return -EBADMSG;
  uint8_t family = v[1];
  uint16_t port = rd16(v + 2);
  memset(out, 0, sizeof(*out));
  if (xor_)
    port ^= (uint16_t)(WGM_STUN_MAGIC >> 16);
  if (family == 1) {
    if (vlen != 8)
      return -EBADMSG;
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    uint8_t a[4];
    for (int i = 0; i < 4; i++)
      a[i] = (uint8_t)(v[4 + i] ^ (xor_ ? hdr[4 + i] : 0));
    memcpy(&sin->sin_addr, a, 4);
  } else if (family == 2) {
    if (vlen != 20)
      return -EBADMSG;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    uint8_t a[16];
    for (int i = 0; i < 16; i++)
      a[i] = (uint8_t)(v[4 + i] ^ (xor_ ? hdr[4 + i] : 0));
    memcpy(&sin6->sin6_addr, a, 16);
  } else {
    return -EBADMSG;
  }
  return 0;
}

int wgm_stun_parse(const void *buf, size_t len, wgm_stun_msg_t *m) {
  const uint8_t *p = buf;
  if (!buf || !m)
    return -EINVAL;
  memset(m, 0, sizeof(*m));
  if (!wgm_stun_is_stun(buf, len))
    return -EBADMSG;
  m->type = rd16(p);
  if (m->type & 0xC000)
    return -EBADMSG;
  m->length = rd16(p + 2);
  memcpy(m->tid, p + 8, 12);
  size_t off = 20;
  int after_mi = 0;
  while (off < len) {
    if (len - off < 4)
      return -EBADMSG;
    uint16_t at = rd16(p + off), alen = rd16(p + off + 2);
    size_t padded = ((size_t)alen + 3) & ~(size_t)3;
    if (padded > len - off - 4)
      return -EBADMSG;
    const uint8_t *v = p + off + 4;
    if (m->fingerprint_off)
      return -EBADMSG; /* FINGERPRINT must be last */
    if (at == ATTR_FINGERPRINT) {
      if (alen != 4)
        return -EBADMSG;
      uint32_t want = wgm_crc32(p, off) ^ FINGERPRINT_XOR;
      if (rd32(v) != want)
        return -EBADMSG;
      m->fingerprint_off = off;
      m->fingerprint_ok = 1;
    } else if (after_mi) {
      /* ignored (RFC 5389 15.4) */
    } else {
      switch (at) {
      case ATTR_USERNAME:
        if (alen > 513)
          return -EBADMSG;
        m->username = (const char *)v;
        m->username_len = alen;
        break;
      case ATTR_SOFTWARE:
        m->software = (const char *)v;
        m->software_len = alen;
        break;
      case ATTR_MESSAGE_INTEGRITY:
        if (alen != 20)
          return -EBADMSG;
        m->integrity_off = off;
        after_mi = 1;
        break;
      case ATTR_PRIORITY:
        if (alen != 4)
          return -EBADMSG;
        m->has_priority = 1;
        m->priority = rd32(v);
        break;
      case ATTR_USE_CANDIDATE:
        if (alen != 0)
          return -EBADMSG;
        m->use_candidate = 1;
        break;
      case ATTR_ICE_CONTROLLING:
      case ATTR_ICE_CONTROLLED:
        if (alen != 8)
          return -EBADMSG;
        if (at == ATTR_ICE_CONTROLLING)
          m->ice_controlling = 1;
        else
          m->ice_controlled = 1;
        m->tiebreaker = ((uint64_t)rd32(v) << 32) | rd32(v + 4);
        break;
      case ATTR_XOR_MAPPED_ADDRESS:
        if (parse_addr(v, alen, 1, p, &m->mapped) < 0)
          return -EBADMSG;
        m->has_mapped = 1;
        break;
      case ATTR_MAPPED_ADDRESS:
        if (!m->has_mapped) {
          if (parse_addr(v, alen, 0, p, &m->mapped) < 0)
            return -EBADMSG;
          m->has_mapped = 1;
        }
        break;
      case ATTR_ERROR_CODE:
        if (alen < 4)
          return -EBADMSG;
        {
          int cls = v[2] & 7, num = v[3];
          if (cls < 3 || cls > 6 || num > 99)
            return -EBADMSG;
          m->error_code = cls * 100 + num;
          m->error_reason = (const char *)v + 4;
          m->error_reason_len = alen - 4u;
        }
        break;
      case ATTR_UNKNOWN_ATTRIBUTES:
      case ATTR_REALM:
      case ATTR_NONCE:
        break;
      default:
        if (at < 0x8000)
          m->unknown_required = 1;
        break;
      }
    }
    off += 4 + padded;
  }
  return 0;
}

static int hmac_sha1(const void *key, size_t keylen, const uint8_t *d1, size_t l1,
                     uint8_t out[20]) {
  unsigned int olen = 0;
  if (!HMAC(EVP_sha1(), key, (int)keylen, d1, l1, out, &olen) || olen != 20)
    return -EIO;
  return 0;
}

int wgm_stun_check_integrity(const void *buf, size_t len, const wgm_stun_msg_t *m,
                             const void *key, size_t keylen) {
  if (!buf || !m || (!key && keylen))
    return -EINVAL;
  if (!m->integrity_off)
    return -ENOENT;
  size_t off = m->integrity_off;
  if (off + 24 > len || off < 20)
    return -EINVAL;
  uint8_t tmp[2048];
  uint8_t *copy = tmp;
  if (off > sizeof(tmp))
    return -EINVAL; /* ICE messages are small; a larger one is not ours */
  memcpy(copy, buf, off);
  wr16(copy + 2, (uint16_t)(off + 24 - 20));
  uint8_t mac[20];
  if (hmac_sha1(key ? key : "", keylen, copy, off, mac) < 0)
    return -EIO;
  const uint8_t *got = (const uint8_t *)buf + off + 4;
  uint8_t diff = 0;
  for (int i = 0; i < 20; i++)
    diff |= (uint8_t)(mac[i] ^ got[i]);
  return diff ? -EACCES : 0;
}

static int put_attr(uint8_t *out, size_t cap, size_t *off, uint16_t type, const void *v,
                    size_t vlen, uint8_t pad) {
  size_t padded = (vlen + 3) & ~(size_t)3;
  if (vlen > 0xFFFF || *off + 4 + padded > cap)
    return -ENOSPC;
  wr16(out + *off, type);
  wr16(out + *off + 2, (uint16_t)vlen);
  if (vlen)
    memcpy(out + *off + 4, v, vlen);
  memset(out + *off + 4 + vlen, pad, padded - vlen);
  *off += 4 + padded;
  return 0;
}

static const char *default_reason(int code) {
  switch (code) {
  case 300: return "Try Alternate";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 420: return "Unknown Attribute";
  case 438: return "Stale Nonce";
  case 487: return "Role Conflict";
  case 500: return "Server Error";
  default: return "Error";
  }
}

int wgm_stun_build(const wgm_stun_build_t *b, void *outv, size_t cap) {
  uint8_t *out = outv;
  int rc;
  if (!b || !out || (b->type & 0xC000))
    return -EINVAL;
  if (cap < 20)
    return -ENOSPC;
  wr16(out, b->type);
  wr16(out + 2, 0);
  wr32(out + 4, WGM_STUN_MAGIC);
  memcpy(out + 8, b->tid, 12);
  size_t off = 20;
  uint8_t v[32];
  if (b->software) {
    size_t sl = strlen(b->software);
    if (sl > 763)
      return -EINVAL;
    if ((rc = put_attr(out, cap, &off, ATTR_SOFTWARE, b->software, sl, b->pad_byte)) < 0)
      return rc;
  }
  if (b->priority) {
    wr32(v, b->priority);
    if ((rc = put_attr(out, cap, &off, ATTR_PRIORITY, v, 4, 0)) < 0)
      return rc;
  }
  if (b->use_candidate && (rc = put_attr(out, cap, &off, ATTR_USE_CANDIDATE, NULL, 0, 0)) < 0)
    return rc;
  if (b->ice_role == 1 || b->ice_role == 2) {
    wr32(v, (uint32_t)(b->tiebreaker >> 32));
    wr32(v + 4, (uint32_t)b->tiebreaker);
    if ((rc = put_attr(out, cap, &off,
                       b->ice_role == 1 ? ATTR_ICE_CONTROLLING : ATTR_ICE_CONTROLLED, v, 8,
                       0)) < 0)
      return rc;
  } else if (b->ice_role) {
    return -EINVAL;
  }
  if (b->username) {
    size_t ul = strlen(b->username);
    if (ul > 513)
      return -EINVAL;
    if ((rc = put_attr(out, cap, &off, ATTR_USERNAME, b->username, ul, b->pad_byte)) < 0)
      return rc;
  }
  if (b->xor_mapped) {
    size_t vl;
    memset(v, 0, sizeof(v));
    if (b->xor_mapped->sa_family == AF_INET) {
      const struct sockaddr_in *s = (const struct sockaddr_in *)b->xor_mapped;
      v[1] = 1;
      wr16(v + 2, (uint16_t)(ntohs(s->sin_port) ^ (WGM_STUN_MAGIC >> 16)));
      const uint8_t *a = (const uint8_t *)&s->sin_addr;
      for (int i = 0; i < 4; i++)
        v[4 + i] = (uint8_t)(a[i] ^ out[4 + i]);
      vl = 8;
    } else if (b->xor_mapped->sa_family == AF_INET6) {
      const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)b->xor_mapped;
      v[1] = 2;
      wr16(v + 2, (uint16_t)(ntohs(s->sin6_port) ^ (WGM_STUN_MAGIC >> 16)));
      const uint8_t *a = (const uint8_t *)&s->sin6_addr;
      for (int i = 0; i < 16; i++)
        v[4 + i] = (uint8_t)(a[i] ^ out[4 + i]);
      vl = 20;
    } else {
      return -EINVAL;
    }
    if ((rc = put_attr(out, cap, &off, ATTR_XOR_MAPPED_ADDRESS, v, vl, 0)) < 0)
      return rc;
  }
  if (b->error_code) {
    if (b->error_code < 300 || b->error_code > 699)
      return -EINVAL;
    const char *r = b->error_reason ? b->error_reason : default_reason(b->error_code);
    size_t rl = strlen(r);
    if (rl > 763)
      return -EINVAL;
    uint8_t ev[4 + 764];
    ev[0] = ev[1] = 0;
    ev[2] = (uint8_t)(b->error_code / 100);
    ev[3] = (uint8_t)(b->error_code % 100);
    memcpy(ev + 4, r, rl);
    if ((rc = put_attr(out, cap, &off, ATTR_ERROR_CODE, ev, 4 + rl, b->pad_byte)) < 0)
      return rc;
  }
  if (b->integrity_key) {
    if (off + 24 > cap)
      return -ENOSPC;
    wr16(out + 2, (uint16_t)(off + 24 - 20));
    uint8_t mac[20];
    if (hmac_sha1(b->integrity_key, b->integrity_keylen, out, off, mac) < 0)
      return -EIO;
    if ((rc = put_attr(out, cap, &off, ATTR_MESSAGE_INTEGRITY, mac, 20, 0)) < 0)
      return rc;
  }
  if (b->fingerprint) {
    if (off + 8 > cap)
      return -ENOSPC;
    wr16(out + 2, (uint16_t)(off + 8 - 20));
    wr32(v, wgm_crc32(out, off) ^ FINGERPRINT_XOR);
    if ((rc = put_attr(out, cap, &off, ATTR_FINGERPRINT, v, 4, 0)) < 0)
      return rc;
  }
  wr16(out + 2, (uint16_t)(off - 20));
  return (int)off;
}
