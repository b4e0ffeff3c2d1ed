/* test-msrp.c -- the incremental MSRP framer: the spec examples whole and
 * byte by byte, bodies that look like end-lines, flags, bad framing, size. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "agw/media/wgmedia.h"
#include "tests/task.h"

static char m01[4096], m02[4096];
static size_t m01_len, m02_len;

static size_t load(const char *name, char *buf, size_t cap) {
  char path[1024];
  const char *src = getenv("top_srcdir");
  snprintf(path, sizeof(path), "%s/tests/unit/data/%s", src ? src : ".", name);
  FILE *f = fopen(path, "rb");
  if (!f)
    TASK_FAIL("cannot open %s", path);
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static void examples_whole(void) {
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  wgm_msrp_framer_init(&f, 0);
  ASSERT_EQ(wgm_msrp_frame(&f, m01, m01_len, &fr), (int)m01_len);
  ASSERT_EQ(fr.is_request, 1);
  ASSERT_STR_EQ(fr.tid, "a786hjs2");
  ASSERT_STR_EQ(fr.method, "SEND");
  ASSERT_EQ(fr.flag, '$');
  ASSERT_EQ(fr.body_len, 23);
  ASSERT_MEM_EQ(m01 + fr.body_off, "Hello from the IMS side", 23);
  ASSERT_EQ(fr.len, m01_len);
  ASSERT_EQ(wgm_msrp_frame(&f, m02, m02_len, &fr), (int)m02_len);
  ASSERT_EQ(fr.is_request, 0);
  ASSERT_EQ(fr.status, 200);
  ASSERT_STR_EQ(fr.tid, "a786hjs2");
  ASSERT_EQ(fr.body_len, 0);
  ASSERT_EQ(fr.flag, '$');
}

/* Both examples back to back in one stream, arriving one byte at a time. */
static void byte_at_a_time(void) {
  char stream[8192];
  memcpy(stream, m01, m01_len);
  memcpy(stream + m01_len, m02, m02_len);
  size_t total = m01_len + m02_len, start = 0;
  size_t got[2];
  int nmsg = 0;
  wgm_msrp_framer_t f;
  wgm_msrp_framer_init(&f, 0);
  for (size_t have = 1; have <= total - start + start; have++) {
    if (have <= start)
      continue;
    wgm_msrp_frame_t fr;
    int rc = wgm_msrp_frame(&f, stream + start, have - start, &fr);
    ASSERT_GE(rc, 0); /* never an error on a valid stream */
    if (rc > 0) {
      ASSERT_LT(nmsg, 2);
      ASSERT_EQ((size_t)rc, have - start); /* complete exactly at its last byte */
      got[nmsg++] = (size_t)rc;
      start += (size_t)rc;
    }
  }
  ASSERT_EQ(nmsg, 2);
  ASSERT_EQ(got[0], m01_len);
  ASSERT_EQ(got[1], m02_len);
}

static int frame_all(const char *s, wgm_msrp_frame_t *fr) {
  wgm_msrp_framer_t f;
  wgm_msrp_framer_init(&f, 4096);
  return wgm_msrp_frame(&f, s, strlen(s), fr);
}

static void tricky_bodies(void) {
  wgm_msrp_frame_t fr;
  /* another tid's end-line, our tid without a flag, a flag without CRLF */
  const char *s = "MSRP abcd1234 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\n"
                  "\r\nx\r\n-------zzzz9999$\r\n-------abcd1234X\r\n-------abcd1234$y\r\n"
                  "-------abcd1234+\r\n";
  ASSERT_EQ(frame_all(s, &fr), (int)strlen(s));
  ASSERT_EQ(fr.flag, '+');
  ASSERT_EQ(fr.body_len, strlen("x\r\n-------zzzz9999$\r\n-------abcd1234X\r\n-------abcd1234$y"));
  /* aborted chunk, empty body */
  s = "MSRP abcd1234 SEND\r\nTo-Path: msrp://a/1;tcp\r\n\r\n\r\n-------abcd1234#\r\n";
  ASSERT_EQ(frame_all(s, &fr), (int)strlen(s));
  ASSERT_EQ(fr.flag, '#');
  ASSERT_EQ(fr.body_len, 0);
  /* a REPORT without body; a response with a comment */
  s = "MSRP dkei38sd REPORT\r\nTo-Path: msrp://a/1;tcp\r\nStatus: 000 200 OK\r\n"
      "-------dkei38sd$\r\n";
  ASSERT_EQ(frame_all(s, &fr), (int)strlen(s));
  ASSERT_STR_EQ(fr.method, "REPORT");
  s = "MSRP dkei38sd 413 Message too large\r\nTo-Path: msrp://a/1;tcp\r\n-------dkei38sd$\r\n";
  ASSERT_EQ(frame_all(s, &fr), (int)strlen(s));
  ASSERT_EQ(fr.status, 413);
  /* trailing bytes of the next message are not part of this one */
  char two[512];
  snprintf(two, sizeof(two), "%sMSRP", s);
  ASSERT_EQ(frame_all(two, &fr), (int)strlen(s));
  /* incomplete end-line */
  ASSERT_EQ(frame_all("MSRP dkei38sd 200 OK\r\n-------dkei38sd$", &fr), WGM_MSRP_NEED_MORE);
  ASSERT_EQ(frame_all("MSRP dkei38sd 200 OK\r\n-------dkei38sd$\r", &fr), WGM_MSRP_NEED_MORE);
  ASSERT_EQ(frame_all("", &fr), WGM_MSRP_NEED_MORE);
  ASSERT_EQ(frame_all("MSR", &fr), WGM_MSRP_NEED_MORE);
}

static void bad_framing(void) {
  wgm_msrp_frame_t fr;
  static const char *const bad[] = {
      "HTTP/1.1 200 OK\r\n\r\n",
      "H",
      "MSRP abc SEND\r\n-------abc$\r\n",                     /* tid too short */
      "MSRP ab_cd SEND\r\n-------ab_cd$\r\n",                 /* bad tid char */
      "MSRP .abcd SEND\r\n-------.abcd$\r\n",                 /* tid must start alnum */
      "MSRP abcdefghijabcdefghijabcdefghijabc SEND\r\n",      /* tid > 32 */
      "MSRP abcd1234 send\r\n-------abcd1234$\r\n",           /* method is upper case */
      "MSRP abcd1234\r\n-------abcd1234$\r\n",                /* no method */
      "MSRP abcd1234 2000\r\n-------abcd1234$\r\n",           /* not a code */
      "MSRP abcd1234 SEND\r\nTo-Path msrp://a\r\n",           /* header without colon */
      "MSRP abcd1234 SEND\r\nTo-Path: a\x01\r\n",             /* control character */
      "MSRP abcd1234 SEND\r\nTo-Path: a\r\n-------zzzz1234$\r\n", /* other tid */
      "MSRP abcd1234 SEND\r\nTo-Path: a\r\n-------abcd1234!\r\n", /* bad flag */
      "MSRP abcd1234 SEND\r\nBad Name: a\r\n",                /* space in a name */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int rc = frame_all(bad[i], &fr);
    if (rc != -EBADMSG)
      TASK_FAIL("case %zu: expected -EBADMSG, got %d", i, rc);
  }
  /* a start line that never ends */
  char longline[3000];
  memset(longline, 'A', sizeof(longline));
  memcpy(longline, "MSRP abcd1234 ", 14);
  wgm_msrp_framer_t f;
  wgm_msrp_framer_init(&f, 0);
  ASSERT_EQ(wgm_msrp_frame(&f, longline, sizeof(longline), &fr), -EBADMSG);
}

static void too_big(void) {
  char buf[600];
  int n = snprintf(buf, sizeof(buf), "MSRP abcd1234 SEND\r\nTo-Path: a\r\n\r\n");
  memset(buf + n, 'x', sizeof(buf) - (size_t)n);
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  wgm_msrp_framer_init(&f, 100);
  ASSERT_EQ(wgm_msrp_frame(&f, buf, 90, &fr), WGM_MSRP_NEED_MORE);
  ASSERT_EQ(wgm_msrp_frame(&f, buf, sizeof(buf), &fr), -EMSGSIZE);
  /* a complete message just over the limit */
  const char *s = "MSRP abcd1234 200 OK\r\nTo-Path: msrp://a/1;tcp\r\n-------abcd1234$\r\n";
  wgm_msrp_framer_init(&f, strlen(s) - 1);
  ASSERT_EQ(wgm_msrp_frame(&f, s, strlen(s), &fr), -EMSGSIZE);
  wgm_msrp_framer_init(&f, strlen(s));
  ASSERT_EQ(wgm_msrp_frame(&f, s, strlen(s), &fr), (int)strlen(s));
}

int main(void) {
  m01_len = load("msrp-m01_send.txt", m01, sizeof(m01));
  m02_len = load("msrp-m02_200.txt", m02, sizeof(m02));
  ASSERT_GT(m01_len, 100);
  ASSERT_GT(m02_len, 50);
  TEST_RUN(examples_whole);
  TEST_RUN(byte_at_a_time);
  TEST_RUN(tricky_bodies);
  TEST_RUN(bad_framing);
  TEST_RUN(too_big);
  return 0;
}
