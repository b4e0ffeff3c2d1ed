/* media.c -- the media side of terminations, on libwgmedia:
 *   T1 (access): one wgm_dc_t (ICE-lite, DTLS, SCTP, data channels) on a UDP
 *      port of agw.access-ports; H.248 stream N >= 2 with sctp/sctpid = id is
 *      the SDP-negotiated data channel on SCTP stream id;
 *   T2 (core): one wgm_tcp_t per H.248 stream on a TCP port of
 *      agw.core-ports; it listens unless the Remote SDP says a=setup:passive,
 *      then it connects to the Remote address;
 *   relays: stream N of T1 <-> stream N of T2 in the same context; each
 *      direction flows while both streams' Mode lets it through, else its
 *      messages are held until it opens (H.248.1 7.1.7, doc/agw.md);
 *   Notify to the MGC: tlsbsc/tlsfail (DTLS failure, once), bearer released
 *      (TCP closed/reset, SCTP lost, ICE consent lost), hangterm/thb. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agw/agw_int.h"

#define HOLD_MAX (1u << 20) /* DC bytes held while a stream's gate is closed */

typedef struct held {
  struct held *next;
  uint16_t sid;
  size_t len;
  uint8_t data[];
} held_t;

typedef struct t1_media {
  agw_t *agw;
  agw_term_t *t;      /* NULL once the termination is released */
  wgm_dc_t *dc;
  int role_client;
  int dtls_started, dtls_up, failed, sctp_up, lost_notified;
  uint64_t dtls_deadline; /* loop ms: the handshake must be done by then, ICE included */
  int recreating;         /* the endpoint is being reopened as DTLS client */
  char ufrag[64], pwd[160]; /* our ICE credentials (kept across a reopen) */
  uint16_t open_sids[AGW_MAX_STREAMS];
  int n_open;
  held_t *held, **held_tail;
  size_t held_bytes;
  uint64_t held_dropped;
  uint64_t tx_bytes, rx_bytes; /* snapshot when dc closes */
} t1_media_t;

typedef struct t2_media {
  agw_t *agw;
  agw_term_t *t;
  uint16_t stream;
  wgm_tcp_t *tcp;
  int listening, connected, lost_notified, ever_connected;
  wgm_relay_t *relay;
  wgm_dc_t *relay_dc;
  uint64_t tx_bytes, rx_bytes;
  /* MSRP messages read from TCP while the gate is closed (no relay yet, or
   * Inactive): delivered in order when the relay starts. TCP stays read so
   * that a close by the far end is seen; reading pauses only when full. */
  held_t *held, **held_tail;
  size_t held_bytes;
  int read_paused;
  /* messages the hold queues (this one and the T1 one) delivered when a
   * gate opened, for the relay's "stopped" line: the DC->TCP ones go through
   * the relay (it counts them too), the TCP->DC ones straight to the channel */
  uint64_t fwd_dc_to_tcp, fwd_tcp_to_dc;
  int open_d2t, open_t2d; /* the relay's gates (Mode), see ctx_update_relays */
} t2_media_t;

static void logt(int lvl, const agw_term_t *t, int step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void logt(int lvl, const agw_term_t *t, int step, const char *fmt, ...)
{
  wg_log_ctx_t lc = {NULL, t && t->ctx ? t->ctx->id : 0, step};
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  wg_log((enum wg_log_level)lvl, AGW_LOG, &lc, "%s: %s", t ? t->id : "-", buf);
}

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
  const struct sockaddr *sa = (const struct sockaddr *)ss;
  if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
  else
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
}

static void with_port(struct sockaddr_storage *ss, uint16_t port)
{
  struct sockaddr *sa = (struct sockaddr *)ss;
  if (sa->sa_family == AF_INET6)
    ((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
  else
    ((struct sockaddr_in *)sa)->sin_port = htons(port);
}

/* Out of ports, descriptors or memory: the MGC gets 510, never a crash. */
static int resource_err(int rc)
{
  return rc == -EADDRINUSE || rc == -ENOSPC || rc == -EAGAIN || rc == -EMFILE ||
         rc == -ENFILE || rc == -ENOBUFS || rc == -ENOMEM;
}

static int remote_sockaddr(const agw_sdp_t *r, struct sockaddr_storage *out)
{
  memset(out, 0, sizeof *out);
  struct sockaddr_in *s4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, r->addr, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)r->port);
    return 0;
  }
  if (inet_pton(AF_INET6, r->addr, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)r->port);
    return 0;
  }
  return -EINVAL;
}

/* ------------------------------------------------------------- Notify */

static void on_notify_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  char *what = arg;
  (void)msg;
  wg_log_ctx_t lc = {NULL, 0, -1};
  if (status == 0) {
    const h248_error_t *e = NULL;
    if (reply->error)
      e = reply->error;
    for (const h248_action_t *a = reply->actions; a && !e; a = a->next) {
      lc.context_id = a->ctx.kind == H248_CTX_ID ? a->ctx.id : 0;
      e = a->error;
      for (const h248_cmd_t *c = a->cmds; c && !e; c = c->next)
        e = c->error;
    }
    if (e)
      wg_log(WG_LOG_WARN, AGW_LOG, &lc, "Notify %s answered with Error %u %s", what, e->code,
             e->text ? e->text : "");
    else
      wg_log(WG_LOG_INFO, AGW_LOG, &lc, "Notify %s answered by the MGC", what);
  } else if (status != -ECANCELED) {
    wg_log(WG_LOG_WARN, AGW_LOG, &lc, "Notify %s: no reply from the MGC (%s)", what,
           strerror(-status));
  }
  free(what);
}

/* Notify = t { ObservedEvents = rid { <now>:event {Stream = stream, params} } } */
static void notify(agw_t *agw, agw_term_t *t, uint32_t rid, const char *event, uint16_t stream,
                   const char *pname, const char *pval)
{
  if (agw->state != AGW_ST_REGISTERED || !t || !t->ctx)
    return;
  h248_msg_t *m = agw_new_msg(agw);
  if (!m)
    return;
  h248_trans_t *tr = h248_add_request(m, 0);
  h248_action_t *a = tr ? h248_add_action(m, tr, h248_ctx_num(t->ctx->id)) : NULL;
  h248_cmd_t *c = a ? h248_add_cmd(m, a, H248_CMD_NOTIFY, t->id) : NULL;
  h248_observed_t *o = c ? h248_cmd_set_observed(m, c, rid) : NULL;
  char ts[18];
  int64_t us = wg_time_us();
  h248_timestamp(us / 1000000, (unsigned)((us / 10000) % 100), ts);
  h248_event_t *ev = o ? h248_observed_add(m, o, ts, event, stream) : NULL;
  if (!ev || (pname && !h248_prop_add(m, &ev->params, pname, pval))) {
    h248_msg_free(m);
    return;
  }
  char *what = malloc(160);
  if (what)
    snprintf(what, 160, "%s on %s", event, t->id);
  logt(WG_LOG_NOTICE, t, -1, "Notify %s {Stream = %u%s%s%s%s} (RequestID %u)", event, stream,
       pname ? ", " : "", pname ? pname : "", pname ? " = " : "", pname ? pval : "", rid);
  int rc = agw_send_request(agw, m, on_notify_reply, what);
  if (rc < 0) {
    logt(WG_LOG_ERROR, t, -1, "Notify not sent: %s", strerror(-rc));
    free(what);
  }
}

static void notify_released(agw_t *agw, agw_term_t *t, uint16_t stream, const char *reason)
{
  if (!t)
    return;
  if (!t->ev_released && !agw->conf.notify_released)
    return;
  notify(agw, t, t->ev_released ? t->events_rid : 0, H248_IQ_EVT_RELEASED, stream, "reason",
         reason);
}

/* ------------------------------------------------------------- relays */

static agw_term_t *ctx_peer(agw_term_t *t, enum agw_kind kind)
{
  if (!t->ctx)
    return NULL;
  for (agw_term_t *o = t->ctx->terms; o; o = o->next)
    if (o != t && o->kind == kind)
      return o;
  return NULL;
}

static int t1_sid_open(const t1_media_t *m, int sid)
{
  for (int i = 0; i < m->n_open; i++)
    if (m->open_sids[i] == sid)
      return 1;
  return 0;
}

/* Hand the messages held from data channel sid to the relay, in order
 * (the relay queues what TCP cannot take yet). */
static void flush_held(t1_media_t *m, wgm_relay_t *r, uint16_t sid)
{
  held_t **pp = &m->held;
  while (*pp) {
    held_t *h = *pp;
    if (h->sid != sid) {
      pp = &h->next;
      continue;
    }
    if (wgm_relay_send_to_tcp(r, h->data, h->len) < 0)
      break; /* out of memory: keep the rest; retried on the next update */
    ((t2_media_t *)wgm_relay_get_data(r))->fwd_dc_to_tcp++;
    *pp = h->next;
    m->held_bytes -= h->len;
    free(h);
  }
  m->held_tail = &m->held;
  while (*m->held_tail)
    m->held_tail = &(*m->held_tail)->next;
}

static int t1_held_has(const t1_media_t *m, uint16_t sid)
{
  for (const held_t *h = m->held; h; h = h->next)
    if (h->sid == sid)
      return 1;
  return 0;
}

/* Returns 1 when everything held from TCP went to the data channel. */
static int flush_tcp_held(t2_media_t *tm, wgm_dc_t *dc, uint16_t sid)
{
  while (tm->held) {
    held_t *h = tm->held;
    int rc = wgm_dc_send(dc, sid, WGM_PPID_BINARY, h->data, h->len);
    if (rc == -EAGAIN || rc == -ENOTCONN)
      return 0; /* again on `writable` */
    if (rc < 0) {
      /* as the relay does (doc/architecture.md): a SEND the channel cannot
       * carry is answered 413 on TCP; anything else is logged */
      char ans[1300];
      size_t n = rc == -EMSGSIZE ? wgm_msrp_answer(h->data, h->len, "413 Message too large",
                                                   ans, sizeof ans)
                                 : 0;
      if (n && wgm_tcp_send(tm->tcp, ans, n) == 0)
        logt(WG_LOG_WARN, tm->t, -1, "stream %u: held %zu-byte message too large for the "
             "data channel: answered 413", tm->stream, h->len);
      else
        logt(WG_LOG_WARN, tm->t, -1, "stream %u: held %zu-byte message dropped: %s",
             tm->stream, h->len, wgm_strerror(rc));
    } else {
      tm->fwd_tcp_to_dc++;
    }
    tm->held = h->next;
    tm->held_bytes -= h->len;
    free(h);
  }
  tm->held_tail = &tm->held;
  return 1;
}

static void tcp_read(t2_media_t *tm, int on)
{
  /* always applied: a relay may have paused reading for back-pressure */
  if (tm->tcp) {
    tm->read_paused = !on;
    wgm_tcp_pause_read(tm->tcp, !on);
  }
}

static void relay_free(t2_media_t *tm)
{
  if (tm->relay) {
    wgm_relay_stats_t st;
    wgm_relay_get_stats(tm->relay, &st);
    /* the messages held while the gate was closed and delivered when the
     * relay started count too: they crossed the gate once, like the rest */
    logt(WG_LOG_INFO, tm->t, -1,
         "relay on stream %u stopped (%llu msgs DC->TCP, %llu TCP->DC; %llu and %llu of them "
         "held until it started)",
         tm->stream, (unsigned long long)st.dc_to_tcp_msgs,
         (unsigned long long)(st.tcp_to_dc_msgs + tm->fwd_tcp_to_dc),
         (unsigned long long)tm->fwd_dc_to_tcp, (unsigned long long)tm->fwd_tcp_to_dc);
    tm->fwd_dc_to_tcp = tm->fwd_tcp_to_dc = 0;
    wgm_relay_free(tm->relay);
    tm->relay = NULL;
    tm->relay_dc = NULL;
  }
}

static void on_relay_dropped(wgm_relay_t *r, int from_tcp, int err, size_t len)
{
  t2_media_t *tm = wgm_relay_get_data(r);
  logt(WG_LOG_WARN, tm->t, -1, "relay dropped a %zu-byte message from %s: %s", len,
       from_tcp ? "TCP" : "the data channel", wgm_strerror(err));
}

static const wgm_relay_callbacks_t relay_cb = {.dropped = on_relay_dropped};

/* H.248.1 7.1.7: Mode is relative to the outside of the termination.
 * SendOnly: media leaves the termination towards its outside only (what the
 * outside sends is not passed into the context); ReceiveOnly: media from
 * the outside enters the context only. So DC -> TCP flows when T1 receives
 * and T2 sends; TCP -> DC when T2 receives and T1 sends (doc/agw.md). */
static int mode_sends(int mode)
{
  return mode == AGW_MODE_SENDRECV || mode == AGW_MODE_SENDONLY;
}
static int mode_receives(int mode)
{
  return mode == AGW_MODE_SENDRECV || mode == AGW_MODE_RECVONLY;
}

/* Bring the relays of context c in line with the state of its terminations.
 * A relay runs while both ends are up; each of its two directions is open
 * while both streams' Modes let it through (above). A closed direction
 * holds: DC messages in t1_media.held (dc_message), TCP messages in
 * t2_media.held (tcp_message); they go out in order when it opens. */
static void ctx_update_relays(agw_t *agw, agw_ctx_t *c)
{
  if (!c)
    return;
  for (agw_term_t *t2 = c->terms; t2; t2 = t2->next) {
    if (t2->kind != AGW_KIND_CORE)
      continue;
    agw_term_t *t1 = ctx_peer(t2, AGW_KIND_ACCESS);
    t1_media_t *m1 = t1 ? t1->media : NULL;
    for (unsigned i = 0; i < AGW_MAX_STREAMS; i++) {
      agw_stream_t *s2 = t2->streams[i];
      t2_media_t *tm = s2 ? s2->media : NULL;
      if (!s2 || !s2->used || !tm || !tm->tcp)
        continue;
      agw_stream_t *s1 = t1 ? agw_stream_get(t1, s2->id, 0) : NULL;
      int want = m1 && m1->dc && !m1->failed && s1 && s1->sctpid >= 0 &&
                 t1_sid_open(m1, s1->sctpid) && !t1->service_out && !t2->service_out;
      if (want && tm->relay && tm->relay_dc != m1->dc)
        relay_free(tm);
      if (!want) {
        relay_free(tm); /* closed gates: messages are kept (dc_message, tcp_message) */
        tcp_read(tm, tm->held_bytes < HOLD_MAX);
        continue;
      }
      uint16_t sid = (uint16_t)s1->sctpid;
      if (!tm->relay) {
        if (!tm->connected && t1_held_has(m1, sid))
          continue; /* deliver held messages in order once TCP is up */
        int rc = wgm_relay_new(m1->dc, sid, tm->tcp, &relay_cb, tm, &tm->relay);
        if (rc < 0) {
          tm->relay = NULL;
          logt(WG_LOG_ERROR, t2, -1, "relay stream %u <-> sctp stream %d: %s", s2->id,
               s1->sctpid, wgm_strerror(rc));
          continue;
        }
        tm->relay_dc = m1->dc;
        tm->open_d2t = tm->open_t2d = 0;
        wgm_relay_set_gates(tm->relay, 0, 0);
        logt(WG_LOG_INFO, t2, -1, "relay up: H.248 stream %u = data channel %d on %s <-> TCP",
             s2->id, s1->sctpid, t1->id);
      }
      int d2t = mode_receives(s1->mode) && mode_sends(s2->mode);
      int t2d = mode_receives(s2->mode) && mode_sends(s1->mode);
      int was_d2t = tm->open_d2t, was_t2d = tm->open_t2d;
      if (d2t && !tm->open_d2t) {
        flush_held(m1, tm->relay, sid);
        tm->open_d2t = !t1_held_has(m1, sid);
      }
      if (t2d && !tm->open_t2d)
        tm->open_t2d = flush_tcp_held(tm, m1->dc, sid); /* else again on `writable` */
      if (!d2t)
        tm->open_d2t = 0;
      if (!t2d)
        tm->open_t2d = 0;
      wgm_relay_set_gates(tm->relay, tm->open_d2t, tm->open_t2d);
      if (tm->open_t2d != was_t2d || !tm->open_t2d)
        tcp_read(tm, tm->open_t2d || tm->held_bytes < HOLD_MAX);
      if (tm->open_d2t != was_d2t || tm->open_t2d != was_t2d)
        logt(WG_LOG_INFO, t2, -1,
             "stream %u (Mode %s / %s on %s): data channel -> TCP %s, TCP -> data channel %s",
             s2->id, agw_mode_name(s2->mode), agw_mode_name(s1->mode), t1->id,
             tm->open_d2t ? "flows" : "held", tm->open_t2d ? "flows" : "held");
    }
  }
  (void)agw;
}

/* Free every relay that uses dc (before dc is closed). */
static void ctx_drop_relays_of(agw_ctx_t *c, wgm_dc_t *dc)
{
  if (!c)
    return;
  for (agw_term_t *t = c->terms; t; t = t->next)
    for (unsigned i = 0; i < AGW_MAX_STREAMS; i++) {
      t2_media_t *tm = t->kind == AGW_KIND_CORE && t->streams[i] ? t->streams[i]->media : NULL;
      if (tm && tm->relay && tm->relay_dc == dc)
        relay_free(tm);
    }
}

/* --------------------------------------------------------------- T1 */

static void held_clear(t1_media_t *m)
{
  while (m->held) {
    held_t *h = m->held;
    m->held = h->next;
    free(h);
  }
  m->held_tail = &m->held;
  m->held_bytes = 0;
}

static void on_dc_closed(wgm_dc_t *dc)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  agw_t *agw = m->agw;
  held_clear(m);
  free(m);
  agw->media_closing--;
  agw_maybe_finish_close(agw);
}

static void t1_close_dc(t1_media_t *m)
{
  if (!m->dc)
    return;
  wgm_dc_stats_t st;
  wgm_dc_get_stats(m->dc, &st);
  m->tx_bytes = st.udp_tx_bytes;
  m->rx_bytes = st.udp_rx_bytes;
  if (m->t)
    ctx_drop_relays_of(m->t->ctx, m->dc);
  m->dc = NULL;
}

static void dc_ice(wgm_dc_t *dc, const struct sockaddr *peer)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  char a[64];
  if (m->t)
    logt(WG_LOG_INFO, m->t, 16, "ICE: WIC %s nominated (ICE-lite)",
         wg_format_addr(peer, a, sizeof a));
}

static void dc_dtls_ok(wgm_dc_t *dc)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  m->dtls_up = 1;
  if (m->t)
    logt(WG_LOG_INFO, m->t, 17, "DTLS up as %s, WIC fingerprint verified",
         m->role_client ? "client" : "server");
}

static void t1_dtls_failed(t1_media_t *m, enum wgm_dtls_fail reason, const char *detail)
{
  agw_term_t *t = m->t;
  wgm_dc_t *dc = m->dc;
  agw_t *agw = m->agw;
  m->failed = 1;
  if (!t)
    return;
  logt(WG_LOG_WARN, t, 17, "DTLS failed: %s (%s)", wgm_dtls_fail_name(reason),
       detail ? detail : "");
  if (t->ev_tlsfail && !t->tlsfail_notified) {
    t->tlsfail_notified = 1;
    notify(agw, t, t->events_rid, H248_IQ_EVT_TLS_FAIL, (uint16_t)t->ev_tlsfail_stream,
           "reason", wgm_dtls_fail_name(reason));
  }
  ctx_drop_relays_of(t->ctx, dc);
}

static void dc_dtls_failed(wgm_dc_t *dc, enum wgm_dtls_fail reason, const char *detail)
{
  t1_dtls_failed(wgm_dc_get_data(dc), reason, detail);
}

static void dc_sctp_up(wgm_dc_t *dc)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  m->sctp_up = 1;
  if (m->t)
    logt(WG_LOG_INFO, m->t, 18, "SCTP association up");
}

/* The media library re-measured an inflated SCTP RTT estimate (the usrsctp
 * 0.9.5 retransmission stall of doc/reliability.md); logged so a lab sees
 * how often its WICs' associations start that way. */
static void dc_rtt_probe(wgm_dc_t *dc, int stalled, uint32_t srtt_ms)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  wgm_dc_stats_t st;
  wgm_dc_get_stats(dc, &st);
  if (m->t)
    logt(WG_LOG_NOTICE, m->t, -1, "SCTP RTT estimate inflated (SRTT %u ms, RTO at its 3 s "
         "cap%s): heartbeats sent to re-measure it, so usrsctp retransmits lost data after "
         "the RTO (repair #%llu of this association)", srtt_ms,
         stalled ? ", data unacknowledged with no progress" : ", association just up",
         (unsigned long long)st.rtt_probes);
}

static void t1_lost(t1_media_t *m, const char *reason)
{
  m->failed = 1;
  if (!m->t)
    return;
  logt(WG_LOG_WARN, m->t, -1, "access bearer lost: %s", reason);
  ctx_drop_relays_of(m->t->ctx, m->dc);
  if (!m->lost_notified) {
    m->lost_notified = 1;
    notify_released(m->agw, m->t, 1, reason);
  }
}

static void dc_sctp_lost(wgm_dc_t *dc, int err)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  t1_lost(m, err == -ETIMEDOUT ? "consent-lost" : err == -ECONNRESET ? "sctp-abort" : "sctp-lost");
}

static void dc_consent_lost(wgm_dc_t *dc)
{
  t1_lost(wgm_dc_get_data(dc), "consent-lost");
}

static void dc_channel_open(wgm_dc_t *dc, const wgm_channel_info_t *info)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  if (!t1_sid_open(m, info->sid) && m->n_open < AGW_MAX_STREAMS)
    m->open_sids[m->n_open++] = info->sid;
  if (!m->t)
    return;
  logt(WG_LOG_INFO, m->t, 18, "data channel %u open (%s, \"%s\")", info->sid,
       info->negotiated ? "negotiated" : "DCEP", info->protocol ? info->protocol : "");
  ctx_update_relays(m->agw, m->t->ctx);
}

static void dc_channel_closed(wgm_dc_t *dc, uint16_t sid)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  for (int i = 0; i < m->n_open; i++)
    if (m->open_sids[i] == sid) {
      m->open_sids[i] = m->open_sids[--m->n_open];
      break;
    }
  if (!m->t)
    return;
  /* not a Notify of its own: a channel closed with the association is
   * reported once by sctp_lost, one closed alone was removed by SDP
   * (re-INVITE), which the MGC already knows */
  logt(WG_LOG_INFO, m->t, -1, "data channel %u closed", sid);
  ctx_update_relays(m->agw, m->t->ctx);
}

/* A message on a channel whose relay is not (yet) there, or whose DC -> TCP
 * gate is closed (Mode): hold it. Beyond HOLD_MAX a SEND is answered on the
 * channel with "413 Held queue full" (RFC 4975: the sender should stop
 * sending that message); other messages (responses, REPORTs) cannot be
 * answered and are counted and logged. */
static void dc_message(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const uint8_t *data,
                       size_t len)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  (void)ppid;
  if (m->held_bytes + len > HOLD_MAX) {
    char ans[1300];
    size_t n = wgm_msrp_answer(data, len, "413 Held queue full", ans, sizeof ans);
    int rc = n ? wgm_dc_send(dc, sid, WGM_PPID_BINARY, ans, n) : -ENOMSG;
    m->held_dropped++;
    if (m->t)
      logt(WG_LOG_WARN, m->t, -1, "data channel %u: %zu-byte message not held (hold full, %u "
           "bytes): %s", sid, len, HOLD_MAX,
           rc == 0 ? "answered 413" : n ? "413 not sent" : "no answer due (not a SEND)");
    return;
  }
  held_t *h = malloc(sizeof *h + len);
  if (!h)
    return;
  h->next = NULL;
  h->sid = sid;
  h->len = len;
  memcpy(h->data, data, len);
  *m->held_tail = h;
  m->held_tail = &h->next;
  m->held_bytes += len;
  if (m->t)
    logt(WG_LOG_DEBUG, m->t, -1, "data channel %u: %zu-byte message held (%zu bytes held)", sid,
         len, m->held_bytes);
}

static void dc_writable(wgm_dc_t *dc)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  if (m->t)
    ctx_update_relays(m->agw, m->t->ctx);
}

static void dc_keylog(wgm_dc_t *dc, const char *line)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  if (m->agw->keylog)
    wg_keylog_write(m->agw->keylog, line);
}

static void dc_tap(wgm_dc_t *dc, int out, const struct sockaddr *src, const struct sockaddr *dst,
                   const uint8_t *data, size_t len)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  (void)out;
  if (m->agw->pcap)
    wg_pcap_udp(m->agw->pcap, src, dst, data, len);
}

static const wgm_dc_callbacks_t dc_cb = {
    .ice_connected = dc_ice,
    .dtls_connected = dc_dtls_ok,
    .dtls_failed = dc_dtls_failed,
    .sctp_up = dc_sctp_up,
    .sctp_lost = dc_sctp_lost,
    .channel_open = dc_channel_open,
    .channel_closed = dc_channel_closed,
    .message = dc_message,
    .writable = dc_writable,
    .consent_lost = dc_consent_lost,
    .keylog = dc_keylog,
    .tap = dc_tap,
    .rtt_probe = dc_rtt_probe,
};

/* How many ports of a pool to try when other processes hold some: every
 * one (the pool hands them out in turn), at most 4096 binds for a call, so
 * that a range shared with other programs still serves while it has a free
 * port; 510 only when none was free. */
static unsigned pool_tries(const agw_pool_t *p)
{
  uint32_t n = agw_pool_size(p);
  return n < 1 ? 1 : n > 4096 ? 4096 : (unsigned)n;
}

/* Open m's UDP endpoint for stream s of t in m->role_client. keep_port: the
 * port was already given to the MGC (re-opened with another DTLS role), so
 * no other port may be tried; the ICE credentials in m are kept too. */
static int t1_open_dc(agw_t *agw, agw_term_t *t, agw_stream_t *s, t1_media_t *m, int keep_port,
                      agw_err_t *e)
{
  const char *fps[AGW_SDP_MAX_FP];
  for (int i = 0; i < s->remote.n_fp; i++)
    fps[i] = s->remote.fp[i];
  struct sockaddr_storage bind = agw->conf.access, raddr;
  wgm_dc_config_t dc;
  wgm_dc_config_init(&dc);
  dc.bind_addr = (const struct sockaddr *)&bind;
  dc.ice = WGM_ICE_LITE;
  dc.local_ufrag = m->ufrag[0] ? m->ufrag : NULL;
  dc.local_pwd = m->pwd[0] ? m->pwd : NULL;
  dc.remote_ufrag = s->remote.ufrag[0] ? s->remote.ufrag : NULL;
  dc.remote_pwd = s->remote.pwd[0] ? s->remote.pwd : NULL;
  if (s->remote.present && remote_sockaddr(&s->remote, &raddr) == 0)
    dc.remote_addr = (const struct sockaddr *)&raddr;
  dc.consent_timeout_ms = (uint32_t)agw->conf.consent_timeout_s * 1000;
  dc.role = m->role_client ? WGM_DTLS_CLIENT : WGM_DTLS_SERVER;
  dc.remote_fingerprints = fps;
  dc.n_remote_fingerprints = (size_t)s->remote.n_fp;
  /* No Remote yet (WIC-terminated call: Local first): any certificate until
   * Modify brings the fingerprint (wgm_dc_set_remote). */
  dc.accept_any_fingerprint = s->remote.n_fp == 0;
  dc.dtls_timeout_ms = (uint32_t)agw->conf.dtls_timeout_s * 1000;
  dc.local_sctp_port = (uint16_t)(s->local.has_sctp_port && !s->local.sctp_port_choose
                                      ? s->local.sctp_port
                                      : (uint32_t)agw->conf.sctp_port);
  dc.remote_sctp_port = (uint16_t)(s->remote.has_sctp_port ? s->remote.sctp_port : 5000);
  dc.local_max_message_size = (size_t)agw->conf.max_message_size;
  dc.remote_max_message_size = s->remote.has_mms ? (s->remote.mms ? s->remote.mms : (1u << 30))
                                                 : 65536;
  /* SCTP streams offered: agw.sctp-streams (usrsctp's per-association cost
   * grows with it), raised to cover every sctpid the MGC gave this T1. */
  long streams = agw->conf.sctp_streams;
  for (unsigned i = 0; i < AGW_MAX_STREAMS; i++)
    if (t->streams[i] && t->streams[i]->used && t->streams[i]->sctpid >= streams)
      streams = t->streams[i]->sctpid + 1;
  dc.sctp_streams = (uint16_t)(streams > 65535 ? 65535 : streams);
  dc.cb = &dc_cb;
  dc.data = m;
  /* the port came from our pool; if another process holds it, try more */
  int rc = -EADDRINUSE;
  unsigned max_tries = keep_port ? 1 : pool_tries(&agw->access_pool);
  for (unsigned tries = 0; tries < max_tries && rc == -EADDRINUSE; tries++) {
    if (tries > 0) {
      uint16_t np;
      agw_pool_give(&agw->access_pool, s->port);
      s->has_port = 0;
      if (agw_pool_take(&agw->access_pool, &np) < 0)
        break;
      s->port = np;
      s->has_port = 1;
    }
    dc.port_min = dc.port_max = s->port;
    rc = wgm_dc_new(agw->media, &dc, &m->dc);
  }
  if (rc < 0) {
    m->dc = NULL;
    if (rc == -EADDRINUSE || rc == -ENOSPC || rc == -EAGAIN)
      return agw_fail(e, 510, "Insufficient resources: no UDP port available");
    if (resource_err(rc))
      return agw_fail(e, 510, "Insufficient resources: UDP endpoint: %s", wgm_strerror(rc));
    if (rc == -EINVAL)
      return agw_fail(e, 449, "Unsupported DTLS/ICE parameters (%s)", wgm_strerror(rc));
    return agw_fail(e, 500, "Internal failure: UDP endpoint: %s", wgm_strerror(rc));
  }
  snprintf(m->ufrag, sizeof m->ufrag, "%s", wgm_dc_local_ufrag(m->dc));
  snprintf(m->pwd, sizeof m->pwd, "%s", wgm_dc_local_pwd(m->dc));
  s->local.sctp_port = dc.local_sctp_port;
  logt(WG_LOG_INFO, t, 12, "UDP port %u: ICE-lite, DTLS %s, SCTP port %u", s->port,
       m->role_client ? "client (tlsbsc/tlsest)" : "server", dc.local_sctp_port);
  return 0;
}

static int t1_create(agw_t *agw, agw_term_t *t, agw_stream_t *s, agw_err_t *e)
{
  t1_media_t *m = calloc(1, sizeof *m);
  if (!m)
    return agw_fail(e, 500, "Internal failure: out of memory");
  m->agw = agw;
  m->t = t;
  m->held_tail = &m->held;
  m->role_client = t->sig_tlsest;
  int rc = t1_open_dc(agw, t, s, m, 0, e);
  if (rc < 0) {
    free(m);
    return rc;
  }
  t->media = m;
  return 0;
}

static void t1_apply(agw_t *agw, agw_term_t *t, agw_stream_t *s1);

/* The old endpoint (DTLS server) is closed: open the same port again as
 * DTLS client, with the same ICE credentials, and carry on. */
static void on_dc_reopen(wgm_dc_t *dc)
{
  t1_media_t *m = wgm_dc_get_data(dc);
  agw_t *agw = m->agw;
  agw->media_closing--;
  m->recreating = 0;
  if (!m->t) { /* released meanwhile */
    held_clear(m);
    free(m);
    agw_maybe_finish_close(agw);
    return;
  }
  agw_term_t *t = m->t;
  agw_stream_t *s1 = agw_stream_get(t, 1, 0);
  agw_err_t e;
  if (!s1 || t1_open_dc(agw, t, s1, m, 1, &e) < 0) {
    logt(WG_LOG_ERROR, t, 16, "cannot reopen the UDP port as DTLS client: %s",
         s1 ? e.text : "no stream 1");
    t1_dtls_failed(m, WGM_DTLS_FAIL_ALERT, "endpoint could not be reopened");
    return;
  }
  t1_apply(agw, t, s1);
}

static void t1_apply(agw_t *agw, agw_term_t *t, agw_stream_t *s1)
{
  t1_media_t *m = t->media;
  if (!m || !m->dc)
    return; /* none, or being reopened: on_dc_reopen applies everything */
  if (s1 && s1->remote.present && !m->dtls_started) {
    struct sockaddr_storage raddr;
    const char *fps[AGW_SDP_MAX_FP];
    for (int i = 0; i < s1->remote.n_fp; i++)
      fps[i] = s1->remote.fp[i];
    int has_addr = remote_sockaddr(&s1->remote, &raddr) == 0;
    wgm_dc_set_remote(m->dc, s1->remote.ufrag[0] ? s1->remote.ufrag : NULL,
                      s1->remote.pwd[0] ? s1->remote.pwd : NULL,
                      has_addr ? (const struct sockaddr *)&raddr : NULL,
                      s1->remote.n_fp ? fps : NULL, (size_t)s1->remote.n_fp);
    wgm_dc_set_sctp(m->dc, (uint16_t)(s1->remote.has_sctp_port ? s1->remote.sctp_port : 0),
                    s1->remote.has_mms ? s1->remote.mms : 0);
  }
  if (t->sig_tlsest && !m->role_client) {
    if (m->dtls_up || m->failed) {
      logt(WG_LOG_WARN, t, -1, "tlsbsc/tlsest on an established DTLS server: ignored");
    } else {
      /* Est_DTLS after a Local-only Add (the WIC answered a=setup:passive):
       * reopen the same port as DTLS client, same ICE credentials */
      logt(WG_LOG_INFO, t, 16, "tlsbsc/tlsest: the MG becomes the DTLS client");
      m->role_client = 1;
      m->recreating = 1;
      m->dtls_started = 0;
      m->n_open = 0;
      ctx_drop_relays_of(t->ctx, m->dc);
      for (unsigned i = 0; i < AGW_MAX_STREAMS; i++)
        if (t->streams[i] && t->streams[i]->sctpid >= 0)
          t->streams[i]->media = NULL; /* channels are requested again */
      agw->media_closing++;
      wgm_dc_close(m->dc, on_dc_reopen);
      m->dc = NULL;
      return;
    }
  }
  /* client: the signal starts the handshake (after ICE); server: accept the
   * WIC's ClientHello once its Remote (fingerprint) is known */
  int start = m->role_client ? t->sig_tlsest : (s1 && s1->remote.present);
  if (start && !m->dtls_started && !m->failed) {
    m->dtls_started = 1;
    m->dtls_deadline = uv_now(&agw->loop) + (uint64_t)agw->conf.dtls_timeout_s * 1000;
    int rc = wgm_dc_start_dtls(m->dc);
    if (rc < 0)
      logt(WG_LOG_WARN, t, 16, "DTLS start: %s", wgm_strerror(rc));
    else
      logt(WG_LOG_INFO, t, 16, "DTLS %s armed", m->role_client ? "client" : "server");
  }
  for (unsigned i = 0; i < AGW_MAX_STREAMS; i++) {
    agw_stream_t *s = t->streams[i];
    if (!s || !s->used || s->sctpid < 0 || s->media)
      continue;
    wgm_channel_info_t ci = {.sid = (uint16_t)s->sctpid, .negotiated = 1,
                             .channel_type = WGM_DC_RELIABLE, .label = "", .protocol = "MSRP"};
    int rc = wgm_dc_open_channel(m->dc, &ci);
    if (rc < 0 && rc != -EEXIST)
      logt(WG_LOG_WARN, t, -1, "data channel %d: %s", s->sctpid, wgm_strerror(rc));
    s->media = m; /* marks "channel requested" */
  }
}

/* --------------------------------------------------------------- T2 */

static void t2_held_clear(t2_media_t *tm)
{
  while (tm->held) {
    held_t *h = tm->held;
    tm->held = h->next;
    free(h);
  }
  tm->held_tail = &tm->held;
  tm->held_bytes = 0;
}

static void on_tcp_closed(wgm_tcp_t *tcp)
{
  t2_media_t *tm = wgm_tcp_get_data(tcp);
  agw_t *agw = tm->agw;
  t2_held_clear(tm);
  free(tm);
  agw->media_closing--;
  agw_maybe_finish_close(agw);
}

static void on_tcp_closed_keep(wgm_tcp_t *tcp)
{
  /* a listener replaced by a connecting endpoint: the t2_media lives on */
  t2_media_t *tm = wgm_tcp_get_data(tcp);
  tm->agw->media_closing--;
  agw_maybe_finish_close(tm->agw);
}

static void tcp_connected(wgm_tcp_t *tcp, const struct sockaddr *peer)
{
  t2_media_t *tm = wgm_tcp_get_data(tcp);
  char a[64];
  tm->connected = tm->ever_connected = 1;
  if (!tm->t)
    return;
  logt(WG_LOG_INFO, tm->t, -1, "stream %u: TCP %s %s", tm->stream,
       tm->listening ? "accepted from" : "connected to", wg_format_addr(peer, a, sizeof a));
  ctx_update_relays(tm->agw, tm->t->ctx);
}

static void tcp_closed(wgm_tcp_t *tcp, int err)
{
  t2_media_t *tm = wgm_tcp_get_data(tcp);
  tm->connected = 0;
  if (!tm->t)
    return;
  const char *why = err == 0 ? "tcp-closed" : err == -ECONNRESET ? "tcp-reset"
                    : err == -ECONNREFUSED ? "tcp-refused" : err == -EBADMSG ? "msrp-framing"
                                                                              : "tcp-error";
  logt(WG_LOG_WARN, tm->t, -1, "stream %u: TCP bearer gone: %s", tm->stream, why);
  relay_free(tm);
  if (!tm->lost_notified) {
    tm->lost_notified = 1;
    notify_released(tm->agw, tm->t, tm->stream, why);
  }
}

/* An MSRP message from TCP while no relay runs: hold it. */
static void tcp_message(wgm_tcp_t *tcp, const uint8_t *data, size_t len)
{
  t2_media_t *tm = wgm_tcp_get_data(tcp);
  held_t *h = malloc(sizeof *h + len);
  if (!h)
    return;
  h->next = NULL;
  h->sid = tm->stream;
  h->len = len;
  memcpy(h->data, data, len);
  *tm->held_tail = h;
  tm->held_tail = &h->next;
  tm->held_bytes += len;
  if (tm->t)
    logt(WG_LOG_DEBUG, tm->t, -1, "stream %u: %zu-byte message from TCP held (%zu bytes held)",
         tm->stream, len, tm->held_bytes);
  if (tm->held_bytes >= HOLD_MAX)
    tcp_read(tm, 0); /* full: let TCP flow control hold the rest */
}

static void tcp_tap(wgm_tcp_t *tcp, int out, const struct sockaddr *src,
                    const struct sockaddr *dst, const uint8_t *data, size_t len)
{
  t2_media_t *tm = wgm_tcp_get_data(tcp);
  (void)out;
  if (tm->agw->pcap)
    wg_pcap_tcp(tm->agw->pcap, src, dst, data, len);
}

static const wgm_tcp_callbacks_t tcp_cb = {
    .connected = tcp_connected, .closed = tcp_closed, .message = tcp_message, .tap = tcp_tap};

static int t2_reserve(agw_t *agw, agw_term_t *t, agw_stream_t *s, agw_err_t *e)
{
  t2_media_t *tm = calloc(1, sizeof *tm);
  if (!tm)
    return agw_fail(e, 500, "Internal failure: out of memory");
  tm->agw = agw;
  tm->t = t;
  tm->stream = s->id;
  tm->held_tail = &tm->held;
  struct sockaddr_storage bind = agw->conf.core;
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 1;
  tc.bind_addr = (const struct sockaddr *)&bind;
  tc.framing = WGM_TCP_MSRP;
  tc.max_message_size = (size_t)agw->conf.max_message_size * 16;
  tc.cb = &tcp_cb;
  tc.data = tm;
  int rc = -EADDRINUSE;
  unsigned max_tries = pool_tries(&agw->core_pool);
  for (unsigned tries = 0; tries < max_tries && rc == -EADDRINUSE; tries++) {
    uint16_t port;
    if (agw_pool_take(&agw->core_pool, &port) < 0) {
      rc = -ENOSPC;
      break;
    }
    tc.port_min = tc.port_max = port;
    rc = wgm_tcp_new(agw->media, &tc, &tm->tcp);
    if (rc < 0)
      agw_pool_give(&agw->core_pool, port);
    else
      s->port = port;
  }
  if (rc < 0) {
    free(tm);
    if (rc == -EADDRINUSE || rc == -ENOSPC || rc == -EAGAIN)
      return agw_fail(e, 510, "Insufficient resources: no TCP port available");
    if (resource_err(rc))
      return agw_fail(e, 510, "Insufficient resources: TCP endpoint: %s", wgm_strerror(rc));
    return agw_fail(e, 500, "Internal failure: TCP endpoint: %s", wgm_strerror(rc));
  }
  tm->listening = 1;
  s->has_port = 1;
  s->media = tm;
  logt(WG_LOG_INFO, t, 3, "stream %u: TCP port %u listening", s->id, s->port);
  return 0;
}

/* Remote known: stay listening (remote active/actpass/no a=setup) or
 * connect (remote passive). */
static int t2_apply(agw_t *agw, agw_term_t *t, agw_stream_t *s, agw_err_t *e)
{
  t2_media_t *tm = s->media;
  if (!tm || !tm->tcp || !s->remote.present)
    return 0;
  if (strcmp(s->remote.setup, "passive") != 0 || !tm->listening || tm->connected ||
      tm->ever_connected)
    return 0;
  struct sockaddr_storage raddr, bind = agw->conf.core;
  if (remote_sockaddr(&s->remote, &raddr) < 0 || s->remote.port == 0)
    return agw_fail(e, 449, "Unsupported Remote address %s port %u", s->remote.addr,
                    s->remote.port);
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 0;
  with_port(&bind, 0);
  tc.bind_addr = (const struct sockaddr *)&bind;
  tc.connect_addr = (const struct sockaddr *)&raddr;
  tc.framing = WGM_TCP_MSRP;
  tc.max_message_size = (size_t)agw->conf.max_message_size * 16;
  tc.cb = &tcp_cb;
  tc.data = tm;
  wgm_tcp_t *nt;
  int rc = wgm_tcp_new(agw->media, &tc, &nt);
  if (rc < 0)
    return agw_fail(e, 510, "Insufficient resources: TCP connect to %s: %s", s->remote.addr,
                    wgm_strerror(rc));
  relay_free(tm);
  agw->media_closing++;
  wgm_tcp_close(tm->tcp, on_tcp_closed_keep);
  tm->tcp = nt;
  tm->listening = 0;
  tm->read_paused = 0;
  logt(WG_LOG_INFO, t, 9, "stream %u: Remote is a=setup:passive: connecting to %s:%u", s->id,
       s->remote.addr, s->remote.port);
  return 0;
}

/* ------------------------------------------------------------- API */

int agw_media_reserve(agw_t *agw, agw_term_t *t, agw_stream_t *s, agw_err_t *e)
{
  if (t->kind == AGW_KIND_CORE)
    return t2_reserve(agw, t, s, e);
  if (s->id != 1)
    return agw_fail(e, 449, "Unsupported: Local on stream %u", s->id);
  uint16_t port;
  if (agw_pool_take(&agw->access_pool, &port) < 0)
    return agw_fail(e, 510, "Insufficient resources: no UDP port available");
  s->port = port;
  s->has_port = 1;
  return 0;
}

int agw_media_apply(agw_t *agw, agw_term_t *t, int is_add, agw_err_t *e)
{
  int rc;
  (void)is_add;
  if (t->kind == AGW_KIND_ACCESS) {
    agw_stream_t *s1 = agw_stream_get(t, 1, 0);
    if (!t->media) {
      if (!s1 || !s1->has_port)
        return agw_fail(e, 441, "Missing Local descriptor on stream 1 (the SCTP association)");
      if ((rc = t1_create(agw, t, s1, e)) < 0)
        return rc;
    }
    t1_apply(agw, t, s1);
  } else {
    for (unsigned i = 0; i < AGW_MAX_STREAMS; i++)
      if (t->streams[i] && t->streams[i]->used && (rc = t2_apply(agw, t, t->streams[i], e)) < 0)
        return rc;
  }
  if (t->ev_thb && !t->thb_next_ms)
    t->thb_next_ms = uv_now(&agw->loop) + t->thb_timerx_ms;
  if (!t->ev_thb)
    t->thb_next_ms = 0;
  ctx_update_relays(agw, t->ctx);
  return 0;
}

/* One T2 stream's media: relay stopped, TCP closed (its octet counts kept
 * in the stream for a Subtract's statistics), port given back. */
static void t2_stream_release(agw_t *agw, agw_stream_t *s)
{
  t2_media_t *tm = s->media;
  if (tm) {
    relay_free(tm);
    tm->t = NULL;
    if (tm->tcp) {
      wgm_tcp_stats_t st;
      wgm_tcp_get_stats(tm->tcp, &st);
      s->tx_bytes = st.tx_bytes;
      s->rx_bytes = st.rx_bytes;
      agw->media_closing++;
      wgm_tcp_close(tm->tcp, on_tcp_closed);
      tm->tcp = NULL;
    } else {
      t2_held_clear(tm);
      free(tm);
    }
    s->media = NULL;
  }
  if (s->has_port) {
    agw_pool_give(&agw->core_pool, s->port);
    s->has_port = 0;
  }
}

void agw_media_release(agw_t *agw, agw_term_t *t)
{
  if (t->kind == AGW_KIND_ACCESS) {
    t1_media_t *m = t->media;
    agw_stream_t *s1 = agw_stream_get(t, 1, 0);
    if (m) {
      wgm_dc_t *dc = m->dc;
      t1_close_dc(m);
      if (s1) {
        s1->tx_bytes = m->tx_bytes;
        s1->rx_bytes = m->rx_bytes;
      }
      m->t = NULL;
      if (dc) {
        agw->media_closing++;
        wgm_dc_close(dc, on_dc_closed);
      } else if (m->recreating) {
        /* on_dc_reopen frees it */
      } else {
        held_clear(m);
        free(m);
      }
      t->media = NULL;
    }
    for (unsigned i = 0; i < AGW_MAX_STREAMS; i++)
      if (t->streams[i])
        t->streams[i]->media = NULL;
    if (s1 && s1->has_port) {
      agw_pool_give(&agw->access_pool, s1->port);
      s1->has_port = 0;
    }
    return;
  }
  for (unsigned i = 0; i < AGW_MAX_STREAMS; i++) {
    agw_stream_t *s = t->streams[i];
    if (s && s->used)
      t2_stream_release(agw, s);
  }
}

void agw_media_remove_stream(agw_t *agw, agw_term_t *t, agw_stream_t *s)
{
  if (t->kind == AGW_KIND_ACCESS) {
    t1_media_t *m = t->media;
    int sid = s->sctpid;
    s->media = NULL;
    s->sctpid = -1; /* the relay of the T2 stream stops at the update below */
    s->used = 0;
    ctx_update_relays(agw, t->ctx);
    s->used = 1;
    if (m && m->dc && sid >= 0) {
      int rc = wgm_dc_close_channel(m->dc, (uint16_t)sid);
      logt(WG_LOG_INFO, t, -1, "stream %u removed: data channel %d %s", s->id, sid,
           rc < 0 ? wgm_strerror(rc) : "reset (RFC 8831)");
    }
    return;
  }
  t2_stream_release(agw, s);
  logt(WG_LOG_INFO, t, -1, "stream %u removed: TCP closed", s->id);
}

void agw_media_local_sdp(agw_t *agw, agw_term_t *t, agw_stream_t *s, char *out, size_t len)
{
  char ip[64];
  int v6;
  if (t->kind == AGW_KIND_CORE) {
    addr_text(&agw->conf.core, ip, sizeof ip);
    v6 = agw->conf.core.ss_family == AF_INET6;
    snprintf(out, len, "v=0\r\nc=IN %s %s\r\nm=message %u %s %s\r\n", v6 ? "IP6" : "IP4", ip,
             s->port, s->local.proto[0] ? s->local.proto : "TCP",
             s->local.fmt[0] ? s->local.fmt : "-");
    return;
  }
  addr_text(&agw->conf.access, ip, sizeof ip);
  v6 = agw->conf.access.ss_family == AF_INET6;
  t1_media_t *m = t->media;
  unsigned sctp_port = s->local.sctp_port ? s->local.sctp_port : (unsigned)agw->conf.sctp_port;
  int n = snprintf(out, len,
                   "v=0\r\nc=IN %s %s\r\nm=application %u UDP/DTLS/SCTP webrtc-datachannel\r\n"
                   "a=sctp-port:%u\r\na=max-message-size:%ld\r\na=fingerprint:%s\r\n",
                   v6 ? "IP6" : "IP4", ip, s->port, sctp_port, agw->conf.max_message_size,
                   wgm_cert_fingerprint(agw->cert));
  if (m && m->ufrag[0] && n > 0 && (size_t)n < len)
    snprintf(out + n, len - (size_t)n,
             "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-lite\r\n"
             "a=candidate:1 1 UDP 2130706431 %s %u typ host\r\n",
             m->ufrag, m->pwd, ip, s->port);
}

void agw_media_stats(agw_term_t *t, uint64_t *os, uint64_t *orx)
{
  *os = *orx = 0;
  if (t->kind == AGW_KIND_ACCESS) {
    t1_media_t *m = t->media;
    if (m && m->dc) {
      wgm_dc_stats_t st;
      wgm_dc_get_stats(m->dc, &st);
      *os = st.udp_tx_bytes;
      *orx = st.udp_rx_bytes;
    } else if (m) {
      *os = m->tx_bytes;
      *orx = m->rx_bytes;
    }
    return;
  }
  for (unsigned i = 0; i < AGW_MAX_STREAMS; i++) {
    t2_media_t *tm = t->streams[i] ? t->streams[i]->media : NULL;
    if (tm && tm->tcp) {
      wgm_tcp_stats_t st;
      wgm_tcp_get_stats(tm->tcp, &st);
      *os += st.tx_bytes;
      *orx += st.rx_bytes;
    }
  }
}

void agw_media_tick(agw_t *agw)
{
  uint64_t now = uv_now(&agw->loop);
  for (agw_ctx_t *c = agw->model.ctxs; c; c = c->next)
    for (agw_term_t *t = c->terms; t; t = t->next) {
      t1_media_t *m = t->kind == AGW_KIND_ACCESS ? t->media : NULL;
      /* the media library times the handshake from its first flight; a WIC
       * that never even does ICE is caught here */
      if (m && m->dc && m->dtls_started && !m->dtls_up && !m->failed && now >= m->dtls_deadline)
        t1_dtls_failed(m, WGM_DTLS_FAIL_TIMEOUT, "no DTLS association within agw.dtls-timeout");
      if (t->ev_thb && t->thb_next_ms && now >= t->thb_next_ms) {
        t->thb_next_ms = now + t->thb_timerx_ms;
        notify(agw, t, t->events_rid, H248_IQ_EVT_THB, 0, NULL, NULL);
      }
    }
}
