/* fuzz-sdp.c -- libFuzzer target for libwgsdp: the input is parsed as a
 * complete SDP and as an H.248 fragment; whatever parses goes through the
 * plan + step 5 + step 14 rewrites (the input playing the WIC offer, then
 * the IMS answer) and the mirror pair, and is printed again. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sdp/sdp_dc.h"

static const char t2[] = "v=0\r\nc=IN IP4 203.0.113.20\r\nm=message 40000 TCP -\r\n";
static const char t1[] =
    "v=0\r\nc=IN IP4 198.51.100.20\r\nm=application 41000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=sctp-port:5000\r\na=max-message-size:65536\r\n"
    "a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:"
    "A9:0E:05:E9:26:33:E8:70:88:A2\r\n"
    "a=ice-ufrag:AGWu\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=ice-lite\r\n"
    "a=candidate:1 1 UDP 2130706431 198.51.100.20 41000 typ host\r\n";

static void run(su_home_t *home, const sdpdc_session_t *s)
{
  sdpdc_error_t err;
  char *text = NULL;
  const sdpdc_session_t *l1 = NULL, *l2 = NULL;
  sdpdc_session_t *x;
  if (sdpdc_frag_parse(home, t1, sizeof t1 - 1, &x, &err) == 0)
    l1 = x;
  if (sdpdc_frag_parse(home, t2, sizeof t2 - 1, &x, &err) == 0)
    l2 = x;
  if (!l1 || !l2)
    __builtin_trap();
  sdpdc_print(home, s, &text, &err);
  for (size_t i = 0; i < s->n_media; i++)
    sdpdc_frag_print(home, &s->media[i], &text, &err);

  sdpdc_plan_t *plan;
  if (sdpdc_plan_offer(home, s, &plan, &err) == 0) {
    const sdpdc_session_t **t2s = su_zalloc(home, (plan->n_chans + 1) * sizeof *t2s);
    const sdpdc_session_t **t1s = su_zalloc(home, (plan->n_dclines + 1) * sizeof *t1s);
    for (size_t i = 0; i < plan->n_chans; i++)
      t2s[i] = l2;
    for (size_t i = 0; i < plan->n_dclines; i++)
      t1s[i] = l1;
    sdpdc_session_t *ims_offer;
    if (sdpdc_step5_offer(home, plan, t2s, plan->n_chans, NULL, &text, &ims_offer, &err) == 0) {
      /* the offer echoed as an answer, and the input itself as an answer */
      sdpdc_session_t *echo;
      if (sdpdc_parse(home, text, strlen(text), &echo, &err) != 0)
        __builtin_trap(); /* we must parse what we print */
      sdpdc_step14_answer(home, plan, echo, t1s, plan->n_dclines, NULL, &text, NULL, &err);
      sdpdc_step14_answer(home, plan, s, t1s, plan->n_dclines, NULL, &text, NULL, &err);
    }
  }
  if (sdpdc_mirror_plan(home, s, NULL, 0, &plan, &err) == 0) {
    const sdpdc_session_t **t2s = su_zalloc(home, (plan->n_chans + 1) * sizeof *t2s);
    for (size_t i = 0; i < plan->n_chans; i++)
      t2s[i] = l2;
    const sdpdc_session_t *t1s[1] = {l1};
    if (sdpdc_mirror_offer(home, plan, t1s, 1, NULL, &text, NULL, &err) == 0) {
      sdpdc_session_t *wic;
      if (sdpdc_parse(home, text, strlen(text), &wic, &err) != 0)
        __builtin_trap();
      sdpdc_mirror_answer(home, plan, s, t2s, plan->n_chans, NULL, NULL, &text, NULL, &err);
    }
  }
  for (size_t i = 0; i < s->n_media; i++) {
    if (sdpdc_dc_same_association(&s->media[0], &s->media[i]) < 0)
      __builtin_trap();
    if (s->media[i].kind == SDPDC_KIND_MSRP && s->media[i].address)
      sdpdc_h248_t2_remote(home, &s->media[i], 1, &text, &err);
    if (s->media[i].kind == SDPDC_KIND_DC)
      sdpdc_h248_t1_remote(home, &s->media[i], 1, &text, &err);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  su_home_t *home = su_home_new(sizeof(su_home_t));
  if (!home)
    return 0;
  sdpdc_error_t err;
  sdpdc_session_t *s;
  if (sdpdc_parse(home, (const char *)data, size, &s, &err) == 0)
    run(home, s);
  if (sdpdc_frag_parse(home, (const char *)data, size, &s, &err) == 0)
    run(home, s);
  su_home_unref(home);
  return 0;
}
