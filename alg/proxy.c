/* proxy.c -- the stateful SIP proxy of the ALG on Sofia-SIP nta.
 *
 * Every request reaches the default leg (NTATAG_NO_DIALOG). A request makes
 * one alg_ptx_t: the server transaction (irq) towards the sender and one
 * client transaction (orq) towards the next hop. The proxy:
 *   - answers 483 when Max-Forwards is 0 and otherwise decrements it;
 *   - removes the Route entries that name us (loose routing, RFC 3261 16.4);
 *   - adds Record-Route to initial INVITEs;
 *   - routes initial requests to alg.next-hop (or by Request-URI), in-dialog
 *     ones by their Route set / Request-URI;
 *   - strips its Via from the responses it relays;
 *   - relays CANCEL (nta is created with NTATAG_CANCEL_487(0));
 *   - forwards ACK statelessly, and stray 2xx retransmissions too;
 *   - keeps an answered or failed INVITE around for 64*T1 to relay late 2xx;
 *   - leaves Timer C to nta (NTATAG_TIMER_C: CANCEL, then 408).
 * INVITEs with a data-channel offer are handed to call.c before forwarding.
 */
#include "config.h"
#include "alg/alg_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <sofia-sip/sip_util.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_tagarg.h>

#define LINGER_MS 32000

static void ptx_destroy(alg_ptx_t *t);
static int from_next_hop(alg_t *alg, alg_ptx_t *t);

/* ----------------------------------------------------------- capture */

static int msg_is_tcp(msg_t *msg)
{
  su_addrinfo_t *ai = msg_addrinfo(msg);
  return ai && ai->ai_protocol == IPPROTO_TCP;
}

void alg_capture_sip(alg_t *alg, msg_t *msg, int sent)
{
  su_addrinfo_t *ai;
  char *text;
  size_t len = 0;
  su_home_t home[1] = { SU_HOME_INIT(home) };

  if (!alg->pcap || !msg)
    return;
  ai = msg_addrinfo(msg);
  if (!ai || !ai->ai_addr || ai->ai_addr->sa_family != alg->sip_addr.ss_family)
    return;
  text = msg_as_string(home, msg, NULL, 0, &len);
  if (text) {
    const struct sockaddr *me = (const struct sockaddr *)&alg->sip_addr;
    const struct sockaddr *src = sent ? me : ai->ai_addr;
    const struct sockaddr *dst = sent ? ai->ai_addr : me;
    if (msg_is_tcp(msg))
      wg_pcap_tcp(alg->pcap, src, dst, text, len);
    else
      wg_pcap_udp(alg->pcap, src, dst, text, len);
  }
  su_home_deinit(home);
}

/* --------------------------------------------------------- helpers */

/* Host equality ignoring IPv6 brackets ("[::1]" == "::1"). */
static int host_is(const char *h, const char *mine)
{
  size_t n;
  if (!h)
    return 0;
  if (h[0] == '[') {
    n = strlen(h);
    return n >= 2 && h[n - 1] == ']' && strlen(mine) == n - 2 && !strncasecmp(h + 1, mine, n - 2);
  }
  return !strcasecmp(h, mine);
}

static int hostport_is(url_t const *u, const char *host, unsigned port)
{
  const char *p;
  if (!host[0] || !host_is(u->url_host, host))
    return 0;
  p = u->url_port && *u->url_port ? u->url_port : "5060";
  return (unsigned)atoi(p) == port;
}

/* Us: the SIP address, or a WebSocket listener (our WS-facing
 * Record-Route entry, RFC 7118 / RFC 5658 double record-routing). */
static int url_is_me(alg_t *alg, url_t const *u)
{
  if (!u || !u->url_host)
    return 0;
  return hostport_is(u, alg->sip_host, alg->sip_port) ||
         (alg->ws_port && hostport_is(u, alg->ws_host, alg->ws_port)) ||
         (alg->wss_port && hostport_is(u, alg->wss_host, alg->wss_port));
}

int alg_rr_is_me(alg_t *alg, url_t const *u)
{
  return u && ((alg->rr && !url_cmp(u, alg->rr->r_url)) ||
               (alg->ws_rr && !url_cmp(u, alg->ws_rr->r_url)) ||
               (alg->wss_rr && !url_cmp(u, alg->wss_rr->r_url)));
}

int alg_msg_set_sdp(msg_t *msg, const char *sdp)
{
  sip_t *sip = sip_object(msg);
  su_home_t *home = msg_home(msg);
  sip_payload_t *pl;
  sip_content_length_t *cl;
  size_t len = strlen(sdp);

  pl = sip_payload_create(home, sdp, (isize_t)len);
  cl = sip_content_length_create(home, (uint32_t)len);
  if (!pl || !cl)
    return -ENOMEM;
  if (sip->sip_payload)
    msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_payload);
  if (sip->sip_content_length)
    msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_content_length);
  if (!sip->sip_content_type)
    msg_header_insert(msg, (msg_pub_t *)sip,
                      (msg_header_t *)sip_content_type_make(home, "application/sdp"));
  msg_header_insert(msg, (msg_pub_t *)sip, (msg_header_t *)cl);
  msg_header_insert(msg, (msg_pub_t *)sip, (msg_header_t *)pl);
  return 0;
}

/* --------------------------------------------------------- ptx life */

static alg_ptx_t *ptx_new(alg_t *alg, nta_incoming_t *irq, sip_method_t method)
{
  alg_ptx_t *t = su_zalloc(alg->home, sizeof *t);
  if (!t)
    return NULL;
  t->alg = alg;
  t->irq = irq;
  t->method = method;
  t->next = alg->ptxs;
  if (t->next)
    t->next->prev = &t->next;
  t->prev = &alg->ptxs;
  alg->ptxs = t;
  return t;
}

static void ptx_destroy(alg_ptx_t *t)
{
  alg_t *alg = t->alg;
  if (t->call) {
    alg_call_t *c = t->call;
    t->call = NULL;
    alg_call_ptx_gone(c, t);
  }
  if ((*t->prev = t->next))
    t->next->prev = t->prev;
  if (t->linger_timer)
    su_timer_destroy(t->linger_timer), t->linger_timer = NULL;
  if (t->orq)
    nta_outgoing_destroy(t->orq), t->orq = NULL;
  if (t->irq)
    nta_incoming_destroy(t->irq), t->irq = NULL;
  if (t->req)
    msg_destroy(t->req), t->req = NULL;
  su_free(alg->home, t);
}

void alg_ptx_release(alg_ptx_t *t)
{
  t->call = NULL;
}

static void linger_done(su_root_magic_t *m, su_timer_t *tm, void *arg)
{
  (void)m; (void)tm;
  ptx_destroy(arg);
}

/* After the final response went upstream: INVITE lingers for late 2xx,
 * others end now. */
static void ptx_finished(alg_ptx_t *t)
{
  if (t->method != sip_method_invite || t->alg->stopping == 2) {
    ptx_destroy(t);
    return;
  }
  if (t->lingering)
    return;
  t->lingering = 1;
  t->linger_timer = su_timer_create(su_root_task(t->alg->root), LINGER_MS);
  if (!t->linger_timer || su_timer_set(t->linger_timer, linger_done, t) < 0)
    ptx_destroy(t);
}

/* --------------------------------------------------------- responses */

void alg_proxy_respond(alg_ptx_t *t, int status, const char *phrase, const char *warning,
                       int retry_after)
{
  char ra[48];
  snprintf(ra, sizeof ra, "Retry-After: %d", retry_after);
  alg_proxy_respond_hdrs(t, status, phrase, warning, retry_after > 0 ? ra : NULL);
}

void alg_proxy_respond_hdrs(alg_ptx_t *t, int status, const char *phrase, const char *warning,
                            const char *hdrs)
{
  char warn[512];
  msg_t *resp;

  if (!t->irq || t->status_sent >= 200)
    return;
  if (!phrase)
    phrase = sip_status_phrase(status);
  if (!phrase)
    phrase = "Error";
  warn[0] = 0;
  if (warning && *warning) {
    /* Warning: 399 host "text" (RFC 3261 20.43); quotes in text removed */
    char clean[400];
    size_t i, j = 0;
    for (i = 0; warning[i] && j + 1 < sizeof clean; i++)
      if (warning[i] != '"' && warning[i] != '\\' && (unsigned char)warning[i] >= 0x20)
        clean[j++] = warning[i];
    clean[j] = 0;
    snprintf(warn, sizeof warn, "399 %s \"%s\"", t->alg->sip_host, clean);
  }
  nta_incoming_treply(t->irq, status, phrase,
                      TAG_IF(warn[0], SIPTAG_WARNING_STR(warn)),
                      TAG_IF(hdrs && *hdrs, SIPTAG_HEADER_STR(hdrs)),
                      TAG_END());
  resp = nta_incoming_getresponse(t->irq);
  if (resp) {
    alg_capture_sip(t->alg, resp, 1);
    msg_destroy(resp);
  }
  if (status >= 200) {
    t->status_sent = status;
    ptx_finished(t);
  }
}

void alg_proxy_relay(alg_ptx_t *t, msg_t *msg)
{
  sip_t *sip = sip_object(msg);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : 0;

  if (!t->irq || status == 0) {
    msg_destroy(msg);
    return;
  }
  if (t->status_sent >= 300 && status >= 300) {
    msg_destroy(msg);
    return;
  }
  sip_via_remove(msg, sip);
  if (!sip->sip_via) {
    msg_destroy(msg);
    return;
  }
  {
    msg_t *ref = msg_ref_create(msg);
    if (nta_incoming_mreply(t->irq, msg) < 0)
      status = 0;
    if (status) {
      msg_t *sent = nta_incoming_getresponse(t->irq);
      alg_capture_sip(t->alg, sent ? sent : ref, 1);
      if (sent)
        msg_destroy(sent);
    }
    msg_destroy(ref);
  }
  if (status >= 200 && (t->status_sent == 0 || status < 300)) {
    int first = t->status_sent == 0;
    if (first)
      t->status_sent = status;
    if (first)
      ptx_finished(t);
  }
}

void alg_proxy_kill_2xx(alg_ptx_t *t, sip_t const *sip, int bye)
{
  sip_t const *req = sip_object(t->req);
  sip_route_t *route = NULL, *r;
  sip_record_route_t const *rr;
  su_home_t home[1] = { SU_HOME_INIT(home) };
  uint32_t cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 1;
  wg_log_ctx_t lc = { sip->sip_call_id ? sip->sip_call_id->i_id : NULL, 0, -1 };

  if (!sip->sip_contact || !req) {
    su_home_deinit(home);
    return;
  }
  /* route set towards the callee: Record-Route entries above ours, nearest first */
  for (rr = sip->sip_record_route; rr; rr = rr->r_next) {
    if (alg_rr_is_me(t->alg, rr->r_url))
      break;
    r = sip_route_create(home, rr->r_url, NULL);
    if (r)
      r->r_next = route, route = r;
  }
  wg_log(WG_LOG_NOTICE, "alg", &lc, "2xx that the data-channel call cannot anchor: ACK%s",
         bye ? " + BYE" : " (retransmission)");
  alg_proxy_send_in_dialog(t->alg, sip_method_ack, "ACK", sip->sip_contact->m_url, route,
                           req->sip_from, sip->sip_to, sip->sip_call_id, cseq);
  if (bye)
    alg_proxy_send_in_dialog(t->alg, sip_method_bye, "BYE", sip->sip_contact->m_url, route,
                             req->sip_from, sip->sip_to, sip->sip_call_id, cseq + 1);
  su_home_deinit(home);
}

static int ptx_response(alg_ptx_t *t, nta_outgoing_t *orq, sip_t const *sip)
{
  msg_t *msg;
  int status;

  (void)orq;
  if (!sip) {
    status = nta_outgoing_status(t->orq);
    if (t->call) {
      alg_call_down_timeout(t->call, t, status < 300 ? 408 : status);
      return 0;
    }
    alg_proxy_respond(t, status >= 300 && status < 700 ? status : 408, NULL, NULL, 0);
    return 0;
  }
  status = sip->sip_status->st_status;
  msg = nta_outgoing_getresponse(t->orq);
  if (!msg)
    return 0;
  alg_capture_sip(t->alg, msg, 0);
  if (status > t->status_recv)
    t->status_recv = status;
  if (status == 100) {          /* hop by hop */
    msg_destroy(msg);
    return 0;
  }
  if (t->method == sip_method_register && t->ws_conn)
    alg_reg_response(t->alg, t, sip);
  if (t->call) {
    alg_call_response(t->call, t, msg, sip);
    return 0;
  }
  if (t->dc && status >= 200 && status < 300) {
    /* a late 2xx for a data-channel call that is already over (we answered
     * the WIC with an error): its SDP has no gateway behind it, so end
     * that dialog instead of relaying it */
    alg_proxy_kill_2xx(t, sip, 1);
    msg_destroy(msg);
    return 0;
  }
  alg_proxy_relay(t, msg);
  return 0;
}

/* ------------------------------------------------------------ forward */

static int from_next_hop(alg_t *alg, alg_ptx_t *t)
{
  const struct sockaddr *a = (const struct sockaddr *)&t->src;
  const struct sockaddr *b = (const struct sockaddr *)&alg->next_hop_addr;
  if (!b->sa_family || a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
  }
  return 0;
}

int alg_proxy_forward(alg_ptx_t *t)
{
  alg_t *alg = t->alg;
  sip_t *sip = sip_object(t->req);
  url_string_t const *route = NULL;
  int stateless = t->method == sip_method_ack;
  msg_t *ref, *sent;

  tport_t *tp = NULL;

  /* a WebSocket client's Contact: over its own connection (RFC 7118) */
  if (alg->ws && sip->sip_request)
    tp = alg_ws_tport_for(alg, sip->sip_request->rq_url, NULL);
  if (!tp && !sip->sip_route && alg->ws && sip->sip_request &&
      alg_ws_uri_is_ws(sip->sip_request->rq_url))
    return -ENOTCONN;
  if (tp)
    route = NULL;
  else if (t->route)
    route = (url_string_t const *)t->route;
  else if (!sip->sip_route && alg->next_hop_url && (!sip->sip_to || !sip->sip_to->a_tag) &&
      !from_next_hop(alg, t))
    route = (url_string_t const *)alg->next_hop_url;
  if (t->orq) {
    nta_outgoing_destroy(t->orq);
    t->orq = NULL;
  }
  ref = msg_ref_create(t->req);
  t->orq = nta_outgoing_mcreate(alg->agent, ptx_response, t, route, ref,
                                NTATAG_STATELESS(stateless), TAG_IF(tp, NTATAG_TPORT(tp)),
                                TAG_END());
  if (!t->orq) {
    msg_destroy(ref);
    return -EIO;
  }
  sent = nta_outgoing_getrequest(t->orq);
  if (sent) {
    alg_capture_sip(alg, sent, 1);
    msg_destroy(sent);
  }
  return 0;
}

void alg_proxy_cancel_down(alg_ptx_t *t)
{
  if (t->orq && t->status_recv < 200 && t->method == sip_method_invite)
    nta_outgoing_tcancel(t->orq, NULL, NULL, TAG_END());
}

/* CANCEL from upstream, or the server transaction ended (sip == NULL). */
static int ptx_irq_cb(alg_ptx_t *t, nta_incoming_t *irq, sip_t const *sip)
{
  (void)irq;
  if (!sip) {                 /* the server transaction is over */
    ptx_destroy(t);
    return 0;
  }
  if (sip->sip_request && sip->sip_request->rq_method == sip_method_cancel) {
    t->cancelled = 1;
    if (t->call)
      alg_call_cancelled(t->call, t);
    else if (t->orq)
      alg_proxy_cancel_down(t);
    else
      alg_proxy_respond(t, SIP_487_REQUEST_CANCELLED, NULL, 0);
    return 200;
  }
  return 0;
}

/* ------------------------------------------------------ requests in */

static int leg_request(alg_t *alg, nta_leg_t *leg, nta_incoming_t *irq, sip_t const *sip)
{
  msg_t *orig;
  sip_t *fsip;
  alg_ptx_t *t;
  sip_method_t method = sip->sip_request->rq_method;
  int initial = !sip->sip_to || !sip->sip_to->a_tag;

  (void)leg;
  orig = nta_incoming_getrequest(irq);
  alg_capture_sip(alg, orig, 0);

  if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
    msg_destroy(orig);
    if (method == sip_method_ack) {
      nta_incoming_destroy(irq);
      return 0;
    }
    return 483;
  }
  if (method == sip_method_cancel) {  /* no matching transaction: 481 */
    msg_destroy(orig);
    return 481;
  }
  if (initial && method == sip_method_invite && alg->stopping) {
    char ra[16];
    msg_destroy(orig);
    snprintf(ra, sizeof ra, "%ld", alg->retry_after_s);
    nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
                        SIPTAG_RETRY_AFTER_STR(ra),
                        SIPTAG_WARNING_STR("399 wicgated \"shutting down\""), TAG_END());
    nta_incoming_destroy(irq);
    return 0;
  }

  t = ptx_new(alg, irq, method);
  if (!t) {
    msg_destroy(orig);
    return 500;
  }
  {
    su_addrinfo_t *ai = msg_addrinfo(orig);
    if (ai && ai->ai_addr && ai->ai_addrlen <= sizeof t->src)
      memcpy(&t->src, ai->ai_addr, ai->ai_addrlen);
  }
  t->from_ims = from_next_hop(alg, t);
  if (alg->ws && (t->ws_conn = alg_ws_conn_by_src(alg, &t->src)))
    alg_ws_learn(alg, t->ws_conn, irq, sip);
  t->req = msg_dup(orig);
  msg_destroy(orig);
  if (!t->req) {
    t->irq = NULL;
    ptx_destroy(t);
    return 500;
  }
  fsip = sip_object(t->req);
  /* over WebSocket: the bridge wrote the client's Via as TCP for nta;
   * what goes on (and the responses coming back) carry WS/WSS again */
  if (t->ws_conn && fsip->sip_via) {
    sip_fragment_clear(fsip->sip_via->v_common);
    fsip->sip_via->v_protocol = alg_ws_conn_secure(alg, t->ws_conn) ? "SIP/2.0/WSS" : "SIP/2.0/WS";
  }

  /* Loose routing: drop the Route entries that are us. */
  while (fsip->sip_route && url_is_me(alg, fsip->sip_route->r_url))
    sip_route_remove(t->req, fsip);
  /* Request-URI is us with a Route left: strict-router previous hop is not
   * supported; when the R-URI is us and no Route is left, nothing to do
   * but answer (we are not a registrar). */
  if (!fsip->sip_route && url_is_me(alg, fsip->sip_request->rq_url) &&
      !(initial && alg->next_hop_url) && !(method == sip_method_register && t->ws_conn)) {
    if (method == sip_method_ack) {
      ptx_destroy(t);
      return 0;
    }
    if (method == sip_method_options) {
      nta_incoming_treply(irq, SIP_200_OK, SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, MESSAGE, PRACK"),
                          TAG_END());
      t->status_sent = 200;
      ptx_destroy(t);
      return 0;
    }
    alg_proxy_respond(t, SIP_404_NOT_FOUND, "no route", 0);
    return 0;
  }

  /* Max-Forwards: decrement (nta does not). */
  {
    char mfs[16];
    unsigned long mf = fsip->sip_max_forwards ? fsip->sip_max_forwards->mf_count : 70;
    sip_max_forwards_t *nmf;
    snprintf(mfs, sizeof mfs, "%lu", mf - 1);
    nmf = sip_max_forwards_make(msg_home(t->req), mfs);
    if (fsip->sip_max_forwards)
      msg_header_remove(t->req, (msg_pub_t *)fsip, (msg_header_t *)fsip->sip_max_forwards);
    if (nmf)
      msg_header_insert(t->req, (msg_pub_t *)fsip, (msg_header_t *)nmf);
  }

  if (method == sip_method_ack) {
    /* ACK for 2xx (end to end): stateless. ACK for our own error
     * responses is absorbed by nta and never gets here. */
    alg_call_in_dialog(alg, fsip);
    alg_proxy_forward(t);
    ptx_destroy(t);
    return 0;
  }

  if (method != sip_method_cancel)
    nta_incoming_bind(irq, ptx_irq_cb, t);

  /* REGISTER over WebSocket: the built-in test registrar answers, or it is
   * forwarded to alg.registrar with our Path */
  if (method == sip_method_register && t->ws_conn && alg_reg_register(alg, t, fsip))
    return 0;
  /* an initial request for a registered WebSocket client's AOR */
  if (initial && alg->ws && method != sip_method_register) {
    int r = alg_reg_retarget(alg, t);
    if (r < 0) {
      alg_proxy_respond(t, SIP_480_TEMPORARILY_UNAVAILABLE,
                        "the user has no registered WebSocket connection", 0);
      return 0;
    }
  }

  if (!initial && (method == sip_method_invite || method == sip_method_update) &&
      alg_call_reoffer(alg, t, fsip))
    return 0; /* the call layer forwards or answers it */
  if (!initial && method == sip_method_bye && alg_call_bye_crossed(alg, t, fsip))
    return 0; /* the ALG ended that call already: answered here */

  if (initial && method == sip_method_invite) {
    nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
    if (alg->record_route && alg->rr) {
      /* towards or from a WebSocket client: two entries, one facing each
       * side (RFC 7118 section 5, RFC 5658); the one facing the callee on
       * top. Both are us (url_is_me) and are removed from Route sets. */
      sip_record_route_t *ws = NULL, *first, *second = NULL;
      uint64_t to_ws = 0;
      if (alg->ws && alg_ws_tport_for(alg, fsip->sip_request->rq_url, &to_ws))
        ws = alg_ws_conn_secure(alg, to_ws) ? alg->wss_rr : alg->ws_rr;
      else if (t->ws_conn)
        ws = alg_ws_conn_secure(alg, t->ws_conn) ? alg->wss_rr : alg->ws_rr;
      first = alg->rr;
      if (ws && to_ws && !t->ws_conn)
        first = ws, second = alg->rr;      /* IMS -> WIC: [ws, sip] */
      else if (ws && !to_ws)
        first = alg->rr, second = ws;      /* WIC -> IMS: [sip, ws] */
      else if (ws)
        first = ws;                        /* WIC -> WIC */
      if (second)
        msg_header_insert(t->req, (msg_pub_t *)fsip,
                          (msg_header_t *)sip_record_route_dup(msg_home(t->req), second));
      msg_header_insert(t->req, (msg_pub_t *)fsip,
                        (msg_header_t *)sip_record_route_dup(msg_home(t->req), first));
    }
    if (alg_call_invite(alg, t, fsip))
      return 0;
  }

  {
    int rc = alg_proxy_forward(t);
    if (rc == -ENOTCONN)
      alg_proxy_respond(t, SIP_480_TEMPORARILY_UNAVAILABLE,
                        "the WebSocket connection of the Request-URI is gone", 0);
    else if (rc < 0)
      alg_proxy_respond(t, SIP_503_SERVICE_UNAVAILABLE, "cannot forward the request", 0);
  }
  /* in-dialog: a BYE is forwarded first, then the context is subtracted
   * (digest 7.2); t may be gone after the respond above, fsip is ours */
  if (!initial)
    alg_call_in_dialog(alg, sip);
  return 0;
}

/* Messages nta could not match: stray responses (e.g. retransmitted 2xx
 * after the INVITE client transaction ended) are relayed statelessly. */
static int agent_stray(alg_t *alg, nta_agent_t *agent, msg_t *msg, sip_t *sip)
{
  (void)agent;
  if (sip && sip->sip_status && sip->sip_via && sip->sip_cseq &&
      sip->sip_cseq->cs_method == sip_method_invite &&
      sip->sip_status->st_status >= 200 && sip->sip_status->st_status < 300) {
    const char *port = sip->sip_via->v_port ? sip->sip_via->v_port : "5060";
    if (host_is(sip->sip_via->v_host, alg->sip_host) &&
        (unsigned)atoi(port) == alg->sip_port) {
      alg_capture_sip(alg, msg, 0);
      sip_via_remove(msg, sip);
      if (sip->sip_via) {
        nta_msg_tsend(alg->agent, msg, NULL, TAG_END());
        return 0;
      }
    }
  }
  msg_destroy(msg);
  return 0;
}

/* ---------------------------------------------- ALG-made requests */

static int own_response(alg_ptx_t *t, nta_outgoing_t *orq, sip_t const *sip)
{
  (void)t;
  if (!sip || sip->sip_status->st_status >= 200)
    nta_outgoing_destroy(orq);
  return 0;
}

int alg_proxy_send_in_dialog(alg_t *alg, sip_method_t method, const char *name,
                             const url_t *ruri, sip_route_t const *route,
                             sip_from_t const *from, sip_to_t const *to,
                             sip_call_id_t const *cid, uint32_t cseq)
{
  nta_outgoing_t *orq;
  sip_cseq_t *cs;
  su_home_t home[1] = { SU_HOME_INIT(home) };
  msg_t *sent;

  tport_t *tp = alg->ws ? alg_ws_tport_for(alg, ruri, NULL) : NULL;

  if (!tp && alg->ws && alg_ws_uri_is_ws(ruri) && !route)
    return -ENOTCONN;   /* a WebSocket client whose connection is gone */

  cs = sip_cseq_create(home, cseq, method, name);
  orq = nta_outgoing_tcreate(alg->defleg, own_response, NULL, NULL, method, name,
                             (url_string_t const *)ruri, TAG_IF(tp, NTATAG_TPORT(tp)),
                             SIPTAG_ROUTE(route), SIPTAG_FROM(from), SIPTAG_TO(to),
                             SIPTAG_CALL_ID(cid), SIPTAG_CSEQ(cs),
                             SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
  su_home_deinit(home);
  if (!orq)
    return -EIO;
  sent = nta_outgoing_getrequest(orq);
  if (sent) {
    alg_capture_sip(alg, sent, 1);
    msg_destroy(sent);
  }
  if (method == sip_method_ack)
    nta_outgoing_destroy(orq);
  return 0;
}

/* ------------------------------------------------------- start/stop */

int alg_proxy_start(alg_t *alg)
{
  char url[200], rr[240];
  const char *tp[2] = { "udp", "tcp" };
  int i, n = 0;

  alg->agent = nta_agent_create(alg->root, (url_string_t *)-1, agent_stray, alg,
                                NTATAG_UA(0), NTATAG_CANCEL_487(0),
                                NTATAG_SERVER_RPORT(1), NTATAG_CLIENT_RPORT(1),
                                NTATAG_UDP_MTU(65000), NTATAG_MAXSIZE(1024 * 1024),
                                NTATAG_TIMER_C((unsigned)(alg->timer_c_s * 1000)),
                                NTATAG_PASS_408(1),
                                TAG_END());
  if (!alg->agent) {
    wg_log(WG_LOG_ERROR, "alg", NULL, "cannot create the SIP agent");
    return -ENOMEM;
  }
  for (i = 0; i < 2; i++) {
    if ((i == 0 && !alg->sip_udp) || (i == 1 && !alg->sip_tcp))
      continue;
    snprintf(url, sizeof url, "sip:%s:%u;transport=%s",
             strchr(alg->sip_host, ':') ? "[ipv6]" : alg->sip_host, alg->sip_port, tp[i]);
    if (strchr(alg->sip_host, ':'))
      snprintf(url, sizeof url, "sip:[%s]:%u;transport=%s", alg->sip_host, alg->sip_port, tp[i]);
    if (nta_agent_add_tport(alg->agent, (url_string_t *)url, TAG_END()) < 0) {
      wg_log(WG_LOG_ERROR, "alg", NULL, "cannot listen for SIP on %s (%s): %s",
             alg->sip_listen, tp[i], strerror(errno));
      return -EADDRINUSE;
    }
    n++;
  }
  if (n == 0)
    return -EINVAL;
  alg->defleg = nta_leg_tcreate(alg->agent, leg_request, alg, NTATAG_NO_DIALOG(1), TAG_END());
  if (!alg->defleg)
    return -ENOMEM;
  if (strchr(alg->sip_host, ':'))
    snprintf(rr, sizeof rr, "<sip:[%s]:%u;lr>", alg->sip_host, alg->sip_port);
  else
    snprintf(rr, sizeof rr, "<sip:%s:%u;lr>", alg->sip_host, alg->sip_port);
  alg->rr = sip_record_route_make(alg->home, rr);
  if (alg->ws_port) {
    snprintf(rr, sizeof rr, strchr(alg->ws_host, ':') ? "<sip:[%s]:%u;transport=ws;lr>"
                                                       : "<sip:%s:%u;transport=ws;lr>",
             alg->ws_host, alg->ws_port);
    alg->ws_rr = sip_record_route_make(alg->home, rr);
  }
  if (alg->wss_port) {
    snprintf(rr, sizeof rr, strchr(alg->wss_host, ':') ? "<sip:[%s]:%u;transport=wss;lr>"
                                                        : "<sip:%s:%u;transport=wss;lr>",
             alg->wss_host, alg->wss_port);
    alg->wss_rr = sip_record_route_make(alg->home, rr);
  }
  return 0;
}

void alg_proxy_stop(alg_t *alg)
{
  while (alg->ptxs)
    ptx_destroy(alg->ptxs);
  if (alg->defleg)
    nta_leg_destroy(alg->defleg), alg->defleg = NULL;
  if (alg->agent)
    nta_agent_destroy(alg->agent), alg->agent = NULL;
}
