/* bench-sdp.c -- the SDP work the IMS-ALG does per call of the figure:
 * parse the WIC offer, plan, build the T2/T1 fragments, read the AGW's
 * replies, step 5, parse the IMS answer, step 14 -- repeated for SECONDS.
 * Prints calls per second, microseconds per call, and the ratio to a bare
 * Sofia sdp_parse() of the same offer (what the model and rewrites cost on
 * top of parsing).
 *
 *   bench-sdp [SECONDS]       default 2
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/sdp.h>

#include "sdp/sdp_dc.h"

#define FP1 "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:B2:6F:A5:BA:8C:7A:1B:2E:9F:1D:08"
#define FP2 "19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2"

static const char offer[] =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=ice-options:trickle\r\n"
    "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.10\r\n"
    "a=mid:0\r\na=ice-ufrag:x7Qf\r\na=ice-pwd:0123456789abcdef01234567\r\n"
    "a=candidate:1 1 UDP 2122260223 192.0.2.10 50000 typ host\r\n"
    "a=fingerprint:sha-256 " FP1 "\r\na=setup:actpass\r\na=connection:new\r\n"
    "a=sctp-port:5000\r\na=max-message-size:262144\r\n"
    "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
    "a=dcsa:1 setup:actpass\r\na=dcsa:1 accept-types:message/cpim text/plain\r\n"
    "a=dcsa:1 path:msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n";
static const char answer[] =
    "v=0\r\no=ue-b 2890844526 2890844527 IN IP4 203.0.113.77\r\ns=-\r\nt=0 0\r\n"
    "m=message 2855 TCP/MSRP *\r\nc=IN IP4 203.0.113.77\r\na=setup:active\r\na=msrp-cema\r\n"
    "a=accept-types:message/cpim text/plain\r\n"
    "a=path:msrp://203.0.113.77:2855/9di4eae923wzd;tcp\r\n";
static const char t2r[] = "v=0\r\nc=IN IP4 203.0.113.20\r\nm=message 40000 TCP -\r\n";
static const char t1r[] =
    "v=0\r\nc=IN IP4 198.51.100.20\r\nm=application 41000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=sctp-port:5000\r\na=max-message-size:65536\r\na=fingerprint:sha-256 " FP2 "\r\n"
    "a=ice-ufrag:AGWu\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=ice-lite\r\n"
    "a=candidate:1 1 UDP 2130706431 198.51.100.20 41000 typ host\r\n";

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one_call(void)
{
  su_home_t *h = su_home_new(sizeof(su_home_t));
  sdpdc_error_t e;
  sdpdc_session_t *o, *a, *l2, *l1;
  sdpdc_plan_t *p;
  char *t;
  int rc = !h || sdpdc_parse(h, offer, sizeof offer - 1, &o, &e) ||
           sdpdc_plan_offer(h, o, &p, &e) || sdpdc_h248_t2_local_request(h, 4, &t, &e) ||
           sdpdc_frag_parse(h, t2r, sizeof t2r - 1, &l2, &e);
  if (!rc) {
    const sdpdc_session_t *t2[1] = {l2};
    rc = sdpdc_step5_offer(h, p, t2, 1, NULL, &t, NULL, &e) ||
         sdpdc_parse(h, answer, sizeof answer - 1, &a, &e) ||
         sdpdc_h248_t2_remote(h, &a->media[0], 0, &t, &e) ||
         sdpdc_h248_t1_local_request(h, 4, SDPDC_PROTO_UDP_DTLS_SCTP, 1, &t, &e) ||
         sdpdc_h248_t1_remote(h, &o->media[0], 1, &t, &e) ||
         sdpdc_frag_parse(h, t1r, sizeof t1r - 1, &l1, &e);
    if (!rc) {
      const sdpdc_session_t *t1[1] = {l1};
      rc = sdpdc_step14_answer(h, p, a, t1, 1, NULL, &t, NULL, &e);
    }
  }
  su_home_unref(h);
  return rc;
}

static int bare_parse(void)
{
  su_home_t *h = su_home_new(sizeof(su_home_t));
  sdp_parser_t *p = sdp_parse(h, offer, sizeof offer - 1, sdp_f_mode_manual);
  int rc = !p || sdp_parsing_error(p) != NULL;
  sdp_parser_free(p);
  su_home_unref(h);
  return rc;
}

static double rate(int (*fn)(void), double secs)
{
  unsigned long n = 0;
  double t0 = now_s(), t;
  do {
    for (int i = 0; i < 100; i++, n++)
      if (fn()) {
        fprintf(stderr, "bench-sdp: a step failed\n");
        exit(1);
      }
    t = now_s();
  } while (t - t0 < secs);
  return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
  double secs = argc > 1 ? atof(argv[1]) : 2.0;
  if (secs <= 0)
    secs = 2.0;
  double calls = rate(one_call, secs);
  double parses = rate(bare_parse, secs);
  printf("figure SDP work per call: %.0f calls/s (%.1f us/call)\n", calls, 1e6 / calls);
  printf("bare Sofia sdp_parse of the offer: %.0f/s (%.1f us)\n", parses, 1e6 / parses);
  printf("ratio call / bare parse: %.1f\n", parses / calls);
  return 0;
}
