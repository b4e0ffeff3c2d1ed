/* test-alg-ws.c -- the pure helpers of SIP over WebSocket (alg/wsutil.c):
 * the SIP stream splitter fed byte by byte and in batches, the WS <-> TCP
 * message rewrite (top Via transport, Content-Length), Sec-WebSocket-Accept
 * (RFC 6455 section 1.3 example), the static-file path checks and the
 * Content-Types. The framing itself is Debian's libwslay; the sockets are
 * tested by tests/integration/alg-ws*.py. */
#include "config.h"
#include "alg/alg_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/task.h"

static const char inv[] =
  "INVITE sip:bob@example.com SIP/2.0\r\n"
  "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks\r\n"
  "Via: SIP/2.0/TCP other.example.com;branch=z9hG4bKx\r\n"
  "From: <sip:alice@example.com>;tag=asdyka899\r\n"
  "To: <sip:bob@example.com>\r\n"
  "Call-ID: asidkj3ss\r\n"
  "CSeq: 1 INVITE\r\n"
  "Content-Type: application/sdp\r\n"
  "l: 4\r\n"
  "\r\n"
  "v=0\n";

static void test_split(void)
{
  char stream[4096];
  size_t n = 0, skip, i, len = strlen(inv);
  long r;
  /* CRLF keep-alives, then two messages back to back */
  memcpy(stream + n, "\r\n\r\n", 4), n += 4;
  memcpy(stream + n, inv, len), n += len;
  memcpy(stream + n, inv, len), n += len;
  r = alg_ws_sip_split(stream, n, 65536, &skip);
  ASSERT_EQ(skip, 4);
  ASSERT_EQ(r, (long)len);
  /* byte by byte: need more until the last body byte */
  for (i = 0; i < len; i++) {
    r = alg_ws_sip_split(inv, i, 65536, &skip);
    ASSERT_EQ(r, 0);
  }
  ASSERT_EQ(alg_ws_sip_split(inv, len, 65536, &skip), (long)len);
  /* no Content-Length: no body */
  {
    const char *m = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a\r\n\r\nNEXT";
    ASSERT_EQ(alg_ws_sip_split(m, strlen(m), 65536, &skip), (long)strlen(m) - 4);
  }
  /* long name, case-insensitive */
  {
    const char *m = "SIP/2.0 200 OK\r\ncontent-LENGTH:   3 \r\n\r\nabcX";
    ASSERT_EQ(alg_ws_sip_split(m, strlen(m), 65536, &skip), (long)strlen(m) - 1);
  }
  /* malformed Content-Length, and too large */
  ASSERT_EQ(alg_ws_sip_split("A\r\nl: x\r\n\r\n", 11, 65536, &skip), -1);
  ASSERT_EQ(alg_ws_sip_split("A\r\nl: 99999\r\n\r\n", 15, 1000, &skip), -1);
  ASSERT_EQ(alg_ws_sip_split("A\r\nl: 99999999999\r\n\r\n", 21, 1000, &skip), -1);
  /* a header that never ends beyond max */
  memset(stream, 'a', 2000);
  ASSERT_EQ(alg_ws_sip_split(stream, 2000, 1000, &skip), -1);
  ASSERT_EQ(alg_ws_sip_split(stream, 500, 1000, &skip), 0);
  ASSERT_EQ(alg_ws_sip_split("\r\n", 2, 1000, &skip), 0);
  ASSERT_EQ(skip, 2);
}

static void test_rewrite(void)
{
  char *out = NULL, *back = NULL;
  size_t outlen = 0, backlen = 0;
  const char *why = NULL;
  size_t len = strlen(inv);

  ASSERT_EQ(alg_ws_to_stream(inv, len, &out, &outlen, &why), 0);
  ASSERT_EQ(outlen, len + 1);   /* WS -> TCP */
  ASSERT(strstr(out, "Via: SIP/2.0/TCP df7jal23ls0d.invalid;branch=z9hG4bK56sdasks\r\n"));
  ASSERT(strstr(out, "Via: SIP/2.0/TCP other.example.com"));  /* second Via untouched */
  ASSERT(!strstr(out, "Content-Length"));                      /* l: kept */
  ASSERT_EQ(alg_ws_from_stream(out, outlen, "WS", &back, &backlen), 0);
  ASSERT_EQ(backlen, len);
  ASSERT_MEM_EQ(back, inv, len);
  free(back);
  ASSERT_EQ(alg_ws_from_stream(out, outlen, "WSS", &back, &backlen), 0);
  ASSERT(strstr(back, "Via: SIP/2.0/WSS df7jal23ls0d.invalid"));
  free(back);
  free(out);

  /* compact Via, blanks around the slashes, lower case */
  {
    const char *m = "BYE sip:x SIP/2.0\r\nv: SIP / 2.0 / wss h.invalid;branch=z9hG4bKa\r\n\r\n";
    ASSERT_EQ(alg_ws_to_stream(m, strlen(m), &out, &outlen, &why), 0);
    ASSERT(strstr(out, "v: SIP / 2.0 / TCP h.invalid;branch=z9hG4bKa\r\n"));
    ASSERT(strstr(out, "\r\nContent-Length: 0\r\n\r\n"));   /* added */
    free(out);
  }
  /* a body without Content-Length gets one */
  {
    const char *m = "MESSAGE sip:x SIP/2.0\r\nVia: SIP/2.0/WS h\r\n\r\nhello";
    ASSERT_EQ(alg_ws_to_stream(m, strlen(m), &out, &outlen, &why), 0);
    ASSERT(strstr(out, "Via: SIP/2.0/TCP h\r\nContent-Length: 5\r\n\r\nhello"));
    ASSERT_EQ(outlen, strlen(out));
    free(out);
  }
  /* a Content-Length that lies is refused */
  {
    const char *m = "MESSAGE sip:x SIP/2.0\r\nVia: SIP/2.0/WS h\r\nContent-Length: 9\r\n\r\nhello";
    ASSERT_EQ(alg_ws_to_stream(m, strlen(m), &out, &outlen, &why), -EINVAL);
    ASSERT_NULL(out);
    ASSERT(strstr(why, "Content-Length"));
  }
  /* two Content-Lengths (even equal ones) are refused */
  {
    const char *m = "MESSAGE sip:x SIP/2.0\r\nl: 5\r\nContent-Length: 5\r\n\r\nhello";
    ASSERT_EQ(alg_ws_to_stream(m, strlen(m), &out, &outlen, &why), -EINVAL);
  }
  /* no end of headers */
  ASSERT_EQ(alg_ws_to_stream("OPTIONS sip:x SIP/2.0\r\n", 23, &out, &outlen, &why), -EINVAL);
  /* a TCP Via from the client is left alone (no WS/WSS to undo) */
  {
    const char *m = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0\r\n\r\n";
    ASSERT_EQ(alg_ws_to_stream(m, strlen(m), &out, &outlen, &why), 0);
    ASSERT_EQ(outlen, strlen(m));
    ASSERT_MEM_EQ(out, m, outlen);
    free(out);
    ASSERT_EQ(alg_ws_from_stream(m, strlen(m), "WS", &out, &outlen), 0);
    ASSERT_MEM_EQ(out, m, outlen);
    free(out);
  }
}

static void test_utf8(void)
{
  ASSERT(alg_ws_utf8_valid((const unsigned char *)"abc \xe2\x9c\x93", 7));
  ASSERT(!alg_ws_utf8_valid((const unsigned char *)"\xc3\x28", 2));
  ASSERT(!alg_ws_utf8_valid((const unsigned char *)"\xe2\x9c", 2));     /* truncated */
  ASSERT(!alg_ws_utf8_valid((const unsigned char *)"\xc0\xaf", 2));     /* overlong */
  ASSERT(!alg_ws_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3)); /* surrogate */
}

static void test_accept(void)
{
  char out[29];
  /* RFC 6455 section 1.3 */
  ASSERT_EQ(alg_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
  ASSERT_STR_EQ(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  ASSERT_EQ(alg_ws_accept_key("c2hvcnQ=", out), -EINVAL);
  ASSERT_EQ(alg_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out), -EINVAL);
  ASSERT_EQ(alg_ws_accept_key("dGhlIHNhbXBsZSBub25j*Q==", out), -EINVAL);
  ASSERT_EQ(alg_ws_accept_key("", out), -EINVAL);
}

static void test_path(void)
{
  char p[256];
  ASSERT_EQ(alg_http_path("/", p, sizeof p), 0);
  ASSERT_STR_EQ(p, "");
  ASSERT_EQ(alg_http_path("/index.html?x=1#f", p, sizeof p), 0);
  ASSERT_STR_EQ(p, "index.html");
  ASSERT_EQ(alg_http_path("/node_modules/jssip/dist/jssip.min.js", p, sizeof p), 0);
  ASSERT_STR_EQ(p, "node_modules/jssip/dist/jssip.min.js");
  ASSERT_EQ(alg_http_path("/a%20b.txt", p, sizeof p), 0);
  ASSERT_STR_EQ(p, "a b.txt");
  ASSERT_EQ(alg_http_path("/sub/", p, sizeof p), 0);
  ASSERT_STR_EQ(p, "sub/");
  ASSERT_EQ(alg_http_path("/../etc/passwd", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("/%2e%2e/etc/passwd", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("/%2E%2e%2fetc", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("/a/..", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("/a/./b", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("//etc/passwd", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("/%2fetc/passwd", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("/a%5c..%5cb", p, sizeof p), -403);
  ASSERT_EQ(alg_http_path("http://h/x", p, sizeof p), -400);
  ASSERT_EQ(alg_http_path("*", p, sizeof p), -400);
  ASSERT_EQ(alg_http_path("/a%00b", p, sizeof p), -400);
  ASSERT_EQ(alg_http_path("/a%zz", p, sizeof p), -400);
  ASSERT_EQ(alg_http_path("/a%2", p, sizeof p), -400);
  ASSERT_EQ(alg_http_path("/abcdefgh", p, 4), -414);
  /* "..." and "..x" are ordinary names */
  ASSERT_EQ(alg_http_path("/.../..x", p, sizeof p), 0);
}

static void test_mime(void)
{
  ASSERT_STR_EQ(alg_http_mime("a/index.html"), "text/html; charset=utf-8");
  ASSERT_STR_EQ(alg_http_mime("x.js"), "text/javascript; charset=utf-8");
  ASSERT_STR_EQ(alg_http_mime("x.CSS"), "text/css; charset=utf-8");
  ASSERT_STR_EQ(alg_http_mime("x.png"), "image/png");
  ASSERT_STR_EQ(alg_http_mime("x.svg"), "image/svg+xml");
  ASSERT_STR_EQ(alg_http_mime("x.json"), "application/json");
  ASSERT_STR_EQ(alg_http_mime("x"), "application/octet-stream");
}

int main(void)
{
  TEST_RUN(test_split);
  TEST_RUN(test_rewrite);
  TEST_RUN(test_utf8);
  TEST_RUN(test_accept);
  TEST_RUN(test_path);
  TEST_RUN(test_mime);
  return 0;
}
