/* test-sdp-reoffer.c -- unit tests of the re-offer analysis of libwgsdp
 * (digest 7.4): sdpdc_reoffer_diff on WIC re-offers (refresh, add, remove,
 * change, hold/resume, DTLS restart by each trigger, ICE restart), the IMS
 * re-offer and WIC re-answer builders, and the mirror (IMS re-offers of
 * m=message lines) with stream id allocation. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp_dc.h"
#include "tests/task.h"

#define FP_WIC                                                                             \
  "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:B2:6F:A5:BA:8C:7A:1B:2E:" \
  "9F:1D:08"
#define FP_AGW                                                                             \
  "19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:" \
  "70:88:A2"
#define PATH_A "msrp://wic-a.example.invalid:9/iau39soe2843z;dc"
#define PATH_A3 "msrp://wic-a.example.invalid:9/second3;dc"
#define PATH_B "msrp://203.0.113.77:2855/9di4eae923wzd;tcp"

/* The figure's step 1 (digest 5.7). */
static const char STEP1[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "a=mid:0\r\n"
    "a=ice-ufrag:x7Qf\r\n"
    "a=ice-pwd:0123456789abcdef01234567\r\n"
    "a=candidate:1 1 UDP 2122260223 192.0.2.10 50000 typ host\r\n"
    "a=fingerprint:sha-256 " FP_WIC "\r\n"
    "a=setup:actpass\r\n"
    "a=connection:new\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n"
    "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
    "a=dcsa:1 setup:actpass\r\n"
    "a=dcsa:1 accept-types:message/cpim text/plain\r\n"
    "a=dcsa:1 path:" PATH_A "\r\n";

/* A second MSRP channel appended to STEP1. */
static const char CHAN3[] =
    "a=dcmap:3 label=\"msrp2\";subprotocol=\"MSRP\";ordered=true\r\n"
    "a=dcsa:3 setup:actpass\r\n"
    "a=dcsa:3 accept-types:text/plain\r\n"
    "a=dcsa:3 path:" PATH_A3 "\r\n";

/* IMS answer lines. */
#define IMS_HEAD "v=0\r\no=ue-b 1 2 IN IP4 203.0.113.77\r\ns=-\r\nt=0 0\r\n"
#define IMS_LINE(port, path)                                              \
  "m=message " #port " TCP/MSRP *\r\nc=IN IP4 203.0.113.77\r\n"          \
  "a=setup:active\r\na=msrp-cema\r\na=accept-types:text/plain\r\na=path:" path "\r\n"
#define IMS_ZERO "m=message 0 TCP/MSRP *\r\n"

static const char T2A[] = "v=0\r\nc=IN IP4 203.0.113.20\r\nm=message 40000 TCP -\r\n";
static const char T2B[] = "v=0\r\nc=IN IP4 203.0.113.20\r\nm=message 40002 TCP -\r\n";
static const char T1[] =
    "v=0\r\nc=IN IP4 198.51.100.20\r\nm=application 41000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=sctp-port:5000\r\na=max-message-size:65536\r\na=fingerprint:sha-256 " FP_AGW "\r\n"
    "a=ice-ufrag:AGWu\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=ice-lite\r\n"
    "a=candidate:1 1 UDP 2130706431 198.51.100.20 41000 typ host\r\n";

/* IMS offer of a WIC-terminated call (digest 7.1). */
#define MIR_HEAD "v=0\r\no=ue-b 7 1 IN IP4 203.0.113.77\r\ns=-\r\nt=0 0\r\n"
#define MIR_LINE(port, path)                                              \
  "m=message " #port " TCP/MSRP *\r\nc=IN IP4 203.0.113.77\r\n"          \
  "a=setup:actpass\r\na=msrp-cema\r\na=accept-types:text/plain\r\na=path:" path "\r\n"
#define MPATH1 "msrp://203.0.113.77:2855/m1;tcp"
#define MPATH2 "msrp://203.0.113.77:2856/m2;tcp"

static su_home_t *home_new(void)
{
  su_home_t *h = su_home_new(sizeof(su_home_t));
  ASSERT_NOT_NULL(h);
  return h;
}

static sdpdc_session_t *parse_ok(su_home_t *h, const char *text)
{
  sdpdc_session_t *s = NULL;
  sdpdc_error_t err;
  int rc = sdpdc_parse(h, text, strlen(text), &s, &err);
  if (rc != 0)
    fprintf(stderr, "parse: %s\n%s\n", err.reason, text);
  ASSERT_EQ(rc, 0);
  return s;
}

static const sdpdc_session_t *frag_ok(su_home_t *h, const char *text)
{
  sdpdc_session_t *s = NULL;
  ASSERT_EQ(sdpdc_frag_parse(h, text, strlen(text), &s, NULL), 0);
  return s;
}

/* text with the first `from` replaced by `to` (from must occur) */
static char *sub(su_home_t *h, const char *text, const char *from, const char *to)
{
  const char *p = strstr(text, from);
  ASSERT_NOT_NULL(p);
  return su_sprintf(h, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
}

static char *cat(su_home_t *h, const char *a, const char *b)
{
  return su_sprintf(h, "%s%s", a, b);
}

static size_t count(const char *hay, const char *needle)
{
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

/* A previous negotiation: WIC offer `offer` (all channels anchored), step 5
 * with T2A/T2B..., the IMS answer `ims`, step 14. */
typedef struct prev {
  sdpdc_plan_t *plan;
  sdpdc_session_t *ims_offer;  /* step 5's model */
  sdpdc_session_t *answer;     /* step 14's model */
  const sdpdc_session_t *t1[1];
} prev_t;

static prev_t negotiate(su_home_t *h, const char *offer, const char *ims)
{
  prev_t p;
  char *text;
  sdpdc_error_t err;
  ASSERT_EQ(sdpdc_plan_offer(h, parse_ok(h, offer), &p.plan, &err), 0);
  const sdpdc_session_t *t2[2] = {frag_ok(h, T2A), frag_ok(h, T2B)};
  ASSERT_LE(p.plan->n_chans, 2);
  ASSERT_EQ(sdpdc_step5_offer(h, p.plan, t2, p.plan->n_chans, NULL, &text, &p.ims_offer, &err), 0);
  p.t1[0] = frag_ok(h, T1);
  ASSERT_EQ(sdpdc_step14_answer(h, p.plan, parse_ok(h, ims), p.t1, 1, NULL, &text, &p.answer, &err),
            0);
  return p;
}

static sdpdc_diff_t *diff_ok(su_home_t *h, const prev_t *p, const char *reoffer,
                             sdpdc_plan_t **np)
{
  sdpdc_diff_t *d = NULL;
  sdpdc_error_t err;
  int rc = sdpdc_reoffer_diff(h, p->plan, p->answer, parse_ok(h, reoffer), &d, np, &err);
  if (rc)
    fprintf(stderr, "diff: %s\n", err.reason);
  ASSERT_EQ(rc, 0);
  ASSERT_NOT_NULL(d);
  return d;
}

/* ---------------------------------------------------------------- refresh */

static void test_refresh(void)
{
  su_home_t *h = home_new();
  prev_t p = negotiate(h, STEP1, IMS_HEAD IMS_LINE(2855, PATH_B));
  sdpdc_plan_t *np;
  /* the same offer again (with its a=connection:new) and a new o= version */
  sdpdc_diff_t *d = diff_ok(h, &p, sub(h, STEP1, "336 2 IN", "336 3 IN"), &np);
  ASSERT_EQ(d->unchanged, 1);
  ASSERT_EQ(d->n_lines, 1);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(d->lines[0].connection_new, 1);
  ASSERT_EQ(d->lines[0].n_chans, 1);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_KEEP);
  ASSERT_EQ(d->n_added + d->n_removed + d->n_changed + d->n_restarted, 0);
  ASSERT_EQ(np->dclines[0].existing, 1);
  ASSERT_EQ(np->dclines[0].answer_setup, SDPDC_SETUP_ACTIVE);
  /* the IMS re-offer is the step-5 offer again */
  char *prev_text, *text;
  ASSERT_EQ(sdpdc_print(h, p.ims_offer, &prev_text, NULL), 0);
  const sdpdc_session_t *none[1] = {NULL};
  ASSERT_EQ(sdpdc_reoffer_ims(h, np, p.ims_offer, none, 1, NULL, &text, NULL, NULL), 0);
  ASSERT_STR_EQ(text, prev_text);
  /* a browser re-offer without a=connection, with a=sendrecv: still nothing */
  d = diff_ok(h, &p, sub(h, STEP1, "a=connection:new\r\n", "a=sendrecv\r\n"), &np);
  ASSERT_EQ(d->unchanged, 1);
  ASSERT_EQ(d->lines[0].connection_new, 0);
  /* other media added at the end (rejected anyway): nothing for the AGW */
  d = diff_ok(h, &p, cat(h, STEP1, "m=audio 49170 RTP/AVP 0\r\nc=IN IP4 192.0.2.10\r\n"), &np);
  ASSERT_EQ(d->unchanged, 1);
  ASSERT_EQ(np->n_rejected, 1);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- add */

static void test_add(void)
{
  su_home_t *h = home_new();
  prev_t p = negotiate(h, STEP1, IMS_HEAD IMS_LINE(2855, PATH_B));
  sdpdc_plan_t *np;
  sdpdc_diff_t *d = diff_ok(h, &p, cat(h, STEP1, CHAN3), &np);
  ASSERT_EQ(d->unchanged, 0);
  ASSERT_EQ(d->n_added, 1);
  ASSERT_EQ(d->n_removed, 0);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(d->lines[0].n_chans, 2);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_KEEP);
  const sdpdc_chan_diff_t *a = &d->lines[0].chans[1];
  ASSERT_EQ(a->change, SDPDC_CHAN_ADDED);
  ASSERT_EQ(a->stream_id, 3);
  ASSERT_STR_EQ(sdpdc_dcsa_get(a->now, "path"), PATH_A3);
  ASSERT_EQ(a->prev_chan, SIZE_MAX);
  ASSERT_EQ(np->n_chans, 2);
  ASSERT_EQ(np->n_ims_media, 2);
  ASSERT_EQ(np->chans[a->new_chan].h248_stream, 3); /* stream 2 is the kept one */
  ASSERT_EQ(np->chans[a->new_chan].msrp_media, 1);  /* appended */
  ASSERT_EQ(np->chans[d->lines[0].chans[0].new_chan].h248_stream, 2);
  /* IMS re-offer: the kept line unchanged, one appended with T2B's port */
  const sdpdc_session_t *t2[2] = {NULL, NULL};
  t2[a->new_chan] = frag_ok(h, T2B);
  char *text;
  sdpdc_session_t *ims;
  ASSERT_EQ(sdpdc_reoffer_ims(h, np, p.ims_offer, t2, 2, NULL, &text, &ims, NULL), 0);
  ASSERT_EQ(ims->n_media, 2);
  ASSERT_EQ(ims->media[0].port, 40000);
  ASSERT_STR_EQ(ims->media[0].path, PATH_A);
  ASSERT_EQ(ims->media[1].port, 40002);
  ASSERT_STR_EQ(ims->media[1].path, PATH_A3);
  ASSERT_NOT_NULL(strstr(text, "m=message 40002 TCP/MSRP *\r\nc=IN IP4 203.0.113.20\r\n"));
  /* an added channel needs a T2 Local */
  const sdpdc_session_t *none[2] = {NULL, NULL};
  sdpdc_error_t err;
  ASSERT_EQ(sdpdc_reoffer_ims(h, np, p.ims_offer, none, 2, NULL, &text, NULL, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);
  /* WIC re-answer: both channels */
  ASSERT_EQ(sdpdc_reanswer_wic(h, np, parse_ok(h, IMS_HEAD IMS_LINE(2855, PATH_B)
                                                      IMS_LINE(2857, "msrp://b/2;tcp")),
                               p.t1, 1, NULL, &text, NULL, NULL), 0);
  ASSERT_NOT_NULL(strstr(text, "a=dcmap:1 "));
  ASSERT_NOT_NULL(strstr(text, "a=dcmap:3 "));
  ASSERT_NOT_NULL(strstr(text, "a=dcsa:3 path:msrp://b/2;tcp\r\n"));
  ASSERT_NOT_NULL(strstr(text, "a=fingerprint:sha-256 " FP_AGW));
  /* the answer must have the re-offer's two lines */
  ASSERT_EQ(sdpdc_reanswer_wic(h, np, parse_ok(h, IMS_HEAD IMS_LINE(2855, PATH_B)), p.t1, 1, NULL,
                               &text, NULL, &err), -EPROTO);
  ASSERT_EQ(err.code, SDPDC_E_MISMATCH);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- remove */

static void test_remove(void)
{
  su_home_t *h = home_new();
  prev_t p = negotiate(h, cat(h, STEP1, CHAN3),
                       IMS_HEAD IMS_LINE(2855, PATH_B) IMS_LINE(2857, "msrp://b/2;tcp"));
  ASSERT_EQ(p.plan->n_chans, 2);
  /* channel 1 goes (its dcmap and dcsa lines dropped), channel 3 stays */
  char *re = sub(h, cat(h, STEP1, CHAN3),
                 "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
                 "a=dcsa:1 setup:actpass\r\n"
                 "a=dcsa:1 accept-types:message/cpim text/plain\r\n"
                 "a=dcsa:1 path:" PATH_A "\r\n",
                 "");
  sdpdc_plan_t *np;
  sdpdc_diff_t *d = diff_ok(h, &p, re, &np);
  ASSERT_EQ(d->unchanged, 0);
  ASSERT_EQ(d->n_removed, 1);
  ASSERT_EQ(d->n_added, 0);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_REMOVED);
  ASSERT_EQ(d->lines[0].chans[0].stream_id, 1);
  ASSERT_EQ(d->lines[0].chans[0].new_chan, SIZE_MAX);
  ASSERT_EQ(p.plan->chans[d->lines[0].chans[0].prev_chan].h248_stream, 2);
  ASSERT_EQ(d->lines[0].chans[1].change, SDPDC_CHAN_KEEP);
  ASSERT_EQ(np->n_chans, 1);
  ASSERT_EQ(np->chans[0].stream_id, 3);
  ASSERT_EQ(np->chans[0].msrp_media, 1); /* keeps its IMS position */
  ASSERT_EQ(np->chans[0].h248_stream, 3);
  ASSERT_EQ(np->n_ims_media, 2);
  /* IMS re-offer: line 0 port 0 in place, line 1 as before */
  const sdpdc_session_t *none[1] = {NULL};
  char *text;
  sdpdc_session_t *ims;
  ASSERT_EQ(sdpdc_reoffer_ims(h, np, p.ims_offer, none, 1, NULL, &text, &ims, NULL), 0);
  ASSERT_EQ(ims->n_media, 2);
  ASSERT_EQ(ims->media[0].port, 0);
  ASSERT_NOT_NULL(strstr(text, "m=message 0 TCP/MSRP *\r\n"));
  ASSERT_EQ(ims->media[1].port, 40002);
  /* re-answer: dcmap 1 dropped, 3 present; a port-0 line must stay 0 */
  ASSERT_EQ(sdpdc_reanswer_wic(h, np, parse_ok(h, IMS_HEAD IMS_ZERO IMS_LINE(2857, "msrp://b/2;tcp")),
                               p.t1, 1, NULL, &text, NULL, NULL), 0);
  ASSERT_NULL(strstr(text, "a=dcmap:1 "));
  ASSERT_NULL(strstr(text, "a=dcsa:1 "));
  ASSERT_NOT_NULL(strstr(text, "a=dcmap:3 "));
  sdpdc_error_t err;
  ASSERT_EQ(sdpdc_reanswer_wic(h, np, parse_ok(h, IMS_HEAD IMS_LINE(2855, PATH_B)
                                                      IMS_LINE(2857, "msrp://b/2;tcp")),
                               p.t1, 1, NULL, &text, NULL, &err), -EPROTO);
  ASSERT_EQ(err.code, SDPDC_E_MISMATCH);

  /* the next re-offer adds channel 5: appended at position 2, h248 stream 4 */
  sdpdc_plan_t *np2;
  sdpdc_diff_t *d2;
  prev_t p2 = {np, ims, NULL, {p.t1[0]}};
  ASSERT_EQ(sdpdc_reanswer_wic(h, np, parse_ok(h, IMS_HEAD IMS_ZERO IMS_LINE(2857, "msrp://b/2;tcp")),
                               p.t1, 1, NULL, &text, &p2.answer, NULL), 0);
  d2 = diff_ok(h, &p2,
               cat(h, re,
                   "a=dcmap:5 subprotocol=\"MSRP\"\r\na=dcsa:5 accept-types:text/plain\r\n"
                   "a=dcsa:5 path:msrp://w/5;dc\r\n"),
               &np2);
  ASSERT_EQ(d2->n_added, 1);
  ASSERT_EQ(np2->n_ims_media, 3);
  ASSERT_EQ(np2->chans[1].stream_id, 5);
  ASSERT_EQ(np2->chans[1].msrp_media, 2);
  ASSERT_EQ(np2->chans[1].h248_stream, 4);
  const sdpdc_session_t *t2[2] = {NULL, frag_ok(h, T2A)};
  ASSERT_EQ(sdpdc_reoffer_ims(h, np2, ims, t2, 2, NULL, &text, &ims, NULL), 0);
  ASSERT_EQ(ims->n_media, 3);
  ASSERT_EQ(ims->media[0].port, 0);
  ASSERT_EQ(ims->media[1].port, 40002);
  ASSERT_EQ(ims->media[2].port, 40000);

  /* the DC m-line set to port 0: line and channels removed */
  d = diff_ok(h, &p, sub(h, cat(h, STEP1, CHAN3), "m=application 50000", "m=application 0"), &np);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_REMOVED);
  ASSERT_EQ(d->lines[0].new_slot, SIZE_MAX);
  ASSERT_EQ(d->n_removed, 2);
  ASSERT_EQ(np->n_chans, 0);
  ASSERT_EQ(np->n_dclines, 0);
  ASSERT_EQ(sdpdc_reoffer_ims(h, np, p.ims_offer, NULL, 0, NULL, &text, &ims, NULL), 0);
  ASSERT_EQ(count(text, "m=message 0 TCP/MSRP *"), 2);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- change */

static void test_change(void)
{
  su_home_t *h = home_new();
  prev_t p = negotiate(h, STEP1, IMS_HEAD IMS_LINE(2855, PATH_B));
  sdpdc_plan_t *np;
  sdpdc_diff_t *d = diff_ok(h, &p, sub(h, STEP1, "iau39soe2843z", "newpath77"), &np);
  ASSERT_EQ(d->unchanged, 0);
  ASSERT_EQ(d->n_changed, 1);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_CHANGED);
  ASSERT_EQ(d->lines[0].chans[0].what, SDPDC_WHAT_PATH);
  /* the IMS re-offer carries the new path, same port */
  const sdpdc_session_t *none[1] = {NULL};
  char *text;
  ASSERT_EQ(sdpdc_reoffer_ims(h, np, p.ims_offer, none, 1, NULL, &text, NULL, NULL), 0);
  ASSERT_NOT_NULL(strstr(text, "a=path:msrp://wic-a.example.invalid:9/newpath77;dc\r\n"));
  ASSERT_NOT_NULL(strstr(text, "m=message 40000 "));

  d = diff_ok(h, &p, sub(h, STEP1, "accept-types:message/cpim text/plain", "accept-types:text/plain"),
              &np);
  ASSERT_EQ(d->lines[0].chans[0].what, SDPDC_WHAT_ACCEPT_TYPES);
  d = diff_ok(h, &p, sub(h, STEP1, "a=dcsa:1 setup:actpass", "a=dcsa:1 setup:passive"), &np);
  ASSERT_EQ(d->lines[0].chans[0].what, SDPDC_WHAT_SETUP);
  d = diff_ok(h, &p, sub(h, STEP1, "a=dcsa:1 setup:actpass\r\n", ""), &np);
  ASSERT_EQ(d->unchanged, 1); /* absent dcsa setup = actpass */
  d = diff_ok(h, &p, cat(h, STEP1, "a=dcsa:1 max-size:2048\r\n"), &np);
  ASSERT_EQ(d->lines[0].chans[0].what, SDPDC_WHAT_OTHER);
  d = diff_ok(h, &p, sub(h, STEP1, "label=\"msrp\"", "label=\"chat\""), &np);
  ASSERT_EQ(d->lines[0].chans[0].what, SDPDC_WHAT_DCMAP);
  /* no longer reliable: not anchorable any more = removed */
  d = diff_ok(h, &p, sub(h, STEP1, "ordered=true", "ordered=true;max-retr=3"), &np);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_REMOVED);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_REMOVED);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- hold / resume */

static void test_hold_resume(void)
{
  su_home_t *h = home_new();
  prev_t p = negotiate(h, STEP1, IMS_HEAD IMS_LINE(2855, PATH_B));
  sdpdc_plan_t *np;
  char *held = sub(h, STEP1, "a=mid:0\r\n", "a=mid:0\r\na=sendonly\r\n");
  sdpdc_diff_t *d = diff_ok(h, &p, held, &np);
  ASSERT_EQ(d->unchanged, 0);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(d->lines[0].prev_dir, SDPDC_DIR_SENDRECV);
  ASSERT_EQ(d->lines[0].dir, SDPDC_DIR_SENDONLY);
  const sdpdc_chan_diff_t *c = &d->lines[0].chans[0];
  ASSERT_EQ(c->change, SDPDC_CHAN_CHANGED);
  ASSERT_EQ(c->what, SDPDC_WHAT_DIR);
  ASSERT_EQ(c->hold, 1);
  ASSERT_EQ(c->resume, 0);
  /* IMS re-offer: a=sendonly on the m=message line; re-answer: recvonly */
  const sdpdc_session_t *none[1] = {NULL};
  char *text;
  sdpdc_session_t *ims;
  ASSERT_EQ(sdpdc_reoffer_ims(h, np, p.ims_offer, none, 1, NULL, &text, &ims, NULL), 0);
  ASSERT_EQ(sdpdc_media_dir(ims, &ims->media[0]), SDPDC_DIR_SENDONLY);
  ASSERT_NOT_NULL(strstr(text, "a=sendonly\r\n"));
  prev_t p2 = {np, ims, NULL, {p.t1[0]}};
  ASSERT_EQ(sdpdc_reanswer_wic(h, np, parse_ok(h, IMS_HEAD IMS_LINE(2855, PATH_B) "a=recvonly\r\n"),
                               p.t1, 1, NULL, &text, &p2.answer, NULL), 0);
  ASSERT_EQ(count(text, "a=recvonly\r\n"), 1);
  ASSERT_NOT_NULL(strstr(text, "a=dcsa:1 recvonly\r\n")); /* the IMS answer's, per channel */
  ASSERT_EQ(sdpdc_media_dir(p2.answer, &p2.answer->media[0]), SDPDC_DIR_RECVONLY);

  /* the held state as the previous one, then resume */
  d = diff_ok(h, &p2, STEP1, &np);
  ASSERT_EQ(d->lines[0].chans[0].resume, 1);
  ASSERT_EQ(d->lines[0].chans[0].hold, 0);
  ASSERT_EQ(d->lines[0].chans[0].dir, SDPDC_DIR_SENDRECV);
  /* the held offer again: refresh */
  d = diff_ok(h, &p2, held, &np);
  ASSERT_EQ(d->unchanged, 1);

  /* inactive at session level; a per-channel dcsa direction wins */
  d = diff_ok(h, &p, sub(h, STEP1, "t=0 0\r\n", "t=0 0\r\na=inactive\r\n"), &np);
  ASSERT_EQ(d->lines[0].dir, SDPDC_DIR_INACTIVE);
  ASSERT_EQ(d->lines[0].chans[0].hold, 1);
  d = diff_ok(h, &p, cat(h, STEP1, "a=dcsa:1 recvonly\r\n"), &np);
  ASSERT_EQ(d->lines[0].dir, SDPDC_DIR_SENDRECV);
  ASSERT_EQ(d->lines[0].chans[0].dir, SDPDC_DIR_RECVONLY);
  ASSERT_EQ(d->lines[0].chans[0].hold, 1);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- DTLS restart */

static void test_restart(void)
{
  su_home_t *h = home_new();
  prev_t p = negotiate(h, STEP1, IMS_HEAD IMS_LINE(2855, PATH_B));
  sdpdc_plan_t *np;
  sdpdc_diff_t *d;

  /* new fingerprint with a=connection:new */
  d = diff_ok(h, &p, sub(h, STEP1, "sha-256 4A:AD", "sha-256 4B:AD"), &np);
  ASSERT_EQ(d->unchanged, 0);
  ASSERT_EQ(d->n_restarted, 1);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_RESTART);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_FINGERPRINT);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_KEEP); /* the MSRP side stays */
  ASSERT_EQ(np->dclines[0].existing, 0);
  ASSERT_EQ(np->dclines[0].agw_dtls_client, 1);

  /* the DTLS role: we answered active, the WIC now wants to be active */
  d = diff_ok(h, &p, sub(h, STEP1, "a=setup:actpass", "a=setup:active"), &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_ROLE);
  ASSERT_EQ(np->dclines[0].answer_setup, SDPDC_SETUP_PASSIVE);
  ASSERT_EQ(np->dclines[0].agw_dtls_client, 0);
  /* passive is the role it has: keep */
  d = diff_ok(h, &p, sub(h, STEP1, "a=setup:actpass", "a=setup:passive"), &np);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(d->unchanged, 1);

  /* port / address without tls-id */
  d = diff_ok(h, &p, sub(h, STEP1, "m=application 50000", "m=application 50002"), &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_TRANSPORT);
  d = diff_ok(h, &p, sub(h, STEP1, "c=IN IP4 192.0.2.10", "c=IN IP4 192.0.2.11"), &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_TRANSPORT);
  /* sctp-port */
  d = diff_ok(h, &p, sub(h, STEP1, "sctp-port:5000", "sctp-port:5001"), &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_SCTP_PORT);

  /* ICE restart and max-message-size: kept, but a T1 Modify */
  d = diff_ok(h, &p, sub(h, STEP1, "ice-ufrag:x7Qf", "ice-ufrag:y8Rg"), &np);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(d->lines[0].modify, SDPDC_MODIFY_ICE);
  ASSERT_EQ(d->unchanged, 0);
  d = diff_ok(h, &p, sub(h, STEP1, "max-message-size:262144", "max-message-size:65536"), &np);
  ASSERT_EQ(d->lines[0].modify, SDPDC_MODIFY_MMS);

  /* tls-id: a previous negotiation with tls-id abc */
  const char *tls = sub(h, STEP1, "a=mid:0\r\n", "a=mid:0\r\na=tls-id:abc\r\n");
  prev_t pt = negotiate(h, tls, IMS_HEAD IMS_LINE(2855, PATH_B));
  d = diff_ok(h, &pt, sub(h, tls, "tls-id:abc", "tls-id:abd"), &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_TLS_ID);
  d = diff_ok(h, &pt, sub(h, tls, "a=tls-id:abc\r\n", ""), &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_TLS_ID);
  d = diff_ok(h, &p, tls, &np); /* tls-id appears */
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_TLS_ID);
  /* same tls-id + connection:existing: keep, even on a new port (RFC 8842) */
  d = diff_ok(h, &pt,
              sub(h, sub(h, tls, "a=connection:new", "a=connection:existing"),
                  "m=application 50000", "m=application 50002"),
              &np);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(d->lines[0].modify, SDPDC_MODIFY_TRANSPORT);
  ASSERT_EQ(d->lines[0].connection_new, 0);
  d = diff_ok(h, &pt, sub(h, tls, "a=connection:new", "a=connection:existing"), &np);
  ASSERT_EQ(d->unchanged, 1);
  /* same tls-id, new fingerprint: still a restart */
  d = diff_ok(h, &pt, sub(h, tls, "sha-256 4A:AD", "sha-256 4B:AD"), &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_FINGERPRINT);
  /* several triggers at once */
  d = diff_ok(h, &pt,
              sub(h, sub(h, tls, "tls-id:abc", "tls-id:xyz"), "a=setup:actpass", "a=setup:active"),
              &np);
  ASSERT_EQ(d->lines[0].restart, SDPDC_RESTART_TLS_ID | SDPDC_RESTART_ROLE);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- lines added / errors */

static void test_lines_and_errors(void)
{
  su_home_t *h = home_new();
  prev_t p = negotiate(h, STEP1, IMS_HEAD IMS_LINE(2855, PATH_B));
  sdpdc_plan_t *np;
  sdpdc_diff_t *d;
  sdpdc_error_t err;
  /* a second DC m-line: ADDED, its own dcline, h248 stream 2 */
  const char *second = cat(h, STEP1,
                           "m=application 50010 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                           "c=IN IP4 192.0.2.10\r\na=mid:1\r\n"
                           "a=fingerprint:sha-256 " FP_WIC "\r\na=setup:actpass\r\n"
                           "a=dcmap:2 subprotocol=\"MSRP\"\r\na=dcsa:2 accept-types:text/plain\r\n"
                           "a=dcsa:2 path:msrp://w/2;dc\r\n");
  d = diff_ok(h, &p, second, &np);
  ASSERT_EQ(d->n_lines, 2);
  ASSERT_EQ(d->lines[1].change, SDPDC_LINE_ADDED);
  ASSERT_EQ(d->lines[1].media, 1);
  ASSERT_EQ(d->lines[1].prev_slot, SIZE_MAX);
  ASSERT_EQ(np->n_dclines, 2);
  ASSERT_EQ(np->dclines[1].existing, 0);
  ASSERT_EQ(np->chans[1].h248_stream, 2);
  ASSERT_EQ(np->chans[1].msrp_media, 1);
  ASSERT_EQ(d->n_added, 1);

  sdpdc_session_t *two = parse_ok(h, second);
  ASSERT_EQ(sdpdc_reoffer_diff(h, p.plan, p.answer, two, &d, &np, &err), 0);
  /* fewer m-lines than before */
  sdpdc_plan_t *p2;
  ASSERT_EQ(sdpdc_plan_offer(h, two, &p2, NULL), 0);
  ASSERT_EQ(sdpdc_reoffer_diff(h, p2, NULL, parse_ok(h, STEP1), &d, &np, &err), -EPROTO);
  ASSERT_EQ(err.code, SDPDC_E_MISMATCH);
  /* holdconn */
  ASSERT_EQ(sdpdc_reoffer_diff(h, p.plan, p.answer,
                               parse_ok(h, sub(h, STEP1, "a=setup:actpass", "a=setup:holdconn")),
                               &d, &np, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_SETUP);
  /* arguments */
  ASSERT_EQ(sdpdc_reoffer_diff(h, NULL, NULL, two, &d, &np, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);
  sdpdc_plan_t *mp;
  ASSERT_EQ(sdpdc_mirror_plan(h, parse_ok(h, MIR_HEAD MIR_LINE(2855, MPATH1)), NULL, 0, &mp, NULL), 0);
  ASSERT_EQ(sdpdc_reoffer_diff(h, mp, NULL, two, &d, &np, &err), -EINVAL);
  ASSERT_EQ(sdpdc_mirror_rediff(h, p.plan, NULL, two, 0, NULL, 0, &d, &np, &err), -EINVAL);
  ASSERT_STR_EQ(sdpdc_dir_name(SDPDC_DIR_INACTIVE), "inactive");
  ASSERT_STR_EQ(sdpdc_dir_name((sdpdc_dir_t)9), "sendrecv");
  /* a channel IMS refused before is ADDED when offered again */
  prev_t pr = negotiate(h, cat(h, STEP1, CHAN3), IMS_HEAD IMS_LINE(2855, PATH_B) IMS_ZERO);
  d = diff_ok(h, &pr, cat(h, STEP1, CHAN3), &np);
  ASSERT_EQ(d->lines[0].n_chans, 2);
  ASSERT_EQ(d->lines[0].chans[1].change, SDPDC_CHAN_ADDED);
  ASSERT_EQ(d->lines[0].chans[1].stream_id, 3);
  ASSERT_EQ(np->chans[1].msrp_media, 2); /* a fresh position: 1 stays port 0 */
  ASSERT_EQ(np->n_ims_media, 3);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- mirror */

static void test_mirror(void)
{
  su_home_t *h = home_new();
  sdpdc_plan_t *mp, *np;
  sdpdc_diff_t *d;
  sdpdc_error_t err;
  const sdpdc_session_t *t1[1] = {frag_ok(h, T1)};
  ASSERT_EQ(sdpdc_mirror_plan(h, parse_ok(h, MIR_HEAD MIR_LINE(2855, MPATH1)), NULL, 0, &mp, NULL), 0);
  ASSERT_EQ(mp->chans[0].stream_id, 1);

  /* refresh */
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, MIR_HEAD MIR_LINE(2855, MPATH1)), 0, NULL, 0,
                                &d, &np, &err), 0);
  ASSERT_EQ(d->unchanged, 1);
  ASSERT_EQ(d->n_lines, 1);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_KEEP);
  ASSERT_EQ(np->chans[0].stream_id, 1);

  /* add a line: a new odd id (AGW DTLS server), not 1 */
  const char *two = MIR_HEAD MIR_LINE(2855, MPATH1) MIR_LINE(2856, MPATH2);
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, two), 0, NULL, 0, &d, &np, &err), 0);
  ASSERT_EQ(d->unchanged, 0);
  ASSERT_EQ(d->n_added, 1);
  ASSERT_EQ(d->lines[0].chans[1].change, SDPDC_CHAN_ADDED);
  ASSERT_EQ(d->lines[0].chans[1].stream_id, 3);
  ASSERT_EQ(d->lines[0].chans[1].msrp_now, &np->offer->media[1]);
  ASSERT_EQ(np->chans[1].stream_id, 3);
  ASSERT_EQ(np->chans[1].h248_stream, 3);
  ASSERT_EQ(np->chans[1].msrp_media, 1);
  /* ids in use elsewhere (e.g. the WIC's DCEP ids) are skipped */
  unsigned used[] = {3, 5, 6};
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, two), 0, used, 3, &d, &np, &err), 0);
  ASSERT_EQ(np->chans[1].stream_id, 7);
  /* the AGW is the DTLS client: even ids, 0 first */
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, two), 1, NULL, 0, &d, &np, &err), 0);
  ASSERT_EQ(np->chans[1].stream_id, 0);
  ASSERT_EQ(np->dclines[0].answer_setup, SDPDC_SETUP_ACTIVE);
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, two), 1, (unsigned[]){0, 2}, 2, &d, &np,
                                &err), 0);
  ASSERT_EQ(np->chans[1].stream_id, 4);

  /* the WIC-side re-offer: passive/existing, both dcmaps */
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, two), 0, NULL, 0, &d, &np, &err), 0);
  char *text;
  ASSERT_EQ(sdpdc_mirror_offer(h, np, t1, 1, NULL, &text, NULL, &err), 0);
  ASSERT_NOT_NULL(strstr(text, "a=setup:passive\r\n"));
  ASSERT_NOT_NULL(strstr(text, "a=connection:existing\r\n"));
  ASSERT_NOT_NULL(strstr(text, "a=dcmap:1 "));
  ASSERT_NOT_NULL(strstr(text, "a=dcmap:3 "));
  ASSERT_NOT_NULL(strstr(text, "a=dcsa:3 path:" MPATH2 "\r\n"));
  /* the first offer still says actpass/new */
  ASSERT_EQ(sdpdc_mirror_offer(h, mp, t1, 1, NULL, &text, NULL, &err), 0);
  ASSERT_NOT_NULL(strstr(text, "a=setup:actpass\r\n"));
  ASSERT_NOT_NULL(strstr(text, "a=connection:new\r\n"));

  /* the two-channel state as previous; WIC answered both */
  sdpdc_plan_t *p2 = np;
  const char *wic_ans =
      "v=0\r\no=- 9 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
      "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.10\r\n"
      "a=fingerprint:sha-256 " FP_WIC "\r\na=setup:active\r\na=sctp-port:5000\r\n"
      "a=dcmap:1 subprotocol=\"MSRP\"\r\na=dcsa:1 path:msrp://w/1;dc\r\n"
      "a=dcmap:3 subprotocol=\"MSRP\"\r\na=dcsa:3 path:msrp://w/3;dc\r\n";
  sdpdc_session_t *wa = parse_ok(h, wic_ans);
  {
    /* a kept channel keeps the label the WIC gave it; one the WIC left
     * without a label and an added one are called "msrp" */
    const char *wic_lab =
        "v=0\r\no=- 9 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
        "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.10\r\n"
        "a=fingerprint:sha-256 " FP_WIC "\r\na=setup:active\r\na=sctp-port:5000\r\n"
        "a=dcmap:1 label=\"chat\";subprotocol=\"MSRP\"\r\na=dcsa:1 path:msrp://w/1;dc\r\n"
        "a=dcmap:3 subprotocol=\"MSRP\"\r\na=dcsa:3 path:msrp://w/3;dc\r\n";
    const char *three = MIR_HEAD MIR_LINE(2855, MPATH1) MIR_LINE(2856, MPATH2)
        MIR_LINE(2857, "msrp://203.0.113.77:2857/m3;tcp");
    sdpdc_diff_t *d3;
    sdpdc_plan_t *np3;
    ASSERT_EQ(sdpdc_mirror_rediff(h, p2, parse_ok(h, wic_lab), parse_ok(h, three), 0, NULL, 0,
                                  &d3, &np3, &err), 0);
    ASSERT_EQ(d3->n_added, 1);
    ASSERT_EQ(np3->n_chans, 3);
    ASSERT_EQ(sdpdc_mirror_offer(h, np3, t1, 1, NULL, &text, NULL, &err), 0);
    ASSERT_NOT_NULL(strstr(text, "a=dcmap:1 label=\"chat\";"));
    ASSERT_NOT_NULL(strstr(text, "a=dcmap:3 label=\"msrp\";"));
    ASSERT_NOT_NULL(strstr(text, "a=dcmap:5 label=\"msrp\";"));
    /* and the re-offer after that one (its plan as the previous) still does */
    ASSERT_EQ(sdpdc_mirror_rediff(h, np3, NULL, parse_ok(h, three), 0, NULL, 0, &d3, &np3, &err),
              0);
    ASSERT_EQ(sdpdc_mirror_offer(h, np3, t1, 1, NULL, &text, NULL, &err), 0);
    ASSERT_NOT_NULL(strstr(text, "a=dcmap:1 label=\"chat\";"));
  }
  /* remove the first line (port 0): REMOVED; id 1 not reused for a new line */
  const char *rm = MIR_HEAD "m=message 0 TCP/MSRP *\r\n" MIR_LINE(2856, MPATH2)
      MIR_LINE(2857, "msrp://203.0.113.77:2857/m3;tcp");
  ASSERT_EQ(sdpdc_mirror_rediff(h, p2, wa, parse_ok(h, rm), 0, NULL, 0, &d, &np, &err), 0);
  ASSERT_EQ(d->n_removed, 1);
  ASSERT_EQ(d->n_added, 1);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_REMOVED);
  ASSERT_EQ(d->lines[0].chans[0].stream_id, 1);
  ASSERT_EQ(d->lines[0].chans[1].change, SDPDC_CHAN_KEEP);
  ASSERT_EQ(d->lines[0].chans[1].stream_id, 3);
  ASSERT_EQ(d->lines[0].chans[2].stream_id, 5);
  ASSERT_EQ(np->n_chans, 2);
  ASSERT_EQ(np->chans[0].h248_stream, 3);
  ASSERT_EQ(np->chans[1].h248_stream, 4);
  ASSERT_EQ(sdpdc_mirror_offer(h, np, t1, 1, NULL, &text, NULL, &err), 0);
  ASSERT_NULL(strstr(text, "a=dcmap:1 "));
  ASSERT_NOT_NULL(strstr(text, "a=dcmap:3 "));
  ASSERT_NOT_NULL(strstr(text, "a=dcmap:5 "));
  /* IMS re-answer: position 0 port 0 */
  const sdpdc_session_t *t2[2] = {frag_ok(h, T2A), frag_ok(h, T2B)};
  sdpdc_session_t *ims_ans;
  const char *wic_ans2 = 
      "v=0\r\no=- 9 2 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
      "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.10\r\n"
      "a=fingerprint:sha-256 " FP_WIC "\r\na=setup:active\r\na=sctp-port:5000\r\n"
      "a=dcmap:3 subprotocol=\"MSRP\"\r\na=dcsa:3 path:msrp://w/3;dc\r\n"
      "a=dcmap:5 subprotocol=\"MSRP\"\r\na=dcsa:5 path:msrp://w/5;dc\r\n";
  ASSERT_EQ(sdpdc_mirror_answer(h, np, parse_ok(h, wic_ans2), t2, 2, NULL, NULL, &text, &ims_ans,
                                &err), 0);
  ASSERT_EQ(ims_ans->n_media, 3);
  ASSERT_EQ(ims_ans->media[0].port, 0);
  ASSERT_EQ(ims_ans->media[1].port, 40000);
  ASSERT_EQ(ims_ans->media[2].port, 40002);

  /* a channel the WIC did not accept counts as not established: ADDED again with a new id */
  sdpdc_session_t *wa1 = parse_ok(h, sub(h, wic_ans, "a=dcmap:3 subprotocol=\"MSRP\"\r\na=dcsa:3 path:msrp://w/3;dc\r\n", ""));
  ASSERT_EQ(sdpdc_mirror_rediff(h, p2, wa1, parse_ok(h, two), 0, NULL, 0, &d, &np, &err), 0);
  ASSERT_EQ(d->lines[0].chans[1].change, SDPDC_CHAN_ADDED);
  ASSERT_EQ(d->lines[0].chans[1].stream_id, 5); /* 3 is still an id of the previous plan */

  /* change and hold on the IMS side */
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL,
                                parse_ok(h, MIR_HEAD MIR_LINE(2855, MPATH1) "a=sendonly\r\n"), 0,
                                NULL, 0, &d, &np, &err), 0);
  ASSERT_EQ(d->lines[0].chans[0].change, SDPDC_CHAN_CHANGED);
  ASSERT_EQ(d->lines[0].chans[0].what, SDPDC_WHAT_DIR);
  ASSERT_EQ(d->lines[0].chans[0].hold, 1);
  ASSERT_EQ(sdpdc_mirror_offer(h, np, t1, 1, NULL, &text, NULL, &err), 0);
  ASSERT_NOT_NULL(strstr(text, "a=dcsa:1 sendonly\r\n"));
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL,
                                parse_ok(h, MIR_HEAD MIR_LINE(2855, "msrp://203.0.113.77:2855/x;tcp")),
                                0, NULL, 0, &d, &np, &err), 0);
  ASSERT_EQ(d->lines[0].chans[0].what, SDPDC_WHAT_PATH);
  /* everything removed */
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, MIR_HEAD "m=message 0 TCP/MSRP *\r\n"), 0,
                                NULL, 0, &d, &np, &err), 0);
  ASSERT_EQ(d->lines[0].change, SDPDC_LINE_REMOVED);
  ASSERT_EQ(np->n_chans, 0);
  ASSERT_EQ(np->n_dclines, 0);
  /* errors: fewer lines, holdconn, no free id */
  ASSERT_EQ(sdpdc_mirror_rediff(h, p2, NULL, parse_ok(h, MIR_HEAD MIR_LINE(2855, MPATH1)), 0, NULL,
                                0, &d, &np, &err), -EPROTO);
  ASSERT_EQ(err.code, SDPDC_E_MISMATCH);
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL,
                                parse_ok(h, sub(h, two, "a=setup:actpass\r\na=msrp-cema\r\na=accept-types:text/plain\r\na=path:" MPATH2,
                                                "a=setup:holdconn\r\na=msrp-cema\r\na=accept-types:text/plain\r\na=path:" MPATH2)),
                                0, NULL, 0, &d, &np, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_SETUP);
  unsigned *all = malloc(32768 * sizeof *all);
  ASSERT_NOT_NULL(all);
  for (unsigned i = 0; i < 32768; i++)
    all[i] = 2 * i + 1;
  ASSERT_EQ(sdpdc_mirror_rediff(h, mp, NULL, parse_ok(h, two), 0, all, 32768, &d, &np, &err),
            -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_DCMAP_ID);
  free(all);
  su_home_unref(h);
}

int main(void)
{
  TEST_RUN(test_refresh);
  TEST_RUN(test_add);
  TEST_RUN(test_remove);
  TEST_RUN(test_change);
  TEST_RUN(test_hold_resume);
  TEST_RUN(test_restart);
  TEST_RUN(test_lines_and_errors);
  TEST_RUN(test_mirror);
  return 0;
}
