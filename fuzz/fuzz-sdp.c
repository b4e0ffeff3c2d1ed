/* fuzz-sdp.c -- libFuzzer target for libwgsdp: the input is parsed as a
 * complete SDP and as an H.248 fragment; whatever parses goes through the
 * plan + step 5 + step 14 rewrites (the input playing the WIC offer, then
 * the IMS answer) and the mirror pair, and is printed again. Then the
 * re-offer analysis runs on (input, input) -- which must say "unchanged" --
 * and on (input, mutated input) pairs (one line dropped, one line with a
 * digit bumped, a direction line added), with the re-offer builders. */
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

/* The previous negotiation is `s` (with every channel accepted); `re` the re-offer. */
static void rediff(su_home_t *home, const sdpdc_session_t *s, const sdpdc_session_t *re,
                   int must_be_unchanged)
{
  sdpdc_error_t err;
  char *text = NULL;
  sdpdc_session_t *x;
  const sdpdc_session_t *l1 = NULL, *l2 = NULL;
  if (sdpdc_frag_parse(home, t1, sizeof t1 - 1, &x, &err) == 0)
    l1 = x;
  if (sdpdc_frag_parse(home, t2, sizeof t2 - 1, &x, &err) == 0)
    l2 = x;
  if (!l1 || !l2)
    __builtin_trap();
  sdpdc_plan_t *plan, *np;
  sdpdc_diff_t *d;
  if (sdpdc_plan_offer(home, s, &plan, &err) == 0) {
    const sdpdc_session_t **t2s = su_zalloc(home, (plan->n_chans + 1) * sizeof *t2s);
    for (size_t i = 0; i < plan->n_chans; i++)
      t2s[i] = l2;
    sdpdc_session_t *ims;
    if (sdpdc_step5_offer(home, plan, t2s, plan->n_chans, NULL, &text, &ims, &err) == 0 &&
        sdpdc_reoffer_diff(home, plan, NULL, re, &d, &np, &err) == 0) {
      if (must_be_unchanged && !d->unchanged)
        __builtin_trap();
      if (d->n_lines > re->n_media || np->n_chans > 65535)
        __builtin_trap();
      for (size_t i = 0; i < d->n_lines; i++)
        for (size_t k = 0; k < d->lines[i].n_chans; k++) {
          const sdpdc_chan_diff_t *c = &d->lines[i].chans[k];
          if ((c->change == SDPDC_CHAN_REMOVED) != (c->new_chan == SIZE_MAX) ||
              (c->change == SDPDC_CHAN_ADDED) != (c->prev_chan == SIZE_MAX))
            __builtin_trap();
        }
      /* T2 Local only for the added channels, as the ALG does */
      const sdpdc_session_t **nt2 = su_zalloc(home, (np->n_chans + 1) * sizeof *nt2);
      const sdpdc_session_t **nt1 = su_zalloc(home, (np->n_dclines + 1) * sizeof *nt1);
      for (size_t i = 0; i < d->n_lines; i++)
        for (size_t k = 0; k < d->lines[i].n_chans; k++)
          if (d->lines[i].chans[k].change == SDPDC_CHAN_ADDED)
            nt2[d->lines[i].chans[k].new_chan] = l2;
      for (size_t j = 0; j < np->n_dclines; j++)
        nt1[j] = l1;
      sdpdc_session_t *reims;
      if (sdpdc_reoffer_ims(home, np, ims, nt2, np->n_chans, NULL, &text, &reims, &err) == 0) {
        sdpdc_session_t *echo;
        if (sdpdc_parse(home, text, strlen(text), &echo, &err) != 0)
          __builtin_trap();
        sdpdc_reanswer_wic(home, np, echo, nt1, np->n_dclines, NULL, &text, NULL, &err);
        sdpdc_reanswer_wic(home, np, re, nt1, np->n_dclines, NULL, &text, NULL, &err);
      }
    }
  }
  for (int client = 0; client < 2; client++) {
    static const unsigned used[] = {0, 1, 2, 3};
    if (sdpdc_mirror_plan(home, s, NULL, 0, &plan, &err) != 0 ||
        sdpdc_mirror_rediff(home, plan, NULL, re, client, used, client ? 4 : 0, &d, &np, &err) != 0)
      continue;
    if (must_be_unchanged && !d->unchanged)
      __builtin_trap();
    for (size_t a = 0; a < np->n_chans; a++)
      for (size_t b = a + 1; b < np->n_chans; b++)
        if (np->chans[a].stream_id == np->chans[b].stream_id)
          __builtin_trap(); /* ids must never clash */
    if (np->n_dclines == 1) {
      const sdpdc_session_t *t1s[1] = {l1};
      const sdpdc_session_t **t2s = su_zalloc(home, (np->n_chans + 1) * sizeof *t2s);
      for (size_t i = 0; i < np->n_chans; i++)
        t2s[i] = l2;
      if (sdpdc_mirror_offer(home, np, t1s, 1, NULL, &text, NULL, &err) == 0) {
        sdpdc_session_t *wic;
        if (sdpdc_parse(home, text, strlen(text), &wic, &err) != 0)
          __builtin_trap();
        sdpdc_mirror_answer(home, np, re, t2s, np->n_chans, NULL, NULL, &text, NULL, &err);
      }
    }
  }
}

/* Mutations of the input text: drop line k, bump the first digit of line
 * k, add "a=sendonly" after line k. */
static char *mutate(su_home_t *home, const char *in, size_t len, unsigned how, size_t *out_len)
{
  size_t nl = 0;
  for (size_t i = 0; i < len; i++)
    nl += in[i] == '\n';
  if (!nl)
    return NULL;
  size_t k = (how / 3) % nl, line = 0, start = 0;
  for (size_t i = 0; i < len && line < k; i++)
    if (in[i] == '\n')
      line++, start = i + 1;
  size_t end = start;
  while (end < len && in[end] != '\n')
    end++;
  if (end < len)
    end++;
  char *o = su_alloc(home, len + 16);
  if (!o)
    return NULL;
  size_t n = 0;
  memcpy(o, in, start);
  n = start;
  switch (how % 3) {
  case 0: /* drop */
    break;
  case 1: /* bump a digit */
    memcpy(o + n, in + start, end - start);
    for (size_t i = n; i < n + (end - start); i++)
      if (o[i] >= '0' && o[i] <= '9') {
        o[i] = o[i] == '9' ? '0' : o[i] + 1;
        break;
      }
    n += end - start;
    break;
  default: /* direction line */
    memcpy(o + n, in + start, end - start);
    n += end - start;
    memcpy(o + n, "a=sendonly\r\n", 12);
    n += 12;
  }
  memcpy(o + n, in + end, len - end);
  n += len - end;
  *out_len = n;
  return o;
}

static void pairs(su_home_t *home, const sdpdc_session_t *s, const uint8_t *data, size_t size)
{
  sdpdc_error_t err;
  sdpdc_session_t *same, *re;
  if (sdpdc_parse(home, (const char *)data, size, &same, &err) == 0)
    rediff(home, s, same, 1);
  unsigned seed = 0;
  for (size_t i = 0; i < size; i++)
    seed = seed * 31 + data[i];
  for (unsigned m = 0; m < 3; m++) {
    size_t n;
    char *t = mutate(home, (const char *)data, size, seed + m, &n);
    if (t && sdpdc_parse(home, t, n, &re, &err) == 0)
      rediff(home, s, re, 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  su_home_t *home = su_home_new(sizeof(su_home_t));
  if (!home)
    return 0;
  sdpdc_error_t err;
  sdpdc_session_t *s;
  if (sdpdc_parse(home, (const char *)data, size, &s, &err) == 0) {
    run(home, s);
    pairs(home, s, data, size);
  }
  if (sdpdc_frag_parse(home, (const char *)data, size, &s, &err) == 0)
    run(home, s);
  su_home_unref(home);
  return 0;
}
