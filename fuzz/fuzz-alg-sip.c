/* fuzz-alg-sip.c -- libFuzzer target for the ALG's SIP input paths: the SDP
 * of an INVITE (figure step 1, or an IMS offer towards a WIC, digest 7.1)
 * and of the answer in a 18x/200 (step 7, or the WIC's answer).
 *
 * The input is one SIP message, parsed by Sofia-SIP's message parser as the
 * proxy's nta agent parses a datagram (msg_recv_iovec + msg_recv_commit +
 * msg_extract, mclass sip_default_mclass()). Whatever parses then goes
 * through the library calls alg/call.c makes on the body, in its order and
 * with its arguments, at the library boundary (sdp/ and h248/):
 *   request: sdpdc_parse -> sdpdc_plan_offer (DC offer) and
 *            sdpdc_mirror_plan (IMS offer) -> the Add T2 H.248 request
 *            (Local request, and the mirror's Remote) -> step 5 / the
 *            mirror offer with the AGW's Local -> alg_msg_set_sdp (alg/,
 *            the real function) -> the message encoded as nta sends it;
 *            the step 5 offer is then answered by itself (steps 7..14).
 *   response: the body is the answer to two fixed offers (the figure's step
 *            1 and an IMS MSRP offer): Modify T2 per channel (the answer's
 *            m=message at the channel's index, refused channels skipped),
 *            Add T1 (Local request + Remote from the WIC's DC line), step
 *            14, alg_msg_set_sdp; the mirror answer + Modify T1 Remote.
 * Every H.248 request built is encoded, decoded again (as the AGW reads
 * it) and the SDP of each stream read with sdpdc_frag_parse, as the AGW's
 * adapter does. alg/call.c's cheap pre-filters (looks_dc / looks_msrp) only
 * narrow what reaches sdpdc_parse; here every body goes to it (a superset).
 * Any crash, leak, sanitizer report or __builtin_trap() (an invariant the
 * ALG relies on: we must parse what we print) is a finding. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/su_alloc.h>

#include "alg/alg_int.h"
#include "h248/h248.h"
#include "sdp/sdp_dc.h"

#define MAXCH 8 /* alg/call.c: MSRP channels (T2 terminations) per call */

/* What the AGW answers (figure steps 4 and 13, loopback-free values). */
static const char agw_t2_local[] = "v=0\r\nc=IN IP4 203.0.113.20\r\nm=message 40000 TCP -\r\n";
static const char agw_t1_local[] =
    "v=0\r\nc=IN IP4 198.51.100.20\r\nm=application 41000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=sctp-port:5000\r\na=max-message-size:65536\r\n"
    "a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:"
    "A9:0E:05:E9:26:33:E8:70:88:A2\r\n"
    "a=ice-ufrag:AGWu\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=ice-lite\r\n"
    "a=candidate:1 1 UDP 2130706431 198.51.100.20 41000 typ host\r\n";
/* Fixed offers a fuzzed response answers: digest 5.7 step 1, and an IMS
 * MSRP offer (digest 7.1). */
static const char wic_offer[] =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
    "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.10\r\n"
    "a=ice-ufrag:x7Qf\r\na=ice-pwd:0123456789abcdef01234567\r\n"
    "a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:B2:"
    "6F:A5:BA:8C:7A:1B:2E:9F:1D:08\r\n"
    "a=setup:actpass\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n"
    "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\r\n"
    "a=dcsa:1 accept-types:message/cpim text/plain\r\n"
    "a=dcsa:1 path:msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n";
static const char ims_offer[] =
    "v=0\r\no=- 77 1 IN IP4 203.0.113.50\r\ns=-\r\nt=0 0\r\nm=message 7777 TCP/MSRP *\r\n"
    "c=IN IP4 203.0.113.50\r\na=setup:actpass\r\na=msrp-cema\r\n"
    "a=accept-types:message/cpim text/plain\r\na=path:msrp://203.0.113.50:7777/ims77;tcp\r\n";

static const sdpdc_session_t *t2l, *t1l;

/* alg/call.c's sdp_body(): the payload when Content-Type is absent or
 * application/sdp. */
static int sip_sdp(sip_t const *sip, const char **body, size_t *len)
{
  if (!sip->sip_payload || !sip->sip_payload->pl_len)
    return 0;
  if (sip->sip_content_type && sip->sip_content_type->c_type &&
      strcasecmp(sip->sip_content_type->c_type, "application/sdp"))
    return 0;
  *body = sip->sip_payload->pl_data;
  *len = sip->sip_payload->pl_len;
  return 1;
}

/* An H.248 request as the ALG sends it, read back as the AGW reads it. */
static void agw_reads(h248_msg_t *m)
{
  h248_buf_t b = {0};
  h248_msg_t *back = NULL;
  h248_error_info_t ei;
  int rc = h248_encode(m, H248_ENC_PRETTY, &b);
  if (rc == 0) {
    if (h248_decode(b.data, b.len, &back, &ei) != 0)
      __builtin_trap(); /* the AGW must be able to read what the ALG sends */
    su_home_t *home = su_home_new(sizeof *home);
    for (const h248_trans_t *t = back->trans; t && home; t = t->next)
      for (const h248_action_t *a = t->actions; a; a = a->next)
        for (const h248_cmd_t *c = a->cmds; c; c = c->next)
          for (const h248_stream_t *s = c->media ? c->media->streams : NULL; s; s = s->next) {
            sdpdc_session_t *x;
            sdpdc_error_t e;
            if (s->local)
              sdpdc_frag_parse(home, s->local, strlen(s->local), &x, &e);
            if (s->remote)
              sdpdc_frag_parse(home, s->remote, strlen(s->remote), &x, &e);
          }
    su_home_unref(home);
    h248_msg_free(back);
  }
  h248_buf_free(&b);
}

static h248_msg_t *req_msg(h248_action_t **a)
{
  h248_msg_t *m = h248_msg_new();
  h248_trans_t *t;
  if (!m)
    return NULL;
  h248_msg_parse_mid(m, "[192.0.2.1]:2944");
  t = h248_add_request(m, 10001);
  *a = t ? h248_add_action(m, t, h248_ctx_num(1001)) : NULL;
  if (!*a) {
    h248_msg_free(m);
    return NULL;
  }
  return m;
}

/* send_add_t2: Local request; the mirror's Remote from the IMS offer. */
static void add_t2(su_home_t *home, const sdpdc_plan_t *plan, int mirror)
{
  sdpdc_error_t e;
  for (size_t i = 0; i < plan->n_chans && i < MAXCH; i++) {
    char *local = NULL, *remote = NULL;
    h248_action_t *a;
    h248_msg_t *m;
    if (sdpdc_h248_t2_local_request(home, 4, &local, &e) < 0)
      return;
    if (mirror && sdpdc_h248_t2_remote(home, plan->chans[i].msrp_offer, 1, &remote, &e) < 0)
      continue;
    m = req_msg(&a);
    h248_cmd_t *cmd = m ? h248_add_cmd(m, a, H248_CMD_ADD, "$") : NULL;
    h248_stream_t *s = cmd ? h248_add_stream(m, cmd, (uint16_t)plan->chans[i].h248_stream) : NULL;
    if (s && h248_stream_set_mode(m, s, mirror ? H248_MODE_SENDRECV : H248_MODE_INACTIVE) == 0 &&
        h248_stream_set_local(m, s, local) == 0 && (!remote || h248_stream_set_remote(m, s, remote) == 0))
      agw_reads(m);
    h248_msg_free(m);
  }
}

/* send_modify_t2: the answer's m=message at each channel's index. 0 when
 * at least one channel is configured (the ALG goes on to Add T1). */
static int modify_t2(su_home_t *home, const sdpdc_plan_t *plan, const sdpdc_session_t *ans)
{
  sdpdc_error_t e;
  h248_action_t *a;
  h248_msg_t *m = req_msg(&a);
  int n = 0, rc = -1;
  if (!m)
    return -1;
  for (size_t i = 0; i < plan->n_chans && i < MAXCH; i++) {
    const sdpdc_chan_t *ch = &plan->chans[i];
    char *remote = NULL;
    if (ch->msrp_media >= ans->n_media)
      goto out;
    const sdpdc_media_t *msrp = &ans->media[ch->msrp_media];
    if (msrp->port == 0)
      continue;
    if (sdpdc_h248_t2_remote(home, msrp, 1, &remote, &e) < 0)
      goto out;
    h248_cmd_t *cmd = h248_add_cmd(m, a, H248_CMD_MODIFY, "ip/2/core/17");
    h248_stream_t *s = cmd ? h248_add_stream(m, cmd, (uint16_t)ch->h248_stream) : NULL;
    if (!s || h248_stream_set_mode(m, s, H248_MODE_SENDRECV) < 0 ||
        h248_stream_set_remote(m, s, remote) < 0)
      goto out;
    n++;
  }
  if (n > 0) {
    agw_reads(m);
    rc = 0;
  }
out:
  h248_msg_free(m);
  return rc;
}

/* send_add_t1's SDP (Local request, Remote from the WIC's DC line). */
static void add_t1(su_home_t *home, const sdpdc_plan_t *plan, int ice)
{
  sdpdc_error_t e;
  char *local = NULL, *remote = NULL;
  const sdpdc_dcline_t *dl = &plan->dclines[0];
  int fam = dl->offer && dl->offer->family == 6 ? 6 : 4;
  h248_action_t *a;
  if (sdpdc_h248_t1_local_request(home, fam, dl->offer->proto, ice, &local, &e) < 0 ||
      sdpdc_h248_t1_remote(home, dl->offer, ice, &remote, &e) < 0)
    return;
  h248_msg_t *m = req_msg(&a);
  h248_cmd_t *cmd = m ? h248_add_cmd(m, a, H248_CMD_ADD, "$") : NULL;
  h248_stream_t *s = cmd ? h248_add_stream(m, cmd, 1) : NULL;
  if (s && h248_stream_set_local(m, s, local) == 0 && h248_stream_set_remote(m, s, remote) == 0)
    agw_reads(m);
  h248_msg_free(m);
}

/* nta encodes what the proxy forwards. */
static void forward(msg_t *msg, const char *sdp)
{
  if (alg_msg_set_sdp(msg, sdp) < 0)
    return;
  msg_serialize(msg, (msg_pub_t *)sip_object(msg));
  msg_prepare(msg);
}

/* Steps 7..15 for a DC plan: ans is the IMS answer. */
static void answer_dc(su_home_t *home, msg_t *resp, const sdpdc_plan_t *plan,
                      const sdpdc_session_t *ans)
{
  sdpdc_error_t e;
  sdpdc_origin_t o = { "-", "1234", "1", "-" };
  char *out = NULL;
  int ice = plan->dclines[0].offer && plan->dclines[0].offer->ice_ufrag != NULL;
  if (modify_t2(home, plan, ans) < 0)
    return;
  add_t1(home, plan, ice);
  if (sdpdc_step14_answer(home, plan, ans, &t1l, 1, &o, &out, NULL, &e) == 0 && resp)
    forward(resp, out);
}

/* The mirror flow's answer from the WIC (mirror_answer). */
static void answer_mirror(su_home_t *home, msg_t *resp, const sdpdc_plan_t *plan,
                          const sdpdc_session_t *ans)
{
  sdpdc_error_t e;
  sdpdc_origin_t o = { "-", "1234", "1", "-" };
  const sdpdc_session_t *t2s[MAXCH];
  char *out = NULL, *remote = NULL;
  int agw_client = 0;
  size_t n = plan->n_chans < MAXCH ? plan->n_chans : MAXCH;
  for (size_t i = 0; i < n; i++)
    t2s[i] = t2l;
  if (sdpdc_mirror_answer(home, plan, ans, t2s, n, &o, &agw_client, &out, NULL, &e) < 0)
    return;
  const sdpdc_media_t *dc = sdpdc_media_nth(ans, SDPDC_KIND_DC, 0);
  if (!dc || sdpdc_h248_t1_remote(home, dc, 1, &remote, &e) < 0)
    return;
  h248_action_t *a;
  h248_msg_t *m = req_msg(&a);
  h248_cmd_t *cmd = m ? h248_add_cmd(m, a, H248_CMD_MODIFY, "ip/1/access/18") : NULL;
  h248_stream_t *s = cmd ? h248_add_stream(m, cmd, 1) : NULL;
  if (s && h248_stream_set_remote(m, s, remote) == 0)
    agw_reads(m);
  h248_msg_free(m);
  if (resp)
    forward(resp, out);
}

static int has_dc_media(const sdpdc_session_t *o)
{
  for (size_t i = 0; i < o->n_media; i++)
    if (o->media[i].kind == SDPDC_KIND_DC && o->media[i].port != 0)
      return 1;
  return 0;
}

static void request(msg_t *msg, const char *body, size_t len)
{
  su_home_t *home = su_home_new(sizeof *home);
  sdpdc_session_t *offer;
  sdpdc_plan_t *plan;
  sdpdc_error_t e;
  sdpdc_origin_t o = { "-", "1234", "1", "-" };
  char *out = NULL;
  if (!home)
    return;
  if (sdpdc_parse(home, body, len, &offer, &e) == 0) {
    /* figure step 1 (alg_call_invite): a DC offer */
    if (has_dc_media(offer) && sdpdc_plan_offer(home, offer, &plan, &e) == 0 &&
        plan->n_dclines == 1 && plan->n_chans >= 1 && plan->n_chans <= MAXCH) {
      const sdpdc_session_t *t2s[MAXCH];
      for (size_t i = 0; i < plan->n_chans; i++)
        t2s[i] = t2l;
      add_t2(home, plan, 0);
      sdpdc_session_t *sent;
      if (sdpdc_step5_offer(home, plan, t2s, plan->n_chans, &o, &out, &sent, &e) == 0) {
        sdpdc_session_t *echo;
        if (sdpdc_parse(home, out, strlen(out), &echo, &e) != 0)
          __builtin_trap(); /* UE-B must be able to read our offer */
        forward(msg, out);
        answer_dc(home, NULL, plan, echo); /* UE-B answers with the offer itself */
      }
    }
    /* digest 7.1: the same body as an IMS offer towards a WIC */
    if (sdpdc_mirror_plan(home, offer, NULL, 0, &plan, &e) == 0 && plan->n_chans >= 1 &&
        plan->n_chans <= MAXCH) {
      add_t2(home, plan, 1);
      if (sdpdc_mirror_offer(home, plan, &t1l, 1, &o, &out, NULL, &e) == 0) {
        sdpdc_session_t *wic;
        if (sdpdc_parse(home, out, strlen(out), &wic, &e) != 0)
          __builtin_trap(); /* the WIC must be able to read our offer */
        forward(msg, out);
      }
    }
  }
  su_home_unref(home);
}

static void response(msg_t *msg, const char *body, size_t len)
{
  su_home_t *home = su_home_new(sizeof *home);
  sdpdc_session_t *o1, *o2, *ans;
  sdpdc_plan_t *p1, *p2;
  sdpdc_error_t e;
  if (!home)
    return;
  if (sdpdc_parse(home, wic_offer, sizeof wic_offer - 1, &o1, &e) != 0 ||
      sdpdc_plan_offer(home, o1, &p1, &e) != 0 ||
      sdpdc_parse(home, ims_offer, sizeof ims_offer - 1, &o2, &e) != 0 ||
      sdpdc_mirror_plan(home, o2, NULL, 0, &p2, &e) != 0)
    __builtin_trap();
  if (sdpdc_parse(home, body, len, &ans, &e) == 0) {
    answer_dc(home, msg, p1, ans);
    answer_mirror(home, msg, p2, ans);
  }
  su_home_unref(home);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static msg_mclass_t const *mclass;
  static su_home_t *fixed;
  msg_iovec_t iov[2];
  const char *body;
  size_t len;

  if (!fixed) {
    sdpdc_session_t *x;
    sdpdc_error_t e;
    su_init();
    mclass = sip_default_mclass();
    fixed = su_home_new(sizeof *fixed);
    if (sdpdc_frag_parse(fixed, agw_t2_local, sizeof agw_t2_local - 1, &x, &e) != 0)
      __builtin_trap();
    t2l = x;
    if (sdpdc_frag_parse(fixed, agw_t1_local, sizeof agw_t1_local - 1, &x, &e) != 0)
      __builtin_trap();
    t1l = x;
  }
  if (size == 0 || size > 65536)
    return 0; /* a UDP datagram; nta's TCP framing is Sofia's own */

  /* as tport_recv_dgram + tport_parse do for a UDP datagram */
  msg_t *msg = msg_create(mclass, MSG_DO_EXTRACT_COPY);
  if (!msg)
    return 0;
  issize_t n = msg_recv_iovec(msg, iov, 2, size, 1);
  if (n < 0 || n > 2) {
    msg_destroy(msg);
    return 0;
  }
  size_t off = 0;
  for (issize_t i = 0; i < n && off < size; i++) {
    size_t k = iov[i].mv_len < size - off ? iov[i].mv_len : size - off;
    memcpy(iov[i].mv_base, data + off, k);
    off += k;
  }
  msg_recv_commit(msg, size, 1);
  if (msg_extract(msg) > 0) {  /* nta keeps a message with bad optional headers */
    sip_t *sip = sip_object(msg);
    if (sip && sip->sip_cseq && sip->sip_call_id && sip->sip_from && sip->sip_to &&
        sip_sdp(sip, &body, &len)) {
      if (sip->sip_request && sip->sip_request->rq_method == sip_method_invite)
        request(msg, body, len);
      else if (sip->sip_status && sip->sip_status->st_status >= 180 &&
               sip->sip_status->st_status < 300)
        response(msg, body, len);
    }
  }
  msg_destroy(msg);
  return 0;
}
