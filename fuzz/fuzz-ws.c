/* fuzz-ws.c -- libFuzzer target for the pure parts of SIP over WebSocket
 * (alg/wsutil.c). The first byte picks the function, the rest is its input:
 *   0: the SIP stream splitter over the whole input (every length inside
 *      the buffer) and again fed in growing pieces (same message ends);
 *   1: one WebSocket message -> stream (to_stream): when accepted, the
 *      result is exactly one complete message for the splitter (else the
 *      bridge to nta would desynchronise), and from_stream gives back the
 *      input's length plus the Content-Length it added;
 *   2: request-target -> path: an accepted path has no ".", ".." or empty
 *      segment, no NUL, no backslash, does not start with '/';
 *   3: Sec-WebSocket-Accept and UTF-8 validation (no crash). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "alg/alg_int.h"

static void split(const char *d, size_t n)
{
  size_t off = 0, ends[64], ne = 0, skip, have, start, k;
  while (off < n && ne < 64) {
    long r = alg_ws_sip_split(d + off, n - off, 4096, &skip);
    if (skip > n - off)
      abort();
    if (r <= 0)
      break;
    if ((size_t)r > n - off - skip)
      abort();
    off += skip + (size_t)r;
    ends[ne++] = off;
  }
  /* incremental: 1..7 bytes more each time, as a socket would deliver */
  start = 0;
  have = 0;
  k = 0;
  while (have < n && k < ne) {
    long r;
    have += (size_t)(d[0] & 7) + 1;
    if (have > n)
      have = n;
    while (k < ne) {
      r = alg_ws_sip_split(d + start, have - start, 4096, &skip);
      if (r <= 0)
        break;
      start += skip + (size_t)r;
      if (start != ends[k])
        abort();
      k++;
    }
  }
}

static void to_stream(const char *d, size_t n)
{
  char *out = NULL, *back = NULL;
  size_t outlen = 0, backlen = 0, skip = 0;
  const char *why = NULL;
  long r;
  if (alg_ws_to_stream(d, n, &out, &outlen, &why) < 0) {
    if (out || !why)
      abort();
    return;
  }
  if (outlen < n || out[outlen] != 0)
    abort();
  if (n && d[0] != '\r' && d[0] != '\n') {
    r = alg_ws_sip_split(out, outlen, outlen + 1, &skip);
    if (r != (long)outlen || skip != 0)
      abort();
  }
  if (alg_ws_from_stream(out, outlen, "WS", &back, &backlen) < 0)
    abort();
  if (back[backlen] != 0 || backlen + 1 < outlen)   /* TCP -> WS: one byte less */
    abort();
  free(back);
  free(out);
}

static void path(const char *d, size_t n)
{
  char t[512], p[256];
  const char *seg;
  if (n >= sizeof t)
    n = sizeof t - 1;
  memcpy(t, d, n);
  t[n] = 0;
  if (alg_http_path(t, p, sizeof p) != 0)
    return;
  if (p[0] == '/' || strchr(p, '\\'))
    abort();
  for (seg = p;;) {
    const char *sl = strchr(seg, '/');
    size_t len = sl ? (size_t)(sl - seg) : strlen(seg);
    if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.') ||
        (len == 0 && sl))
      abort();
    if (!sl)
      break;
    seg = sl + 1;
  }
  (void)alg_http_mime(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *d = (const char *)data + 1;
  size_t n;
  if (!size)
    return 0;
  n = size - 1;
  switch (data[0] % 4) {
  case 0:
    if (n)
      split(d, n);
    break;
  case 1:
    to_stream(d, n);
    break;
  case 2:
    path(d, n);
    break;
  default: {
    char key[64], acc[29];
    size_t k = n < sizeof key - 1 ? n : sizeof key - 1;
    memcpy(key, d, k);
    key[k] = 0;
    (void)alg_ws_accept_key(key, acc);
    (void)alg_ws_utf8_valid((const unsigned char *)d, n);
    break;
  }
  }
  return 0;
}
