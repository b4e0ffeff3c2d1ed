/* test-sdp.c -- unit tests of libwgsdp: the figure's four SDP bodies
 * (digest 5.7), the H.248 fragments (digest 4), RFC 8864 examples, a
 * browser offer, every validation error, the mirror pair, several lines and
 * channels, IPv6, session- vs media-level c= and fingerprint. */
#include "config.h"

#include <errno.h>
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
#define PATH_B "msrp://203.0.113.77:2855/9di4eae923wzd;tcp"

/* Step 1 (digest 5.7) with the session lines a browser adds. */
static const char STEP1[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=ice-options:trickle\r\n"
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

/* Step 6, media part (digest 5.7). */
static const char STEP6_MEDIA[] =
    "m=message 40000 TCP/MSRP *\r\n"
    "c=IN IP4 203.0.113.20\r\n"
    "a=setup:actpass\r\n"
    "a=msrp-cema\r\n"
    "a=accept-types:message/cpim text/plain\r\n"
    "a=path:" PATH_A "\r\n";

/* Step 7 (digest 5.7) as the IMS core sends it. */
static const char STEP7[] =
    "v=0\r\n"
    "o=ue-b 2890844526 2890844527 IN IP4 203.0.113.77\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=message 2855 TCP/MSRP *\r\n"
    "c=IN IP4 203.0.113.77\r\n"
    "a=setup:active\r\n"
    "a=msrp-cema\r\n"
    "a=accept-types:message/cpim text/plain\r\n"
    "a=path:" PATH_B "\r\n";

/* Step 15, from the session attribute on (digest 5.7, with the AGW's ICE). */
static const char STEP15_TAIL[] =
    "a=ice-lite\r\n"
    "m=application 41000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "a=mid:0\r\n"
    "a=ice-ufrag:AGWu\r\n"
    "a=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=candidate:1 1 UDP 2130706431 198.51.100.20 41000 typ host\r\n"
    "a=fingerprint:sha-256 " FP_AGW "\r\n"
    "a=setup:active\r\n"
    "a=connection:new\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:65536\r\n"
    "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
    "a=dcsa:1 setup:active\r\n"
    "a=dcsa:1 accept-types:message/cpim text/plain\r\n"
    "a=dcsa:1 path:" PATH_B "\r\n";

/* The digest's H.248 examples (s02, s04, s08, s11, s13), with CRLF. */
static const char S02_T2_LOCAL[] = "v=0\r\nc=IN IP4 $\r\nm=message $ TCP -\r\n";
static const char S04_T2_LOCAL[] = "v=0\r\nc=IN IP4 203.0.113.20\r\nm=message 40000 TCP -\r\n";
static const char S08_T2_REMOTE[] = "v=0\r\nc=IN IP4 203.0.113.77\r\nm=message 2855 TCP -\r\n";
static const char S11_T1_LOCAL[] = "v=0\r\n"
                                   "c=IN IP4 $\r\n"
                                   "m=application $ UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                   "a=sctp-port:$\r\n"
                                   "a=max-message-size:$\r\n"
                                   "a=fingerprint:$\r\n";
static const char S11_T1_REMOTE[] = "v=0\r\n"
                                    "c=IN IP4 192.0.2.10\r\n"
                                    "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                    "a=sctp-port:5000\r\n"
                                    "a=max-message-size:262144\r\n"
                                    "a=fingerprint:sha-256 " FP_WIC "\r\n";
/* s13 plus the PROPOSED ICE lines; indented as inside an H.248 message. */
static const char S13_T1_LOCAL_ICE[] =
    "\n    v=0\n"
    "    c=IN IP4 198.51.100.20\n"
    "    m=application 41000 UDP/DTLS/SCTP webrtc-datachannel\n"
    "    a=sctp-port:5000\n"
    "    a=max-message-size:65536\n"
    "    a=fingerprint:sha-256 " FP_AGW "\n"
    "    a=ice-ufrag:AGWu\n"
    "    a=ice-pwd:0123456789abcdefghijklmn\n"
    "    a=ice-lite\n"
    "    a=candidate:1 1 UDP 2130706431 198.51.100.20 41000 typ host\n";

static su_home_t *home_new(void)
{
  su_home_t *h = su_home_new(sizeof(su_home_t));
  ASSERT_NOT_NULL(h);
  return h;
}

static sdpdc_session_t *parse_ok(su_home_t *h, const char *text)
{
  sdpdc_session_t *s = NULL;
  sdpdc_error_t err = {0};
  int rc = sdpdc_parse(h, text, strlen(text), &s, &err);
  if (rc != 0)
    TASK_FAIL("parse failed %d: %s", rc, err.reason);
  ASSERT_NOT_NULL(s);
  return s;
}

static sdpdc_session_t *frag_ok(su_home_t *h, const char *text)
{
  sdpdc_session_t *s = NULL;
  sdpdc_error_t err = {0};
  int rc = sdpdc_frag_parse(h, text, strlen(text), &s, &err);
  if (rc != 0)
    TASK_FAIL("frag parse failed %d: %s", rc, err.reason);
  return s;
}

/* Parse must fail with rc and code, and the reason must contain `want`. */
static void parse_err(const char *text, int rc, int code, const char *want)
{
  su_home_t *h = home_new();
  sdpdc_session_t *s = NULL;
  sdpdc_error_t err = {0};
  int r = sdpdc_parse(h, text, strlen(text), &s, &err);
  if (r != rc || err.code != code || !strstr(err.reason, want))
    TASK_FAIL("want %d/%s \"%s\", got %d/%s \"%s\"", rc, sdpdc_errcode_name(code), want, r,
              sdpdc_errcode_name(err.code), err.reason);
  ASSERT(strchr(err.reason, '"') == NULL);
  su_home_unref(h);
}

/* STEP1 with `from` replaced by `to` (first occurrence). */
static char *step1_with(su_home_t *h, const char *from, const char *to)
{
  const char *p = strstr(STEP1, from);
  ASSERT_NOT_NULL(p);
  return su_sprintf(h, "%.*s%s%s", (int)(p - STEP1), STEP1, to, p + strlen(from));
}

/* ---------------------------------------------------------------- step 1 */

static void test_parse_step1(void)
{
  su_home_t *h = home_new();
  sdpdc_session_t *s = parse_ok(h, STEP1);
  ASSERT_EQ(s->n_media, 1);
  ASSERT_STR_EQ(sdpdc_session_attr_get(s, "ice-options"), "trickle");
  const sdpdc_media_t *m = &s->media[0];
  ASSERT_EQ(m->kind, SDPDC_KIND_DC);
  ASSERT_EQ(m->proto, SDPDC_PROTO_UDP_DTLS_SCTP);
  ASSERT_STR_EQ(m->fmt, "webrtc-datachannel");
  ASSERT_EQ(m->port, 50000);
  ASSERT_EQ(m->family, 4);
  ASSERT_STR_EQ(m->address, "192.0.2.10");
  ASSERT_EQ(m->address_from_session, 0);
  ASSERT_STR_EQ(m->mid, "0");
  ASSERT_STR_EQ(m->ice_ufrag, "x7Qf");
  ASSERT_STR_EQ(m->ice_pwd, "0123456789abcdef01234567");
  ASSERT_STR_EQ(m->ice_options, "trickle"); /* inherited from the session */
  ASSERT_EQ(m->n_candidates, 1);
  ASSERT_STR_EQ(m->candidates[0].foundation, "1");
  ASSERT_EQ(m->candidates[0].component, 1);
  ASSERT_STR_EQ(m->candidates[0].transport, "UDP");
  ASSERT_EQ(m->candidates[0].priority, 2122260223u);
  ASSERT_STR_EQ(m->candidates[0].address, "192.0.2.10");
  ASSERT_EQ(m->candidates[0].port, 50000);
  ASSERT_STR_EQ(m->candidates[0].type, "host");
  ASSERT_NULL(m->candidates[0].extensions);
  ASSERT_EQ(m->n_fingerprints, 1);
  ASSERT_STR_EQ(m->fingerprints[0].hash, "sha-256");
  ASSERT_STR_EQ(m->fingerprints[0].value, FP_WIC);
  ASSERT_EQ(m->setup, SDPDC_SETUP_ACTPASS);
  ASSERT_EQ(m->connection, SDPDC_CONNECTION_NEW);
  ASSERT_EQ(m->has_sctp_port, 1);
  ASSERT_EQ(m->sctp_port, 5000);
  ASSERT_EQ(m->has_max_message_size, 1);
  ASSERT_EQ(m->max_message_size, 262144);
  ASSERT_EQ(m->n_dcmaps, 1);
  const sdpdc_dcmap_t *d = sdpdc_dcmap_find(m, 1);
  ASSERT_NOT_NULL(d);
  ASSERT_STR_EQ(d->label, "msrp");
  ASSERT_STR_EQ(d->subprotocol, "MSRP");
  ASSERT_EQ(d->ordered, 1);
  ASSERT_EQ(d->has_max_retr + d->has_max_time + d->has_priority, 0);
  ASSERT(sdpdc_dcmap_is_msrp(d));
  ASSERT_EQ(d->n_dcsa, 3);
  ASSERT_STR_EQ(sdpdc_dcsa_get(d, "setup"), "actpass");
  ASSERT_STR_EQ(sdpdc_dcsa_get(d, "accept-types"), "message/cpim text/plain");
  ASSERT_STR_EQ(sdpdc_dcsa_get(d, "path"), PATH_A);
  ASSERT_NULL(sdpdc_dcsa_get(d, "max-size"));
  ASSERT_STR_EQ(sdpdc_attr_get(m, "sctp-port"), "5000");
  ASSERT_EQ(sdpdc_attr_count(m, "dcsa"), 3);
  ASSERT_NULL(sdpdc_attr_get(m, "tls-id"));
  ASSERT(sdpdc_media_nth(s, SDPDC_KIND_DC, 0) == m);
  ASSERT_NULL(sdpdc_media_nth(s, SDPDC_KIND_DC, 1));
  ASSERT_NULL(sdpdc_media_nth(s, SDPDC_KIND_MSRP, 0));
  su_home_unref(h);
}

static void test_defaults(void)
{
  su_home_t *h = home_new();
  char *t = step1_with(h, "a=sctp-port:5000\r\na=max-message-size:262144\r\n", "");
  sdpdc_session_t *s = parse_ok(h, t);
  ASSERT_EQ(s->media[0].has_sctp_port, 0);
  ASSERT_EQ(s->media[0].sctp_port, 5000);
  ASSERT_EQ(s->media[0].has_max_message_size, 0);
  ASSERT_EQ(s->media[0].max_message_size, 65536);
  /* LF line ends are accepted too */
  char *lf = su_strdup(h, STEP1);
  char *o = lf;
  for (char *p = lf; *p; p++)
    if (*p != '\r')
      *o++ = *p;
  *o = '\0';
  s = parse_ok(h, lf);
  ASSERT_STR_EQ(sdpdc_dcsa_get(&s->media[0].dcmaps[0], "path"), PATH_A);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- the figure end to end */

typedef struct figure {
  su_home_t *h;
  sdpdc_session_t *offer;
  sdpdc_plan_t *plan;
  char *ims_offer;
  char *wic_answer;
} figure_t;

static void run_figure(figure_t *f, const char *offer_text, const char *ims_answer_text)
{
  sdpdc_error_t err = {0};
  int rc;
  f->h = home_new();
  f->offer = parse_ok(f->h, offer_text);
  rc = sdpdc_plan_offer(f->h, f->offer, &f->plan, &err);
  if (rc)
    TASK_FAIL("plan: %s", err.reason);
  /* steps 2-4: T2 Local request and the AGW's reply */
  const sdpdc_session_t **t2 = su_zalloc(f->h, f->plan->n_chans * sizeof *t2);
  for (size_t i = 0; i < f->plan->n_chans; i++)
    t2[i] = frag_ok(f->h, S04_T2_LOCAL);
  rc = sdpdc_step5_offer(f->h, f->plan, t2, f->plan->n_chans, NULL, &f->ims_offer, NULL, &err);
  if (rc)
    TASK_FAIL("step 5: %s", err.reason);
  sdpdc_session_t *ans = parse_ok(f->h, ims_answer_text);
  const sdpdc_session_t **t1 = su_zalloc(f->h, f->plan->n_dclines * sizeof *t1);
  for (size_t i = 0; i < f->plan->n_dclines; i++)
    t1[i] = frag_ok(f->h, S13_T1_LOCAL_ICE);
  rc = sdpdc_step14_answer(f->h, f->plan, ans, t1, f->plan->n_dclines, NULL, &f->wic_answer,
                           NULL, &err);
  if (rc)
    TASK_FAIL("step 14: %s", err.reason);
}

static void test_figure(void)
{
  figure_t f;
  run_figure(&f, STEP1, STEP7);
  /* plan: one DC line, one channel, AGW = DTLS client (Est_DTLS) */
  ASSERT_EQ(f.plan->n_dclines, 1);
  ASSERT_EQ(f.plan->n_chans, 1);
  ASSERT_EQ(f.plan->n_rejected, 0);
  ASSERT_EQ(f.plan->chans[0].stream_id, 1);
  ASSERT_EQ(f.plan->chans[0].h248_stream, 2);
  ASSERT_EQ(f.plan->dclines[0].answer_setup, SDPDC_SETUP_ACTIVE);
  ASSERT_EQ(f.plan->dclines[0].agw_dtls_client, 1);
  /* step 6: exactly the digest's media lines */
  const char *want6 = "v=0\r\no=- 1 1 IN IP4 203.0.113.20\r\ns=-\r\nt=0 0\r\n";
  ASSERT(strncmp(f.ims_offer, want6, strlen(want6)) == 0);
  ASSERT_STR_EQ(f.ims_offer + strlen(want6), STEP6_MEDIA);
  /* nothing of ICE/DTLS/SCTP/dcmap leaks to IMS */
  static const char *const leak[] = {"ice-", "fingerprint", "sctp", "dcmap", "dcsa",
                                     "candidate", "max-message-size", "tls-id", "connection"};
  for (size_t i = 0; i < sizeof leak / sizeof leak[0]; i++)
    ASSERT_NULL(strstr(f.ims_offer, leak[i]));
  /* step 15: the digest's body */
  const char *want15 = "v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\nt=0 0\r\n";
  ASSERT(strncmp(f.wic_answer, want15, strlen(want15)) == 0);
  ASSERT_STR_EQ(f.wic_answer + strlen(want15), STEP15_TAIL);
  /* and it parses back as a valid DC answer */
  sdpdc_session_t *a = parse_ok(f.h, f.wic_answer);
  ASSERT_EQ(a->ice_lite, 1);
  ASSERT_EQ(a->media[0].setup, SDPDC_SETUP_ACTIVE);
  su_home_unref(f.h);
}

static void test_origin(void)
{
  su_home_t *h = home_new();
  sdpdc_error_t err;
  sdpdc_session_t *offer = parse_ok(h, STEP1);
  sdpdc_plan_t *plan;
  ASSERT_EQ(sdpdc_plan_offer(h, offer, &plan, &err), 0);
  const sdpdc_session_t *t2[1] = {frag_ok(h, S04_T2_LOCAL)};
  sdpdc_origin_t o = {.username = "wicgate", .sess_id = "77", .sess_version = "3",
                      .subject = "call"};
  char *text;
  sdpdc_session_t *model;
  ASSERT_EQ(sdpdc_step5_offer(h, plan, t2, 1, &o, &text, &model, &err), 0);
  ASSERT(strncmp(text, "v=0\r\no=wicgate 77 3 IN IP4 203.0.113.20\r\ns=call\r\n", 49) == 0);
  ASSERT_EQ(model->n_media, 1);
  ASSERT_STR_EQ(model->media[0].path, PATH_A);
  su_home_unref(h);
}

/* CEMA: paths byte-exact through step 5 and step 14, including a multi-hop
 * path and odd but legal characters. */
static void test_path_roundtrip(void)
{
  su_home_t *h = home_new();
  const char *pa = "msrp://relay.example.invalid:2855/a%20b=c;tcp "
                   "msrp://wic-a.example.invalid:9/iau39+so/e2843z;dc";
  const char *pb = "msrps://[2001:db8::77]:2855/9di4eae923wzd;tcp;x=y";
  char *offer = step1_with(h, PATH_A, pa);
  char *answer = su_sprintf(h, "%.*s%s\r\n", (int)(strstr(STEP7, "a=path:") - STEP7 + 7), STEP7,
                            pb);
  figure_t f;
  run_figure(&f, offer, answer);
  sdpdc_session_t *io = parse_ok(f.h, f.ims_offer);
  ASSERT_STR_EQ(io->media[0].path, pa);
  sdpdc_session_t *wa = parse_ok(f.h, f.wic_answer);
  ASSERT_STR_EQ(sdpdc_dcsa_get(&wa->media[0].dcmaps[0], "path"), pb);
  ASSERT_NOT_NULL(strstr(f.ims_offer, su_sprintf(h, "a=path:%s\r\n", pa)));
  ASSERT_NOT_NULL(strstr(f.wic_answer, su_sprintf(h, "a=dcsa:1 path:%s\r\n", pb)));
  su_home_unref(f.h);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- H.248 fragments */

static void test_h248_builders(void)
{
  su_home_t *h = home_new();
  sdpdc_error_t err;
  char *t;
  ASSERT_EQ(sdpdc_h248_t2_local_request(h, 4, &t, &err), 0);
  ASSERT_STR_EQ(t, S02_T2_LOCAL);
  ASSERT_EQ(sdpdc_h248_t2_local_request(h, 6, &t, &err), 0);
  ASSERT_STR_EQ(t, "v=0\r\nc=IN IP6 $\r\nm=message $ TCP -\r\n");
  ASSERT_EQ(sdpdc_h248_t2_local_request(h, 5, &t, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);

  sdpdc_session_t *ans = parse_ok(h, STEP7);
  ASSERT_EQ(sdpdc_h248_t2_remote(h, &ans->media[0], 0, &t, &err), 0);
  ASSERT_STR_EQ(t, S08_T2_REMOTE);
  ASSERT_EQ(sdpdc_h248_t2_remote(h, &ans->media[0], 1, &t, &err), 0);
  ASSERT_STR_EQ(t, "v=0\r\nc=IN IP4 203.0.113.77\r\nm=message 2855 TCP -\r\na=setup:active\r\n");

  ASSERT_EQ(sdpdc_h248_t1_local_request(h, 4, SDPDC_PROTO_UDP_DTLS_SCTP, 0, &t, &err), 0);
  ASSERT_STR_EQ(t, S11_T1_LOCAL);
  ASSERT_EQ(sdpdc_h248_t1_local_request(h, 4, SDPDC_PROTO_UDP_DTLS_SCTP, 1, &t, &err), 0);
  ASSERT_STR_EQ(t, su_sprintf(h, "%sa=ice-ufrag:$\r\na=ice-pwd:$\r\na=ice-lite\r\n",
                              S11_T1_LOCAL));
  ASSERT_EQ(sdpdc_h248_t1_local_request(h, 4, SDPDC_PROTO_TCP_MSRP, 0, &t, &err), -EINVAL);

  sdpdc_session_t *offer = parse_ok(h, STEP1);
  ASSERT_EQ(sdpdc_h248_t1_remote(h, &offer->media[0], 0, &t, &err), 0);
  ASSERT_STR_EQ(t, S11_T1_REMOTE);
  ASSERT_EQ(sdpdc_h248_t1_remote(h, &offer->media[0], 1, &t, &err), 0);
  ASSERT_STR_EQ(t, su_sprintf(h, "%sa=ice-ufrag:x7Qf\r\na=ice-pwd:0123456789abcdef01234567\r\n",
                              S11_T1_REMOTE));
  su_home_unref(h);
}

static void test_h248_readers(void)
{
  su_home_t *h = home_new();
  /* the gateway's side: requests with "$" */
  sdpdc_session_t *s = frag_ok(h, S02_T2_LOCAL);
  ASSERT_EQ(s->n_media, 1);
  const sdpdc_media_t *m = &s->media[0];
  ASSERT_EQ(m->kind, SDPDC_KIND_MSRP);
  ASSERT_EQ(m->proto, SDPDC_PROTO_TCP);
  ASSERT_STR_EQ(m->fmt, "-");
  ASSERT_EQ(m->choose, SDPDC_CHOOSE_ADDR | SDPDC_CHOOSE_PORT);
  ASSERT_EQ(m->family, 4);
  ASSERT_NULL(m->address);
  ASSERT_NULL(s->o_username);

  s = frag_ok(h, S11_T1_LOCAL);
  m = &s->media[0];
  ASSERT_EQ(m->kind, SDPDC_KIND_DC);
  ASSERT_EQ(m->choose, SDPDC_CHOOSE_ADDR | SDPDC_CHOOSE_PORT | SDPDC_CHOOSE_SCTP_PORT |
                           SDPDC_CHOOSE_MMS | SDPDC_CHOOSE_FINGERPRINT);
  ASSERT_EQ(m->n_fingerprints, 0);

  s = frag_ok(h, "v=0\r\nc=IN IP6 $\r\nm=application $ TCP/DTLS/SCTP webrtc-datachannel\r\n"
                 "a=ice-ufrag:$\r\na=ice-pwd:$\r\na=ice-lite\r\na=tls-id:$\r\n");
  m = &s->media[0];
  ASSERT_EQ(m->family, 6);
  ASSERT_EQ(m->proto, SDPDC_PROTO_TCP_DTLS_SCTP);
  ASSERT_EQ(m->choose, SDPDC_CHOOSE_ADDR | SDPDC_CHOOSE_PORT | SDPDC_CHOOSE_ICE_UFRAG |
                           SDPDC_CHOOSE_ICE_PWD | SDPDC_CHOOSE_TLS_ID);
  ASSERT_EQ(m->ice_lite, 1);

  s = frag_ok(h, S11_T1_REMOTE);
  m = &s->media[0];
  ASSERT_EQ(m->choose, 0);
  ASSERT_STR_EQ(m->address, "192.0.2.10");
  ASSERT_EQ(m->port, 50000);
  ASSERT_EQ(m->sctp_port, 5000);
  ASSERT_EQ(m->max_message_size, 262144);
  ASSERT_STR_EQ(m->fingerprints[0].value, FP_WIC);

  /* the ALG's side: replies */
  s = frag_ok(h, S13_T1_LOCAL_ICE);
  m = &s->media[0];
  ASSERT_STR_EQ(m->address, "198.51.100.20");
  ASSERT_EQ(m->port, 41000);
  ASSERT_EQ(m->max_message_size, 65536);
  ASSERT_STR_EQ(m->fingerprints[0].value, FP_AGW);
  ASSERT_STR_EQ(m->ice_ufrag, "AGWu");
  ASSERT_EQ(m->ice_lite, 1);
  ASSERT_EQ(m->n_candidates, 1);
  ASSERT_EQ(m->candidates[0].priority, 2130706431u);

  /* the AGW prints its replies from the model: s04 and s13 exactly */
  char *t;
  sdpdc_error_t err;
  sdpdc_media_t r = {.kind = SDPDC_KIND_MSRP, .media = "message", .proto_name = "TCP",
                     .fmt = "-", .family = 4, .address = "203.0.113.20", .port = 40000};
  ASSERT_EQ(sdpdc_frag_print(h, &r, &t, &err), 0);
  ASSERT_STR_EQ(t, S04_T2_LOCAL);
  sdpdc_fingerprint_t fp = {"sha-256", FP_AGW};
  sdpdc_media_t r1 = {.kind = SDPDC_KIND_DC, .media = "application",
                      .proto_name = "UDP/DTLS/SCTP", .fmt = "webrtc-datachannel", .family = 4,
                      .address = "198.51.100.20", .port = 41000, .has_sctp_port = 1,
                      .sctp_port = 5000, .has_max_message_size = 1, .max_message_size = 65536,
                      .fingerprints = &fp, .n_fingerprints = 1};
  ASSERT_EQ(sdpdc_frag_print(h, &r1, &t, &err), 0);
  ASSERT_STR_EQ(t, "v=0\r\nc=IN IP4 198.51.100.20\r\n"
                   "m=application 41000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                   "a=sctp-port:5000\r\na=max-message-size:65536\r\n"
                   "a=fingerprint:sha-256 " FP_AGW "\r\n");
  /* a reply printed then read back gives the same values */
  s = frag_ok(h, t);
  ASSERT_STR_EQ(s->media[0].fingerprints[0].value, FP_AGW);

  /* a fragment with o=/s=/t= present works too; bad ones fail cleanly */
  s = frag_ok(h, "v=0\r\no=- 5 6 IN IP4 1.2.3.4\r\ns=x\r\nt=0 0\r\nm=message $ TCP -\r\n");
  ASSERT_STR_EQ(s->o_sess_id, "5");
  ASSERT_EQ(s->media[0].family, 0);
  sdpdc_session_t *bad;
  ASSERT_EQ(sdpdc_frag_parse(h, "v=0\r\nv=0\r\n", 10, &bad, &err), -EINVAL);
  ASSERT_EQ(sdpdc_frag_parse(h, "v=0\r\nm=application $ UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                "a=fingerprint:md5 AA\r\n", 75, &bad, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_HASH);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- RFC 8864 */

static void test_rfc8864_examples(void)
{
  su_home_t *h = home_new();
  char *t = step1_with(h, "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n",
                       "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
                       "a=dcmap:2 subprotocol=\"msrp\";ordered=true;label=\"msrp\"\r\n"
                       "a=dcmap:3 label=\"Label 1\";ordered=false;max-retr=5;priority=128\r\n"
                       "a=dcmap:4 label=\"foo%09bar\";ordered=true;max-time=15000\r\n"
                       "a=dcmap:0\r\n"
                       "a=dcmap:65534 label=\"%25%22\"\r\n");
  sdpdc_session_t *s = parse_ok(h, t);
  const sdpdc_media_t *m = &s->media[0];
  ASSERT_EQ(m->n_dcmaps, 6);
  const sdpdc_dcmap_t *d2 = sdpdc_dcmap_find(m, 2), *d3 = sdpdc_dcmap_find(m, 3),
                      *d4 = sdpdc_dcmap_find(m, 4), *d0 = sdpdc_dcmap_find(m, 0),
                      *dmax = sdpdc_dcmap_find(m, 65534);
  ASSERT_STR_EQ(d2->subprotocol, "msrp");
  ASSERT(sdpdc_dcmap_is_msrp(d2)); /* case-insensitive */
  ASSERT_EQ(d2->n_dcsa, 0);
  ASSERT_STR_EQ(d3->label, "Label 1");
  ASSERT_EQ(d3->ordered, 0);
  ASSERT_EQ(d3->has_max_retr, 1);
  ASSERT_EQ(d3->max_retr, 5);
  ASSERT_EQ(d3->has_priority, 1);
  ASSERT_EQ(d3->priority, 128);
  ASSERT_NULL(d3->subprotocol);
  ASSERT(!sdpdc_dcmap_is_msrp(d3));
  ASSERT_STR_EQ(d4->label, "foo\tbar");
  ASSERT_EQ(d4->has_max_time, 1);
  ASSERT_EQ(d4->max_time, 15000);
  ASSERT_EQ(d0->ordered, 1);
  ASSERT_NULL(d0->label);
  ASSERT_STR_EQ(dmax->label, "%\"");

  /* printing re-escapes: parse(print(x)) == x */
  char *out;
  sdpdc_error_t err;
  ASSERT_EQ(sdpdc_print(h, s, &out, &err), 0);
  ASSERT_NOT_NULL(strstr(out, "a=dcmap:4 label=\"foo%09bar\";ordered=true;max-time=15000\r\n"));
  ASSERT_NOT_NULL(strstr(out, "a=dcmap:65534 label=\"%25%22\";ordered=true\r\n"));
  sdpdc_session_t *s2 = parse_ok(h, out);
  ASSERT_EQ(s2->media[0].n_dcmaps, 6);
  ASSERT_STR_EQ(sdpdc_dcmap_find(&s2->media[0], 4)->label, "foo\tbar");
  ASSERT_EQ(sdpdc_dcmap_find(&s2->media[0], 3)->max_retr, 5);
  ASSERT_STR_EQ(sdpdc_dcsa_get(sdpdc_dcmap_find(&s2->media[0], 1), "path"), PATH_A);

  /* partial reliability and other subprotocols are not anchored: only 1 and 2 */
  t = su_sprintf(h, "%sa=dcsa:2 path:msrp://x.invalid:9/two;dc\r\na=dcsa:2 accept-types:*\r\n"
                    "a=dcsa:3 path:msrp://x.invalid:9/three;dc\r\na=dcsa:3 accept-types:*\r\n",
                 t);
  s = parse_ok(h, t);
  sdpdc_plan_t *plan;
  ASSERT_EQ(sdpdc_plan_offer(h, s, &plan, &err), 0);
  ASSERT_EQ(plan->n_chans, 2);
  ASSERT_EQ(plan->chans[0].stream_id, 1);
  ASSERT_EQ(plan->chans[1].stream_id, 2);
  ASSERT_EQ(plan->chans[1].h248_stream, 3);
  ASSERT_EQ(plan->dclines[0].n_chans, 2);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- browser offer */

/* Chromium 120-style data-channel-only offer, plus the dcmap/dcsa lines the
 * WIC's JavaScript adds (negotiated:true, id 1) and a BUNDLE group. */
static const char CHROME[] =
    "v=0\r\n"
    "o=- 8036436362651736357 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=candidate:2437072876 1 udp 2113937151 3b1e4a1c-9b5a-4d0e-8f53-0a2c8d1e6f11.local 54321 typ "
    "host generation 0 network-cost 999\r\n"
    "a=candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx raddr 0.0.0.0 rport 0 "
    "generation 0 network-cost 999\r\n"
    "a=ice-ufrag:Xp3k\r\n"
    "a=ice-pwd:Yz8r6FQ2aB0cD1eF2gH3iJ4k\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 " FP_WIC "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n"
    "a=dcmap:1 label=\"chat\";subprotocol=\"MSRP\"\r\n"
    "a=dcsa:1 setup:active\r\n"
    "a=dcsa:1 accept-types:message/cpim text/plain\r\n"
    "a=dcsa:1 accept-wrapped-types:*\r\n"
    "a=dcsa:1 max-size:1048576\r\n"
    "a=dcsa:1 file-selector:name:\"x.txt\" type:text/plain\r\n"
    "a=dcsa:1 path:msrp://3b1e4a1c.local:9/s1;dc\r\n";

static void test_browser_offer(void)
{
  su_home_t *h = home_new();
  sdpdc_session_t *s = parse_ok(h, CHROME);
  const sdpdc_media_t *m = &s->media[0];
  ASSERT_EQ(m->port, 9);
  ASSERT_EQ(m->n_candidates, 2);
  ASSERT_STR_EQ(m->candidates[0].address, "3b1e4a1c-9b5a-4d0e-8f53-0a2c8d1e6f11.local");
  ASSERT_STR_EQ(m->candidates[0].transport, "udp");
  ASSERT_STR_EQ(m->candidates[0].extensions, "generation 0 network-cost 999");
  ASSERT_STR_EQ(m->candidates[1].type, "srflx");
  ASSERT_STR_EQ(m->candidates[1].extensions, "raddr 0.0.0.0 rport 0 generation 0 network-cost 999");
  ASSERT_STR_EQ(m->ice_options, "trickle");
  const sdpdc_dcmap_t *d = &m->dcmaps[0];
  ASSERT_EQ(d->ordered, 1);
  ASSERT_STR_EQ(sdpdc_dcsa_get(d, "file-selector"), "name:\"x.txt\" type:text/plain");

  /* step 5: dcsa setup:active is kept; every MSRP attribute lifted */
  figure_t f;
  const char *ans = "v=0\r\no=- 1 1 IN IP4 203.0.113.77\r\ns=-\r\nt=0 0\r\n"
                    "m=message 2855 TCP/MSRP *\r\nc=IN IP4 203.0.113.77\r\na=setup:passive\r\n"
                    "a=msrp-cema\r\na=accept-types:text/plain\r\na=max-size:4096\r\n"
                    "a=path:" PATH_B "\r\na=sendrecv\r\n";
  run_figure(&f, CHROME, ans);
  ASSERT_NOT_NULL(strstr(f.ims_offer, "m=message 40000 TCP/MSRP *\r\nc=IN IP4 203.0.113.20\r\n"
                                      "a=setup:active\r\na=msrp-cema\r\n"
                                      "a=accept-types:message/cpim text/plain\r\n"
                                      "a=accept-wrapped-types:*\r\na=max-size:1048576\r\n"
                                      "a=path:msrp://3b1e4a1c.local:9/s1;dc\r\n"
                                      "a=file-selector:name:\"x.txt\" type:text/plain\r\n"));
  ASSERT_NULL(strstr(f.ims_offer, "group"));
  ASSERT_NULL(strstr(f.ims_offer, "trickle"));
  /* step 14: BUNDLE echoed with the one accepted mid; answer attributes in order */
  ASSERT_NOT_NULL(strstr(f.wic_answer, "a=group:BUNDLE 0\r\n"));
  ASSERT_NOT_NULL(strstr(f.wic_answer, "a=dcmap:1 label=\"chat\";subprotocol=\"MSRP\";ordered=true\r\n"
                                       "a=dcsa:1 setup:passive\r\n"
                                       "a=dcsa:1 accept-types:text/plain\r\n"
                                       "a=dcsa:1 max-size:4096\r\n"
                                       "a=dcsa:1 path:" PATH_B "\r\n"
                                       "a=dcsa:1 sendrecv\r\n"));
  ASSERT_NULL(strstr(f.wic_answer, "trickle"));
  ASSERT_NULL(strstr(f.wic_answer, "msrp-cema"));
  su_home_unref(f.h);
  su_home_unref(h);
}

/* Firefox-style offer: fingerprint and ice-options at session level, huge
 * max-message-size, a=sendrecv, plus a tls-id and the WIC's dcmap/dcsa lines. */
static const char FIREFOX[] =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 3791539435622417617 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=fingerprint:sha-256 " FP_WIC "\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=ice-options:trickle\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=candidate:0 1 UDP 2122252543 192.0.2.10 51000 typ host\r\n"
    "a=sendrecv\r\n"
    "a=end-of-candidates\r\n"
    "a=ice-pwd:c8d5f0b1a2e3d4c5b6a79881\r\n"
    "a=ice-ufrag:3b1d2a4c\r\n"
    "a=mid:0\r\n"
    "a=setup:actpass\r\n"
    "a=tls-id:5d2c1f0e9b8a7d6c5b4a39281706f5e4\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:1073741823\r\n"
    "a=dcmap:1 subprotocol=\"MSRP\";label=\"msrp\"\r\n"
    "a=dcsa:1 accept-types:text/plain\r\n"
    "a=dcsa:1 path:msrp://ff.example.invalid:9/ff1;dc\r\n";

static void test_firefox_offer(void)
{
  su_home_t *h = home_new();
  sdpdc_session_t *s = parse_ok(h, FIREFOX);
  const sdpdc_media_t *m = &s->media[0];
  ASSERT_STR_EQ(s->o_username, "mozilla...THIS_IS_SDPARTA-99.0");
  ASSERT_STR_EQ(s->o_sess_id, "3791539435622417617");
  ASSERT_EQ(m->n_fingerprints, 1);
  ASSERT_EQ(m->fingerprints_from_session, 1);
  ASSERT_STR_EQ(m->fingerprints[0].value, FP_WIC);
  ASSERT_STR_EQ(m->tls_id, "5d2c1f0e9b8a7d6c5b4a39281706f5e4");
  ASSERT_EQ(m->end_of_candidates, 1);
  ASSERT_EQ(m->max_message_size, 1073741823);
  ASSERT_STR_EQ(sdpdc_attr_get(m, "sendrecv"), "");
  /* T1 Remote carries the session-level fingerprint and the tls-id */
  char *t;
  sdpdc_error_t err;
  ASSERT_EQ(sdpdc_h248_t1_remote(h, m, 0, &t, &err), 0);
  ASSERT_NOT_NULL(strstr(t, "a=fingerprint:sha-256 " FP_WIC "\r\na=tls-id:5d2c1f0e9b8a7d6c5b4a39281706f5e4\r\n"));
  /* the answer gets the AGW's tls-id; dcsa setup absent = actpass towards IMS */
  sdpdc_plan_t *p;
  ASSERT_EQ(sdpdc_plan_offer(h, s, &p, &err), 0);
  const sdpdc_session_t *t2[1] = {frag_ok(h, S04_T2_LOCAL)};
  ASSERT_EQ(sdpdc_step5_offer(h, p, t2, 1, NULL, &t, NULL, &err), 0);
  ASSERT_NOT_NULL(strstr(t, "a=setup:actpass\r\na=msrp-cema\r\n"));
  const sdpdc_session_t *t1[1] = {frag_ok(h, su_sprintf(h, "%sa=tls-id:AGW0123456789abcdefghij\r\n",
                                                        S13_T1_LOCAL_ICE))};
  ASSERT_EQ(sdpdc_step14_answer(h, p, parse_ok(h, STEP7), t1, 1, NULL, &t, NULL, &err), 0);
  ASSERT_NOT_NULL(strstr(t, "a=connection:new\r\na=tls-id:AGW0123456789abcdefghij\r\n"));
  ASSERT_NOT_NULL(strstr(t, "a=group:BUNDLE 0\r\n"));
  su_home_unref(h);
}

/* ---------------------------------------------------------------- errors */

static void test_parse_errors(void)
{
  su_home_t *h = home_new();
  parse_err("garbage", -EINVAL, SDPDC_E_SYNTAX, "SDP syntax");
  parse_err(step1_with(h, "c=IN IP4 192.0.2.10\r\n", ""), -EINVAL, SDPDC_E_ADDRESS,
            "no c= for m-line 0");
  parse_err(step1_with(h, "a=fingerprint:sha-256 " FP_WIC "\r\n", ""), -EINVAL,
            SDPDC_E_FINGERPRINT, "no fingerprint on DC m-line 0");
  parse_err(step1_with(h, "sha-256 4A:AD", "sha-256 4a:AD"), -EINVAL, SDPDC_E_FINGERPRINT,
            "upper-case hex");
  parse_err(step1_with(h, "sha-256 4A:AD", "sha-256 4A:AD:"), -EINVAL, SDPDC_E_FINGERPRINT,
            "fingerprint");
  parse_err(step1_with(h, "sha-256 4A:AD", "sha-256 4AAD"), -EINVAL, SDPDC_E_FINGERPRINT,
            "malformed");
  parse_err(step1_with(h, "sha-256 4A:AD:B9:B1:", "sha-256 "), -EINVAL, SDPDC_E_FINGERPRINT,
            "has 28 bytes");
  parse_err(step1_with(h, "sha-256 " FP_WIC, "md5 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B"),
            -ENOTSUP, SDPDC_E_HASH, "md5 refused");
  parse_err(step1_with(h, "sha-256 " FP_WIC, "MD2 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B"),
            -ENOTSUP, SDPDC_E_HASH, "md2 refused");
  parse_err(step1_with(h, "sha-256 " FP_WIC, "gost 4A"), -ENOTSUP, SDPDC_E_HASH, "unsupported");
  parse_err(step1_with(h, "a=setup:actpass", "a=setup:sideways"), -EINVAL, SDPDC_E_SETUP,
            "bad setup value");
  parse_err(step1_with(h, "a=connection:new", "a=connection:old"), -EINVAL, SDPDC_E_CONNECTION,
            "a=connection");
  parse_err(step1_with(h, "a=sctp-port:5000", "a=sctp-port:0"), -EINVAL, SDPDC_E_PORT,
            "sctp-port");
  parse_err(step1_with(h, "a=sctp-port:5000", "a=sctp-port:65536"), -EINVAL, SDPDC_E_PORT,
            "sctp-port");
  parse_err(step1_with(h, "a=max-message-size:262144", "a=max-message-size:-1"), -EINVAL,
            SDPDC_E_MMS, "max-message-size");
  parse_err(step1_with(h, "a=ice-ufrag:x7Qf", "a=ice-ufrag:x7"), -EINVAL, SDPDC_E_ICE,
            "ice-ufrag");
  parse_err(step1_with(h, "a=ice-pwd:0123456789abcdef01234567", "a=ice-pwd:short"), -EINVAL,
            SDPDC_E_ICE, "ice-pwd");
  parse_err(step1_with(h, "typ host", "host"), -EINVAL, SDPDC_E_ICE, "candidate");
  parse_err(step1_with(h, "a=mid:0", "a=mid:0\r\na=tls-id:bad id!"), -EINVAL, SDPDC_E_TLS_ID,
            "tls-id");
  parse_err(step1_with(h, "a=dcmap:1 ", "a=dcmap:65535 "), -EINVAL, SDPDC_E_DCMAP_ID,
            "dcmap stream id out of range");
  parse_err(step1_with(h, "a=dcmap:1 ", "a=dcmap:123456 "), -EINVAL, SDPDC_E_DCMAP_ID,
            "dcmap stream id out of range");
  parse_err(step1_with(h, "a=dcmap:1 ", "a=dcmap:x "), -EINVAL, SDPDC_E_DCMAP, "stream id");
  parse_err(step1_with(h, "a=dcsa:1 setup", "a=dcmap:1\r\na=dcsa:1 setup"), -EINVAL,
            SDPDC_E_DCMAP_ID, "duplicate dcmap stream id 1");
  parse_err(step1_with(h, "ordered=true", "ordered=true;max-retr=3;max-time=100"), -EINVAL,
            SDPDC_E_DCMAP_PR, "both max-retr and max-time");
  parse_err(step1_with(h, "ordered=true", "ordered=yes"), -EINVAL, SDPDC_E_DCMAP, "ordered");
  parse_err(step1_with(h, "label=\"msrp\"", "label=msrp"), -EINVAL, SDPDC_E_DCMAP, "quoted");
  parse_err(step1_with(h, "label=\"msrp\"", "label=\"ms%zzrp\""), -EINVAL, SDPDC_E_DCMAP,
            "escape");
  parse_err(step1_with(h, "ordered=true", "ordered=true;ext=\"abc"), -EINVAL, SDPDC_E_DCMAP,
            "unterminated");
  parse_err(step1_with(h, "label=\"msrp\"", "label=\"a\";label=\"b\""), -EINVAL, SDPDC_E_DCMAP,
            "duplicate");
  parse_err(step1_with(h, "ordered=true", "ordered=true;max-retr=x"), -EINVAL, SDPDC_E_DCMAP,
            "max-retr");
  parse_err(step1_with(h, "ordered=true", "ordered=true;;"), -EINVAL, SDPDC_E_DCMAP, "option");
  parse_err(step1_with(h, "a=dcsa:1 setup:actpass", "a=dcsa:2 setup:actpass"), -EINVAL,
            SDPDC_E_DCSA, "dcsa for stream 2 without dcmap");
  parse_err(step1_with(h, "a=dcsa:1 setup:actpass", "a=dcsa:1"), -EINVAL, SDPDC_E_DCSA,
            "malformed a=dcsa");
  parse_err(step1_with(h, "a=dcsa:1 setup:actpass", "a=dcsa:1 setup=actpass"), -EINVAL,
            SDPDC_E_DCSA, "attribute name");
  parse_err(step1_with(h, "a=dcsa:1 setup:actpass", "a=dcsa:1 setup:maybe"), -EINVAL,
            SDPDC_E_SETUP, "dcsa setup");
  parse_err(step1_with(h, "webrtc-datachannel", "5000"), -EINVAL, SDPDC_E_PROTO,
            "webrtc-datachannel");
  /* MSRP lines */
  parse_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=message 1 TCP/MSRP *\r\n"
            "c=IN IP4 1.2.3.4\r\na=accept-types:*\r\n",
            -EINVAL, SDPDC_E_MSRP, "no a=path");
  parse_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=message 1 TCP/MSRP *\r\n"
            "c=IN IP4 1.2.3.4\r\na=path:msrp://a:1/b;tcp\r\n",
            -EINVAL, SDPDC_E_MSRP, "no a=accept-types");
  parse_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=message 1 TCP/MSRP *\r\n"
            "c=IN IP4 1.2.3.4\r\na=path:msrp://a:1/b;tcp\r\na=accept-types:*\r\na=max-size:z\r\n",
            -EINVAL, SDPDC_E_MSRP, "max-size");
  /* Sofia-SIP 1.12.11 hangs on these m= lines (found by fuzz/fuzz-sdp):
   * refused before Sofia sees them, as full SDP and as H.248 fragments */
  parse_err("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
            "m=application 9 UDP/DTLS/SCTP \365\r\n", -EINVAL, SDPDC_E_SYNTAX, "m= line");
  parse_err("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
            "m=message 2855 TCPZZ://203.0.113.77:2855/9di;tcp\r\n", -EINVAL, SDPDC_E_SYNTAX,
            "m= line");
  parse_err("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=message 1  TCP *\r\n", -EINVAL,
            SDPDC_E_SYNTAX, "m= line");
  parse_err("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\n\rm=message 2857 r\";x=1\r\n", -EINVAL,
            SDPDC_E_SYNTAX, "m= line");
  parse_err("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n x=1\r\n", -EINVAL, SDPDC_E_SYNTAX,
            "bad line");
  /* lone CR and LF line ends both work */
  {
    sdpdc_session_t *cr = parse_ok(h, "v=0\ro=- 0 0 IN IP4 0.0.0.0\rs=-\rt=0 0\r\n\n"
                                      "m=message 1 TCP/MSRP *\rc=IN IP4 1.2.3.4\n"
                                      "a=path:msrp://a:1/b;tcp\ra=accept-types:*\r");
    ASSERT_STR_EQ(cr->media[0].path, "msrp://a:1/b;tcp");
  }
  {
    sdpdc_session_t *fs;
    sdpdc_error_t fe;
    const char *hang = "v=0\nc=IN IP4 $\nm=application $ UDP/DTLS/SCTP webrtc-data\235\365a=x\n";
    ASSERT_EQ(sdpdc_frag_parse(h, hang, strlen(hang), &fs, &fe), -EINVAL);
    ASSERT_EQ(fe.code, SDPDC_E_SYNTAX);
  }
  /* port-0 lines are not checked */
  parse_ok(h, step1_with(h, "m=application 50000", "m=application 0"));
  parse_ok(h, step1_with(h, "c=IN IP4 192.0.2.10\r\na=mid:0\r\n", "a=mid:0\r\n"
                                                                  "c=IN IP4 192.0.2.10\r\n"));

  /* bad arguments */
  sdpdc_error_t err;
  sdpdc_session_t *s;
  ASSERT_EQ(sdpdc_parse(NULL, "v=0", 3, &s, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);
  ASSERT_EQ(sdpdc_parse(h, "v=0\0", 4, &s, &err), -EINVAL);
  ASSERT_EQ(sdpdc_parse(h, STEP1, strlen(STEP1), &s, NULL), 0); /* err may be NULL */
  ASSERT_EQ(sdpdc_parse(h, "x", 1, &s, NULL), -EINVAL);
  su_home_unref(h);
}

static void plan_err(const char *offer, int rc, int code, const char *want)
{
  su_home_t *h = home_new();
  sdpdc_session_t *s = parse_ok(h, offer);
  sdpdc_plan_t *p = NULL;
  sdpdc_error_t err = {0};
  int r = sdpdc_plan_offer(h, s, &p, &err);
  if (r != rc || err.code != code || !strstr(err.reason, want))
    TASK_FAIL("want %d \"%s\", got %d/%s \"%s\"", rc, want, r, sdpdc_errcode_name(err.code),
              err.reason);
  su_home_unref(h);
}

static void test_plan_errors(void)
{
  su_home_t *h = home_new();
  plan_err(step1_with(h, "a=setup:actpass", "a=setup:holdconn"), -ENOTSUP, SDPDC_E_SETUP,
           "setup:holdconn not supported");
  plan_err(step1_with(h, "a=dcsa:1 setup:actpass", "a=dcsa:1 setup:holdconn"), -ENOTSUP,
           SDPDC_E_SETUP, "setup:holdconn not supported");
  plan_err(step1_with(h, "subprotocol=\"MSRP\"", "subprotocol=\"BFCP\""), -ENOTSUP,
           SDPDC_E_NOTHING, "no MSRP data channel to anchor");
  plan_err(step1_with(h, "ordered=true", "ordered=false"), -ENOTSUP, SDPDC_E_NOTHING,
           "no MSRP data channel");
  plan_err(step1_with(h, "ordered=true", "ordered=true;max-retr=0"), -ENOTSUP, SDPDC_E_NOTHING,
           "no MSRP data channel");
  plan_err(step1_with(h, "a=dcsa:1 path:" PATH_A "\r\n", ""), -ENOTSUP, SDPDC_E_NOTHING,
           "no MSRP data channel");
  plan_err(step1_with(h, "a=dcsa:1 accept-types:message/cpim text/plain\r\n", ""), -ENOTSUP,
           SDPDC_E_NOTHING, "no MSRP data channel");
  plan_err(step1_with(h, "m=application 50000", "m=application 0"), -ENOTSUP, SDPDC_E_NOTHING,
           "no MSRP data channel");
  sdpdc_error_t err;
  sdpdc_plan_t *p;
  ASSERT_EQ(sdpdc_plan_offer(h, NULL, &p, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);
  su_home_unref(h);
}

static void step14_err(const char *ims_answer, int rc, int code, const char *want)
{
  su_home_t *h = home_new();
  sdpdc_error_t err = {0};
  sdpdc_session_t *s = parse_ok(h, STEP1);
  sdpdc_plan_t *p;
  ASSERT_EQ(sdpdc_plan_offer(h, s, &p, &err), 0);
  sdpdc_session_t *a = parse_ok(h, ims_answer);
  const sdpdc_session_t *t1[1] = {frag_ok(h, S13_T1_LOCAL_ICE)};
  char *out = NULL;
  int r = sdpdc_step14_answer(h, p, a, t1, 1, NULL, &out, NULL, &err);
  if (r != rc || err.code != code || !strstr(err.reason, want))
    TASK_FAIL("want %d \"%s\", got %d/%s \"%s\"", rc, want, r, sdpdc_errcode_name(err.code),
              err.reason);
  ASSERT_NULL(out);
  su_home_unref(h);
}

static char *replace(su_home_t *h, const char *in, const char *from, const char *to)
{
  const char *p = strstr(in, from);
  ASSERT_NOT_NULL(p);
  return su_sprintf(h, "%.*s%s%s", (int)(p - in), in, to, p + strlen(from));
}

static void test_step14_errors(void)
{
  su_home_t *h = home_new();
  step14_err(replace(h, STEP7, "a=msrp-cema\r\n", ""), -EPROTO, SDPDC_E_CEMA, "msrp-cema");
  step14_err(replace(h, STEP7, "a=setup:active", "a=setup:holdconn"), -ENOTSUP, SDPDC_E_SETUP,
             "holdconn");
  step14_err(replace(h, STEP7, "a=setup:active", "a=setup:actpass"), -ENOTSUP, SDPDC_E_SETUP,
             "does not answer");
  step14_err(replace(h, STEP7, "m=message 2855", "m=message 0"), -ENOTSUP, SDPDC_E_NOTHING,
             "refused");
  step14_err(su_sprintf(h, "%s%s", STEP7, STEP6_MEDIA), -EPROTO, SDPDC_E_MISMATCH, "m-lines");
  step14_err(replace(h, STEP7, "m=message 2855 TCP/MSRP *", "m=audio 2855 RTP/AVP 0"), -EPROTO,
             SDPDC_E_MISMATCH, "not message");
  step14_err(replace(h, STEP7, "TCP/MSRP", "TCP/TLS/MSRP"), -EPROTO, SDPDC_E_MISMATCH,
             "TCP/MSRP");
  /* a T1 reply without fingerprint or port */
  sdpdc_error_t err;
  sdpdc_session_t *s = parse_ok(h, STEP1);
  sdpdc_plan_t *p;
  ASSERT_EQ(sdpdc_plan_offer(h, s, &p, &err), 0);
  sdpdc_session_t *a = parse_ok(h, STEP7);
  char *out;
  const sdpdc_session_t *t1[1] = {frag_ok(h, S11_T1_REMOTE)};
  t1[0] = frag_ok(h, "v=0\r\nc=IN IP4 1.2.3.4\r\nm=application 5 UDP/DTLS/SCTP "
                     "webrtc-datachannel\r\n");
  ASSERT_EQ(sdpdc_step14_answer(h, p, a, t1, 1, NULL, &out, NULL, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_FINGERPRINT);
  t1[0] = frag_ok(h, S11_T1_LOCAL);
  ASSERT_EQ(sdpdc_step14_answer(h, p, a, t1, 1, NULL, &out, NULL, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ADDRESS);
  ASSERT_EQ(sdpdc_step14_answer(h, p, a, t1, 2, NULL, &out, NULL, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);
  const sdpdc_session_t *t2[1] = {frag_ok(h, S02_T2_LOCAL)};
  ASSERT_EQ(sdpdc_step5_offer(h, p, t2, 1, NULL, &out, NULL, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ADDRESS);
  ASSERT_EQ(sdpdc_step5_offer(h, p, t2, 0, NULL, &out, NULL, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- DTLS role */

static void test_dtls_role(void)
{
  sdpdc_setup_t a;
  int client;
  sdpdc_error_t err;
  ASSERT_EQ(sdpdc_dtls_answer_role(SDPDC_SETUP_ACTPASS, &a, &client, &err), 0);
  ASSERT_EQ(a, SDPDC_SETUP_ACTIVE);
  ASSERT_EQ(client, 1);
  ASSERT_EQ(sdpdc_dtls_answer_role(SDPDC_SETUP_PASSIVE, &a, &client, &err), 0);
  ASSERT_EQ(a, SDPDC_SETUP_ACTIVE);
  ASSERT_EQ(client, 1);
  ASSERT_EQ(sdpdc_dtls_answer_role(SDPDC_SETUP_ACTIVE, &a, &client, &err), 0);
  ASSERT_EQ(a, SDPDC_SETUP_PASSIVE);
  ASSERT_EQ(client, 0);
  ASSERT_EQ(sdpdc_dtls_answer_role(SDPDC_SETUP_NONE, &a, NULL, &err), 0);
  ASSERT_EQ(a, SDPDC_SETUP_ACTIVE);
  ASSERT_EQ(sdpdc_dtls_answer_role(SDPDC_SETUP_HOLDCONN, &a, &client, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_SETUP);
  ASSERT_STR_EQ(err.reason, "setup:holdconn not supported");

  /* the WIC offering active makes the AGW the DTLS server: no Est_DTLS */
  su_home_t *h = home_new();
  figure_t f;
  run_figure(&f, step1_with(h, "a=setup:actpass", "a=setup:active"), STEP7);
  ASSERT_EQ(f.plan->dclines[0].agw_dtls_client, 0);
  ASSERT_NOT_NULL(strstr(f.wic_answer, "a=setup:passive\r\na=connection:new\r\n"));
  su_home_unref(f.h);
  /* a re-offer on the existing association keeps it */
  run_figure(&f, step1_with(h, "a=connection:new", "a=connection:existing"), STEP7);
  ASSERT_NOT_NULL(strstr(f.wic_answer, "a=setup:active\r\na=connection:existing\r\n"));
  su_home_unref(f.h);
  su_home_unref(h);
}

static void test_same_association(void)
{
  su_home_t *h = home_new();
  const sdpdc_media_t *a = &parse_ok(h, STEP1)->media[0];
  const sdpdc_media_t *existing =
      &parse_ok(h, step1_with(h, "a=connection:new", "a=connection:existing"))->media[0];
  const sdpdc_media_t *none = &parse_ok(h, step1_with(h, "a=connection:new\r\n", ""))->media[0];
  const sdpdc_media_t *other_fp =
      &parse_ok(h, step1_with(h, "sha-256 4A:AD", "sha-256 4B:AD"))->media[0];
  const sdpdc_media_t *t1 = &parse_ok(h, step1_with(h, "a=mid:0", "a=mid:0\r\na=tls-id:abc"))->media[0];
  const sdpdc_media_t *t1b = &parse_ok(h, step1_with(h, "a=mid:0", "a=mid:0\r\na=tls-id:abc"))->media[0];
  const sdpdc_media_t *t2 = &parse_ok(h, step1_with(h, "a=mid:0", "a=mid:0\r\na=tls-id:abd"))->media[0];
  ASSERT_EQ(sdpdc_dc_same_association(a, existing), 1);
  ASSERT_EQ(sdpdc_dc_same_association(a, none), 1);      /* Chrome sends no a=connection */
  ASSERT_EQ(sdpdc_dc_same_association(existing, a), 0);  /* connection:new */
  ASSERT_EQ(sdpdc_dc_same_association(a, other_fp), 0);
  ASSERT_EQ(sdpdc_dc_same_association(t1, t1b), 1);      /* tls-id wins over connection:new */
  ASSERT_EQ(sdpdc_dc_same_association(t1, t2), 0);
  ASSERT_EQ(sdpdc_dc_same_association(a, t1), 0);
  ASSERT_EQ(sdpdc_dc_same_association(NULL, a), 0);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- several lines, IPv6, levels */

static void test_multi(void)
{
  su_home_t *h = home_new();
  /* audio line (rejected), DC line 1 with two MSRP channels + one BFCP,
   * DC line 2 with one MSRP channel, session-level c= and fingerprint. */
  const char *offer =
      "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nt=0 0\r\n"
      "c=IN IP6 2001:db8::10\r\n"
      "a=fingerprint:sha-256 " FP_WIC "\r\n"
      "a=group:BUNDLE 1 2\r\n"
      "m=audio 40100 RTP/AVP 0 8\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=mid:1\r\na=setup:actpass\r\n"
      "a=dcmap:2 subprotocol=\"MSRP\"\r\n"
      "a=dcmap:4 subprotocol=\"MSRP\";label=\"two\"\r\n"
      "a=dcmap:6 subprotocol=\"BFCP\"\r\n"
      "a=dcsa:2 accept-types:text/plain\r\na=dcsa:2 path:msrp://[2001:db8::10]:9/c2;dc\r\n"
      "a=dcsa:4 accept-types:text/plain\r\na=dcsa:4 path:msrp://[2001:db8::10]:9/c4;dc\r\n"
      "m=application 50002 TCP/DTLS/SCTP webrtc-datachannel\r\n"
      "c=IN IP4 192.0.2.10\r\n"
      "a=mid:2\r\na=setup:active\r\n"
      "a=fingerprint:sha-512 " FP_WIC ":" FP_WIC "\r\n"
      "a=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n"
      "a=dcmap:0 subprotocol=\"MSRP\"\r\n"
      "a=dcsa:0 accept-types:*\r\na=dcsa:0 path:msrp://h.invalid:9/c0;dc\r\n";
  sdpdc_session_t *s = parse_ok(h, offer);
  ASSERT_EQ(s->n_media, 3);
  ASSERT_EQ(s->media[0].kind, SDPDC_KIND_OTHER);
  ASSERT_STR_EQ(s->media[0].fmt, "0 8");
  const sdpdc_media_t *d1 = &s->media[1], *d2 = &s->media[2];
  ASSERT_EQ(d1->family, 6);
  ASSERT_STR_EQ(d1->address, "2001:db8::10");
  ASSERT_EQ(d1->address_from_session, 1);
  ASSERT_EQ(d1->fingerprints_from_session, 1);
  ASSERT_EQ(d1->n_fingerprints, 1);
  ASSERT_EQ(d2->family, 4);
  ASSERT_EQ(d2->address_from_session, 0);
  ASSERT_EQ(d2->fingerprints_from_session, 0);
  ASSERT_EQ(d2->n_fingerprints, 2); /* media-level ones replace the session-level one */
  ASSERT_STR_EQ(d2->fingerprints[0].hash, "sha-512");
  ASSERT_STR_EQ(d2->fingerprints[1].hash, "sha-1");

  sdpdc_error_t err;
  sdpdc_plan_t *p;
  ASSERT_EQ(sdpdc_plan_offer(h, s, &p, &err), 0);
  ASSERT_EQ(p->n_dclines, 2);
  ASSERT_EQ(p->n_chans, 3);
  ASSERT_EQ(p->n_rejected, 1);
  ASSERT_EQ(p->chans[0].stream_id, 2);
  ASSERT_EQ(p->chans[0].h248_stream, 2);
  ASSERT_EQ(p->chans[1].stream_id, 4);
  ASSERT_EQ(p->chans[1].h248_stream, 3);
  ASSERT_EQ(p->chans[2].stream_id, 0);
  ASSERT_EQ(p->chans[2].h248_stream, 2);
  ASSERT_EQ(p->chans[2].dc_slot, 1);
  ASSERT_EQ(p->dclines[0].agw_dtls_client, 1);
  ASSERT_EQ(p->dclines[1].agw_dtls_client, 0);
  ASSERT_EQ(p->dclines[1].answer_setup, SDPDC_SETUP_PASSIVE);

  const sdpdc_session_t *t2[3] = {
      frag_ok(h, "v=0\r\nc=IN IP6 2001:db8::20\r\nm=message 40000 TCP -\r\n"),
      frag_ok(h, "v=0\r\nc=IN IP6 2001:db8::20\r\nm=message 40002 TCP -\r\n"),
      frag_ok(h, "v=0\r\nc=IN IP6 2001:db8::20\r\nm=message 40004 TCP -\r\n")};
  char *ims;
  sdpdc_session_t *io;
  ASSERT_EQ(sdpdc_step5_offer(h, p, t2, 3, NULL, &ims, &io, &err), 0);
  sdpdc_session_t *ims_p = parse_ok(h, ims);
  ASSERT_EQ(ims_p->n_media, 3);
  ASSERT_EQ(ims_p->media[0].port, 40000);
  ASSERT_EQ(ims_p->media[0].family, 6);
  ASSERT_STR_EQ(ims_p->media[0].address, "2001:db8::20");
  ASSERT_STR_EQ(ims_p->media[1].path, "msrp://[2001:db8::10]:9/c4;dc");
  ASSERT_EQ(ims_p->media[2].port, 40004);
  ASSERT_STR_EQ(ims_p->media[2].path, "msrp://h.invalid:9/c0;dc");
  ASSERT_NOT_NULL(strstr(ims, "o=- 1 1 IN IP6 2001:db8::20\r\n"));

  /* IMS accepts channels 2 and 0, refuses 4 */
  const char *ans =
      "v=0\r\no=- 1 1 IN IP4 203.0.113.77\r\ns=-\r\nt=0 0\r\nc=IN IP4 203.0.113.77\r\n"
      "m=message 2855 TCP/MSRP *\r\na=setup:active\r\na=msrp-cema\r\na=accept-types:text/plain\r\n"
      "a=path:msrp://203.0.113.77:2855/x2;tcp\r\n"
      "m=message 0 TCP/MSRP *\r\n"
      "m=message 2856 TCP/MSRP *\r\na=setup:active\r\na=msrp-cema\r\na=accept-types:*\r\n"
      "a=path:msrp://203.0.113.77:2856/x0;tcp\r\n";
  sdpdc_session_t *a = parse_ok(h, ans);
  const sdpdc_session_t *t1[2] = {
      frag_ok(h, "v=0\r\nc=IN IP6 2001:db8::30\r\nm=application 41000 UDP/DTLS/SCTP "
                 "webrtc-datachannel\r\na=sctp-port:5000\r\na=max-message-size:65536\r\n"
                 "a=fingerprint:sha-256 " FP_AGW "\r\n"),
      frag_ok(h, "v=0\r\nc=IN IP4 198.51.100.20\r\nm=application 41002 TCP/DTLS/SCTP "
                 "webrtc-datachannel\r\na=sctp-port:5001\r\na=max-message-size:1024\r\n"
                 "a=fingerprint:sha-256 " FP_AGW "\r\n")};
  char *wa;
  ASSERT_EQ(sdpdc_step14_answer(h, p, a, t1, 2, NULL, &wa, NULL, &err), 0);
  sdpdc_session_t *w = parse_ok(h, wa);
  ASSERT_EQ(w->n_media, 3);
  ASSERT_EQ(w->media[0].port, 0);
  ASSERT_STR_EQ(w->media[0].media, "audio");
  ASSERT_STR_EQ(w->media[0].fmt, "0 8");
  ASSERT_EQ(w->media[0].n_attrs, 0);
  ASSERT_EQ(w->media[1].port, 41000);
  ASSERT_EQ(w->media[1].family, 6);
  ASSERT_STR_EQ(w->media[1].address, "2001:db8::30");
  ASSERT_STR_EQ(w->media[1].mid, "1");
  ASSERT_EQ(w->media[1].n_dcmaps, 1); /* 4 refused by IMS, 6 (BFCP) not anchored */
  ASSERT_EQ(w->media[1].dcmaps[0].id, 2);
  ASSERT_STR_EQ(sdpdc_dcsa_get(&w->media[1].dcmaps[0], "path"),
                "msrp://203.0.113.77:2855/x2;tcp");
  ASSERT_EQ(w->media[2].port, 41002);
  ASSERT_EQ(w->media[2].proto, SDPDC_PROTO_TCP_DTLS_SCTP);
  ASSERT_EQ(w->media[2].setup, SDPDC_SETUP_PASSIVE);
  ASSERT_EQ(w->media[2].sctp_port, 5001);
  ASSERT_EQ(w->media[2].max_message_size, 1024);
  ASSERT_STR_EQ(sdpdc_dcsa_get(&w->media[2].dcmaps[0], "path"),
                "msrp://203.0.113.77:2856/x0;tcp");
  ASSERT_EQ(w->media[1].n_candidates, 0); /* the offer had no ICE */
  ASSERT_NULL(sdpdc_session_attr_get(w, "group")); /* two lines: no BUNDLE */

  /* IMS refuses channel 0: its whole DC line gets port 0 */
  a = parse_ok(h, replace(h, ans, "m=message 2856", "m=message 0"));
  ASSERT_EQ(sdpdc_step14_answer(h, p, a, t1, 2, NULL, &wa, NULL, &err), 0);
  w = parse_ok(h, wa);
  ASSERT_EQ(w->media[2].port, 0);
  ASSERT_STR_EQ(w->media[2].proto_name, "TCP/DTLS/SCTP");
  ASSERT_EQ(w->media[2].n_attrs, 0);
  ASSERT_EQ(w->media[1].port, 41000);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- mirror */

static const char IMS_OFFER[] =
    "v=0\r\no=ue-b 1 1 IN IP4 203.0.113.77\r\ns=-\r\nt=0 0\r\n"
    "m=message 2855 TCP/MSRP *\r\nc=IN IP4 203.0.113.77\r\na=setup:actpass\r\na=msrp-cema\r\n"
    "a=accept-types:message/cpim text/plain\r\na=path:" PATH_B "\r\n"
    "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 203.0.113.77\r\n"
    "m=message 2857 TCP/MSRP *\r\nc=IN IP4 203.0.113.77\r\na=setup:passive\r\na=msrp-cema\r\n"
    "a=accept-types:*\r\na=path:msrp://203.0.113.77:2857/second;tcp\r\n";

static void test_mirror(void)
{
  su_home_t *h = home_new();
  sdpdc_error_t err;
  sdpdc_session_t *o = parse_ok(h, IMS_OFFER);
  sdpdc_plan_t *p;
  unsigned used[] = {3};
  ASSERT_EQ(sdpdc_mirror_plan(h, o, used, 1, &p, &err), 0);
  ASSERT_EQ(p->mirror, 1);
  ASSERT_EQ(p->n_chans, 2);
  ASSERT_EQ(p->n_rejected, 1);
  ASSERT_EQ(p->chans[0].stream_id, 1);
  ASSERT_EQ(p->chans[1].stream_id, 5); /* odd, 3 in use */
  ASSERT_EQ(p->chans[0].msrp_media, 0);
  ASSERT_EQ(p->chans[1].msrp_media, 2);
  ASSERT_EQ(p->chans[1].h248_stream, 3);

  /* T2 Remote for the mirror's Add T2: actpass offered -> the AGW listens */
  char *t;
  ASSERT_EQ(sdpdc_h248_t2_remote(h, &o->media[0], 1, &t, &err), 0);
  ASSERT_NOT_NULL(strstr(t, "a=setup:active\r\n"));
  ASSERT_EQ(sdpdc_h248_t2_remote(h, &o->media[2], 1, &t, &err), 0);
  ASSERT_NOT_NULL(strstr(t, "a=setup:passive\r\n"));

  const sdpdc_session_t *t1[1] = {frag_ok(h, S13_T1_LOCAL_ICE)};
  char *wo;
  ASSERT_EQ(sdpdc_mirror_offer(h, p, t1, 1, NULL, &wo, NULL, &err), 0);
  sdpdc_session_t *w = parse_ok(h, wo);
  ASSERT_EQ(w->ice_lite, 1);
  ASSERT_EQ(w->n_media, 1);
  const sdpdc_media_t *m = &w->media[0];
  ASSERT_EQ(m->setup, SDPDC_SETUP_ACTPASS);
  ASSERT_EQ(m->connection, SDPDC_CONNECTION_NEW);
  ASSERT_STR_EQ(m->fingerprints[0].value, FP_AGW);
  ASSERT_STR_EQ(m->ice_ufrag, "AGWu");
  ASSERT_EQ(m->n_dcmaps, 2);
  ASSERT(sdpdc_dcmap_is_msrp(&m->dcmaps[0]));
  ASSERT_STR_EQ(sdpdc_dcsa_get(&m->dcmaps[0], "setup"), "active");
  ASSERT_STR_EQ(sdpdc_dcsa_get(&m->dcmaps[0], "path"), PATH_B);
  ASSERT_STR_EQ(sdpdc_dcsa_get(&m->dcmaps[0], "accept-types"), "message/cpim text/plain");
  ASSERT_NULL(sdpdc_dcsa_get(&m->dcmaps[0], "msrp-cema"));
  ASSERT_STR_EQ(sdpdc_dcsa_get(&m->dcmaps[1], "setup"), "passive");
  ASSERT_EQ(m->dcmaps[1].id, 5);
  ASSERT_NOT_NULL(strstr(wo, "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
                             "a=dcsa:1 setup:active\r\n"
                             "a=dcsa:1 accept-types:message/cpim text/plain\r\n"
                             "a=dcsa:1 path:" PATH_B "\r\n"));

  /* the WIC answers active (JSEP), accepts channel 1, drops channel 5 */
  const char *wic_ans =
      "v=0\r\no=- 9 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.10\r\n"
      "a=mid:0\r\na=ice-ufrag:x7Qf\r\na=ice-pwd:0123456789abcdef01234567\r\n"
      "a=fingerprint:sha-256 " FP_WIC "\r\na=setup:active\r\na=sctp-port:5000\r\n"
      "a=max-message-size:262144\r\n"
      "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
      "a=dcsa:1 setup:passive\r\na=dcsa:1 accept-types:text/plain\r\n"
      "a=dcsa:1 path:" PATH_A "\r\n";
  sdpdc_session_t *wa = parse_ok(h, wic_ans);
  const sdpdc_session_t *t2[2] = {frag_ok(h, S04_T2_LOCAL), frag_ok(h, S04_T2_LOCAL)};
  int client = -1;
  char *ia;
  ASSERT_EQ(sdpdc_mirror_answer(h, p, wa, t2, 2, NULL, &client, &ia, NULL, &err), 0);
  ASSERT_EQ(client, 0);
  const char *want = "m=message 40000 TCP/MSRP *\r\nc=IN IP4 203.0.113.20\r\n"
                     "a=setup:passive\r\na=msrp-cema\r\na=accept-types:text/plain\r\n"
                     "a=path:" PATH_A "\r\n"
                     "m=audio 0 RTP/AVP 0\r\n"
                     "m=message 0 TCP/MSRP *\r\n";
  ASSERT_NOT_NULL(strstr(ia, want));
  /* T1 Remote for the Modify: the WIC's DC line */
  ASSERT_EQ(sdpdc_h248_t1_remote(h, &wa->media[0], 1, &t, &err), 0);
  ASSERT_NOT_NULL(strstr(t, "a=fingerprint:sha-256 " FP_WIC "\r\na=ice-ufrag:x7Qf\r\n"));

  /* passive WIC: the AGW is the DTLS client */
  wa = parse_ok(h, replace(h, wic_ans, "a=setup:active", "a=setup:passive"));
  ASSERT_EQ(sdpdc_mirror_answer(h, p, wa, t2, 2, NULL, &client, &ia, NULL, &err), 0);
  ASSERT_EQ(client, 1);
  /* errors */
  wa = parse_ok(h, replace(h, wic_ans, "a=setup:active", "a=setup:actpass"));
  ASSERT_EQ(sdpdc_mirror_answer(h, p, wa, t2, 2, NULL, &client, &ia, NULL, &err), -EPROTO);
  ASSERT_EQ(err.code, SDPDC_E_SETUP);
  parse_err(replace(h, wic_ans, "a=dcmap:1 ", "a=dcmap:7 "), -EINVAL, SDPDC_E_DCSA,
            "dcsa for stream 1 without dcmap");
  wa = parse_ok(h, replace(h, replace(h, wic_ans, "a=dcmap:1 ", "a=dcmap:7 "), "a=dcsa:1 setup:passive\r\na=dcsa:1 accept-types:text/plain\r\na=dcsa:1 path:" PATH_A "\r\n", ""));
  ASSERT_EQ(sdpdc_mirror_answer(h, p, wa, t2, 2, NULL, &client, &ia, NULL, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_NOTHING);
  wa = parse_ok(h, su_sprintf(h, "%sm=message 0 TCP/MSRP *\r\n", wic_ans));
  ASSERT_EQ(sdpdc_mirror_answer(h, p, wa, t2, 2, NULL, &client, &ia, NULL, &err), -EPROTO);
  ASSERT_EQ(err.code, SDPDC_E_MISMATCH);

  /* IMS offers without CEMA or without MSRP */
  o = parse_ok(h, replace(h, replace(h, IMS_OFFER, "a=msrp-cema\r\n", ""), "a=msrp-cema\r\n", ""));
  ASSERT_EQ(sdpdc_mirror_plan(h, o, NULL, 0, &p, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_CEMA);
  o = parse_ok(h, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"
                  "c=IN IP4 1.2.3.4\r\n");
  ASSERT_EQ(sdpdc_mirror_plan(h, o, NULL, 0, &p, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_NOTHING);
  o = parse_ok(h, replace(h, IMS_OFFER, "a=setup:actpass", "a=setup:holdconn"));
  ASSERT_EQ(sdpdc_mirror_plan(h, o, NULL, 0, &p, &err), -ENOTSUP);
  ASSERT_EQ(err.code, SDPDC_E_SETUP);
  su_home_unref(h);
}

/* ---------------------------------------------------------------- print */

static void test_print_model(void)
{
  /* wicsim builds an offer from the model */
  su_home_t *h = home_new();
  sdpdc_fingerprint_t fp = {"sha-256", FP_WIC};
  sdpdc_candidate_t c = {"1", 1, "UDP", 2122260223u, "127.0.0.1", 50000, "host", NULL};
  sdpdc_attr_t dcsa[] = {{"setup", "actpass"}, {"accept-types", "text/plain"},
                         {"path", "msrp://127.0.0.1:9/x;dc"}};
  sdpdc_dcmap_t d = {.id = 1, .subprotocol = "MSRP", .label = "msrp", .ordered = 1,
                     .dcsa = dcsa, .n_dcsa = 3};
  sdpdc_media_t m = {.kind = SDPDC_KIND_DC, .media = "application", .port = 50000,
                     .proto_name = "UDP/DTLS/SCTP", .fmt = "webrtc-datachannel", .family = 4,
                     .address = "127.0.0.1", .setup = SDPDC_SETUP_ACTPASS, .mid = "0",
                     .has_sctp_port = 1, .sctp_port = 5000, .fingerprints = &fp,
                     .n_fingerprints = 1, .ice_ufrag = "abcd",
                     .ice_pwd = "0123456789abcdef01234567", .candidates = &c, .n_candidates = 1,
                     .dcmaps = &d, .n_dcmaps = 1};
  sdpdc_session_t s = {.media = &m, .n_media = 1};
  char *t;
  sdpdc_error_t err;
  ASSERT_EQ(sdpdc_print(h, &s, &t, &err), 0);
  ASSERT_STR_EQ(t, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                   "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                   "c=IN IP4 127.0.0.1\r\na=mid:0\r\na=ice-ufrag:abcd\r\n"
                   "a=ice-pwd:0123456789abcdef01234567\r\n"
                   "a=candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host\r\n"
                   "a=fingerprint:sha-256 " FP_WIC "\r\na=setup:actpass\r\na=sctp-port:5000\r\n"
                   "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
                   "a=dcsa:1 setup:actpass\r\na=dcsa:1 accept-types:text/plain\r\n"
                   "a=dcsa:1 path:msrp://127.0.0.1:9/x;dc\r\n");
  /* parse(print(parse(x))) keeps the values of the figure's offer */
  sdpdc_session_t *p = parse_ok(h, STEP1);
  ASSERT_EQ(sdpdc_print(h, p, &t, &err), 0);
  sdpdc_session_t *p2 = parse_ok(h, t);
  ASSERT_STR_EQ(p2->media[0].fingerprints[0].value, FP_WIC);
  ASSERT_STR_EQ(p2->media[0].ice_options, "trickle");
  ASSERT_EQ(sdpdc_attr_count(&p2->media[0], "ice-options"), 0); /* stays at session level */
  ASSERT_STR_EQ(sdpdc_dcsa_get(&p2->media[0].dcmaps[0], "path"), PATH_A);
  ASSERT_EQ(p2->media[0].n_attrs, p->media[0].n_attrs);
  /* a CR/LF inside a value is refused, not printed */
  dcsa[2].value = "x\r\na=evil";
  ASSERT_EQ(sdpdc_print(h, &s, &t, &err), -EINVAL);
  ASSERT_EQ(err.code, SDPDC_E_ARG);
  ASSERT_STR_EQ(sdpdc_errcode_name(SDPDC_E_DCMAP_ID), "dcmap-id");
  ASSERT_STR_EQ(sdpdc_errcode_name(999), "unknown");
  su_home_unref(h);
}

int main(void)
{
  TEST_RUN(test_parse_step1);
  TEST_RUN(test_defaults);
  TEST_RUN(test_figure);
  TEST_RUN(test_origin);
  TEST_RUN(test_path_roundtrip);
  TEST_RUN(test_h248_builders);
  TEST_RUN(test_h248_readers);
  TEST_RUN(test_rfc8864_examples);
  TEST_RUN(test_browser_offer);
  TEST_RUN(test_firefox_offer);
  TEST_RUN(test_parse_errors);
  TEST_RUN(test_plan_errors);
  TEST_RUN(test_step14_errors);
  TEST_RUN(test_dtls_role);
  TEST_RUN(test_same_association);
  TEST_RUN(test_multi);
  TEST_RUN(test_mirror);
  TEST_RUN(test_print_model);
  return 0;
}
