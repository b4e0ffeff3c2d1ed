/* call.c -- the per-call state machine of the eP-CSCF: the steps of figure
 * 6.2.10.x.2.1 from the ALG's side, and the release paths.
 *
 *   INIT --Add T2 (2..4)--> T2_RESERVED --step 5, forward (6)--> IMS_OFFERED
 *   --answer (7)--> IMS_ANSWERED --Modify T2 (8..10)--> T2_CONFIGURED
 *   --Add T1 (11..13)--> T1_CREATED --step 14, answer (15)--> WIC_ANSWERED
 *   --ACK--> CONFIRMED --BYE / Notify / AGW loss--> RELEASED
 *
 * One call = one H.248 context on one AGW: one T2 (IMS side, TCP) per
 * anchored MSRP data channel, added one after the other (steps 2-4), and one
 * T1 (WIC side: the SCTP association over DTLS, stream 1, plus one stream per
 * channel with its sctpid). One DC m-line per call; offers with more get 488.
 * Calls are found again by serial number from H.248 callbacks, so a call
 * freed meanwhile is never touched.
 */
#include "config.h"
#include "alg/mgc.h"
#include "sdp/sdp_dc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/sip_util.h>
#include <sofia-sip/msg_header.h>

enum call_state {
  CS_INIT = 0,
  CS_T2_RESERVED,
  CS_IMS_OFFERED,
  CS_IMS_ANSWERED,
  CS_T2_CONFIGURED,
  CS_T1_CREATED,
  CS_WIC_ANSWERED,
  CS_CONFIRMED,
  CS_RELEASED,
};

static const char *state_name[] = {
  "INIT", "T2_RESERVED", "IMS_OFFERED", "IMS_ANSWERED", "T2_CONFIGURED",
  "T1_CREATED", "WIC_ANSWERED", "CONFIRMED", "RELEASED",
};

#define MAXQ 8
#define MAXCH 8   /* MSRP channels (T2 terminations) per call */

struct alg_call {
  alg_call_t *next, **prev;
  alg_t *alg;
  uint64_t serial;
  su_home_t *home;
  char *call_id;
  enum call_state state;
  alg_agw_t *agw;
  uint32_t ctx;
  char *t1;
  char *t2[MAXCH];             /* one T2 per anchored channel (plan->chans) */
  size_t n_t2;                 /* T2s added so far */
  alg_ptx_t *ptx;              /* the INVITE transaction, while it lives */
  int waiting;                 /* an H.248 request of this call is outstanding */
  int auditing;                /* a context audit is outstanding */
  uint32_t wait_tid;
  int releasing;               /* release asked while waiting */
  int answered_up;             /* a 2xx went to the WIC */
  int final_down;              /* final status from IMS (0 none) */
  int early_answered;          /* step 15 done on an 18x */

  /* SDP */
  sdpdc_session_t *offer;
  sdpdc_plan_t *plan;
  sdpdc_session_t *t2_local[MAXCH];
  sdpdc_session_t *ims_answer;
  sdpdc_session_t *t1_local;
  char *wic_answer;            /* step 15 body (mirror: the answer to the IMS side) */
  int mirror;                  /* WIC-terminated call (digest 7.1): upstream is IMS */
  char *sess_id;
  int ice;

  /* responses held while H.248 runs */
  msg_t *held;                 /* the response whose SDP is being processed */
  msg_t *queue[MAXQ];
  int nq;

  /* dialog */
  sip_from_t *from;            /* caller (INVITE From) */
  sip_to_t *to;                /* callee (2xx To, with tag) */
  sip_call_id_t *cid;
  url_t *caller_contact, *callee_contact;
  sip_route_t *route_callee;   /* route set from us towards the callee */
  sip_route_t *route_caller;   /* route set from us towards the caller */
  uint32_t invite_cseq, caller_cseq, callee_cseq;

  /* the SDP last sent on each leg (models, for the re-offer builders) */
  sdpdc_session_t *ims_offer_s;  /* step 5 / the last IMS re-offer */
  sdpdc_session_t *wic_answer_s; /* step 14 / the last re-answer to the WIC */
  unsigned ims_ver, wic_ver;     /* o= version of each leg's SDP */
  char *ims_sdp;                 /* the text of the last SDP sent to the IMS side */
  char *dc_offer;                /* mirror: the text of the DC offer sent to the WIC */
  /* a refresh passed through (mirror calls): what the answering side must
   * answer (its previous SDP) and what the offerer then gets */
  const sdpdc_session_t *rf_expect;
  int rf_expect_dc;
  const char *rf_reply;
  int agw_client;                /* mirror: the AGW is the DTLS client (the WIC answered passive) */
  int re_mirror;                 /* the re-offer in progress is an IMS change in a mirror call */
  int re_from_ims;               /* the re-offer in progress came from the IMS side */

  /* a re-offer in progress (re-INVITE/UPDATE with SDP, digest 7.4) */
  alg_ptx_t *re_ptx;
  alg_ptx_t *re_done;                 /* the last re-offer's transaction, lingering: its
                                       * retransmitted 2xx are absorbed */
  int re_state;
  sdpdc_session_t *re_offer;
  sdpdc_diff_t *re_diff;
  sdpdc_plan_t *re_plan;
  sdpdc_session_t *re_ims_offer, *re_ims_answer, *re_t1_local;
  const sdpdc_session_t *re_prev_ims; /* a WIC re-offer: our previous SDP to the IMS side */
  char *re_ims_text;                  /* the IMS re-offer's text */
  char *re_t2[MAXCH];                 /* per re_plan->chans: the added channels' new T2s */
  sdpdc_session_t *re_t2_local[MAXCH];
  size_t re_next;                     /* re_plan chan index the Add T2 loop is at */
  char *re_dropping[MAXCH];           /* T2s of removed channels: their bearer Notify is expected */
  size_t n_dropping;
  msg_t *re_held;                     /* the IMS 2xx being processed */

  /* forked early dialogs (RFC 3261 12.1/13.2.2.4): the AGW's T2 follows the
   * answer of one dialog (t2_tag); each other early dialog with an answer
   * gets its own re-written answer; the 2xx's dialog is the one kept */
  char *t2_tag;
  struct alg_fork {
    char *tag;
    sdpdc_session_t *ims_answer, *wic_answer_s;
    char *wic_answer;
    int killed;                /* its 2xx came after the call was answered: ACK + BYE sent */
  } forks[MAXQ];
  int nforks;

  /* session timer (RFC 4028): Session-Expires of the last 2xx */
  su_timer_t *se_timer;
  unsigned long se_delta;             /* s; 0 = no session timer */
};

enum re_state {
  RE_NONE = 0,
  RE_ADD_T2,      /* Add T2 for the added channels */
  RE_OFFERED,     /* re-offer forwarded to the IMS side */
  RE_MODIFY,      /* the IMS accepted: Subtract/Modify on the AGW */
  RE_T1_SUB,      /* DTLS restart: the old T1 goes */
  RE_T1_ADD,      /* DTLS restart: the new T1 */
};

static uint64_t g_serial;

/* What an H.248 callback gets: the call is looked up again by serial, so a
 * call freed meanwhile is never touched. */
struct call_ref { alg_t *alg; uint64_t serial; };

static struct call_ref *cref(alg_call_t *c)
{
  struct call_ref *r = malloc(sizeof *r);
  if (r)
    r->alg = c->alg, r->serial = c->serial;
  return r;
}

/* Sends an H.248 request of the call to its AGW; the reply goes to cb with a
 * call_ref (so a call released meanwhile is noticed). On success the call
 * waits for that reply (c->waiting, c->wait_tid). Returns alg_mgc_send's
 * status, or -ENOMEM. The caller still owns and frees m. */
static int call_send(alg_call_t *c, h248_msg_t *m, h248_tl_reply_cb cb)
{
  struct call_ref *ser = cref(c);
  if (!ser)
    return -ENOMEM;
  int rc = alg_mgc_send(c->alg, c->agw, m, cb, ser, &c->wait_tid);
  if (rc < 0)
    free(ser);
  else
    c->waiting = 1;
  return rc;
}

/* ---------------------------------------------------------- logging */

static void call_log(alg_call_t *c, enum wg_log_level lvl, int step, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
static void call_log(alg_call_t *c, enum wg_log_level lvl, int step, const char *fmt, ...)
{
  wg_log_ctx_t ctx = { c->call_id, c->ctx, step };
  va_list ap;
  va_start(ap, fmt);
  wg_vlog(lvl, "alg", &ctx, fmt, ap);
  va_end(ap);
}

/* ---------------------------------------------------------- life */

static alg_call_t *call_find_serial(alg_t *alg, uint64_t serial)
{
  alg_call_t *c;
  for (c = alg->calls; c; c = c->next)
    if (c->serial == serial)
      return c;
  return NULL;
}

static alg_call_t *call_find_id(alg_t *alg, const char *cid)
{
  alg_call_t *c;
  for (c = alg->calls; c; c = c->next)
    if (c->call_id && cid && !strcmp(c->call_id, cid))
      return c;
  return NULL;
}

static void call_free(alg_call_t *c)
{
  alg_t *alg = c->alg;
  int i;
  if ((*c->prev = c->next))
    c->next->prev = c->prev;
  if (c->ptx) {
    alg_ptx_release(c->ptx);
    c->ptx = NULL;
  }
  if (c->re_ptx) {
    alg_ptx_release(c->re_ptx);
    c->re_ptx = NULL;
  }
  if (c->re_done) {
    alg_ptx_release(c->re_done);
    c->re_done = NULL;
  }
  if (c->re_held)
    msg_destroy(c->re_held);
  if (c->se_timer)
    su_timer_destroy(c->se_timer);
  if (c->held)
    msg_destroy(c->held);
  for (i = 0; i < c->nq; i++)
    msg_destroy(c->queue[i]);
  if (c->agw && c->agw->ncalls)
    c->agw->ncalls--;
  alg->ncalls--;
  atomic_store(&alg->ncalls_atomic, alg->ncalls);
  su_home_unref(c->home);
  free(c);
}

/* ---------------------------------------------------------- H.248 helpers */

/* Subtract T1/T2 of the call's context; fire and forget (logged). */
struct sub_arg { alg_t *alg; char call_id[128]; uint32_t ctx; };

static void subtract_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  struct sub_arg *s = arg;
  wg_log_ctx_t lc = { s->call_id, s->ctx, -1 };
  char text[200];
  (void)msg;
  if (status == -ECANCELED)
    ;
  else if (status < 0)
    wg_log(WG_LOG_WARN, "alg", &lc, "Subtract: no answer from the AGW");
  else if (alg_h248_reply_error(reply, text, sizeof text))
    wg_log(WG_LOG_WARN, "alg", &lc, "Subtract answered %s", text);
  else
    wg_log(WG_LOG_INFO, "alg", &lc, "Subtract done: context released on the AGW");
  free(s);
}

static void send_subtract(alg_call_t *c)
{
  h248_msg_t *m;
  h248_trans_t *t;
  h248_action_t *a;
  struct sub_arg *s;

  if (!c->ctx || !c->agw || !c->agw->alive)
    return;
  m = alg_mgc_msg(c->alg);
  if (!m)
    return;
  t = h248_add_request(m, 0);
  a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
  if (a) {
    if (c->t1) {
      h248_cmd_t *x = h248_add_cmd(m, a, H248_CMD_SUBTRACT, c->t1);
      if (x)
        h248_cmd_audit(m, x);
    }
    for (size_t i = 0; i < c->n_t2; i++) {
      h248_cmd_t *x = h248_add_cmd(m, a, H248_CMD_SUBTRACT, c->t2[i]);
      if (x)
        h248_cmd_audit(m, x);
    }
    if (!c->t1 && !c->n_t2)
      h248_add_cmd(m, a, H248_CMD_SUBTRACT, "*");
  }
  s = calloc(1, sizeof *s);
  if (a && s) {
    s->alg = c->alg;
    snprintf(s->call_id, sizeof s->call_id, "%s", c->call_id);
    s->ctx = c->ctx;
    call_log(c, WG_LOG_INFO, -1, "Subtract %s%s%s%s (release AGW termination)", c->t1 ? c->t1 : "",
         c->t1 && c->n_t2 ? ", " : "", c->n_t2 ? c->t2[0] : "", c->n_t2 > 1 ? ", ..." : "");
    if (alg_mgc_send(c->alg, c->agw, m, subtract_reply, s, NULL) == 0)
      s = NULL;
  }
  free(s);
  h248_msg_free(m);
}

/* ---------------------------------------------------------- release */

/* Map an H.248 error code of step 2/8/11 to a SIP status (digest 7.6). */
static int sip_status_for_h248(int code)
{
  switch (code) {
  case 440: case 445: case 449: case 474: case 501:
    return 488;
  case 510: case 503: case 500: case 502:
    return 503;
  default:
    return 500;
  }
}

/* Calls the ALG ended itself with a BYE to each side (bearer loss, DTLS
 * failure, session timer, AGW loss...): a BYE of the WIC or the IMS side that
 * crossed the ALG's is answered 200 here for 64*T1 (RFC 3261 Timer H/J
 * span), never forwarded, so the far side gets exactly one BYE. */
#define RELEASED_MAX 64
#define RELEASED_MS 32000
struct released {
  struct { char call_id[128], tag[64]; uint64_t at; } e[RELEASED_MAX];
  unsigned next;
};

static uint64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void released_add(alg_call_t *c)
{
  struct released *r = c->alg->released;
  if (!r && !(r = c->alg->released = calloc(1, sizeof *r)))
    return;
  unsigned i = r->next++ % RELEASED_MAX;
  snprintf(r->e[i].call_id, sizeof r->e[i].call_id, "%s", c->call_id);
  snprintf(r->e[i].tag, sizeof r->e[i].tag, "%s",
           c->from && c->from->a_tag ? c->from->a_tag : "");
  r->e[i].at = mono_ms();
}

int alg_call_bye_crossed(alg_t *alg, alg_ptx_t *t, sip_t const *sip)
{
  struct released *r = alg->released;
  uint64_t now = mono_ms();
  if (!r || !sip->sip_call_id || !sip->sip_from || !sip->sip_to)
    return 0;
  for (unsigned i = 0; i < RELEASED_MAX; i++) {
    const char *tag = r->e[i].tag;
    if (!r->e[i].at || now - r->e[i].at > RELEASED_MS ||
        strcmp(r->e[i].call_id, sip->sip_call_id->i_id) != 0 || !tag[0] ||
        !((sip->sip_from->a_tag && !strcmp(sip->sip_from->a_tag, tag)) ||
          (sip->sip_to->a_tag && !strcmp(sip->sip_to->a_tag, tag))))
      continue;
    wg_log_ctx_t lc = { r->e[i].call_id, 0, -1 };
    wg_log(WG_LOG_INFO, "alg", &lc, "BYE crossed the ALG's own release: 200, not forwarded");
    alg_proxy_respond(t, 200, NULL, NULL, 0);
    return 1;
  }
  return 0;
}

static void released_free(alg_t *alg)
{
  free(alg->released);
  alg->released = NULL;
}

/* End the call. up_status: what the WIC gets if it has no final response
 * yet (0: nothing to answer, e.g. a final error was relayed); bye_both: the
 * call is established and the ALG ends it (BYE to both sides). */
static void call_release(alg_call_t *c, int up_status, const char *warning, const char *why)
{
  alg_t *alg = c->alg;
  alg_ptx_t *t = c->ptx;

  if (c->state == CS_RELEASED)
    return;
  if (c->waiting && !c->releasing && !c->ctx) {
    /* the Add T2 is outstanding: the context may still come; finish when
     * its reply arrives (it is then subtracted) */
    c->releasing = 1;
    if (t && up_status && t->status_sent < 200)
      alg_proxy_respond(t, up_status, NULL, warning,
                        up_status == 503 ? (int)alg->retry_after_s : 0);
    call_log(c, WG_LOG_INFO, -1, "release (%s) waits for the AGW's answer", why);
    return;
  }
  if (c->waiting)
    alg_mgc_cancel(alg, c->wait_tid), c->waiting = 0;
  call_log(c, WG_LOG_NOTICE, -1, "release in state %s: %s", state_name[c->state], why);
  if (c->re_ptx) {
    /* a re-offer in progress: its transaction ends with the call */
    if (c->re_ptx->status_sent < 200)
      alg_proxy_respond(c->re_ptx, 500, NULL, "the call was released", 0);
    if (c->re_ptx) {
      alg_ptx_release(c->re_ptx);
      c->re_ptx = NULL;
    }
  }
  /* the added T2s of an unfinished re-offer go with the context */

  /* the WIC side */
  if (t && t->status_sent < 200) {
    if (up_status)
      alg_proxy_respond(t, up_status, NULL, warning,
                        up_status == 503 ? (int)alg->retry_after_s : 0);
  } else if (c->answered_up && c->caller_contact && up_status) {
    call_log(c, WG_LOG_INFO, -1, "BYE to the WIC");
    alg_proxy_send_in_dialog(alg, sip_method_bye, "BYE", c->caller_contact, c->route_caller,
                             c->to, c->from, c->cid, ++c->callee_cseq);
  }
  /* the IMS side */
  if (c->final_down >= 200 && c->final_down < 300 && up_status) {
    if (!c->answered_up && c->callee_contact) {
      /* we never relayed the 2xx: ACK it ourselves, then BYE */
      alg_proxy_send_in_dialog(alg, sip_method_ack, "ACK", c->callee_contact, c->route_callee,
                               c->from, c->to, c->cid, c->invite_cseq);
    }
    if (c->callee_contact) {
      call_log(c, WG_LOG_INFO, -1, "BYE to the IMS side");
      alg_proxy_send_in_dialog(alg, sip_method_bye, "BYE", c->callee_contact, c->route_callee,
                               c->from, c->to, c->cid,
                               (c->caller_cseq > c->invite_cseq ? c->caller_cseq : c->invite_cseq) + 1);
    }
  } else if (c->final_down == 0 && t && t->orq) {
    alg_proxy_cancel_down(t);
  }
  send_subtract(c);
  if (c->answered_up && up_status)
    released_add(c);
  c->state = CS_RELEASED;
  call_free(c);
}

void alg_calls_release_agw(alg_t *alg, alg_agw_t *agw, const char *why)
{
  alg_call_t *c, *next;
  char w[160];
  snprintf(w, sizeof w, "media gateway lost: %s", why);
  for (c = alg->calls; c; c = next) {
    next = c->next;
    if (agw && c->agw != agw)
      continue;
    if (agw) {
      c->ctx = 0;  /* the context died with the AGW: nothing to subtract */
      c->waiting = 0;
    }
    call_release(c, agw ? 503 : 503, agw ? w : why, agw ? w : why);
  }
}

static int same_contact(url_t const *a, url_t const *b)
{
  return a && b && (!a->url_user == !b->url_user) &&
         (!a->url_user || !strcmp(a->url_user, b->url_user)) && a->url_host && b->url_host &&
         !strcasecmp(a->url_host, b->url_host) && (!a->url_port == !b->url_port) &&
         (!a->url_port || !strcmp(a->url_port, b->url_port));
}

void alg_calls_release_contacts(alg_t *alg, url_t *const *contacts, int n, const char *why)
{
  alg_call_t *c, *next;
  int i;
  for (c = alg->calls; c; c = next) {
    next = c->next;
    for (i = 0; i < n; i++)
      if (same_contact(c->caller_contact, contacts[i]) ||
          same_contact(c->callee_contact, contacts[i])) {
        call_release(c, 480, why, why);
        break;
      }
  }
}

void alg_call_free_all(alg_t *alg)
{
  while (alg->calls)
    call_free(alg->calls);
  released_free(alg);
}

/* ---------------------------------------------------------- session timer */

/* RFC 4028: the dialog's session interval is the Session-Expires of the
 * last 2xx to an INVITE/UPDATE; without a refresh within it the session is
 * over. The ALG then releases the call as a stateful proxy that owns media
 * resources must (BYE both sides, Subtract) -- our reading of RFC 4028
 * sec 8/10 for a B2BUA-like ALG: it waits the whole interval (the UAs' own
 * BYE comes earlier, at most min(32, SE/3) s before it). */
static void se_expired(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
  alg_call_t *c = arg;
  char w[96];
  (void)m;
  (void)t;
  call_log(c, WG_LOG_NOTICE, -1, "session timer expired: no refresh within %lu s (RFC 4028)",
           c->se_delta);
  snprintf(w, sizeof w, "session timer expired (no refresh within %lu s)", c->se_delta);
  call_release(c, 408, w, w);
}

/* (Re)start the session timer from a 2xx (NULL: a refresh request passed
 * through: restart with the current interval). A 2xx without
 * Session-Expires turns it off (RFC 4028 sec 7.2/9). */
static void se_arm(alg_call_t *c, sip_t const *sip)
{
  if (sip) {
    if (!sip->sip_session_expires || !sip->sip_session_expires->x_delta) {
      if (c->se_delta)
        call_log(c, WG_LOG_INFO, -1, "session timer off (2xx without Session-Expires)");
      c->se_delta = 0;
      if (c->se_timer)
        su_timer_reset(c->se_timer);
      return;
    }
    c->se_delta = sip->sip_session_expires->x_delta;
    call_log(c, WG_LOG_INFO, -1, "session timer: %lu s (refresher %s)", c->se_delta,
             sip->sip_session_expires->x_refresher ? sip->sip_session_expires->x_refresher
                                                   : "not named");
  }
  if (!c->se_delta)
    return;
  if (c->se_timer)
    su_timer_destroy(c->se_timer);
  c->se_timer = su_timer_create(su_root_task(c->alg->root), (su_duration_t)(c->se_delta * 1000));
  if (!c->se_timer || su_timer_set(c->se_timer, se_expired, c) < 0)
    call_log(c, WG_LOG_WARN, -1, "session timer: cannot arm the timer");
}

/* ---------------------------------------------------------- step 2 */

static void add_t2_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void step5_forward(alg_call_t *c);
static int mirror_add_t1(alg_call_t *c);

static int sdp_body(sip_t const *sip, const char **body, size_t *len)
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

/* Does an m= line of the body offer a data channel? (a cheap look before
 * parsing: a body that fails to parse is ours only if it does) */
static int looks_msrp(const char *s, size_t n)
{
  for (size_t i = 0; i + 8 <= n; i++)
    if ((i == 0 || s[i - 1] == '\n') && !strncmp(s + i, "m=messag", 8))
      return 1;
  return 0;
}

static int looks_dc(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    size_t e = i;
    while (e < n && s[e] != '\n')
      e++;
    if (e - i > 2 && s[i] == 'm' && s[i + 1] == '=') {
      for (size_t k = i; k + 13 <= e; k++)
        if (!strncasecmp(s + k, "DTLS/SCTP", 9) || !strncasecmp(s + k, "webrtc-datach", 13))
          return 1;
    }
    i = e + 1;
  }
  return 0;
}

static int has_dc_media(const sdpdc_session_t *o)
{
  for (size_t i = 0; i < o->n_media; i++)
    if (o->media[i].kind == SDPDC_KIND_DC && o->media[i].port != 0)
      return 1;
  return 0;
}

static int send_add_t2(alg_call_t *c)
{
  h248_msg_t *m = alg_mgc_msg(c->alg);
  h248_trans_t *t;
  h248_action_t *a;
  h248_cmd_t *cmd;
  h248_stream_t *s;
  char *local = NULL;
  sdpdc_error_t e;
  int rc = -ENOMEM;
  const sdpdc_media_t *dc = c->plan->dclines[0].offer;
  int fam = dc && dc->family == 6 ? 6 : 4;

  if (!m)
    return -ENOMEM;
  if (c->agw->addr.ss_family == AF_INET6)
    fam = 6;
  else
    fam = 4;
  (void)dc;
  if (sdpdc_h248_t2_local_request(c->home, fam, &local, &e) < 0)
    goto out;
  t = h248_add_request(m, 0);
  a = t ? h248_add_action(m, t, c->n_t2 ? h248_ctx_num(c->ctx) : h248_ctx_choose()) : NULL;
  cmd = a ? h248_add_cmd(m, a, H248_CMD_ADD, "$") : NULL;
  s = cmd ? h248_add_stream(m, cmd, (uint16_t)c->plan->chans[c->n_t2].h248_stream) : NULL;
  if (!s || h248_stream_set_mode(m, s, c->mirror ? H248_MODE_SENDRECV : H248_MODE_INACTIVE) < 0 ||
      h248_stream_set_local(m, s, local) < 0)
    goto out;
  if (c->mirror) {
    /* digest 7.1 step 2: reserve and configure at once (the IMS offer is
     * known); a=setup tells the AGW to listen (IMS actpass/active) or connect */
    char *remote = NULL;
    if (sdpdc_h248_t2_remote(c->home, c->plan->chans[c->n_t2].msrp_offer, 1, &remote, &e) < 0 ||
        h248_stream_set_remote(m, s, remote) < 0) {
      rc = -EPROTO;
      goto out;
    }
  }
  rc = call_send(c, m, add_t2_reply);
  if (rc >= 0) {
    call_log(c, WG_LOG_INFO, 2, "Add T2 (channel %u, stream %u) to AGW %s (reserve AGW "
             "connection point, IMS side)", c->plan->chans[c->n_t2].stream_id,
             c->plan->chans[c->n_t2].h248_stream, c->agw->name);
  }
out:
  h248_msg_free(m);
  return rc;
}

int alg_call_invite(alg_t *alg, alg_ptx_t *t, sip_t const *sip)
{
  const char *body;
  size_t len;
  alg_call_t *c;
  sdpdc_error_t e;
  int rc, full = 0;
  alg_agw_t *agw;
  const char *cid = sip->sip_call_id ? sip->sip_call_id->i_id : "-";
  wg_log_ctx_t lc = { cid, 0, 1 };

  int mirror = 0;

  if (!sdp_body(sip, &body, &len))
    return 0;
  if (!looks_dc(body, len)) {
    /* digest 7.1 (PROPOSED): an MSRP offer from the IMS side towards a WIC */
    if (!t->from_ims || !looks_msrp(body, len))
      return 0;    /* not a DC offer: proxied untouched */
    mirror = 1;
  }

  c = calloc(1, sizeof *c);
  if (!c) {
    alg_proxy_respond(t, SIP_500_INTERNAL_SERVER_ERROR, "out of memory", 0);
    return 1;
  }
  c->home = su_home_new(sizeof(su_home_t));
  if (!c->home) {
    free(c);
    alg_proxy_respond(t, SIP_500_INTERNAL_SERVER_ERROR, "out of memory", 0);
    return 1;
  }
  c->alg = alg;
  c->serial = ++g_serial;
  c->call_id = su_strdup(c->home, cid);
  rc = sdpdc_parse(c->home, body, len, &c->offer, &e);
  if (mirror) {
    if (rc == 0)
      rc = sdpdc_mirror_plan(c->home, c->offer, NULL, 0, &c->plan, &e);
    if (rc < 0 && rc != -ENOMEM && (e.code == SDPDC_E_NOTHING || e.code == SDPDC_E_CEMA ||
                                    e.code == SDPDC_E_SYNTAX)) {
      su_home_unref(c->home);  /* not an MSRP offer we anchor: untouched */
      free(c);
      return 0;
    }
    c->mirror = 1;
  } else if (rc == 0 && !has_dc_media(c->offer)) {
    su_home_unref(c->home);  /* only disabled DC lines: not ours */
    free(c);
    return 0;
  }
  if (rc == 0 && !c->mirror)
    rc = sdpdc_plan_offer(c->home, c->offer, &c->plan, &e);
  if (rc < 0) {
    wg_log(WG_LOG_NOTICE, "alg", &lc, "INVITE with a data-channel offer refused: %s",
           e.reason);
    alg_proxy_respond(t, rc == -ENOMEM ? 500 : 488, NULL, e.reason, 0);
    su_home_unref(c->home);
    free(c);
    return 1;
  }
  if (c->plan->n_dclines != 1 || c->plan->n_chans < 1 || c->plan->n_chans > MAXCH) {
    wg_log(WG_LOG_NOTICE, "alg", &lc, "offer with %zu DC m-lines / %zu MSRP channels refused",
           c->plan->n_dclines, c->plan->n_chans);
    alg_proxy_respond(t, 488, NULL, c->plan->n_dclines != 1
                      ? "only one data-channel m-line (SCTP association) per call is supported"
                      : "too many MSRP data channels", 0);
    su_home_unref(c->home);
    free(c);
    return 1;
  }
  if (alg->ncalls >= (unsigned)alg->max_calls) {
    wg_log(WG_LOG_WARN, "alg", &lc, "overload: %u calls (alg.max-calls): 503", alg->ncalls);
    alg_proxy_respond(t, 503, NULL, "too many calls", (int)alg->retry_after_s);
    su_home_unref(c->home);
    free(c);
    return 1;
  }
  agw = alg_mgc_pick(alg, &full);
  if (!agw) {
    wg_log(WG_LOG_WARN, "alg", &lc, "no media gateway %s: 503",
           full ? "with room (alg.agw-max-calls)" : "in service");
    alg_proxy_respond(t, 503, NULL, full ? "media gateways full" : "no media gateway available",
                      (int)alg->retry_after_s);
    su_home_unref(c->home);
    free(c);
    return 1;
  }

  c->agw = agw;
  agw->ncalls++;
  c->next = alg->calls;
  if (c->next)
    c->next->prev = &c->next;
  c->prev = &alg->calls;
  alg->calls = c;
  alg->ncalls++;
  atomic_store(&alg->ncalls_atomic, alg->ncalls);
  c->ptx = t;
  t->call = c;
  t->dc = 1;
  c->from = sip_from_dup(c->home, sip->sip_from);
  c->cid = sip_call_id_dup(c->home, sip->sip_call_id);
  c->invite_cseq = c->caller_cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 1;
  if (sip->sip_contact)
    c->caller_contact = url_hdup(c->home, sip->sip_contact->m_url);
  {
    char sid[32];
    snprintf(sid, sizeof sid, "%llu", (unsigned long long)(wg_time_us() / 1000));
    c->sess_id = su_strdup(c->home, sid);
    c->ims_ver = c->wic_ver = 1;
  }
  c->ice = c->mirror || (c->plan->dclines[0].offer && c->plan->dclines[0].offer->ice_ufrag != NULL);
  if (c->mirror)
    call_log(c, WG_LOG_INFO, 1, "INVITE from the IMS side with %zu MSRP line%s towards a WIC "
             "(mirror flow), AGW %s", c->plan->n_chans, c->plan->n_chans > 1 ? "s" : "", agw->name);
  else
    call_log(c, WG_LOG_INFO, 1, "INVITE with a DC offer: stream id %u, DTLS %s, AGW %s",
             c->plan->chans[0].stream_id, c->plan->dclines[0].agw_dtls_client ? "client" : "server",
             agw->name);
  if (send_add_t2(c) < 0) {
    call_release(c, 500, "cannot send H.248 Add", "cannot send Add T2");
  }
  return 1;
}

/* Common checks on an H.248 reply for a call: returns the call or NULL
 * (already handled). */
static alg_call_t *reply_call(void *arg, int status, const h248_trans_t *reply, int step,
                              const char *what)
{
  struct call_ref *ref = arg;
  alg_call_t *c;
  char text[200];
  int code;

  c = call_find_serial(ref->alg, ref->serial);
  free(ref);
  if (!c || status == -ECANCELED)
    return NULL;
  c->waiting = 0;
  if (status < 0) {
    call_log(c, WG_LOG_WARN, step, "%s: the AGW did not answer (alg.h248-timeout)", what);
    snprintf(text, sizeof text, "media gateway did not answer (%s)", what);
    call_release(c, 503, text, text);
    return NULL;
  }
  code = alg_h248_reply_error(reply, text, sizeof text);
  if (code) {
    int ss = sip_status_for_h248(code);
    if (code == 505 && c->agw)
      alg_mgc_not_registered(c->alg, c->agw);
    call_log(c, WG_LOG_WARN, step, "%s answered %s", what, text);
    if (c->releasing && reply->actions && reply->actions->ctx.kind == H248_CTX_ID)
      c->ctx = reply->actions->ctx.id;
    call_release(c, ss, text, text);
    return NULL;
  }
  return c;
}

/* The first reply command and its stream `sid`. */
static const h248_cmd_t *reply_cmd(const h248_trans_t *reply)
{
  return reply && reply->actions ? reply->actions->cmds : NULL;
}

/* An Add T1 reply: the new T1's name into c->t1 and its stream-1 Local into
 * *local. 0, or -EPROTO when either is missing or the SDP is bad. */
static int t1_from_reply(alg_call_t *c, const h248_trans_t *reply, sdpdc_session_t **local)
{
  const h248_cmd_t *cmd = reply_cmd(reply);
  const h248_stream_t *s = cmd ? h248_cmd_stream(cmd, 1) : NULL;
  sdpdc_error_t e;
  if (cmd && cmd->ntid)
    c->t1 = su_strdup(c->home, cmd->tid[0]);
  if (!c->t1 || !s || !s->local ||
      sdpdc_frag_parse(c->home, s->local, strlen(s->local), local, &e) < 0 ||
      (*local)->n_media < 1)
    return -EPROTO;
  return 0;
}

static void add_t2_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = reply_call(arg, status, reply, 4, "Add T2");
  const h248_cmd_t *cmd;
  const h248_stream_t *s;
  sdpdc_error_t e;
  size_t i;
  (void)msg;

  if (!c)
    return;
  i = c->n_t2;
  cmd = reply_cmd(reply);
  if (reply->actions->ctx.kind == H248_CTX_ID && !c->ctx)
    c->ctx = reply->actions->ctx.id;
  if (cmd && cmd->ntid && i < MAXCH) {
    c->t2[i] = su_strdup(c->home, cmd->tid[0]);
    c->n_t2++;
  }
  if (c->releasing) {
    call_log(c, WG_LOG_INFO, 4, "Add T2 answered after the call ended");
    c->releasing = 0;
    call_release(c, 0, NULL, "call ended while reserving");
    return;
  }
  s = cmd ? h248_cmd_stream(cmd, (uint16_t)c->plan->chans[i].h248_stream) : NULL;
  if (!s && cmd && cmd->media)
    s = cmd->media->streams;
  if (!c->ctx || c->n_t2 != i + 1 || !s || !s->local ||
      sdpdc_frag_parse(c->home, s->local, strlen(s->local), &c->t2_local[i], &e) < 0 ||
      c->t2_local[i]->n_media < 1) {
    call_log(c, WG_LOG_WARN, 4, "Add T2 reply without context, termination or Local SDP");
    call_release(c, 500, "bad answer from the media gateway", "bad Add T2 reply");
    return;
  }
  call_log(c, WG_LOG_INFO, 4, "T2 %s reserved: %s port %u", c->t2[i],
           c->t2_local[i]->media[0].address ? c->t2_local[i]->media[0].address : "?",
           c->t2_local[i]->media[0].port);
  if (c->n_t2 < c->plan->n_chans) {   /* the next channel's T2 */
    if (send_add_t2(c) < 0)
      call_release(c, 500, "cannot send H.248 Add", "cannot send Add T2");
    return;
  }
  c->state = CS_T2_RESERVED;
  if (c->mirror) {
    if (mirror_add_t1(c) < 0)
      call_release(c, 500, "cannot create the WIC-side termination", "Add T1 not sent");
    return;
  }
  step5_forward(c);
}

static void step5_forward(alg_call_t *c)
{
  const sdpdc_session_t *t2l[MAXCH];
  sdpdc_origin_t o = { "-", c->sess_id, "1", "-" };
  char *offer = NULL;
  sdpdc_error_t e;
  int rc;

  if (!c->ptx || !c->ptx->req) {
    call_release(c, 0, NULL, "the WIC's transaction is gone");
    return;
  }
  for (size_t i = 0; i < c->n_t2; i++)
    t2l[i] = c->t2_local[i];
  rc = sdpdc_step5_offer(c->home, c->plan, t2l, c->n_t2, &o, &offer, &c->ims_offer_s, &e);
  if (rc < 0) {
    call_log(c, WG_LOG_WARN, 5, "step 5 rewrite failed: %s", e.reason);
    call_release(c, rc == -ENOMEM ? 500 : 488, e.reason, "step 5 failed");
    return;
  }
  call_log(c, WG_LOG_INFO, 5, "offer rewritten to TCP/MSRP (%zu m=message line%s, c=%s, port %u)",
           c->n_t2, c->n_t2 > 1 ? "s" : "", c->t2_local[0]->media[0].address,
           c->t2_local[0]->media[0].port);
  c->ims_sdp = offer;
  if (alg_msg_set_sdp(c->ptx->req, offer) < 0 || alg_proxy_forward(c->ptx) < 0) {
    call_release(c, 503, "cannot forward the INVITE", "forward failed");
    return;
  }
  c->state = CS_IMS_OFFERED;
  call_log(c, WG_LOG_INFO, 6, "INVITE forwarded to the IMS side");
}

/* ---------------------------------------------------------- step 7..15 */

static void modify_t2_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void mirror_answer(alg_call_t *c, msg_t *msg, sip_t const *sip);
static void add_t1_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void process_response(alg_call_t *c, msg_t *msg);
static void drain_queue(alg_call_t *c);

static void record_dialog(alg_call_t *c, sip_t const *sip)
{
  sip_record_route_t const *rr;
  alg_t *alg = c->alg;
  int seen_me = 0;
  sip_route_t *callee = NULL;

  if (sip->sip_to && sip->sip_to->a_tag)
    c->to = sip_to_dup(c->home, sip->sip_to);
  if (sip->sip_contact)
    c->callee_contact = url_hdup(c->home, sip->sip_contact->m_url);
  /* Record-Route: entries above ours lead to the callee (reversed order:
   * the one nearest to us first); entries below ours lead to the caller. */
  c->route_caller = NULL;
  for (rr = sip->sip_record_route; rr; rr = rr->r_next) {
    int me = alg_rr_is_me(alg, rr->r_url);
    if (me) {
      seen_me = 1;
      continue;
    }
    if (!seen_me) {
      sip_route_t *r = sip_route_create(c->home, rr->r_url, NULL);
      if (r) {
        r->r_next = callee;
        callee = r;
      }
    } else {
      sip_route_t *r = sip_route_create(c->home, rr->r_url, NULL), **tail = &c->route_caller;
      while (*tail)
        tail = &(*tail)->r_next;
      *tail = r;
    }
  }
  c->route_callee = callee;
}

static int send_modify_t2_cb(alg_call_t *c, h248_tl_reply_cb cb);
static int send_modify_t2(alg_call_t *c)
{
  return send_modify_t2_cb(c, modify_t2_reply);
}

static int send_modify_t2_cb(alg_call_t *c, h248_tl_reply_cb cb)
{
  h248_msg_t *m = alg_mgc_msg(c->alg);
  h248_trans_t *t;
  h248_action_t *a;
  sdpdc_error_t e;
  int rc = -ENOMEM, n = 0;

  if (!m)
    return -ENOMEM;
  t = h248_add_request(m, 0);
  a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
  if (!a)
    goto out;
  for (size_t i = 0; i < c->n_t2; i++) {
    const sdpdc_chan_t *ch = &c->plan->chans[i];
    const sdpdc_media_t *msrp;
    h248_cmd_t *cmd;
    h248_stream_t *s;
    char *remote = NULL;
    if (ch->msrp_media >= c->ims_answer->n_media) {
      rc = -EPROTO;
      goto out;
    }
    msrp = &c->ims_answer->media[ch->msrp_media];
    if (msrp->port == 0)
      continue;   /* channel refused by the IMS side: its T2 stays inactive */
    if (sdpdc_h248_t2_remote(c->home, msrp, 1, &remote, &e) < 0) {
      rc = -EPROTO;
      goto out;
    }
    cmd = h248_add_cmd(m, a, H248_CMD_MODIFY, c->t2[i]);
    s = cmd ? h248_add_stream(m, cmd, (uint16_t)ch->h248_stream) : NULL;
    if (!s || h248_stream_set_mode(m, s, H248_MODE_SENDRECV) < 0 ||
        h248_stream_set_remote(m, s, remote) < 0)
      goto out;
    call_log(c, WG_LOG_INFO, 8, "Modify T2 %s: remote %s:%u, mode SendReceive", c->t2[i],
             msrp->address ? msrp->address : "?", msrp->port);
    n++;
  }
  if (n == 0) {
    rc = -EPROTO;   /* every channel refused */
    goto out;
  }
  rc = call_send(c, m, cb);
out:
  h248_msg_free(m);
  return rc;
}

/* TerminationState { mgrp/groupse = ["SCTP 2 ..."] } (a quoted list). */
static int add_groupse(h248_msg_t *m, h248_cmd_t *cmd, const char *const *gv)
{
  h248_term_state_t *ts;
  if (!h248_cmd_media(m, cmd) || !h248_cmd_add_ts_prop(m, cmd, H248_IQ_PROP_GROUPSE, gv[0]))
    return -ENOMEM;
  ts = cmd->media->ts;
  ts->props = NULL;  /* replace the single value by the list form */
  if (!h248_prop_add_multi(m, &ts->props, H248_IQ_PROP_GROUPSE, H248_VAL_LIST, gv, 1, 1))
    return -ENOMEM;
  return 0;
}

/* Sends the Add T1 request (step 11, and the mirror flow's T1): Events
 * tlsfail armed on stream 1, Signals tlsest when est_dtls, TerminationState
 * groupse = ["SCTP 2 3 ..."] and stream 1 strdeagg = [2, 3, ...] over every
 * channel, stream 1 Local (and Remote when given), one stream per channel
 * with its sctp/sctpid. Returns alg_mgc_send's status (or -ENOMEM). */
static int send_t1_add(alg_call_t *c, const char *local, const char *remote, int est_dtls,
                       h248_tl_reply_cb cb)
{
  h248_msg_t *m = alg_mgc_msg(c->alg);
  h248_trans_t *t;
  h248_action_t *a;
  h248_cmd_t *cmd;
  h248_stream_t *s1, *s2;
  h248_events_t *ev;
  char grp[16 + 8 * MAXCH], deagg[MAXCH][8], sid[16];
  const char *gv[1] = { grp };
  const char *dv[MAXCH];
  int rc = -ENOMEM;
  size_t nch = c->n_t2;

  if (!m)
    return -ENOMEM;
  snprintf(grp, sizeof grp, "SCTP");
  for (size_t i = 0; i < nch; i++) {
    size_t l = strlen(grp);
    snprintf(grp + l, sizeof grp - l, " %u", c->plan->chans[i].h248_stream);
    snprintf(deagg[i], sizeof deagg[i], "%u", c->plan->chans[i].h248_stream);
    dv[i] = deagg[i];
  }
  t = h248_add_request(m, 0);
  a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
  cmd = a ? h248_add_cmd(m, a, H248_CMD_ADD, "$") : NULL;
  if (!cmd || !(ev = h248_cmd_set_events(m, cmd, 2)) ||
      !h248_events_add(m, ev, H248_IQ_EVT_TLS_FAIL, 1))
    goto out;
  if (est_dtls && !h248_cmd_add_signal(m, cmd, H248_IQ_SIG_TLS_EST, 1))
    goto out;
  if (add_groupse(m, cmd, gv) < 0)
    goto out;
  s1 = h248_add_stream(m, cmd, 1);
  if (!s1 || h248_stream_set_mode(m, s1, H248_MODE_SENDRECV) < 0)
    goto out;
  {
    h248_local_control_t *lc = h248_stream_lc(m, s1);
    if (!lc || !h248_prop_add_multi(m, &lc->props, H248_IQ_PROP_STRDEAGG, H248_VAL_LIST, dv, nch, 0))
      goto out;
  }
  if (h248_stream_set_local(m, s1, local) < 0 ||
      (remote && h248_stream_set_remote(m, s1, remote) < 0))
    goto out;
  for (size_t i = 0; i < nch; i++) {
    snprintf(sid, sizeof sid, "%u", c->plan->chans[i].stream_id);
    s2 = h248_add_stream(m, cmd, (uint16_t)c->plan->chans[i].h248_stream);
    if (!s2 || h248_stream_set_mode(m, s2, H248_MODE_SENDRECV) < 0 ||
        !h248_stream_add_prop(m, s2, H248_IQ_PROP_SCTPID, sid))
      goto out;
  }
  rc = call_send(c, m, cb);
out:
  h248_msg_free(m);
  return rc;
}

static int send_add_t1(alg_call_t *c)
{
  char *local = NULL, *remote = NULL;
  sdpdc_error_t e;
  const sdpdc_dcline_t *dl = &c->plan->dclines[0];
  size_t nch = c->n_t2;
  int fam = dl->offer && dl->offer->family == 6 ? 6 : 4;

  if (sdpdc_h248_t1_local_request(c->home, fam, dl->offer->proto, c->ice, &local, &e) < 0 ||
      sdpdc_h248_t1_remote(c->home, dl->offer, c->ice, &remote, &e) < 0) {
    call_log(c, WG_LOG_WARN, 11, "cannot build T1 SDP: %s", e.reason);
    return -EPROTO;
  }
  int rc = send_t1_add(c, local, remote, dl->agw_dtls_client, add_t1_reply);
  if (rc >= 0)
    call_log(c, WG_LOG_INFO, 11, "Add T1 (WIC side: %s:%u, sctp-port %u, %zu channel%s, sctpid %u%s), "
             "tlsfail armed", dl->offer->address, dl->offer->port, dl->offer->sctp_port, nch,
             nch > 1 ? "s" : "", c->plan->chans[0].stream_id,
             dl->agw_dtls_client ? ", Est_DTLS: AGW is DTLS client" : ", AGW is DTLS server");
  return rc;
}

/* A response with an SDP answer arrived in IMS_OFFERED: steps 7..15. */
static void start_answer(alg_call_t *c, msg_t *msg, sip_t const *sip)
{
  const char *body = "";
  size_t len = 0;
  sdpdc_error_t e;
  int rc;

  sdp_body(sip, &body, &len);
  rc = sdpdc_parse(c->home, body, len, &c->ims_answer, &e);
  if (rc < 0) {
    call_log(c, WG_LOG_WARN, 7, "answer from the IMS side refused: %s", e.reason);
    if (sip->sip_status->st_status >= 200) {
      c->final_down = sip->sip_status->st_status;
      record_dialog(c, sip);
    }
    msg_destroy(msg);
    call_release(c, 488, e.reason, "bad SDP answer from IMS");
    return;
  }
  c->held = msg;
  c->state = CS_IMS_ANSWERED;
  if (sip->sip_to && sip->sip_to->a_tag)
    c->t2_tag = su_strdup(c->home, sip->sip_to->a_tag);
  call_log(c, WG_LOG_INFO, 7, "SDP answer in %u from the IMS side", sip->sip_status->st_status);
  rc = send_modify_t2(c);
  if (rc == -EPROTO)
    call_release(c, 488, "the IMS answer does not fit the offer or refuses every channel",
                 "unusable IMS answer");
  else if (rc < 0)
    call_release(c, 500, "cannot configure the media gateway", "Modify T2 not sent");
}

static void modify_t2_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = reply_call(arg, status, reply, 10, "Modify T2");
  (void)msg;
  if (!c)
    return;
  c->state = CS_T2_CONFIGURED;
  call_log(c, WG_LOG_INFO, 10, "T2 %s%s configured", c->t2[0], c->n_t2 > 1 ? " ..." : "");
  if (send_add_t1(c) < 0)
    call_release(c, 500, "cannot create the WIC-side termination", "Add T1 not sent");
}

static void drain_queue(alg_call_t *c)
{
  while (c->nq && c->state != CS_RELEASED && !c->held) {
    msg_t *m = c->queue[0];
    memmove(c->queue, c->queue + 1, (size_t)(c->nq - 1) * sizeof c->queue[0]);
    c->nq--;
    process_response(c, m);
    if (!call_find_serial(c->alg, c->serial))
      return;
  }
}

static void add_t1_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = reply_call(arg, status, reply, 13, "Add T1");
  sdpdc_error_t e;
  sdpdc_origin_t o;
  const sdpdc_session_t *t1l[1];
  char *answer = NULL;
  msg_t *held;
  int rc, st;
  uint64_t serial;
  (void)msg;

  if (!c)
    return;
  if (t1_from_reply(c, reply, &c->t1_local) < 0) {
    call_log(c, WG_LOG_WARN, 13, "Add T1 reply without termination or Local SDP");
    call_release(c, 500, "bad answer from the media gateway", "bad Add T1 reply");
    return;
  }
  c->state = CS_T1_CREATED;
  call_log(c, WG_LOG_INFO, 13, "T1 %s created: %s port %u", c->t1,
       c->t1_local->media[0].address ? c->t1_local->media[0].address : "?",
       c->t1_local->media[0].port);
  t1l[0] = c->t1_local;
  o.username = "-";
  o.sess_id = c->sess_id;
  o.sess_version = "1";
  o.subject = "-";
  rc = sdpdc_step14_answer(c->home, c->plan, c->ims_answer, t1l, 1, &o, &answer,
                           &c->wic_answer_s, &e);
  if (rc < 0) {
    call_log(c, WG_LOG_WARN, 14, "step 14 rewrite failed: %s", e.reason);
    held = c->held;
    c->held = NULL;
    st = sip_object(held)->sip_status->st_status;
    if (st >= 200) {
      c->final_down = st;
      record_dialog(c, sip_object(held));
    }
    msg_destroy(held);
    call_release(c, rc == -ENOMEM ? 500 : 488, e.reason, "step 14 failed");
    return;
  }
  c->wic_answer = answer;
  call_log(c, WG_LOG_INFO, 14, "answer rewritten to UDP/DTLS/SCTP (c=%s, port %u)",
       c->t1_local->media[0].address, c->t1_local->media[0].port);
  held = c->held;
  c->held = NULL;
  serial = c->serial;
  process_response(c, held);
  if (call_find_serial(c->alg, serial))
    drain_queue(c);
}

/* ---------------------------------------------------------- mirror (digest 7.1) */

static void mirror_add_t1_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void mirror_mod_t1_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);

/* T1 with Local "$" only: the WIC is not known yet; no Est_DTLS (the ALG
 * offers actpass, so the AGW must first accept a ClientHello). */
static int mirror_add_t1(alg_call_t *c)
{
  char *local = NULL;
  sdpdc_error_t e;
  size_t nch = c->n_t2;

  if (sdpdc_h248_t1_local_request(c->home, 4, SDPDC_PROTO_UDP_DTLS_SCTP, 1, &local, &e) < 0)
    return -ENOMEM;
  /* no Remote and no Est_DTLS yet: the WIC's answer decides the role */
  int rc = send_t1_add(c, local, NULL, 0, mirror_add_t1_reply);
  if (rc >= 0)
    call_log(c, WG_LOG_INFO, 11, "Add T1 (mirror: Local only, %zu channel%s, AGW DTLS role "
             "decided by the WIC's answer), tlsfail armed", nch, nch > 1 ? "s" : "");
  return rc;
}

static void mirror_add_t1_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = reply_call(arg, status, reply, 13, "Add T1");
  const sdpdc_session_t *t1l[1];
  sdpdc_origin_t o = { "-", NULL, "1", "-" };
  sdpdc_error_t e;
  char *offer = NULL;
  int rc;
  (void)msg;
  if (!c)
    return;
  if (t1_from_reply(c, reply, &c->t1_local) < 0) {
    call_release(c, 500, "bad answer from the media gateway", "bad Add T1 reply");
    return;
  }
  c->state = CS_T1_CREATED;
  t1l[0] = c->t1_local;
  o.sess_id = c->sess_id;
  rc = sdpdc_mirror_offer(c->home, c->plan, t1l, 1, &o, &offer, NULL, &e);
  if (rc < 0 || !c->ptx || !c->ptx->req) {
    call_release(c, rc == -ENOMEM ? 500 : 488, rc < 0 ? e.reason : NULL, "mirror offer failed");
    return;
  }
  c->dc_offer = offer;
  if (alg_msg_set_sdp(c->ptx->req, offer) < 0 || alg_proxy_forward(c->ptx) < 0) {
    call_release(c, 503, "cannot forward the INVITE", "forward failed");
    return;
  }
  c->state = CS_IMS_OFFERED;
  call_log(c, WG_LOG_INFO, -1, "DC offer (mirror) forwarded to the WIC: %s port %u",
           c->t1_local->media[0].address, c->t1_local->media[0].port);
}

/* The WIC's DC answer: build the IMS answer, then Modify T1 with the WIC's
 * DTLS/SCTP/ICE data (and Est_DTLS when the WIC answered passive). */
static void mirror_answer(alg_call_t *c, msg_t *msg, sip_t const *sip)
{
  const char *body = "";
  size_t len = 0;
  sdpdc_error_t e;
  sdpdc_origin_t o = { "-", NULL, "1", "-" };
  const sdpdc_session_t *t2l[MAXCH];
  const sdpdc_media_t *dc;
  char *answer = NULL, *remote = NULL;
  int rc, agw_client = 0;
  h248_msg_t *m;
  h248_trans_t *t;
  h248_action_t *a;
  h248_cmd_t *cmd;
  h248_stream_t *s1;

  sdp_body(sip, &body, &len);
  for (size_t i = 0; i < c->n_t2; i++)
    t2l[i] = c->t2_local[i];
  o.sess_id = c->sess_id;
  rc = sdpdc_parse(c->home, body, len, &c->ims_answer, &e);
  if (rc == 0)
    rc = sdpdc_mirror_answer(c->home, c->plan, c->ims_answer, t2l, c->n_t2, &o, &agw_client,
                             &answer, NULL, &e);
  dc = rc == 0 ? sdpdc_media_nth(c->ims_answer, SDPDC_KIND_DC, 0) : NULL;
  if (rc == 0 && (!dc || sdpdc_h248_t1_remote(c->home, dc, 1, &remote, &e) < 0))
    rc = -EPROTO;
  if (rc < 0) {
    call_log(c, WG_LOG_WARN, -1, "the WIC's answer refused: %s", e.reason);
    if (sip->sip_status->st_status >= 200)
      record_dialog(c, sip);
    msg_destroy(msg);
    call_release(c, 488, e.reason, "bad DC answer from the WIC");
    return;
  }
  c->wic_answer = answer;
  c->agw_client = agw_client;
  c->held = msg;
  c->state = CS_IMS_ANSWERED;
  m = alg_mgc_msg(c->alg);
  t = m ? h248_add_request(m, 0) : NULL;
  a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
  cmd = a ? h248_add_cmd(m, a, H248_CMD_MODIFY, c->t1) : NULL;
  s1 = cmd ? h248_add_stream(m, cmd, 1) : NULL;
  if (s1 && h248_stream_set_remote(m, s1, remote) == 0 &&
      (!agw_client || h248_cmd_add_signal(m, cmd, H248_IQ_SIG_TLS_EST, 1)) &&
      call_send(c, m, mirror_mod_t1_reply) == 0) {
    call_log(c, WG_LOG_INFO, -1, "Modify T1 %s: the WIC's DTLS/SCTP/ICE data%s", c->t1,
             agw_client ? ", Est_DTLS (the WIC answered passive)" : "");
    h248_msg_free(m);
    return;
  }
  h248_msg_free(m);
  call_release(c, 500, "cannot configure the media gateway", "Modify T1 not sent");
}

static void mirror_mod_t1_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = reply_call(arg, status, reply, -1, "Modify T1");
  msg_t *held;
  uint64_t serial;
  (void)msg;
  if (!c)
    return;
  c->state = CS_T1_CREATED;
  held = c->held;
  c->held = NULL;
  serial = c->serial;
  process_response(c, held);
  if (call_find_serial(c->alg, serial))
    drain_queue(c);
}

/* ---------------------------------------------------------- forked early dialogs */

static struct alg_fork *fork_find(alg_call_t *c, const char *tag)
{
  for (int i = 0; i < c->nforks; i++)
    if (!strcmp(c->forks[i].tag, tag))
      return &c->forks[i];
  return NULL;
}

static void fork_modify_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = reply_call(arg, status, reply, 10, "Modify T2 (confirmed dialog)");
  msg_t *held;
  uint64_t serial;
  (void)msg;
  if (!c)
    return;
  call_log(c, WG_LOG_INFO, 10, "T2 now follows the confirmed dialog (tag %s)", c->t2_tag);
  held = c->held;
  c->held = NULL;
  serial = c->serial;
  process_response(c, held);
  if (call_find_serial(c->alg, serial))
    drain_queue(c);
}

/* A response of an early dialog other than the one the AGW follows. An
 * answer gets its own step-14 rewrite (same T1: the WIC's association does
 * not depend on the dialog); the 2xx of such a dialog re-points T2 at its
 * answer (Modify T2), and the others are dropped. Returns 1 when it took
 * msg. */
static int fork_response(alg_call_t *c, msg_t *msg, sip_t const *sip, const char *body,
                         size_t len)
{
  int status = sip->sip_status->st_status;
  const char *tag = sip->sip_to->a_tag;
  struct alg_fork *f = fork_find(c, tag);
  sdpdc_error_t e;
  if (status >= 200 && c->answered_up) {
    /* a 2xx of another dialog (the IMS side forked) after the call was
     * answered. A plain proxy relays it (RFC 3261 16.7) and the UAC ACKs and
     * BYEs it (13.2.2.4); here its SDP cannot be anchored (the AGW follows
     * the answered dialog; the WIC has one association) and a BYE of the
     * WIC for it could not be told from the call's own. So the ALG, which
     * owns the media, ends that dialog itself: ACK (again for each
     * retransmission) and one BYE; the WIC sees nothing. */
    int again = f && f->killed;
    if (!f && c->nforks < MAXQ) {
      f = &c->forks[c->nforks++];
      memset(f, 0, sizeof *f);
      f->tag = su_strdup(c->home, tag);
    }
    if (f)
      f->killed = 1;
    call_log(c, WG_LOG_NOTICE, -1, "2xx of a second dialog (%s) after the call was answered: "
             "%s", tag, again ? "retransmission, ACK again" : "not relayed, ACK + BYE to it");
    if (c->ptx)
      alg_proxy_kill_2xx(c->ptx, sip, !again);
    msg_destroy(msg);
    return 1;
  }
  if (!f && body) {
    sdpdc_session_t *ans = NULL, *out_s = NULL;
    char *answer = NULL;
    const sdpdc_session_t *t1l[1] = { c->t1_local };
    sdpdc_origin_t o = { "-", c->sess_id, "1", "-" };
    if (c->nforks >= MAXQ || sdpdc_parse(c->home, body, len, &ans, &e) < 0 ||
        sdpdc_step14_answer(c->home, c->plan, ans, t1l, 1, &o, &answer, &out_s, &e) < 0) {
      call_log(c, WG_LOG_WARN, 14, "early dialog %s: answer refused: %s", tag,
               c->nforks >= MAXQ ? "too many early dialogs" : e.reason);
      if (status >= 200) {
        msg_destroy(msg);
        call_release(c, 488, "unusable SDP answer from the IMS side", "forked 2xx unusable");
      } else {
        msg_destroy(msg); /* this early dialog's answer cannot be anchored: not relayed */
      }
      return 1;
    }
    f = &c->forks[c->nforks++];
    f->tag = su_strdup(c->home, tag);
    f->ims_answer = ans;
    f->wic_answer = answer;
    f->wic_answer_s = out_s;
    call_log(c, WG_LOG_INFO, 14, "early dialog %s (forked): its own answer to the WIC", tag);
  }
  if (!f)
    return 0; /* a 2xx without SDP from a dialog never seen with one: relayed as is */
  if (status < 200) {
    if (body && alg_msg_set_sdp(msg, f->wic_answer) < 0) {
      msg_destroy(msg);
      return 1;
    }
    call_log(c, WG_LOG_INFO, 15, "%d of early dialog %s with its DC answer", status, tag);
    if (c->ptx)
      alg_proxy_relay(c->ptx, msg);
    else
      msg_destroy(msg);
    return 1;
  }
  /* the 2xx confirms this dialog: T2 follows its answer */
  call_log(c, WG_LOG_INFO, 7, "2xx confirms early dialog %s: the AGW's T2 (configured for %s) "
           "follows it, the other early dialogs are dropped", tag, c->t2_tag);
  c->ims_answer = f->ims_answer;
  c->wic_answer = f->wic_answer;
  c->wic_answer_s = f->wic_answer_s;
  c->t2_tag = f->tag;
  c->held = msg;
  if (send_modify_t2_cb(c, fork_modify_reply) < 0) {
    c->held = NULL;
    msg_destroy(msg);
    call_release(c, 500, "cannot configure the media gateway", "Modify T2 (fork) not sent");
  }
  return 1;
}

/* One downstream response of the call's INVITE, in order. */
static void process_response(alg_call_t *c, msg_t *msg)
{
  sip_t *sip = sip_object(msg);
  int status = sip->sip_status->st_status;
  const char *body = NULL;
  size_t len = 0;
  int has_sdp = sdp_body(sip, &body, &len);
  alg_ptx_t *t = c->ptx;

  if (c->held || c->waiting) {
    if (c->nq < MAXQ)
      c->queue[c->nq++] = msg;
    else
      msg_destroy(msg);
    return;
  }
  if (status >= 300) {
    c->final_down = status;
    call_log(c, WG_LOG_INFO, -1, "%d from the IMS side", status);
    if (t)
      alg_proxy_relay(t, msg);
    else
      msg_destroy(msg);
    call_release(c, 0, NULL, "final error response");
    return;
  }
  if (status >= 200) {
    c->final_down = status;
    record_dialog(c, sip);
  } else if (sip->sip_to && sip->sip_to->a_tag && !c->to) {
    c->to = sip_to_dup(c->home, sip->sip_to);
  }
  if (has_sdp && c->state == CS_IMS_OFFERED) {
    if (c->mirror)
      mirror_answer(c, msg, sip);
    else
      start_answer(c, msg, sip);
    return;
  }
  if (c->wic_answer && !c->mirror && sip->sip_to && sip->sip_to->a_tag && c->t2_tag &&
      strcmp(sip->sip_to->a_tag, c->t2_tag) != 0 && (has_sdp || status >= 200)) {
    /* another early dialog (the IMS side forked) */
    if (fork_response(c, msg, sip, has_sdp ? body : NULL, len))
      return;
  }
  if (status >= 200 && c->state == CS_IMS_OFFERED) {
    /* 2xx without an answer and none before: the answer is missing */
    msg_destroy(msg);
    call_release(c, 488, "no SDP answer from the IMS side", "2xx without SDP");
    return;
  }
  if (has_sdp && c->wic_answer) {
    if (alg_msg_set_sdp(msg, c->wic_answer) < 0) {
      msg_destroy(msg);
      call_release(c, 500, "out of memory", "cannot rewrite");
      return;
    }
  }
  if (status >= 200) {
    c->answered_up = 1;
    c->state = CS_WIC_ANSWERED;
    call_log(c, WG_LOG_INFO, 15, "%d with the DC answer to the WIC", status);
    se_arm(c, sip);
  } else if (has_sdp) {
    c->early_answered = 1;
    call_log(c, WG_LOG_INFO, 15, "%d with the DC answer to the WIC (early)", status);
  }
  if (t)
    alg_proxy_relay(t, msg);
  else
    msg_destroy(msg);
}

static void re_response(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip);
static void re_fail(alg_call_t *c, int status, const char *warning);

void alg_call_response(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip)
{
  if (c->state == CS_RELEASED) {
    msg_destroy(msg);
    return;
  }
  if (t && t == c->re_ptx) {
    re_response(c, t, msg, sip);
    return;
  }
  if (t && t == c->re_done) {
    msg_destroy(msg); /* a retransmitted 2xx of a finished re-offer */
    return;
  }
  process_response(c, msg);
}

void alg_call_down_timeout(alg_call_t *c, alg_ptx_t *t, int status)
{
  if (t && t == c->re_ptx) {
    re_fail(c, status, "no answer from the IMS side to the re-offer");
    return;
  }
  if (t && t == c->re_done)
    return;
  call_release(c, status, "no answer from the IMS side", "INVITE timed out");
}

void alg_call_cancelled(alg_call_t *c, alg_ptx_t *t)
{
  if (t == c->re_done)
    return;
  if (t == c->re_ptx) {
    if (!t->irq) {
      c->re_ptx = NULL;
      t->call = NULL;
    } else if (t->orq) {
      alg_proxy_cancel_down(t); /* the IMS side's 487 ends the re-offer */
    }
    return;
  }
  if (!t->irq) {
    /* the server transaction ended */
    c->ptx = NULL;
    t->call = NULL;
    if (!c->answered_up && c->state != CS_RELEASED)
      call_release(c, 0, NULL, "WIC transaction ended");
    return;
  }
  call_log(c, WG_LOG_INFO, -1, "CANCEL from the WIC");
  if (c->final_down >= 200 && c->final_down < 300) {
    /* the IMS already answered but we did not relay yet: end both sides */
    alg_proxy_respond(t, SIP_487_REQUEST_CANCELLED, NULL, 0);
    call_release(c, 487, NULL, "CANCEL after the IMS answered");
    return;
  }
  if (t->orq && c->final_down == 0) {
    alg_proxy_cancel_down(t);  /* the 487 from downstream ends the call */
    /* if we are still in the middle of H.248, answer now */
    if (c->waiting || c->held) {
      alg_proxy_respond(t, SIP_487_REQUEST_CANCELLED, NULL, 0);
      call_release(c, 0, NULL, "CANCEL");
    }
    return;
  }
  alg_proxy_respond(t, SIP_487_REQUEST_CANCELLED, NULL, 0);
  call_release(c, 0, NULL, "CANCEL before forwarding");
}

void alg_call_ptx_gone(alg_call_t *c, alg_ptx_t *t)
{
  if (t && t == c->re_ptx) {
    c->re_ptx = NULL;
    return;
  }
  if (t && t == c->re_done) {
    c->re_done = NULL;
    return;
  }
  if (t && t != c->ptx)
    return;
  c->ptx = NULL;
  if (!c->answered_up && c->state != CS_RELEASED)
    call_release(c, 0, NULL, "INVITE transaction gone");
}

/* ---------------------------------------------------------- re-offers (digest 7.4) */

/* A re-INVITE/UPDATE with SDP from the WIC in a WIC-originated call:
 *   parse + sdpdc_reoffer_diff (refused -> 488 + Warning, nothing changed)
 *   -> Add T2 for every added channel -> IMS re-offer (sdpdc_reoffer_ims)
 *   -> IMS 2xx -> one transaction: Subtract the removed channels' T2s,
 *      delete their T1 streams (data channel reset), Modify the added T2s
 *      (Remote, SendReceive) and add their T1 streams (sctpid), the kept
 *      channels' T2 Mode on a direction change (hold/resume)
 *   -> DTLS restart: Subtract the old T1, Add a new one
 *   -> re-answer (sdpdc_reanswer_wic) in the 2xx to the WIC.
 * A session refresh (diff unchanged) touches no AGW: the IMS re-offer and the
 * answer are rebuilt from the stored state with the same o= versions.
 * A failure before the IMS 2xx keeps the old session (the added T2s are
 * subtracted, the WIC gets the error); an IMS answer that cannot be used
 * after it ends the call (the IMS side already took the new session). */

static void re_add_t2_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void re_modify_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void re_t1_sub_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void re_t1_add_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);
static void re_forward(alg_call_t *c);
static void re_answered(alg_call_t *c);
static void re_after_modify(alg_call_t *c);

/* The T2 Mode for a channel direction as the WIC sees it (its offer's, or
 * in a re-offer from the IMS side the reverse of the IMS side's). */
static int re_h248_mode(sdpdc_dir_t d)
{
  switch (d) {
  case SDPDC_DIR_SENDONLY: return H248_MODE_SENDONLY;   /* the WIC sends: T2 sends to IMS */
  case SDPDC_DIR_RECVONLY: return H248_MODE_RECVONLY;
  case SDPDC_DIR_INACTIVE: return H248_MODE_INACTIVE;   /* hold: the AGW holds the traffic */
  default: return H248_MODE_SENDRECV;
  }
}

/* A channel's direction from the WIC's side: in a re-offer from the IMS
 * side (re_mirror) the diff holds the IMS side's direction (its sendonly is
 * the WIC's recvonly: T2 only receives). */
static sdpdc_dir_t re_wic_dir(const alg_call_t *c, sdpdc_dir_t d)
{
  if (!c->re_mirror)
    return d;
  return d == SDPDC_DIR_SENDONLY ? SDPDC_DIR_RECVONLY
         : d == SDPDC_DIR_RECVONLY ? SDPDC_DIR_SENDONLY : d;
}

static const sdpdc_line_diff_t *re_line(const alg_call_t *c)
{
  return c->re_diff && c->re_diff->n_lines ? &c->re_diff->lines[0] : NULL;
}

/* The diff entry of re_plan channel j (NULL when none). */
static const sdpdc_chan_diff_t *re_chan_of(const alg_call_t *c, size_t j)
{
  const sdpdc_line_diff_t *l = re_line(c);
  for (size_t k = 0; l && k < l->n_chans; k++)
    if (l->chans[k].new_chan == j)
      return &l->chans[k];
  return NULL;
}

/* Subtract the given T2s (fire and forget). */
static void re_subtract_added(alg_call_t *c)
{
  h248_msg_t *m;
  h248_trans_t *t;
  h248_action_t *a;
  int n = 0;
  if (!c->ctx || !c->agw || !c->agw->alive || !c->re_plan)
    return;
  m = alg_mgc_msg(c->alg);
  t = m ? h248_add_request(m, 0) : NULL;
  a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
  for (size_t j = 0; a && j < c->re_plan->n_chans && j < MAXCH; j++)
    if (c->re_t2[j] && h248_add_cmd(m, a, H248_CMD_SUBTRACT, c->re_t2[j]))
      n++;
  if (n) {
    struct sub_arg *sa = calloc(1, sizeof *sa);
    if (sa) {
      sa->alg = c->alg;
      snprintf(sa->call_id, sizeof sa->call_id, "%s", c->call_id);
      sa->ctx = c->ctx;
      call_log(c, WG_LOG_INFO, -1, "re-offer failed: Subtract the %d T2%s added for it", n,
               n > 1 ? "s" : "");
      if (alg_mgc_send(c->alg, c->agw, m, subtract_reply, sa, NULL) < 0)
        free(sa);
    }
  }
  h248_msg_free(m);
}

/* Forget the re-offer in progress (the old session stays). */
/* The re-offer's fields back to none (its transaction is left alone). */
static void re_reset(alg_call_t *c)
{
  if (c->re_held)
    msg_destroy(c->re_held), c->re_held = NULL;
  c->re_ptx = NULL;
  c->re_state = RE_NONE;
  c->re_offer = NULL;
  c->re_diff = NULL;
  c->re_plan = NULL;
  c->re_ims_offer = c->re_ims_answer = c->re_t1_local = NULL;
  c->re_prev_ims = NULL;
  c->re_ims_text = NULL;
  c->re_from_ims = 0;
  c->rf_expect = NULL;
  c->rf_reply = NULL;
  c->re_mirror = 0;
  memset(c->re_t2, 0, sizeof c->re_t2);
  memset(c->re_t2_local, 0, sizeof c->re_t2_local);
  c->re_next = 0;
}

static void re_clear(alg_call_t *c)
{
  if (c->re_ptx)
    alg_ptx_release(c->re_ptx);
  re_reset(c);
}

/* The re-offer is done: its 2xx (held, SDP rewritten) goes to the offerer;
 * the transaction stays bound as re_done so that a retransmitted 2xx is
 * absorbed, and the session timer restarts from the 2xx. */
static void re_finish(alg_call_t *c, msg_t *held)
{
  alg_ptx_t *t = c->re_ptx;
  se_arm(c, sip_object(held));
  if (c->re_held == held)
    c->re_held = NULL;
  re_reset(c);
  if (!t) {
    msg_destroy(held);
    return;
  }
  if (c->re_done)
    alg_ptx_release(c->re_done);
  c->re_done = t;
  alg_proxy_relay(t, held);
}

/* A new request transaction in the call's context: its action, or NULL. */
static h248_action_t *re_ctx_request(alg_call_t *c, h248_msg_t **mp)
{
  h248_msg_t *m = alg_mgc_msg(c->alg);
  h248_trans_t *t = m ? h248_add_request(m, 0) : NULL;
  h248_action_t *a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
  *mp = m;
  return a;
}

/* The re-offer failed before the IMS side took it: the old session stays,
 * the WIC gets status + Warning (RFC 3261 14.2: nothing changed). */
static void re_fail(alg_call_t *c, int status, const char *warning)
{
  call_log(c, WG_LOG_NOTICE, -1, "re-offer refused (%d %s): the session stays as it was", status,
           warning ? warning : "");
  re_subtract_added(c);
  if (c->re_ptx && c->re_ptx->status_sent < 200)
    alg_proxy_respond(c->re_ptx, status, NULL, warning, status == 500 ? 2 : 0);
  re_clear(c);
}

/* Checks on an H.248 reply of the re-offer: the call or NULL (handled). */
static alg_call_t *re_reply_call(void *arg, int status, const h248_trans_t *reply,
                                 const char *what)
{
  struct call_ref *ref = arg;
  alg_call_t *c = call_find_serial(ref->alg, ref->serial);
  char text[200];
  free(ref);
  if (!c || status == -ECANCELED)
    return NULL;
  c->waiting = 0;
  if (c->state == CS_RELEASED)
    return NULL;
  if (status < 0 || (reply && alg_h248_reply_error(reply, text, sizeof text))) {
    if (status < 0)
      snprintf(text, sizeof text, "media gateway did not answer (%s)", what);
    call_log(c, WG_LOG_WARN, -1, "re-offer: %s: %s", what, text);
    if (c->re_state < RE_MODIFY) {
      re_fail(c, status < 0 ? 503 : 500, text);
    } else {
      /* the IMS side already has the new session: end the call */
      call_release(c, 500, text, "re-offer: the media gateway failed after the IMS answer");
    }
    return NULL;
  }
  return c;
}

static int re_send_add_t2(alg_call_t *c)
{
  h248_msg_t *m;
  h248_trans_t *t;
  h248_action_t *a;
  h248_cmd_t *cmd;
  h248_stream_t *st;
  char *local = NULL;
  sdpdc_error_t e;
  int rc = -ENOMEM;
  /* the next added channel */
  while (c->re_next < c->re_plan->n_chans) {
    const sdpdc_chan_diff_t *d = re_chan_of(c, c->re_next);
    if (d && d->change == SDPDC_CHAN_ADDED)
      break;
    c->re_next++;
  }
  if (c->re_next >= c->re_plan->n_chans)
    return 1; /* none left */
  m = alg_mgc_msg(c->alg);
  if (!m)
    return -ENOMEM;
  if (sdpdc_h248_t2_local_request(c->home, c->agw->addr.ss_family == AF_INET6 ? 6 : 4, &local,
                                  &e) < 0)
    goto out;
  t = h248_add_request(m, 0);
  a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
  cmd = a ? h248_add_cmd(m, a, H248_CMD_ADD, "$") : NULL;
  st = cmd ? h248_add_stream(m, cmd, (uint16_t)c->re_plan->chans[c->re_next].h248_stream) : NULL;
  if (!st || h248_stream_set_mode(m, st, H248_MODE_INACTIVE) < 0 ||
      h248_stream_set_local(m, st, local) < 0)
    goto out;
  rc = call_send(c, m, re_add_t2_reply);
  if (rc >= 0)
    call_log(c, WG_LOG_INFO, 2, "re-offer: Add T2 for the added channel %u (stream %u)",
             c->re_plan->chans[c->re_next].stream_id, c->re_plan->chans[c->re_next].h248_stream);
out:
  h248_msg_free(m);
  return rc;
}

static void re_add_t2_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = re_reply_call(arg, status, reply, "Add T2");
  const h248_cmd_t *cmd;
  const h248_stream_t *st;
  sdpdc_error_t e;
  size_t j;
  (void)msg;
  if (!c)
    return;
  j = c->re_next;
  cmd = reply_cmd(reply);
  if (cmd && cmd->ntid)
    c->re_t2[j] = su_strdup(c->home, cmd->tid[0]);
  st = cmd ? h248_cmd_stream(cmd, (uint16_t)c->re_plan->chans[j].h248_stream) : NULL;
  if (!st && cmd && cmd->media)
    st = cmd->media->streams;
  if (!c->re_t2[j] || !st || !st->local ||
      sdpdc_frag_parse(c->home, st->local, strlen(st->local), &c->re_t2_local[j], &e) < 0 ||
      c->re_t2_local[j]->n_media < 1) {
    re_fail(c, 500, "bad Add T2 reply from the media gateway");
    return;
  }
  call_log(c, WG_LOG_INFO, 4, "re-offer: T2 %s reserved for channel %u", c->re_t2[j],
           c->re_plan->chans[j].stream_id);
  c->re_next++;
  int rc = re_send_add_t2(c);
  if (rc == 1)
    re_forward(c);
  else if (rc < 0)
    re_fail(c, 500, "cannot send H.248 Add");
}

/* The IMS re-offer goes out. */
static void re_forward(alg_call_t *c)
{
  const sdpdc_session_t *t2l[MAXCH];
  sdpdc_error_t e;
  char *offer = NULL, ver[16];
  int rc;
  snprintf(ver, sizeof ver, "%u", c->re_diff->unchanged ? c->ims_ver : c->ims_ver + 1);
  sdpdc_origin_t o = { "-", c->sess_id, ver, "-" };
  for (size_t j = 0; j < c->re_plan->n_chans; j++)
    t2l[j] = c->re_t2_local[j]; /* NULL for kept channels: their previous line */
  rc = sdpdc_reoffer_ims(c->home, c->re_plan, c->re_prev_ims, t2l, c->re_plan->n_chans, &o,
                         &offer, &c->re_ims_offer, &e);
  if (rc < 0) {
    re_fail(c, rc == -ENOMEM ? 500 : 488, e.reason);
    return;
  }
  if (!c->re_ptx || !c->re_ptx->req || alg_msg_set_sdp(c->re_ptx->req, offer) < 0 ||
      alg_proxy_forward(c->re_ptx) < 0) {
    re_fail(c, 503, "cannot forward the re-offer");
    return;
  }
  c->re_state = RE_OFFERED;
  c->re_ims_text = offer;
  call_log(c, WG_LOG_INFO, 6, "re-offer forwarded to the IMS side (%s)",
           c->re_diff->unchanged ? "session refresh: no change" : "changed");
}

/* Adds "Stream = n { LocalControl { Mode = m } }" (mode >= 0) to a command. */
static h248_stream_t *re_stream(h248_msg_t *m, h248_cmd_t *cmd, unsigned n, int mode)
{
  h248_stream_t *st = h248_add_stream(m, cmd, (uint16_t)n);
  if (st && mode >= 0 && h248_stream_set_mode(m, st, (h248_mode_t)mode) < 0)
    return NULL;
  return st;
}

/* A removed channel: Subtract its T2 (TCP closed) and delete its T1 stream
 * (Local { }, Remote { }: the AGW resets the SCTP stream). Its T2's bearer
 * Notify is expected from now on. 0 or -ENOMEM. */
static int re_cmd_remove(alg_call_t *c, h248_msg_t *m, h248_action_t *a,
                         const sdpdc_chan_diff_t *d, const char *who)
{
  unsigned hs = c->plan->chans[d->prev_chan].h248_stream;
  h248_cmd_t *x = h248_add_cmd(m, a, H248_CMD_SUBTRACT, c->t2[d->prev_chan]);
  h248_cmd_t *y = c->t1 ? h248_add_cmd(m, a, H248_CMD_MODIFY, c->t1) : NULL;
  h248_stream_t *st = y ? re_stream(m, y, hs, -1) : NULL;
  if (!x || !st || h248_stream_set_local(m, st, "") < 0 || h248_stream_set_remote(m, st, "") < 0)
    return -ENOMEM;
  if (c->n_dropping < MAXCH)
    c->re_dropping[c->n_dropping++] = c->t2[d->prev_chan];
  call_log(c, WG_LOG_INFO, -1, "%s: channel %u removed: Subtract %s, T1 stream %u deleted", who,
           d->stream_id, c->t2[d->prev_chan], hs);
  return 0;
}

/* An added channel's T1 stream: Modify T1 { Stream = n { SendReceive, sctpid } }. */
static int re_cmd_t1_stream(alg_call_t *c, h248_msg_t *m, h248_action_t *a, const sdpdc_chan_t *ch)
{
  char sid[16];
  snprintf(sid, sizeof sid, "%u", ch->stream_id);
  h248_cmd_t *y = c->t1 ? h248_add_cmd(m, a, H248_CMD_MODIFY, c->t1) : NULL;
  h248_stream_t *s1 = y ? re_stream(m, y, ch->h248_stream, H248_MODE_SENDRECV) : NULL;
  return s1 && h248_stream_add_prop(m, s1, H248_IQ_PROP_SCTPID, sid) ? 0 : -ENOMEM;
}

/* A kept channel whose direction changed: its T2's Mode (hold/resume). */
static int re_cmd_mode(alg_call_t *c, h248_msg_t *m, h248_action_t *a, const sdpdc_chan_diff_t *d)
{
  unsigned hs = c->plan->chans[d->prev_chan].h248_stream;
  h248_cmd_t *x = h248_add_cmd(m, a, H248_CMD_MODIFY, c->t2[d->prev_chan]);
  int mode = re_h248_mode(re_wic_dir(c, d->dir));
  if (!x || !re_stream(m, x, hs, mode))
    return -ENOMEM;
  call_log(c, WG_LOG_INFO, 8, "re-offer: channel %u %s -> %s: Modify %s Mode %s", d->stream_id,
           sdpdc_dir_name(d->prev_dir), sdpdc_dir_name(d->dir), c->t2[d->prev_chan],
           h248_mode_name((h248_mode_t)mode));
  return 0;
}

/* The IMS answered the re-offer with 2xx: build the H.248 changes. */
static void re_ims_answered(alg_call_t *c, msg_t *msg, sip_t const *sip)
{
  const char *body = "";
  size_t len = 0;
  sdpdc_error_t e;
  h248_msg_t *m = NULL;
  h248_action_t *a = NULL;
  int n = 0, rc;
  const sdpdc_line_diff_t *l = re_line(c);

  c->re_held = msg;
  if (!sdp_body(sip, &body, &len) ||
      sdpdc_parse(c->home, body, len, &c->re_ims_answer, &e) < 0) {
    call_release(c, 488, "no usable SDP answer from the IMS side to the re-offer",
                 "re-offer: bad IMS answer");
    return;
  }
  c->re_state = RE_MODIFY;
  if (c->re_diff->unchanged) {
    re_answered(c);
    return;
  }
  if (!(a = re_ctx_request(c, &m)))
    goto fail;
  for (size_t k = 0; l && k < l->n_chans; k++) {
    const sdpdc_chan_diff_t *d = &l->chans[k];
    if (d->change == SDPDC_CHAN_REMOVED && d->prev_chan < c->n_t2) {
      if (re_cmd_remove(c, m, a, d, "re-offer") < 0)
        goto fail;
      n++;
    } else if (d->change == SDPDC_CHAN_ADDED && d->new_chan < c->re_plan->n_chans) {
      size_t j = d->new_chan;
      const sdpdc_chan_t *ch = &c->re_plan->chans[j];
      const sdpdc_media_t *msrp;
      char *remote = NULL;
      if (ch->msrp_media >= c->re_ims_answer->n_media || !c->re_t2[j])
        goto fail_answer;
      msrp = &c->re_ims_answer->media[ch->msrp_media];
      if (msrp->port == 0)
        continue; /* refused by IMS: the re-answer drops it; its T2 goes at commit */
      if (sdpdc_h248_t2_remote(c->home, msrp, 1, &remote, &e) < 0)
        goto fail_answer;
      h248_cmd_t *x = h248_add_cmd(m, a, H248_CMD_MODIFY, c->re_t2[j]);
      h248_stream_t *st = x ? re_stream(m, x, ch->h248_stream, re_h248_mode(d->dir)) : NULL;
      if (!st || h248_stream_set_remote(m, st, remote) < 0)
        goto fail;
      if (re_cmd_t1_stream(c, m, a, ch) < 0)
        goto fail;
      call_log(c, WG_LOG_INFO, 8, "re-offer: channel %u added: Modify %s (remote %s:%u), "
               "T1 stream %u sctpid %u", ch->stream_id, c->re_t2[j],
               msrp->address ? msrp->address : "?", msrp->port, ch->h248_stream, ch->stream_id);
      n++;
    } else if ((d->change == SDPDC_CHAN_KEEP || d->change == SDPDC_CHAN_CHANGED) &&
               d->prev_dir != d->dir && d->prev_chan < c->n_t2) {
      if (re_cmd_mode(c, m, a, d) < 0)
        goto fail;
      n++;
    }
  }
  if (n == 0) {
    h248_msg_free(m);
    re_after_modify(c); /* no channel change: maybe a DTLS restart */
    return;
  }
  rc = call_send(c, m, re_modify_reply);
  h248_msg_free(m);
  if (rc < 0)
    call_release(c, 500, "cannot configure the media gateway", "re-offer: Modify not sent");
  return;
fail_answer:
  h248_msg_free(m);
  call_release(c, 488, "the IMS answer does not fit the re-offer", "re-offer: unusable answer");
  return;
fail:
  h248_msg_free(m);
  call_release(c, 500, "out of memory", "re-offer: H.248 not built");
}

static void re_modify_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = re_reply_call(arg, status, reply, "Modify");
  (void)msg;
  if (c)
    re_after_modify(c);
}

/* After the channel changes: a DTLS restart replaces T1, else answer. */
static void re_after_modify(alg_call_t *c)
{
  const sdpdc_line_diff_t *l = re_line(c);
  if (l && l->change == SDPDC_LINE_RESTART && c->t1) {
    h248_msg_t *m = alg_mgc_msg(c->alg);
    h248_trans_t *t = m ? h248_add_request(m, 0) : NULL;
    h248_action_t *a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
    int rc = -ENOMEM;
    if (a && h248_add_cmd(m, a, H248_CMD_SUBTRACT, c->t1))
      rc = call_send(c, m, re_t1_sub_reply);
    h248_msg_free(m);
    if (rc < 0) {
      call_release(c, 500, "cannot restart the DTLS association", "re-offer: Subtract T1");
      return;
    }
    c->re_state = RE_T1_SUB;
    call_log(c, WG_LOG_INFO, 11, "re-offer: DTLS restart (reason bits 0x%x): Subtract T1 %s, "
             "then a new T1", l->restart, c->t1);
    return;
  }
  re_answered(c);
}

static void re_t1_sub_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = re_reply_call(arg, status, reply, "Subtract T1");
  char *local = NULL, *remote = NULL;
  sdpdc_error_t e;
  (void)msg;
  if (!c)
    return;
  c->t1 = NULL;
  const sdpdc_dcline_t *dl = &c->re_plan->dclines[0];
  int fam = dl->offer && dl->offer->family == 6 ? 6 : 4;
  /* the new T1 carries every channel of the new plan: send_t1_add reads
   * c->plan and c->n_t2, so build it over the new plan */
  const sdpdc_plan_t *keep = c->plan;
  size_t keep_n = c->n_t2;
  c->plan = c->re_plan;
  c->n_t2 = c->re_plan->n_chans;
  int rc = -EPROTO;
  if (sdpdc_h248_t1_local_request(c->home, fam, dl->offer->proto, c->ice, &local, &e) == 0 &&
      sdpdc_h248_t1_remote(c->home, dl->offer, c->ice, &remote, &e) == 0)
    rc = send_t1_add(c, local, remote, dl->agw_dtls_client, re_t1_add_reply);
  c->plan = (sdpdc_plan_t *)keep;
  c->n_t2 = keep_n;
  if (rc < 0) {
    call_release(c, 500, "cannot restart the DTLS association", "re-offer: Add T1 not sent");
    return;
  }
  c->re_state = RE_T1_ADD;
  call_log(c, WG_LOG_INFO, 11, "re-offer: Add T1 (new DTLS association, %s)",
           dl->agw_dtls_client ? "Est_DTLS: AGW is DTLS client" : "AGW is DTLS server");
}

static void re_t1_add_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = re_reply_call(arg, status, reply, "Add T1");
  (void)msg;
  if (!c)
    return;
  if (t1_from_reply(c, reply, &c->re_t1_local) < 0) {
    call_release(c, 500, "bad answer from the media gateway", "re-offer: bad Add T1 reply");
    return;
  }
  call_log(c, WG_LOG_INFO, 13, "re-offer: new T1 %s: %s port %u", c->t1,
           c->re_t1_local->media[0].address ? c->re_t1_local->media[0].address : "?",
           c->re_t1_local->media[0].port);
  re_answered(c);
}

/* Everything is in place: build the re-answer, commit the new state, relay
 * the 2xx to the WIC. */
static void re_answered(alg_call_t *c)
{
  const sdpdc_session_t *t1l[1] = { c->re_t1_local ? c->re_t1_local : c->t1_local };
  sdpdc_session_t *out_s = NULL;
  sdpdc_error_t e;
  char *answer = NULL, ver[16];
  int unchanged = c->re_diff->unchanged;
  snprintf(ver, sizeof ver, "%u", unchanged ? c->wic_ver : c->wic_ver + 1);
  sdpdc_origin_t o = { "-", c->sess_id, ver, "-" };
  int rc = sdpdc_reanswer_wic(c->home, c->re_plan, c->re_ims_answer, t1l, 1, &o, &answer, &out_s,
                              &e);
  if (rc < 0) {
    call_log(c, WG_LOG_WARN, 14, "re-answer rewrite failed: %s", e.reason);
    call_release(c, 488, e.reason, "re-offer: re-answer failed");
    return;
  }
  /* commit: the new plan's channels get their T2s (kept: the old ones) */
  char *nt2[MAXCH] = { 0 };
  sdpdc_session_t *nt2l[MAXCH] = { 0 };
  for (size_t j = 0; j < c->re_plan->n_chans && j < MAXCH; j++) {
    const sdpdc_chan_diff_t *d = re_chan_of(c, j);
    if (d && d->change != SDPDC_CHAN_ADDED && d->prev_chan < c->n_t2) {
      nt2[j] = c->t2[d->prev_chan];
      nt2l[j] = c->t2_local[d->prev_chan];
    } else {
      nt2[j] = c->re_t2[j];
      nt2l[j] = c->re_t2_local[j];
    }
  }
  memcpy(c->t2, nt2, sizeof nt2);
  memcpy(c->t2_local, nt2l, sizeof nt2l);
  c->n_t2 = c->re_plan->n_chans;
  c->plan = c->re_plan;
  c->offer = c->re_offer;
  c->ims_answer = c->re_ims_answer;
  c->ims_offer_s = c->re_ims_offer;
  if (c->re_ims_text)
    c->ims_sdp = c->re_ims_text;
  c->wic_answer_s = out_s;
  c->wic_answer = answer;
  if (c->re_t1_local)
    c->t1_local = c->re_t1_local;
  if (!unchanged)
    c->ims_ver++, c->wic_ver++;
  if (alg_msg_set_sdp(c->re_held, answer) < 0) {
    call_release(c, 500, "out of memory", "re-offer: cannot rewrite the answer");
    return;
  }
  call_log(c, WG_LOG_INFO, 15, "re-answer to the WIC (%s, %zu channel%s)",
           unchanged ? "session refresh, rebuilt from the stored state" : "changed", c->n_t2,
           c->n_t2 == 1 ? "" : "s");
  re_finish(c, c->re_held);
}

/* A response of the IMS side to the re-offer. */
static void ims_refresh_answered(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip);
static void mirror_refresh_answered(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip);
static void mirror_re_answered(alg_call_t *c, msg_t *msg, sip_t const *sip);
static void re_response(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip)
{
  int status = sip->sip_status->st_status;
  if (c->re_state != RE_OFFERED) {
    msg_destroy(msg); /* a retransmission while we work on the first 2xx */
    return;
  }
  if (status < 200) {
    const char *b;
    size_t n;
    if (sdp_body(sip, &b, &n)) {
      msg_destroy(msg); /* an early answer to a re-offer: the 2xx brings it again */
      return;
    }
    alg_proxy_relay(t, msg);
    return;
  }
  if (status >= 300) {
    call_log(c, WG_LOG_INFO, -1, "re-offer answered %d by the IMS side: the session stays as "
             "it was", status);
    re_subtract_added(c);
    c->re_ptx = NULL;
    t->call = NULL;
    alg_proxy_relay(t, msg);
    re_clear(c);
    return;
  }
  if (c->re_mirror) {
    mirror_re_answered(c, msg, sip);
    return;
  }
  if (c->rf_reply) {
    mirror_refresh_answered(c, t, msg, sip);
    return;
  }
  if (c->re_from_ims) {
    ims_refresh_answered(c, t, msg, sip);
    return;
  }
  re_ims_answered(c, msg, sip);
}

/* ---- a re-offer from the IMS side in a WIC-originated call. A session
 * refresh (the IMS side's SDP as it answered before) goes to the WIC as our
 * last DC SDP; the WIC's answer must keep the association and channels
 * (sdpdc_reoffer_diff unchanged); the IMS side gets our last SDP to it. No
 * H.248. A changed one runs the mirror exchange (figure_ims_reoffer).
 * Which exchange a re-offer gets depends on the shape of the last one
 * (c->plan->mirror: the IMS side offered last), not on who called. */

/* The highest CSeq each side used in the dialog, so that the ALG's own
 * in-dialog requests (BYE) go above them. */
static void call_track_cseq(alg_call_t *c, sip_t const *sip)
{
  if (!sip->sip_cseq || !sip->sip_from || !c->from || !sip->sip_from->a_tag || !c->from->a_tag)
    return;
  if (!strcmp(sip->sip_from->a_tag, c->from->a_tag)) {
    if (sip->sip_cseq->cs_seq > c->caller_cseq)
      c->caller_cseq = sip->sip_cseq->cs_seq;
  } else if (sip->sip_cseq->cs_seq > c->callee_cseq) {
    c->callee_cseq = sip->sip_cseq->cs_seq;
  }
}

static int str_same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Is the IMS re-offer `now` the IMS side's previous SDP (same lines, ports,
 * addresses, paths, setup and directions)? */
static int ims_same(const sdpdc_session_t *prev, const sdpdc_session_t *now)
{
  if (!prev || !now || prev->n_media != now->n_media)
    return 0;
  for (size_t i = 0; i < now->n_media; i++) {
    const sdpdc_media_t *a = &prev->media[i], *b = &now->media[i];
    if (a->kind != b->kind || a->port != b->port || !str_same(a->address, b->address) ||
        !str_same(a->path, b->path) || sdpdc_media_dir(prev, a) != sdpdc_media_dir(now, b))
      return 0;
  }
  return 1;
}

static void ims_refresh_answered(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip)
{
  const char *body;
  size_t len;
  sdpdc_session_t *ans = NULL;
  sdpdc_diff_t *diff = NULL;
  sdpdc_plan_t *np = NULL;
  sdpdc_error_t e;
  int ok = sdp_body(sip, &body, &len) && sdpdc_parse(c->home, body, len, &ans, &e) == 0 &&
           sdpdc_reoffer_diff(c->home, c->plan, c->wic_answer_s, ans, &diff, &np, &e) == 0 &&
           diff->unchanged;
  if (!ok) {
    msg_destroy(msg);
    call_log(c, WG_LOG_WARN, -1, "the WIC's answer to the IMS side's refresh changes the "
             "session: the call is released");
    call_release(c, 488, "the WIC's answer to a session refresh changed the session",
                 "refresh answer changed");
    return;
  }
  if (alg_msg_set_sdp(msg, c->ims_sdp) < 0) {
    msg_destroy(msg);
    call_release(c, 500, "out of memory", "refresh: cannot rewrite");
    return;
  }
  call_log(c, WG_LOG_INFO, -1, "session refresh from the IMS side answered by the WIC: our "
           "last SDP to the IMS side in the 2xx, no H.248");
  (void)t;
  re_finish(c, msg);
}

static int mirror_reoffer(alg_call_t *c, alg_ptx_t *t, sdpdc_session_t *now, const char *method,
                          const sdpdc_plan_t *prev, const sdpdc_session_t *prev_wic,
                          int agw_client, const unsigned *used, size_t n_used);

/* WIC-originated call, a changed re-offer from the IMS side: the IMS side is
 * the offerer now, so the exchange is the mirror's (mirror_reoffer:
 * sdpdc_mirror_rediff, the DC re-offer to the WIC, H.248 on its 2xx,
 * sdpdc_mirror_answer to the IMS side). The previous negotiation is seen as
 * a mirror plan: the IMS side's last SDP (its answer) as the offer, each
 * anchored channel with its stream id, H.248 stream and m=message position,
 * in the order of c->t2. Added channels get ids of the AGW's DTLS role
 * parity (RFC 8832 sec 6: never one the WIC opens by DCEP) that are not a
 * dcmap id of the WIC's last offer. Once answered, the call keeps the mirror
 * shape (c->plan->mirror) until a changed WIC re-offer turns it back. */
static int figure_ims_reoffer(alg_call_t *c, alg_ptx_t *t, sdpdc_session_t *now,
                              const char *method)
{
  size_t n = c->plan->n_chans;
  sdpdc_plan_t *pp = su_zalloc(c->home, sizeof *pp);
  sdpdc_chan_t *ch = pp ? su_zalloc(c->home, (n ? n : 1) * sizeof *ch) : NULL;
  sdpdc_dcline_t *dl = ch ? su_zalloc(c->home, sizeof *dl) : NULL;
  const sdpdc_media_t *w = sdpdc_media_nth(c->offer, SDPDC_KIND_DC, 0);
  unsigned used[64];
  size_t n_used = 0;
  if (!dl || c->plan->n_dclines != 1) {
    alg_proxy_respond(t, dl ? 488 : 500, NULL, dl ? "one data-channel m-line is supported"
                                                  : "out of memory", 0);
    return 1;
  }
  for (size_t j = 0; j < n; j++) {
    ch[j] = c->plan->chans[j]; /* .dcmap: the WIC's channel, whose label the re-offer keeps */
    if (ch[j].msrp_media >= c->ims_answer->n_media) {
      alg_proxy_respond(t, 500, NULL, "the stored session does not fit the re-offer", 0);
      return 1;
    }
    ch[j].msrp_offer = &c->ims_answer->media[ch[j].msrp_media];
  }
  pp->mirror = 1;
  pp->offer = c->ims_answer;
  pp->chans = ch;
  pp->n_chans = n;
  pp->dclines = dl;
  pp->n_dclines = 1;
  dl->n_chans = n;
  dl->existing = 1;
  dl->agw_dtls_client = c->plan->dclines[0].agw_dtls_client;
  dl->answer_setup = c->plan->dclines[0].answer_setup;
  for (size_t k = 0; w && k < w->n_dcmaps && n_used < 64; k++)
    used[n_used++] = w->dcmaps[k].id;
  return mirror_reoffer(c, t, now, method, pp, NULL, dl->agw_dtls_client, used, n_used);
}

static int ims_reoffer(alg_call_t *c, alg_ptx_t *t, const char *body, size_t len,
                       const char *method)
{
  sdpdc_session_t *now = NULL;
  sdpdc_error_t e = { 0 };
  if (sdpdc_parse(c->home, body, len, &now, &e) < 0 || !c->wic_answer || !c->ims_sdp) {
    call_log(c, WG_LOG_NOTICE, -1, "%s with an unusable SDP from the IMS side: refused (488)",
             method);
    alg_proxy_respond(t, 488, NULL, e.reason[0] ? e.reason : "unusable re-offer", 0);
    return 1;
  }
  if (!ims_same(c->ims_answer, now))
    return figure_ims_reoffer(c, t, now, method);
  if (alg_msg_set_sdp(t->req, c->wic_answer) < 0 || alg_proxy_forward(t) < 0) {
    alg_proxy_respond(t, 500, NULL, "cannot forward the refresh", 2);
    return 1;
  }
  c->re_ptx = t;
  t->call = c;
  c->re_from_ims = 1;
  c->re_state = RE_OFFERED;
  call_log(c, WG_LOG_INFO, -1, "%s session refresh from the IMS side: forwarded to the WIC "
           "with our last DC SDP, no H.248", method);
  return 1;
}

/* Is the DC SDP `now` the same as `prev` (first DC line: port, address,
 * fingerprints, tls-id, channels and their paths)? */
static int dc_same(const sdpdc_session_t *prev, const sdpdc_session_t *now)
{
  const sdpdc_media_t *a = prev ? sdpdc_media_nth(prev, SDPDC_KIND_DC, 0) : NULL;
  const sdpdc_media_t *b = now ? sdpdc_media_nth(now, SDPDC_KIND_DC, 0) : NULL;
  if (!a || !b || a->port != b->port || !str_same(a->address, b->address) ||
      a->n_fingerprints != b->n_fingerprints || !str_same(a->tls_id, b->tls_id) ||
      a->n_dcmaps != b->n_dcmaps || sdpdc_media_dir(prev, a) != sdpdc_media_dir(now, b))
    return 0;
  for (size_t i = 0; i < a->n_fingerprints; i++)
    if (!str_same(a->fingerprints[i].value, b->fingerprints[i].value))
      return 0;
  for (size_t i = 0; i < a->n_dcmaps; i++) {
    const sdpdc_dcmap_t *x = &a->dcmaps[i], *y = &b->dcmaps[i];
    const char *px = NULL, *py = NULL;
    if (x->id != y->id)
      return 0;
    for (size_t k = 0; k < x->n_dcsa; k++)
      if (!strcasecmp(x->dcsa[k].name, "path"))
        px = x->dcsa[k].value;
    for (size_t k = 0; k < y->n_dcsa; k++)
      if (!strcasecmp(y->dcsa[k].name, "path"))
        py = y->dcsa[k].value;
    if (!str_same(px, py))
      return 0;
  }
  return 1;
}

/* WIC-terminated (mirror) call, a changed IMS re-offer (sdpdc_mirror_rediff):
 * the DC re-offer (sdpdc_mirror_offer on the new plan: a=connection:existing,
 * removed dcmaps gone, added ones with fresh ids) goes to the WIC first; on
 * its 2xx one transaction Subtracts the removed channels' T2s, deletes their
 * T1 streams, adds T1 streams for the added ones and Adds their T2s (Local $
 * and the IMS Remote, SendReceive), and sets the Mode of kept channels whose
 * direction changed; then sdpdc_mirror_answer gives the IMS answer. The WIC
 * refusing keeps the session (nothing was changed); an AGW failure after the
 * WIC's 2xx ends the call. */
static void mirror_re_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply);

static int mirror_reoffer(alg_call_t *c, alg_ptx_t *t, sdpdc_session_t *now, const char *method,
                          const sdpdc_plan_t *prev, const sdpdc_session_t *prev_wic,
                          int agw_client, const unsigned *used, size_t n_used)
{
  sdpdc_error_t e;
  const sdpdc_session_t *t1l[1] = { c->t1_local };
  char ver[16], *offer = NULL;
  int rc = sdpdc_mirror_rediff(c->home, prev, prev_wic, now, agw_client, used, n_used,
                               &c->re_diff, &c->re_plan, &e);
  if (rc == 0 && (c->re_plan->n_chans < 1 || c->re_plan->n_chans > MAXCH)) {
    rc = -ENOTSUP;
    snprintf(e.reason, sizeof e.reason, "%s", c->re_plan->n_chans < 1
             ? "the re-offer leaves no MSRP channel (end the call with BYE)"
             : "too many MSRP channels");
  }
  if (rc == 0) {
    snprintf(ver, sizeof ver, "%u", c->wic_ver + 1);
    sdpdc_origin_t o = { "-", c->sess_id, ver, "-" };
    rc = sdpdc_mirror_offer(c->home, c->re_plan, t1l, 1, &o, &offer, NULL, &e);
  }
  if (rc < 0) {
    call_log(c, WG_LOG_NOTICE, -1, "%s re-offer from the IMS side refused: %s", method, e.reason);
    alg_proxy_respond(t, rc == -ENOMEM ? 500 : 488, NULL, e.reason, 0);
    c->re_diff = NULL;
    c->re_plan = NULL;
    return 1;
  }
  if (alg_msg_set_sdp(t->req, offer) < 0 || alg_proxy_forward(t) < 0) {
    alg_proxy_respond(t, 500, NULL, "cannot forward the re-offer", 2);
    c->re_diff = NULL;
    c->re_plan = NULL;
    return 1;
  }
  c->re_offer = now;
  c->re_ims_text = offer; /* here: the DC re-offer to the WIC */
  c->re_ptx = t;
  t->call = c;
  c->re_mirror = 1;
  c->re_from_ims = 1;
  c->re_state = RE_OFFERED;
  call_log(c, WG_LOG_INFO, -1, "%s re-offer from the IMS side (WIC-terminated call): %zu added, "
           "%zu removed, %zu changed: DC re-offer to the WIC", method, c->re_diff->n_added,
           c->re_diff->n_removed, c->re_diff->n_changed);
  return 1;
}

/* The WIC answered the mirror re-offer: the H.248 changes. */
static void mirror_re_answered(alg_call_t *c, msg_t *msg, sip_t const *sip)
{
  const char *body;
  size_t len;
  sdpdc_error_t e;
  const sdpdc_line_diff_t *l = re_line(c);
  h248_msg_t *m = NULL;
  h248_action_t *a;
  int n = 0;
  c->re_held = msg;
  if (!sdp_body(sip, &body, &len) || sdpdc_parse(c->home, body, len, &c->re_ims_answer, &e) < 0) {
    call_release(c, 488, "no usable SDP answer from the WIC to the re-offer",
                 "mirror re-offer: bad WIC answer");
    return;
  }
  c->re_state = RE_MODIFY;
  if (!(a = re_ctx_request(c, &m)))
    goto fail;
  for (size_t k = 0; l && k < l->n_chans; k++) {
    const sdpdc_chan_diff_t *d = &l->chans[k];
    if (d->change == SDPDC_CHAN_REMOVED && d->prev_chan < c->n_t2) {
      if (re_cmd_remove(c, m, a, d, "mirror re-offer") < 0)
        goto fail;
      n++;
    } else if (d->change == SDPDC_CHAN_ADDED && d->new_chan < c->re_plan->n_chans) {
      const sdpdc_chan_t *ch = &c->re_plan->chans[d->new_chan];
      char *local = NULL, *remote = NULL;
      if (sdpdc_h248_t2_local_request(c->home, c->agw->addr.ss_family == AF_INET6 ? 6 : 4,
                                      &local, &e) < 0 ||
          sdpdc_h248_t2_remote(c->home, ch->msrp_offer, 1, &remote, &e) < 0 ||
          re_cmd_t1_stream(c, m, a, ch) < 0)
        goto fail;
      h248_cmd_t *x = h248_add_cmd(m, a, H248_CMD_ADD, "$");
      h248_stream_t *st = x ? re_stream(m, x, ch->h248_stream,
                                        re_h248_mode(re_wic_dir(c, d->dir))) : NULL;
      if (!st || h248_stream_set_local(m, st, local) < 0 || h248_stream_set_remote(m, st, remote) < 0)
        goto fail;
      call_log(c, WG_LOG_INFO, 2, "mirror re-offer: channel %u added: T1 stream %u sctpid %u, "
               "Add T2", ch->stream_id, ch->h248_stream, ch->stream_id);
      n++;
    } else if ((d->change == SDPDC_CHAN_KEEP || d->change == SDPDC_CHAN_CHANGED) &&
               d->prev_dir != d->dir && d->prev_chan < c->n_t2) {
      if (re_cmd_mode(c, m, a, d) < 0)
        goto fail;
      n++;
    }
  }
  if (n == 0) {
    h248_msg_free(m);
    mirror_re_reply(cref(c), 0, NULL, NULL);
    return;
  }
  if (call_send(c, m, mirror_re_reply) < 0)
    goto fail;
  h248_msg_free(m);
  return;
fail:
  h248_msg_free(m);
  call_release(c, 500, "cannot configure the media gateway", "mirror re-offer: H.248 not built");
}

static void mirror_re_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  alg_call_t *c = re_reply_call(arg, status, reply, "mirror re-offer");
  const sdpdc_session_t *t2l[MAXCH];
  char *nt2[MAXCH] = { 0 };
  sdpdc_session_t *nt2l[MAXCH] = { 0 };
  sdpdc_error_t e;
  char *answer = NULL, ver[16];
  int agw_client = 0;
  (void)msg;
  if (!c)
    return;
  /* the Add replies, in order, are the added channels' T2s */
  const h248_cmd_t *cmd = reply && reply->actions ? reply->actions->cmds : NULL;
  for (size_t j = 0; j < c->re_plan->n_chans && j < MAXCH; j++) {
    const sdpdc_chan_diff_t *d = re_chan_of(c, j);
    if (d && d->change != SDPDC_CHAN_ADDED && d->prev_chan < c->n_t2) {
      nt2[j] = c->t2[d->prev_chan];
      nt2l[j] = c->t2_local[d->prev_chan];
      continue;
    }
    while (cmd && cmd->type != H248_CMD_ADD)
      cmd = cmd->next;
    const h248_stream_t *st = cmd && cmd->media ? cmd->media->streams : NULL;
    if (!cmd || !cmd->ntid || !st || !st->local ||
        sdpdc_frag_parse(c->home, st->local, strlen(st->local), &nt2l[j], &e) < 0 ||
        nt2l[j]->n_media < 1) {
      call_release(c, 500, "bad answer from the media gateway", "mirror re-offer: bad Add T2");
      return;
    }
    nt2[j] = su_strdup(c->home, cmd->tid[0]);
    c->re_t2[j] = nt2[j];
    cmd = cmd->next;
  }
  for (size_t j = 0; j < c->re_plan->n_chans; j++)
    t2l[j] = nt2l[j];
  snprintf(ver, sizeof ver, "%u", c->ims_ver + 1);
  sdpdc_origin_t o = { "-", c->sess_id, ver, "-" };
  if (sdpdc_mirror_answer(c->home, c->re_plan, c->re_ims_answer, t2l, c->re_plan->n_chans, &o,
                          &agw_client, &answer, NULL, &e) < 0) {
    call_release(c, 488, e.reason, "mirror re-offer: IMS answer not built");
    return;
  }
  memcpy(c->t2, nt2, sizeof nt2);
  memcpy(c->t2_local, nt2l, sizeof nt2l);
  c->n_t2 = c->re_plan->n_chans;
  c->plan = c->re_plan;
  c->offer = c->re_offer;
  c->ims_answer = c->re_ims_answer; /* the WIC's answer */
  c->dc_offer = c->re_ims_text;
  c->wic_answer = answer;           /* the answer to the IMS side */
  c->agw_client = c->plan->dclines[0].agw_dtls_client;
  c->ims_ver++, c->wic_ver++;
  if (alg_msg_set_sdp(c->re_held, answer) < 0) {
    call_release(c, 500, "out of memory", "mirror re-offer: cannot rewrite");
    return;
  }
  call_log(c, WG_LOG_INFO, -1, "mirror re-offer done: %zu channel%s, answer to the IMS side",
           c->n_t2, c->n_t2 == 1 ? "" : "s");
  re_finish(c, c->re_held);
}

static int wic_reoffer(alg_call_t *c, alg_ptx_t *t, const char *body, size_t len,
                       const char *method, const sdpdc_plan_t *prev,
                       const sdpdc_session_t *prev_answer, const sdpdc_session_t *prev_ims);

/* A call of the mirror shape (the IMS side made the last offer), a changed
 * re-offer from the WIC: the WIC is the offerer now, so the exchange is the
 * figure's WIC re-offer (wic_reoffer: sdpdc_reoffer_diff, Add T2 for added
 * channels, IMS re-offer, H.248 on its answer, re-answer to the WIC). The
 * previous negotiation is seen as a WIC-originated plan: the WIC's last SDP
 * (its DC answer) as the offer (sdpdc_plan_offer), its channels put in the
 * order of c->t2 with their H.248 streams and IMS m-line positions; our
 * previous SDP to the IMS side is our TCP/MSRP answer. Once answered, the
 * call has the figure shape until a changed IMS re-offer turns it back. */
static int mirror_wic_reoffer(alg_call_t *c, alg_ptx_t *t, const char *body, size_t len,
                              const char *method)
{
  sdpdc_plan_t *fp = NULL;
  sdpdc_session_t *prev_ims = NULL;
  sdpdc_chan_t *nc = NULL;
  sdpdc_error_t e = { 0 };
  size_t n = c->plan->n_chans;
  const char *why = NULL;
  if (sdpdc_plan_offer(c->home, c->ims_answer, &fp, &e) < 0 ||
      sdpdc_parse(c->home, c->wic_answer, strlen(c->wic_answer), &prev_ims, &e) < 0)
    why = e.reason;
  else if (fp->n_dclines != 1 || fp->n_chans != n ||
           !(nc = su_zalloc(c->home, (n ? n : 1) * sizeof *nc)))
    why = "the stored session cannot be re-offered";
  for (size_t j = 0; !why && j < n; j++) {
    const sdpdc_chan_t *mc = &c->plan->chans[j];
    size_t k = 0;
    while (k < n && fp->chans[k].stream_id != mc->stream_id)
      k++;
    if (k == n) {
      why = "the stored session cannot be re-offered";
      break;
    }
    nc[j] = fp->chans[k];
    nc[j].h248_stream = mc->h248_stream;
    nc[j].msrp_media = mc->msrp_media;
  }
  if (why) {
    call_log(c, WG_LOG_NOTICE, -1, "%s re-offer from the WIC refused: %s", method, why);
    alg_proxy_respond(t, 488, NULL, why, 0);
    return 1;
  }
  fp->chans = nc;
  fp->dclines[0].first_chan = 0;
  fp->dclines[0].n_chans = n;
  fp->n_ims_media = prev_ims->n_media;
  call_log(c, WG_LOG_INFO, -1, "%s with a changed SDP from the WIC in a call the IMS side "
           "offered last: handled as a WIC re-offer", method);
  return wic_reoffer(c, t, body, len, method, fp, NULL, prev_ims);
}

/* WIC-terminated (mirror) call: a re-offer from either side is taken when it
 * is a session refresh (the side's previous SDP): it goes on with our
 * previous SDP to the other side, whose answer must be its previous SDP; the
 * offerer gets our previous SDP to it. No H.248. */
static int mirror_refresh(alg_call_t *c, alg_ptx_t *t, const char *body, size_t len,
                          const char *method, int from_wic)
{
  sdpdc_session_t *now = NULL;
  sdpdc_error_t e;
  /* mirror state: c->offer = the IMS offer, c->ims_answer = the WIC's answer,
   * c->dc_offer = our DC offer to the WIC, c->wic_answer = our answer to IMS */
  int parsed = sdpdc_parse(c->home, body, len, &now, &e) == 0;
  int same = parsed && (from_wic ? dc_same(c->ims_answer, now) : ims_same(c->offer, now)) &&
             c->dc_offer && c->wic_answer;
  if (!same && parsed && !from_wic)
    return mirror_reoffer(c, t, now, method, c->plan, c->ims_answer, c->agw_client, NULL, 0);
  if (!same && parsed && c->dc_offer && c->wic_answer)
    return mirror_wic_reoffer(c, t, body, len, method);
  if (!same) {
    call_log(c, WG_LOG_NOTICE, -1, "%s with a changed SDP from the %s in a WIC-terminated call: "
             "refused (488)", method, from_wic ? "WIC" : "IMS side");
    alg_proxy_respond(t, 488, NULL, "only a session refresh (the same SDP) is supported as a "
                      "re-offer in a WIC-terminated data-channel call", 0);
    return 1;
  }
  if (alg_msg_set_sdp(t->req, from_wic ? c->wic_answer : c->dc_offer) < 0 ||
      alg_proxy_forward(t) < 0) {
    alg_proxy_respond(t, 500, NULL, "cannot forward the refresh", 2);
    return 1;
  }
  c->re_ptx = t;
  t->call = c;
  c->re_from_ims = !from_wic;
  c->re_state = RE_OFFERED;
  c->rf_expect = from_wic ? c->offer : c->ims_answer;
  c->rf_expect_dc = !from_wic;
  c->rf_reply = from_wic ? c->dc_offer : c->wic_answer;
  call_log(c, WG_LOG_INFO, -1, "%s session refresh from the %s (WIC-terminated call): "
           "forwarded with our previous SDP, no H.248", method, from_wic ? "WIC" : "IMS side");
  return 1;
}

static void mirror_refresh_answered(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip)
{
  const char *body;
  size_t len;
  sdpdc_session_t *ans = NULL;
  sdpdc_error_t e;
  int ok = sdp_body(sip, &body, &len) && sdpdc_parse(c->home, body, len, &ans, &e) == 0 &&
           (c->rf_expect_dc ? dc_same(c->rf_expect, ans) : ims_same(c->rf_expect, ans));
  if (!ok || alg_msg_set_sdp(msg, c->rf_reply) < 0) {
    msg_destroy(msg);
    call_release(c, 488, "the answer to a session refresh changed the session",
                 "refresh answer changed");
    return;
  }
  call_log(c, WG_LOG_INFO, -1, "session refresh answered: our previous SDP in the 2xx");
  (void)t;
  re_finish(c, msg);
}

int alg_call_reoffer(alg_t *alg, alg_ptx_t *t, sip_t const *sip)
{
  const char *body;
  size_t len;
  alg_call_t *c;
  if (!sip->sip_call_id)
    return 0;
  c = call_find_id(alg, sip->sip_call_id->i_id);
  if (!c || c->state == CS_RELEASED)
    return 0;
  call_track_cseq(c, sip); /* the ALG's own BYE must go above a re-offer's CSeq */
  const char *method = sip->sip_request->rq_method_name;
  int from_caller = sip->sip_from && sip->sip_from->a_tag && c->from && c->from->a_tag &&
                    !strcmp(sip->sip_from->a_tag, c->from->a_tag);
  int from_wic = c->mirror ? !from_caller : from_caller;
  if (!sdp_body(sip, &body, &len)) {
    if (sip->sip_request->rq_method == sip_method_update)
      return 0; /* UPDATE without SDP (e.g. a session-timer refresh): proxied */
    call_log(c, WG_LOG_NOTICE, -1, "re-INVITE without SDP in a data-channel call: 488");
    alg_proxy_respond(t, 488, NULL, "a re-INVITE without SDP (offer in the 2xx) is not "
                      "supported in a data-channel call", 0);
    return 1;
  }
  if (c->re_ptx || c->waiting || c->held) {
    /* RFC 3261 14.2: an offer while ours is in progress -> 491; while the
     * initial exchange still runs -> 500 with Retry-After */
    int st = c->re_ptx ? 491 : 500;
    call_log(c, WG_LOG_NOTICE, -1, "%s with SDP while %s: %d", method,
             c->re_ptx ? "a re-offer is in progress" : "the call is being set up", st);
    alg_proxy_respond(t, st, NULL, c->re_ptx ? "another offer is in progress"
                                             : "the session is being set up", st == 500 ? 2 : 0);
    return 1;
  }
  if (c->state != CS_CONFIRMED && c->state != CS_WIC_ANSWERED && c->state != CS_T1_CREATED) {
    call_log(c, WG_LOG_NOTICE, -1, "%s with SDP before the call is answered: 500", method);
    alg_proxy_respond(t, 500, NULL, "the session is being set up", 2);
    return 1;
  }
  /* the shape of the last exchange: the WIC offered (figure) or the IMS side did (mirror) */
  if (!c->plan->mirror && !from_wic)
    return ims_reoffer(c, t, body, len, method);
  if (c->plan->mirror)
    return mirror_refresh(c, t, body, len, method, from_wic);
  return wic_reoffer(c, t, body, len, method, c->plan, c->wic_answer_s, c->ims_offer_s);
}

/* A re-offer from the WIC, against the previous negotiation: prev (a
 * WIC-originated plan), prev_answer (our last DC SDP to the WIC, NULL = all
 * channels accepted) and prev_ims (our last SDP to the IMS side). */
static int wic_reoffer(alg_call_t *c, alg_ptx_t *t, const char *body, size_t len,
                       const char *method, const sdpdc_plan_t *prev,
                       const sdpdc_session_t *prev_answer, const sdpdc_session_t *prev_ims)
{
  sdpdc_error_t e;
  int rc = sdpdc_parse(c->home, body, len, &c->re_offer, &e);
  if (rc == 0)
    rc = sdpdc_reoffer_diff(c->home, prev, prev_answer, c->re_offer, &c->re_diff,
                            &c->re_plan, &e);
  if (rc == 0 && (c->re_plan->n_dclines != 1 || c->re_plan->n_chans < 1)) {
    rc = -ENOTSUP;
    snprintf(e.reason, sizeof e.reason, "%s", c->re_plan->n_chans < 1
             ? "the re-offer leaves no MSRP data channel (end the call with BYE)"
             : "only one data-channel m-line (SCTP association) per call is supported");
  } else if (rc == 0 && c->re_plan->n_chans > MAXCH) {
    rc = -ENOTSUP;
    snprintf(e.reason, sizeof e.reason, "too many MSRP data channels");
  }
  if (rc < 0) {
    call_log(c, WG_LOG_NOTICE, -1, "%s re-offer refused: %s", method, e.reason);
    alg_proxy_respond(t, rc == -ENOMEM ? 500 : 488, NULL, e.reason, 0);
    c->re_offer = NULL;
    c->re_diff = NULL;
    c->re_plan = NULL;
    return 1;
  }
  c->re_ptx = t;
  t->call = c;
  c->re_prev_ims = prev_ims;
  c->re_state = RE_ADD_T2;
  c->re_next = 0;
  call_log(c, WG_LOG_INFO, 1, "%s re-offer from the WIC: %s (%zu added, %zu removed, %zu "
           "changed, %zu restarted)", method, c->re_diff->unchanged ? "no change" : "changes",
           c->re_diff->n_added, c->re_diff->n_removed, c->re_diff->n_changed,
           c->re_diff->n_restarted);
  rc = c->re_diff->unchanged ? 1 : re_send_add_t2(c);
  if (rc == 1)
    re_forward(c);
  else if (rc < 0)
    re_fail(c, 500, "cannot send H.248 Add");
  return 1;
}

void alg_call_in_dialog(alg_t *alg, sip_t const *sip)
{
  alg_call_t *c;
  if (!sip->sip_call_id)
    return;
  c = call_find_id(alg, sip->sip_call_id->i_id);
  if (!c)
    return;
  call_track_cseq(c, sip);
  switch (sip->sip_request->rq_method) {
  case sip_method_invite:
  case sip_method_update:
    /* a refresh proxied untouched (UPDATE without SDP): restart the timer
     * (taken as successful; a failed refresh is rare in a lab) */
    if (c->se_delta && c->state != CS_RELEASED) {
      call_log(c, WG_LOG_INFO, -1, "%s in the dialog: session refreshed",
               sip->sip_request->rq_method_name);
      se_arm(c, NULL);
    }
    break;
  case sip_method_ack:
    if (c->state == CS_WIC_ANSWERED) {
      c->state = CS_CONFIRMED;
      call_log(c, WG_LOG_INFO, -1, "ACK: call confirmed");
    }
    break;
  case sip_method_bye: {
    int from_caller = sip->sip_from && sip->sip_from->a_tag && c->from && c->from->a_tag &&
                      !strcmp(sip->sip_from->a_tag, c->from->a_tag);
    int from_wic = c->mirror ? !from_caller : from_caller;
    call_log(c, WG_LOG_INFO, -1, "BYE from the %s", from_wic ? "WIC" : "IMS side");
    call_release(c, 0, NULL, from_wic ? "BYE from the WIC" : "BYE from the IMS side");
    break;
  }
  default:
    break;
  }
}

/* ---------------------------------------------------------- audits */

static void ctx_audit_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  struct call_ref *ref = arg;
  alg_call_t *c = call_find_serial(ref->alg, ref->serial);
  char text[200];
  int code;
  (void)msg;
  free(ref);
  if (!c || status < 0)
    return;   /* a lost AGW is found by the ROOT audit */
  c->auditing = 0;
  code = alg_h248_reply_error(reply, text, sizeof text);
  if (code == 411 || code == 430 || code == 431 || code == 435) {
    call_log(c, WG_LOG_WARN, -1, "context audit: %s: the AGW lost the call", text);
    c->ctx = 0;  /* nothing left to subtract */
    call_release(c, 503, "media gateway lost the context", "context lost on the AGW");
  }
}

int alg_call_owns_ctx(alg_t *alg, const alg_agw_t *agw, uint32_t ctx)
{
  for (const alg_call_t *c = alg->calls; c; c = c->next)
    if (c->agw == agw && c->ctx == ctx)
      return 1;
  return 0;
}

void alg_calls_audit(alg_t *alg)
{
  alg_call_t *c;
  for (c = alg->calls; c; c = c->next) {
    h248_msg_t *m;
    h248_trans_t *t;
    h248_action_t *a;
    h248_cmd_t *cmd;
    struct call_ref *ref;
    if (!c->ctx || !c->n_t2 || c->waiting || c->auditing || !c->agw || !c->agw->alive ||
        c->state == CS_RELEASED)
      continue;
    m = alg_mgc_msg(alg);
    if (!m)
      return;
    t = h248_add_request(m, 0);
    a = t ? h248_add_action(m, t, h248_ctx_num(c->ctx)) : NULL;
    cmd = a ? h248_add_cmd(m, a, H248_CMD_AUDITVALUE, c->t2[0]) : NULL;
    ref = cref(c);
    if (cmd && ref && h248_cmd_audit(m, cmd) &&
        alg_mgc_send(alg, c->agw, m, ctx_audit_reply, ref, NULL) == 0) {
      c->auditing = 1;
      ref = NULL;
    }
    free(ref);
    h248_msg_free(m);
  }
}

/* ---------------------------------------------------------- Notify */

static int call_dropping(const alg_call_t *c, const char *tid)
{
  for (size_t i = 0; i < c->n_dropping; i++)
    if (c->re_dropping[i] && !strcasecmp(c->re_dropping[i], tid))
      return 1;
  return 0;
}

void alg_call_notify(alg_t *alg, alg_agw_t *agw, uint32_t ctx, const char *tid,
                     const char *event)
{
  alg_call_t *c;
  for (c = alg->calls; c; c = c->next)
    if (c->agw == agw && c->ctx == ctx)
      break;
  if (!c) {
    wg_log_ctx_t lc = { NULL, ctx, -1 };
    wg_log(WG_LOG_INFO, "alg", &lc, "Notify %s on %s for no call", event ? event : "?",
           tid ? tid : "?");
    return;
  }
  if (event && !strcasecmp(event, H248_IQ_EVT_TLS_FAIL)) {
    call_log(c, WG_LOG_WARN, 17, "Notify %s on %s: DTLS establishment failed", event, tid);
    call_release(c, 488, "DTLS establishment failed", "DTLS failure");
  } else if (event && !strcasecmp(event, H248_IQ_EVT_RELEASED) && tid &&
             call_dropping(c, tid)) {
    call_log(c, WG_LOG_INFO, -1, "Notify %s on %s: the bearer of a channel removed by a "
             "re-offer (expected)", event, tid);
  } else if (event && !strcasecmp(event, H248_IQ_EVT_RELEASED)) {
    call_log(c, WG_LOG_WARN, -1, "Notify %s on %s: bearer released", event, tid);
    call_release(c, 503, "media bearer released", "bearer released");
  } else {
    call_log(c, WG_LOG_INFO, -1, "Notify %s on %s (ignored)", event ? event : "?", tid);
  }
}
