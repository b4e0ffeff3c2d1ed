/* wsutil.c -- the pure parts of SIP over WebSocket (RFC 7118) and of the
 * static HTTP files: no I/O, no logging, so tests/unit/test-alg-ws.c can
 * drive them byte by byte.
 *
 *  - alg_ws_sip_split: where the next SIP message ends in a TCP byte stream
 *    (end of headers + Content-Length or compact "l:", RFC 3261 18.3);
 *  - alg_ws_to_stream / alg_ws_from_stream: one WebSocket message <-> one
 *    message on the ALG's own SIP TCP connection (top Via transport WS/WSS
 *    <-> TCP, because nta refuses a Via whose transport is not the one the
 *    message came in on; Content-Length added when the WS message had none);
 *  - alg_ws_accept_key: Sec-WebSocket-Accept (RFC 6455 4.2.2);
 *  - alg_http_path: request-target -> file path under the root, refusing
 *    anything that could leave it;
 *  - alg_http_mime: Content-Type by file name. */
#include "config.h"
#include "alg/alg_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

/* ------------------------------------------------------ header lines */

/* End of the header block: offset of the "\r\n\r\n" or -1. */
static long head_end(const char *b, size_t n)
{
  size_t i;
  for (i = 0; i + 3 < n; i++)
    if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n')
      return (long)i;
  return -1;
}

/* One header line of b[0..end) from pos: its name (name, nlen) and value
 * (val, vlen; from the first non-blank byte after the colon); val is NULL
 * for a continuation line. Returns the offset after the line, 0 at end. */
static size_t next_line(const char *b, size_t end, size_t pos, const char **name, size_t *nlen,
                        const char **val, size_t *vlen)
{
  size_t e, c;
  if (pos >= end)
    return 0;
  for (e = pos; e + 1 < end && !(b[e] == '\r' && b[e + 1] == '\n'); e++)
    ;
  if (e + 1 >= end)
    e = end;
  *name = b + pos;
  *nlen = 0;
  *val = NULL;
  *vlen = 0;
  for (c = pos; c < e && b[c] != ':'; c++)
    ;
  if (c < e && b[pos] != ' ' && b[pos] != '\t') {
    size_t k = c;
    while (k > pos && (b[k - 1] == ' ' || b[k - 1] == '\t'))
      k--;
    *nlen = k - pos;
    c++;
    while (c < e && (b[c] == ' ' || b[c] == '\t'))
      c++;
    *val = b + c;
    *vlen = e - c;
  }
  return e + 2;
}

static int name_is(const char *n, size_t nlen, const char *full, const char *compact)
{
  return (strlen(full) == nlen && !strncasecmp(n, full, nlen)) ||
         (compact && strlen(compact) == nlen && !strncasecmp(n, compact, nlen));
}

/* Offset just after the start line (its CRLF), or -1. */
static long first_line_end(const char *b, size_t end)
{
  size_t i;
  for (i = 0; i + 1 < end + 2; i++)
    if (b[i] == '\r' && b[i + 1] == '\n')
      return (long)i + 2;
  return -1;
}

/* Content-Length of the header block: >= 0, -1 absent, -2 malformed (or
 * given twice: a peer parser could pick the other one and lose framing). */
static long content_length(const char *b, size_t end)
{
  const char *n, *v;
  size_t nl, vl, pos;
  long fl = first_line_end(b, end), found = -1;
  if (fl < 0)
    return -2;
  pos = (size_t)fl;
  while ((pos = next_line(b, end, pos, &n, &nl, &v, &vl))) {
    if (v && name_is(n, nl, "content-length", "l")) {
      unsigned long x = 0;
      size_t i = 0;
      if (found >= 0 || !vl || !isdigit((unsigned char)v[0]))
        return -2;
      for (; i < vl && isdigit((unsigned char)v[i]); i++) {
        x = x * 10 + (unsigned long)(v[i] - '0');
        if (x > 0x7fffffffUL)
          return -2;
      }
      for (; i < vl; i++)
        if (v[i] != ' ' && v[i] != '\t')
          return -2;
      found = (long)x;
    }
  }
  return found;
}

long alg_ws_sip_split(const char *buf, size_t len, size_t max, size_t *skip)
{
  size_t s = 0;
  long he, cl;
  while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
    s++;
  *skip = s;
  buf += s;
  len -= s;
  if (!len)
    return 0;
  he = head_end(buf, len);
  if (he < 0)
    return len > max ? -1 : 0;
  if ((size_t)he + 4 > max)
    return -1;
  cl = content_length(buf, (size_t)he + 2);
  if (cl == -2)
    return -1;
  if (cl < 0)
    cl = 0;   /* nta always writes Content-Length on TCP; absent = no body */
  if ((size_t)he + 4 + (size_t)cl > max)
    return -1;
  if (len < (size_t)he + 4 + (size_t)cl)
    return 0;
  return he + 4 + cl;
}

/* Where the transport token of the first Via value is (off, tlen). 0 or -1. */
static int top_via_transport(const char *b, size_t end, size_t *off, size_t *tlen)
{
  const char *n, *v;
  size_t nl, vl, pos;
  long fl = first_line_end(b, end);
  if (fl < 0)
    return -1;
  pos = (size_t)fl;
  while ((pos = next_line(b, end, pos, &n, &nl, &v, &vl))) {
    size_t i = 0, k;
    int slash = 0;
    if (!v || !name_is(n, nl, "via", "v"))
      continue;
    /* SIP / 2.0 / TRANSPORT with optional blanks around the slashes */
    for (i = 0; i < vl && slash < 2; i++)
      if (v[i] == '/')
        slash++;
    if (slash < 2)
      return -1;
    while (i < vl && (v[i] == ' ' || v[i] == '\t'))
      i++;
    for (k = i; k < vl && (isalnum((unsigned char)v[k]) || v[k] == '-' || v[k] == '.'); k++)
      ;
    if (k == i)
      return -1;
    *off = (size_t)(v + i - b);
    *tlen = k - i;
    return 0;
  }
  return -1;
}

static int token_is(const char *p, size_t n, const char *t)
{
  return strlen(t) == n && !strncasecmp(p, t, n);
}

int alg_ws_to_stream(const char *in, size_t len, char **out, size_t *outlen, const char **why)
{
  long he = head_end(in, len), cl;
  size_t body, off = 0, tlen = 0, o = 0;
  char clh[48] = "";
  const char *repl = NULL;
  char *b;

  *out = NULL;
  if (he < 0) {
    *why = "no end of the SIP header";
    return -EINVAL;
  }
  body = len - (size_t)he - 4;
  cl = content_length(in, (size_t)he + 2);
  if (cl == -2) {
    *why = "malformed Content-Length";
    return -EINVAL;
  }
  if (cl >= 0 && (size_t)cl != body) {
    *why = "Content-Length does not match the WebSocket message";
    return -EINVAL;
  }
  if (cl < 0)
    snprintf(clh, sizeof clh, "Content-Length: %zu\r\n", body);
  if (top_via_transport(in, (size_t)he + 2, &off, &tlen) == 0 &&
      (token_is(in + off, tlen, "WS") || token_is(in + off, tlen, "WSS")))
    repl = "TCP";
  b = malloc(len + strlen(clh) + 8);
  if (!b) {
    *why = "out of memory";
    return -ENOMEM;
  }
  if (repl) {
    memcpy(b, in, off);
    o = off;
    memcpy(b + o, repl, strlen(repl));
    o += strlen(repl);
    memcpy(b + o, in + off + tlen, (size_t)he + 2 - off - tlen);
    o += (size_t)he + 2 - off - tlen;
  } else {
    memcpy(b, in, (size_t)he + 2);
    o = (size_t)he + 2;
  }
  memcpy(b + o, clh, strlen(clh));
  o += strlen(clh);
  memcpy(b + o, in + he + 2, len - (size_t)he - 2);
  o += len - (size_t)he - 2;
  b[o] = 0;   /* not counted: a convenience for text use */
  *out = b;
  *outlen = o;
  return 0;
}

int alg_ws_from_stream(const char *in, size_t len, const char *proto, char **out, size_t *outlen)
{
  long he = head_end(in, len);
  size_t off = 0, tlen = 0, pl = strlen(proto);
  char *b;

  b = malloc(len + pl + 1);
  if (!b)
    return -ENOMEM;
  if (he >= 0 && top_via_transport(in, (size_t)he + 2, &off, &tlen) == 0 &&
      token_is(in + off, tlen, "TCP")) {
    memcpy(b, in, off);
    memcpy(b + off, proto, pl);
    memcpy(b + off + pl, in + off + tlen, len - off - tlen);
    *outlen = len - tlen + pl;
  } else {
    memcpy(b, in, len);
    *outlen = len;
  }
  b[*outlen] = 0;
  *out = b;
  return 0;
}

int alg_ws_utf8_valid(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i], need, min, cp;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xe0) == 0xc0)
      need = 1, min = 0x80, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
      need = 2, min = 0x800, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
      need = 3, min = 0x10000, cp = c & 0x07;
    else
      return 0;
    {
      unsigned k;
      for (k = 1; k <= need; k++) {
        if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
          return 0;
        cp = (cp << 6) | (s[i + k] & 0x3f);
      }
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += need + 1;
  }
  return 1;
}

/* ------------------------------------------------------ handshake */

int alg_ws_accept_key(const char *key, char out[29])
{
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char raw[20], dec[24];
  char cat[64];
  size_t i, n = strlen(key);

  /* the key is 16 random bytes in base64: 24 characters ending in "==" */
  if (n != 24 || key[22] != '=' || key[23] != '=')
    return -EINVAL;
  for (i = 0; i < 22; i++)
    if (!isalnum((unsigned char)key[i]) && key[i] != '+' && key[i] != '/')
      return -EINVAL;
  if (EVP_DecodeBlock(dec, (const unsigned char *)key, 24) != 18)
    return -EINVAL;
  snprintf(cat, sizeof cat, "%s%s", key, guid);
  SHA1((const unsigned char *)cat, strlen(cat), raw);
  EVP_EncodeBlock((unsigned char *)out, raw, 20);
  out[28] = 0;
  return 0;
}

/* ------------------------------------------------------ static files */

static int hexval(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

int alg_http_path(const char *target, char *out, size_t outlen)
{
  size_t i, o = 0;
  const char *seg;

  if (target[0] != '/')
    return -400;            /* absolute-form, authority-form, '*' */
  for (i = 1; target[i] && target[i] != '?' && target[i] != '#'; i++) {
    int c = (unsigned char)target[i];
    if (c == '%') {
      int h = hexval(target[i + 1]), l = h >= 0 ? hexval(target[i + 2]) : -1;
      if (h < 0 || l < 0)
        return -400;
      c = h * 16 + l;
      i += 2;
    }
    if (c < 0x20 || c == 0x7f)
      return -400;
    if (c == '\\')
      return -403;
    if (o + 1 >= outlen)
      return -414;
    out[o++] = (char)c;
  }
  out[o] = 0;
  /* a segment "." or ".." anywhere, or an empty one ("//", absolute after
   * decoding), is refused rather than normalised */
  seg = out;
  for (;;) {
    const char *sl = strchr(seg, '/');
    size_t n = sl ? (size_t)(sl - seg) : strlen(seg);
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
      return -403;
    if (n == 0 && sl)
      return -403;
    if (!sl)
      break;
    seg = sl + 1;
  }
  return 0;
}

const char *alg_http_mime(const char *path)
{
  static const struct { const char *ext, *type; } t[] = {
    { ".html", "text/html; charset=utf-8" }, { ".htm", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" }, { ".mjs", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" }, { ".png", "image/png" },
    { ".svg", "image/svg+xml" }, { ".json", "application/json" },
    { ".map", "application/json" }, { ".txt", "text/plain; charset=utf-8" },
    { ".ico", "image/x-icon" }, { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
    { ".wasm", "application/wasm" },
  };
  size_t i, n = strlen(path);
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    size_t e = strlen(t[i].ext);
    if (n >= e && !strcasecmp(path + n - e, t[i].ext))
      return t[i].type;
  }
  return "application/octet-stream";
}
