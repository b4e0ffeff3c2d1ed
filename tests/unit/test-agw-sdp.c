/* test-agw-sdp.c -- agw_sdp_parse() as the adapter over sdpdc_frag_parse:
 * what the H.248 side adds (framing, one m= line, fixed-size copies) and the
 * mapping of the sdp library's typed errors to H.248 474/449. The basic
 * T1/T2 fragments are in test-agw-model.c. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "agw/agw_model.h"
#include "tests/task.h"

static const char FP256[] = "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:"
                            "3C:B2:6F:A5:BA:8C:7A:1B:2E:9F:1D:08";

static int parse(const char *t, agw_sdp_t *s, agw_err_t *e)
{
  memset(e, 0, sizeof *e);
  return agw_sdp_parse(t, strlen(t), s, e);
}

static void test_ipv6_and_choose(void)
{
  agw_sdp_t s;
  agw_err_t e;
  ASSERT_EQ(parse("  v=0\r\n  c=IN IP6 $\r\n  m=application $ UDP/DTLS/SCTP "
                  "webrtc-datachannel\r\n  a=ice-ufrag:$\r\n  a=ice-pwd:$\r\n  a=ice-lite\r\n",
                  &s, &e), 0);
  ASSERT(s.present && s.ipv6 && s.addr_choose && s.port_choose && s.ufrag_choose &&
         s.pwd_choose && s.ice_lite);
  ASSERT_EQ(s.port, 0);
  ASSERT_STR_EQ(s.addr, "");
  ASSERT(!s.has_sctp_port && !s.has_mms && !s.fp_choose);
  ASSERT_EQ(s.n_fp, 0);

  ASSERT_EQ(parse("v=0\nc=IN IP6 2001:db8::7\nm=message 2855 TCP/MSRP *\n"
                  "a=setup:ACTIVE\n", &s, &e), 0);
  ASSERT(s.ipv6 && !s.addr_choose);
  ASSERT_STR_EQ(s.addr, "2001:db8::7");
  ASSERT_STR_EQ(s.setup, "active"); /* the library normalises the value */
  ASSERT_STR_EQ(s.fmt, "*");
}

/* session-level c=, fingerprint and ice-lite apply to the m= line */
static void test_session_level(void)
{
  agw_sdp_t s;
  agw_err_t e;
  char t[512];
  snprintf(t, sizeof t,
           "v=0\nc=IN IP4 192.0.2.1\na=ice-lite\na=fingerprint:sha-256 %s\n"
           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=sctp-port:5001\n", FP256);
  ASSERT_EQ(parse(t, &s, &e), 0);
  ASSERT_STR_EQ(s.addr, "192.0.2.1");
  ASSERT(s.ice_lite && s.has_sctp_port);
  ASSERT_EQ(s.sctp_port, 5001);
  ASSERT_EQ(s.n_fp, 1);
  char want[128];
  snprintf(want, sizeof want, "sha-256 %s", FP256);
  ASSERT_STR_EQ(s.fp[0], want);
}

/* DC-transport attributes on a TCP line are still read (and checked) */
static void test_dc_attrs_on_tcp_line(void)
{
  agw_sdp_t s;
  agw_err_t e;
  char t[512];
  snprintf(t, sizeof t, "v=0\nm=message 1 TCP -\na=fingerprint:SHA-256 %s\na=sctp-port:$\n",
           FP256);
  ASSERT_EQ(parse(t, &s, &e), 0);
  ASSERT_EQ(s.n_fp, 1);
  ASSERT(s.sctp_port_choose && s.has_sctp_port);
  ASSERT_EQ(parse("v=0\nm=message 1 TCP -\na=fingerprint:$\n", &s, &e), 0);
  ASSERT(s.fp_choose);
  ASSERT_EQ(parse("v=0\nm=message 1 TCP -\na=max-message-size:x\n", &s, &e), -449);
  ASSERT_EQ(e.code, 449);
}

static void test_errors(void)
{
  agw_sdp_t s;
  agw_err_t e;
  char t[1024];
  /* more fingerprints than AGW_SDP_MAX_FP */
  int n = snprintf(t, sizeof t, "v=0\nm=application 1 UDP/DTLS/SCTP webrtc-datachannel\n");
  for (int i = 0; i <= AGW_SDP_MAX_FP; i++)
    n += snprintf(t + n, sizeof t - (size_t)n, "a=fingerprint:sha-256 %s\n", FP256);
  ASSERT_EQ(parse(t, &s, &e), -449);
  ASSERT_NOT_NULL(strstr(e.text, "fingerprints"));
  ASSERT_EQ(s.present, 0);
  /* a ufrag longer than agw_sdp_t holds */
  n = snprintf(t, sizeof t, "v=0\nm=application 1 UDP/DTLS/SCTP webrtc-datachannel\n"
                            "a=ice-ufrag:");
  for (int i = 0; i < 70; i++)
    t[n++] = 'u';
  snprintf(t + n, sizeof t - (size_t)n, "\n");
  ASSERT_EQ(parse(t, &s, &e), -474);
  ASSERT_NOT_NULL(strstr(e.text, "ice-ufrag"));
  /* max-message-size beyond 32 bits, sctp-port 0: unsupported values */
  ASSERT_EQ(parse("v=0\nm=application 1 UDP/DTLS/SCTP x\na=max-message-size:4294967296\n", &s,
                  &e), -449);
  ASSERT_EQ(parse("v=0\nm=application 1 UDP/DTLS/SCTP x\na=sctp-port:0\n", &s, &e), -449);
  ASSERT_NOT_NULL(strstr(e.text, "sctp-port"));
  /* two m= lines, and a bad m= port, with the library's reason in the text */
  ASSERT_EQ(parse("v=0\nm=message 1 TCP -\nm=message 2 TCP -\n", &s, &e), -449);
  ASSERT_EQ(parse("v=0\nm=message 99999 TCP -\n", &s, &e), -474);
  ASSERT_NOT_NULL(strstr(e.text, "port"));
  /* lower-case hex is refused by the library (RFC 8122 upper case) */
  snprintf(t, sizeof t, "v=0\nm=application 1 UDP/DTLS/SCTP x\na=fingerprint:sha-256 4a%s\n",
           FP256 + 2);
  ASSERT_EQ(parse(t, &s, &e), -474);
  ASSERT_NOT_NULL(strstr(e.text, "fingerprint"));
  /* a NUL inside the descriptor */
  ASSERT_EQ(agw_sdp_parse("v=0\nm=message 1 TCP -\0x\n", 24, &s, &e), -474);
}

int main(void)
{
  TEST_RUN(test_ipv6_and_choose);
  TEST_RUN(test_session_level);
  TEST_RUN(test_dc_attrs_on_tcp_line);
  TEST_RUN(test_errors);
  return 0;
}
