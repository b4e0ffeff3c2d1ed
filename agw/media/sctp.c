/* sctp.c -- SCTP over DTLS (RFC 8261) with usrsctp in AF_CONN mode, and the
 * data channels on top (RFC 8831: SDP-negotiated by stream id, RFC 8832
 * DCEP for in-band ones). usrsctp knows an endpoint only by its opaque id;
 * its upcall only marks work, which runs from the loop (never re-entrant
 * into user code). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <usrsctp.h>

#include "agw/media/media-int.h"

#define SCTP_MTU 1160
#define WORK_PER_CALL 4096
#define RTO_INITIAL_MS 500
#define RTO_MIN_MS 100
#define RTO_MAX_MS 3000
#define WATCH_MS 1000   /* watchdog period while data is unacknowledged */
#define PROBE_HBS 32    /* heartbeats per repair burst (see rtt_check) */

static uint8_t g_rx[65536];

/* ----------------------------------------------------------- channels */

static wgm_chan_t *chan_find(wgm_dc_t *dc, uint16_t sid) {
  for (wgm_chan_t *c = dc->chans; c; c = c->next)
    if (c->sid == sid)
      return c;
  return NULL;
}

static wgm_chan_t *chan_new(wgm_dc_t *dc, uint16_t sid, const char *label, size_t ll,
                            const char *proto, size_t pl) {
  wgm_chan_t *c = calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  c->sid = sid;
  c->label = malloc(ll + 1);
  c->protocol = malloc(pl + 1);
  if (!c->label || !c->protocol) {
    free(c->label);
    free(c->protocol);
    free(c);
    return NULL;
  }
  if (ll)
    memcpy(c->label, label, ll);
  c->label[ll] = 0;
  if (pl)
    memcpy(c->protocol, proto, pl);
  c->protocol[pl] = 0;
  c->next = dc->chans;
  dc->chans = c;
  return c;
}

static void chan_free(wgm_chan_t *c) {
  free(c->label);
  free(c->protocol);
  free(c->partial);
  free(c);
}

static void chan_remove(wgm_dc_t *dc, wgm_chan_t *c) {
  for (wgm_chan_t **pp = &dc->chans; *pp; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      chan_free(c);
      return;
    }
}

void wgm__sctp_free_chans(wgm_dc_t *dc) {
  while (dc->chans) {
    wgm_chan_t *c = dc->chans;
    dc->chans = c->next;
    chan_free(c);
  }
}

static void chan_info(const wgm_chan_t *c, wgm_channel_info_t *i) {
  memset(i, 0, sizeof(*i));
  i->sid = c->sid;
  i->negotiated = c->negotiated;
  i->channel_type = c->type;
  i->reliability = c->reliability;
  i->priority = c->priority;
  i->label = c->label;
  i->protocol = c->protocol;
}

static void notify_open(wgm_dc_t *dc, wgm_chan_t *c) {
  c->open = 1;
  c->wait_ack = 0;
  if (c->relay)
    wgm__relay_dc_open(c->relay);
  if (dc->cb.channel_open && !dc->closing) {
    wgm_channel_info_t i;
    chan_info(c, &i);
    dc->cb.channel_open(dc, &i);
  }
}

/* ------------------------------------------------------------- socket */

static void upcall(struct socket *so, void *arg, int flags) {
  (void)so;
  (void)flags;
  wgm_dc_t *dc = wgm__id_lookup((uint32_t)(uintptr_t)arg);
  if (dc)
    wgm__schedule(dc);
}

static void watch_start(wgm_dc_t *dc);

static int raw_send(wgm_dc_t *dc, wgm_chan_t *c, uint32_t ppid, const void *data, size_t len) {
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof(spa));
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = c->sid;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR;
  if (ppid != WGM_PPID_DCEP || c->open) {
    if (c->type & 0x80)
      spa.sendv_sndinfo.snd_flags |= SCTP_UNORDERED;
    if ((c->type & 0x7f) == 0x01 || (c->type & 0x7f) == 0x02) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = (c->type & 0x7f) == 0x01 ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
      spa.sendv_prinfo.pr_value = c->reliability;
    }
  }
  ssize_t n = usrsctp_sendv(dc->sock, data, len, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
  if (n >= 0)
    watch_start(dc);
  if (n < 0) {
    int e = errno;
    if (e == EWOULDBLOCK || e == EAGAIN)
      return -EAGAIN;
    if (e == EMSGSIZE)
      return -EMSGSIZE;
    return -e;
  }
  return 0;
}

static int send_dcep_open(wgm_dc_t *dc, wgm_chan_t *c) {
  wgm_dcep_open_t o;
  memset(&o, 0, sizeof(o));
  o.channel_type = c->type;
  o.priority = c->priority;
  o.reliability = c->reliability;
  o.label = c->label;
  o.label_len = strlen(c->label);
  o.protocol = c->protocol;
  o.protocol_len = strlen(c->protocol);
  size_t cap = 12 + o.label_len + o.protocol_len;
  uint8_t *buf = malloc(cap);
  if (!buf)
    return -ENOMEM;
  int n = wgm_dcep_build_open(&o, buf, cap);
  int rc = n < 0 ? n : raw_send(dc, c, WGM_PPID_DCEP, buf, (size_t)n);
  free(buf);
  if (rc == 0) {
    c->open_pending = 0;
    c->wait_ack = 1;
  }
  return rc;
}

static int reset_out(wgm_dc_t *dc, wgm_chan_t *c) {
  c->out_reset = 1;
  c->out_reset_req = 1;
  if (!dc->sock || !dc->sctp_up || dc->sctp_lost)
    return 0;
  size_t sz = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
  struct sctp_reset_streams *srs = calloc(1, sz);
  if (!srs)
    return -ENOMEM;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = 1;
  srs->srs_stream_list[0] = c->sid;
  int rc = usrsctp_setsockopt(dc->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)sz);
  free(srs);
  if (rc == 0)
    c->out_reset_req = 0;
  return 0; /* else retried from wgm__sctp_process */
}

int wgm__sctp_start(wgm_dc_t *dc) {
  if (dc->sock)
    return 0;
  dc->id = wgm__id_register(dc);
  if (!dc->id)
    return -ENOMEM;
  usrsctp_register_address((void *)(uintptr_t)dc->id);
  struct socket *s = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
  if (!s) {
    usrsctp_deregister_address((void *)(uintptr_t)dc->id);
    wgm__id_unregister(dc->id);
    dc->id = 0;
    return -EIO;
  }
  dc->sock = s;
  usrsctp_set_non_blocking(s, 1);
  struct linger lg = {1, 0};
  usrsctp_setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  struct sctp_assoc_value av = {SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ |
                                                    SCTP_ENABLE_CHANGE_ASSOC_REQ};
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av));
  int one = 1;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one));
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one));
  static const uint16_t evs[] = {SCTP_ASSOC_CHANGE,        SCTP_PEER_ADDR_CHANGE,
                                 SCTP_REMOTE_ERROR,        SCTP_SHUTDOWN_EVENT,
                                 SCTP_ADAPTATION_INDICATION, SCTP_STREAM_RESET_EVENT,
                                 SCTP_SENDER_DRY_EVENT,    SCTP_STREAM_CHANGE_EVENT,
                                 SCTP_SEND_FAILED_EVENT};
  for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
    struct sctp_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_type = evs[i];
    ev.se_on = 1;
    usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev));
  }
  struct sctp_initmsg im;
  memset(&im, 0, sizeof(im));
  im.sinit_num_ostreams = dc->streams;
  im.sinit_max_instreams = dc->streams;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im));
  int snd = (int)(dc->rmax * 2 + 65536);
  if (snd < (1 << 20) || dc->rmax > (64u << 20))
    snd = dc->rmax > (64u << 20) ? (128 << 20) : (1 << 20);
  usrsctp_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
  int rcv = 1 << 20;
  usrsctp_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  /* loss recovery: RTO between 100 ms and 3 s, first 500 ms */
  struct sctp_rtoinfo rto;
  memset(&rto, 0, sizeof(rto));
  rto.srto_assoc_id = SCTP_FUTURE_ASSOC;
  rto.srto_initial = RTO_INITIAL_MS;
  rto.srto_min = RTO_MIN_MS;
  rto.srto_max = RTO_MAX_MS;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto));
  usrsctp_set_upcall(s, upcall, (void *)(uintptr_t)dc->id);

  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof(sc));
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(dc->lport);
  sc.sconn_addr = (void *)(uintptr_t)dc->id;
  if (usrsctp_bind(s, (struct sockaddr *)&sc, sizeof(sc)) < 0)
    return -errno;
  sc.sconn_port = htons(dc->rport);
  if (usrsctp_connect(s, (struct sockaddr *)&sc, sizeof(sc)) < 0 && errno != EINPROGRESS)
    return -errno;
  struct sctp_paddrparams pp;
  memset(&pp, 0, sizeof(pp));
  memcpy(&pp.spp_address, &sc, sizeof(sc));
  pp.spp_flags = SPP_PMTUD_DISABLE;
  pp.spp_pathmtu = SCTP_MTU;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp));
  wgm__schedule(dc);
  return 0;
}

void wgm__sctp_close(wgm_dc_t *dc) {
  if (dc->sock) {
    usrsctp_set_upcall(dc->sock, NULL, NULL);
    usrsctp_close(dc->sock); /* linger 0: ABORT goes out through DTLS now */
    dc->sock = NULL;
  }
  if (dc->id) {
    usrsctp_deregister_address((void *)(uintptr_t)dc->id);
    wgm__id_unregister(dc->id);
    dc->id = 0;
  }
}

/* ------------------------------------------------ RTT estimate repair
 *
 * A workaround for usrsctp 0.9.5 (the code is unchanged in upstream master
 * at the time of writing), found behind fault-wic-loss.sh's rare failure;
 * doc/reliability.md, "usrsctp retransmission stall", has the evidence.
 *
 * 1. The association's first RTT sample is taken when the INIT-ACK
 *    arrives, measured from the *first* INIT (asoc->time_entered), so
 *    every INIT retransmission counts into it (RFC 4960 6.3.1 C5, Karn's
 *    rule, says such a sample must not be taken). A DTLS server sends its
 *    INIT as soon as its own handshake is done; when its last flight is
 *    lost, the peer cannot decrypt the INITs for seconds, and the first
 *    sample R is those seconds. It sets SRTT = R, RTTVAR = R/2: the
 *    unclamped RTO SRTT + 4 RTTVAR is 3R.
 * 2. When T3-rtx expires, sctp_mark_all_for_resend() marks only chunks
 *    sent more than SRTT + 4 RTTVAR ago -- unclamped -- while the timer
 *    itself runs with the RTO clamped to RTO.max (3 s here). With 3R above
 *    RTO.max every expiry retransmits nothing until 3R has passed. A lost
 *    last DATA chunk (no later chunk whose SACKs would trigger a fast
 *    retransmit) then waits 3R, rounded up to the next expiry: 12-18 s
 *    after a 4-6 s first sample.
 *
 * There is no API to reset the estimator, but every HEARTBEAT-ACK is a
 * sample of the real path (sctp_handle_heartbeat_ack), and on-demand
 * heartbeats (SPP_HB_DEMAND) are a supported API. PROBE_HBS of them pull
 * SRTT + 4 RTTVAR from 3R back below RTO.max for any first sample up to
 * about 20 s (each sample takes 1/8 off SRTT; RTTVAR first grows with the
 * error, then falls by 1/4 a sample: 11 samples for R = 1.5 s, 22 for 6 s,
 * 31 for 20 s). We send a burst when the RTO usrsctp reports sits at
 * RTO.max (the estimate is at least that high, so it may be inflated):
 * right after the association comes up (before any data can wait on it),
 * and from a watchdog that runs while data is unacknowledged, when the
 * count of unacknowledged chunks has not fallen for longer than RTO.max
 * (so at least one T3-rtx expiry passed without a retransmission that got
 * through). At most one burst per 2 x RTO.max per association; on a path
 * whose real RTT keeps the RTO at RTO.max the bursts change nothing and
 * cost 2 x PROBE_HBS small packets each. Counted in rtt_probes and
 * reported through the rtt_probe callback (the AGW logs it at notice).
 */
static int sctp_status(wgm_dc_t *dc, struct sctp_status *st) {
  socklen_t l = sizeof(*st);
  memset(st, 0, sizeof(*st));
  return usrsctp_getsockopt(dc->sock, IPPROTO_SCTP, SCTP_STATUS, st, &l);
}

static void rtt_probe(wgm_dc_t *dc, int stalled, uint32_t srtt) {
  struct sctp_paddrparams pp;
  memset(&pp, 0, sizeof(pp));
  struct sockaddr_conn *sc = (struct sockaddr_conn *)&pp.spp_address;
  sc->sconn_family = AF_CONN;
  sc->sconn_port = htons(dc->rport);
  sc->sconn_addr = (void *)(uintptr_t)dc->id;
  pp.spp_flags = SPP_HB_DEMAND;
  for (int i = 0; i < PROBE_HBS; i++)
    if (usrsctp_setsockopt(dc->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)) < 0)
      return; /* not established (any more): nothing to repair */
  dc->st.rtt_probes++;
  dc->probe_next_ms = wgm__now(dc) + 2 * RTO_MAX_MS;
  if (dc->cb.rtt_probe && !dc->closing)
    dc->cb.rtt_probe(dc, stalled, srtt);
}

/* stalled: from the watchdog, which found no progress for > RTO.max */
static void rtt_check(wgm_dc_t *dc, int stalled) {
  struct sctp_status st;
  if (!dc->sock || !dc->sctp_up || dc->sctp_lost || dc->closing || sctp_status(dc, &st) < 0)
    return;
  if (st.sstat_primary.spinfo_rto >= RTO_MAX_MS && wgm__now(dc) >= dc->probe_next_ms)
    rtt_probe(dc, stalled, st.sstat_primary.spinfo_srtt);
}

void wgm__sctp_watch_cb(uv_timer_t *t) {
  wgm_dc_t *dc = t->data;
  struct sctp_status st;
  if (!dc->sock || !dc->sctp_up || dc->sctp_lost || dc->closing || sctp_status(dc, &st) < 0 ||
      st.sstat_unackdata == 0) {
    uv_timer_stop(t); /* re-armed by the next send */
    return;
  }
  uint64_t now = wgm__now(dc);
  if (st.sstat_unackdata < dc->watch_unack)
    dc->watch_progress_ms = now;
  dc->watch_unack = st.sstat_unackdata;
  if (now - dc->watch_progress_ms > RTO_MAX_MS) {
    rtt_check(dc, 1);
    wgm__run_pending(dc->ctx);
  }
}

/* after data was handed to usrsctp */
static void watch_start(wgm_dc_t *dc) {
  if (uv_is_active((uv_handle_t *)&dc->watch_timer) || dc->closing)
    return;
  dc->watch_unack = 0;
  dc->watch_progress_ms = wgm__now(dc);
  uv_timer_start(&dc->watch_timer, wgm__sctp_watch_cb, WATCH_MS, WATCH_MS);
}

/* ------------------------------------------------------ notifications */

static void all_closed(wgm_dc_t *dc) {
  wgm_chan_t *c = dc->chans;
  while (c && !dc->closing) {
    wgm_chan_t *next = c->next;
    int was_open = c->open;
    uint16_t sid = c->sid;
    c->open = 0;
    if (was_open && dc->cb.channel_closed)
      dc->cb.channel_closed(dc, sid);
    c = next;
  }
}

static void maybe_closed(wgm_dc_t *dc, wgm_chan_t *c) {
  if (!(c->in_done && c->out_done))
    return;
  uint16_t sid = c->sid;
  int was_open = c->open || c->wait_ack;
  if (c->relay)
    return; /* the relay is freed by its owner first; keep the record */
  chan_remove(dc, c);
  if (was_open && dc->cb.channel_closed && !dc->closing)
    dc->cb.channel_closed(dc, sid);
}

static void on_notification(wgm_dc_t *dc, const union sctp_notification *n, size_t len) {
  if (len < sizeof(n->sn_header))
    return;
  switch (n->sn_header.sn_type) {
  case SCTP_ASSOC_CHANGE:
    if (len < sizeof(n->sn_assoc_change))
      return;
    switch (n->sn_assoc_change.sac_state) {
    case SCTP_COMM_UP:
      if (!dc->sctp_up) {
        dc->sctp_up = 1;
        rtt_check(dc, 0);
        if (dc->cb.sctp_up)
          dc->cb.sctp_up(dc);
        for (wgm_chan_t *c = dc->chans; c && !dc->closing; c = c->next) {
          if (c->out_reset_req)
            continue;
          if (c->negotiated && !c->open)
            notify_open(dc, c);
          else if (c->open_pending)
            send_dcep_open(dc, c);
        }
      }
      break;
    case SCTP_COMM_LOST:
    case SCTP_SHUTDOWN_COMP:
    case SCTP_CANT_STR_ASSOC:
      all_closed(dc);
      if (!dc->sctp_up && !dc->closing && dc->cb.sctp_lost) {
        dc->sctp_up = 1; /* report a failed association as lost too */
      }
      wgm__dc_lost(dc, n->sn_assoc_change.sac_state == SCTP_COMM_LOST ? -ECONNABORTED
                                                                        : -ECONNRESET);
      break;
    default:
      break;
    }
    break;
  case SCTP_SENDER_DRY_EVENT:
    break; /* writability is checked after every pass */
  case SCTP_STREAM_RESET_EVENT: {
    const struct sctp_stream_reset_event *e = &n->sn_strreset_event;
    if (len < sizeof(*e))
      return;
    size_t cnt = (len - sizeof(*e)) / sizeof(uint16_t);
    for (size_t i = 0; i < cnt && !dc->closing; i++) {
      wgm_chan_t *c = chan_find(dc, e->strreset_stream_list[i]);
      if (!c)
        continue;
      if (e->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
        if (c->out_reset && !c->out_done)
          c->out_reset_req = 1; /* try again */
        continue;
      }
      if (e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
        c->in_done = 1;
        if (!c->out_reset)
          reset_out(dc, c);
      }
      if (e->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN)
        c->out_done = 1;
      maybe_closed(dc, c);
    }
    break;
  }
  case SCTP_SEND_FAILED_EVENT:
    dc->st.drops[WGM_DROP_SEND_FAIL]++;
    break;
  default:
    break;
  }
}

/* ----------------------------------------------------------- messages */

static void drop(wgm_dc_t *dc, uint16_t sid, enum wgm_drop why, size_t len) {
  dc->st.drops[why]++;
  if (dc->cb.dropped && !dc->closing)
    dc->cb.dropped(dc, sid, why, len);
}

static void on_dcep(wgm_dc_t *dc, uint16_t sid, const uint8_t *d, size_t len) {
  wgm_dcep_open_t o;
  int t = wgm_dcep_parse(d, len, &o);
  wgm_chan_t *c = chan_find(dc, sid);
  if (t == WGM_DCEP_ACK) {
    if (c && c->wait_ack)
      notify_open(dc, c);
    return;
  }
  if (t != WGM_DCEP_OPEN) {
    drop(dc, sid, WGM_DROP_DCEP_BAD, len);
    return;
  }
  if (c && (c->negotiated || c->open)) {
    drop(dc, sid, WGM_DROP_DCEP_BAD, len); /* OPEN on a stream in use */
    return;
  }
  if (!c) {
    c = chan_new(dc, sid, o.label, o.label_len, o.protocol, o.protocol_len);
    if (!c)
      return;
  }
  c->negotiated = 0;
  c->type = o.channel_type;
  c->priority = o.priority;
  c->reliability = o.reliability;
  c->open_pending = 0;
  uint8_t ack[1];
  wgm_dcep_build_ack(ack, sizeof(ack));
  c->open = 1; /* so the ACK uses the channel's ordering */
  c->open = 0;
  raw_send(dc, c, WGM_PPID_DCEP, ack, 1);
  notify_open(dc, c);
}

static void deliver(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const uint8_t *d, size_t len) {
  wgm_chan_t *c = chan_find(dc, sid);
  if (ppid == WGM_PPID_DCEP) {
    on_dcep(dc, sid, d, len);
    return;
  }
  if (c && c->negotiated && !c->open && !c->out_reset && !c->in_done)
    notify_open(dc, c); /* data raced the deferred open event */
  if (dc->closing)
    return;
  if (!c || (!c->open && !c->wait_ack) || c->in_done) {
    drop(dc, sid, WGM_DROP_NO_CHANNEL, len);
    return;
  }
  if (c->wait_ack) /* RFC 8832: data before the ACK acknowledges the OPEN */
    notify_open(dc, c);
  if (dc->closing)
    return;
  switch (ppid) {
  case WGM_PPID_STRING_EMPTY:
  case WGM_PPID_BINARY_EMPTY:
    len = 0;
    break;
  case WGM_PPID_STRING:
  case WGM_PPID_BINARY:
    break;
  case WGM_PPID_STRING_PARTIAL:
  case WGM_PPID_BINARY_PARTIAL: {
    /* deprecated partial messages: collect until the last (51/53) part */
    if (c->partial_len + len > dc->lmax) {
      free(c->partial);
      c->partial = NULL;
      c->partial_len = 0;
      drop(dc, sid, WGM_DROP_TOO_BIG, len);
      return;
    }
    uint8_t *np = realloc(c->partial, c->partial_len + len + 1);
    if (!np)
      return;
    memcpy(np + c->partial_len, d, len);
    c->partial = np;
    c->partial_len += len;
    return;
  }
  default:
    drop(dc, sid, WGM_DROP_BAD_PPID, len);
    if (!c->out_reset)
      reset_out(dc, c); /* RFC 8831 6.6: close the channel */
    return;
  }
  uint8_t *joined = NULL;
  if (c->partial) {
    if (c->partial_len + len > dc->lmax) {
      free(c->partial);
      c->partial = NULL;
      c->partial_len = 0;
      drop(dc, sid, WGM_DROP_TOO_BIG, len);
      return;
    }
    joined = realloc(c->partial, c->partial_len + len + 1);
    if (!joined)
      return;
    memcpy(joined + c->partial_len, d, len);
    d = joined;
    len += c->partial_len;
    c->partial = NULL;
    c->partial_len = 0;
  }
  dc->st.msgs_rx++;
  dc->st.msg_bytes_rx += len;
  if (c->relay && wgm__relay_from_dc(c->relay, ppid, d, len) != WGM__RELAY_NOT_TAKEN) {
    /* relayed (or held by the relay for back-pressure) */
  } else if (dc->cb.message) {
    dc->cb.message(dc, sid, ppid, d, len);
  }
  free(joined);
}

static int grow(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap)
    return 0;
  size_t nc = *cap ? *cap : 4096;
  while (nc < need)
    nc *= 2;
  uint8_t *nb = realloc(*buf, nc);
  if (!nb)
    return -ENOMEM;
  *buf = nb;
  *cap = nc;
  return 0;
}

static void read_loop(wgm_dc_t *dc) {
  for (int iter = 0; iter < WORK_PER_CALL; iter++) {
    if (dc->closing || !dc->sock || dc->read_paused)
      return;
    struct sctp_rcvinfo rcv;
    socklen_t infolen = sizeof(rcv);
    unsigned int infotype = 0;
    int flags = 0;
    struct sockaddr_conn from;
    socklen_t fromlen = sizeof(from);
    memset(&rcv, 0, sizeof(rcv));
    ssize_t n = usrsctp_recvv(dc->sock, g_rx, sizeof(g_rx), (struct sockaddr *)&from, &fromlen,
                              &rcv, &infolen, &infotype, &flags);
    if (n < 0) {
      if (errno == EWOULDBLOCK || errno == EAGAIN)
        return;
      if (errno == ENOTCONN || errno == ECONNRESET)
        wgm__dc_lost(dc, -ECONNRESET);
      return;
    }
    if (n == 0 && !(flags & MSG_NOTIFICATION)) {
      if (!(flags & MSG_EOR)) {
        wgm__dc_lost(dc, -ECONNRESET); /* EOF */
        return;
      }
    }
    if (flags & MSG_NOTIFICATION) {
      if (grow(&dc->notif, &dc->notif_cap, dc->notif_len + (size_t)n) < 0)
        return;
      memcpy(dc->notif + dc->notif_len, g_rx, (size_t)n);
      dc->notif_len += (size_t)n;
      if (flags & MSG_EOR) {
        size_t l = dc->notif_len;
        dc->notif_len = 0;
        on_notification(dc, (const union sctp_notification *)dc->notif, l);
      }
      continue;
    }
    if (!dc->msg_too_big) {
      if (dc->msg_len + (size_t)n > dc->lmax + 1 && dc->msg_len + (size_t)n > dc->lmax) {
        dc->msg_too_big = 1;
      } else if (grow(&dc->msg, &dc->msg_cap, dc->msg_len + (size_t)n) == 0) {
        memcpy(dc->msg + dc->msg_len, g_rx, (size_t)n);
        dc->msg_len += (size_t)n;
      } else {
        dc->msg_too_big = 1;
      }
    }
    if (flags & MSG_EOR) {
      uint16_t sid = rcv.rcv_sid;
      uint32_t ppid = ntohl(rcv.rcv_ppid);
      size_t len = dc->msg_len;
      dc->msg_len = 0;
      if (dc->msg_too_big) {
        dc->msg_too_big = 0;
        drop(dc, sid, WGM_DROP_TOO_BIG, len);
        continue;
      }
      deliver(dc, sid, ppid, dc->msg, len);
    }
  }
  wgm__schedule(dc); /* more to read: continue on the next loop turn */
}

void wgm__sctp_process(wgm_dc_t *dc) {
  if (!dc->sock || dc->closing)
    return;
  /* negotiated channels opened while SCTP was already up */
  if (dc->sctp_up && !dc->sctp_lost) {
    for (wgm_chan_t *c = dc->chans; c && !dc->closing;) {
      wgm_chan_t *next = c->next;
      if (c->out_reset_req)
        reset_out(dc, c);
      else if (c->negotiated && !c->open && !c->out_reset)
        notify_open(dc, c);
      else if (c->open_pending)
        send_dcep_open(dc, c);
      c = next;
    }
  }
  read_loop(dc);
  if (dc->closing || !dc->sock)
    return;
  if (dc->read_paused && dc->sctp_up && !dc->sctp_lost &&
      (usrsctp_get_events(dc->sock) & SCTP_EVENT_ERROR)) {
    /* the notification waits behind unread data: report the loss now */
    all_closed(dc);
    wgm__dc_lost(dc, -ECONNRESET);
    if (dc->closing)
      return;
  }
  if (dc->want_writable && (usrsctp_get_events(dc->sock) & SCTP_EVENT_WRITE)) {
    dc->want_writable = 0;
    for (wgm_chan_t *c = dc->chans; c && !dc->closing; c = c->next)
      if (c->relay)
        wgm__relay_dc_writable(c->relay);
    if (dc->cb.writable && !dc->closing)
      dc->cb.writable(dc);
  }
}

/* ------------------------------------------------------------- public */

int wgm_dc_open_channel(wgm_dc_t *dc, const wgm_channel_info_t *info) {
  if (!dc || !info || info->sid == 65535)
    return -EINVAL;
  if (dc->closing || dc->dtls_failed || dc->sctp_lost)
    return -EPIPE;
  switch (info->channel_type) {
  case WGM_DC_RELIABLE:
  case WGM_DC_RELIABLE_UNORDERED:
  case WGM_DC_PARTIAL_RELIABLE_REXMIT:
  case WGM_DC_PARTIAL_RELIABLE_REXMIT_UNORDERED:
  case WGM_DC_PARTIAL_RELIABLE_TIMED:
  case WGM_DC_PARTIAL_RELIABLE_TIMED_UNORDERED:
    break;
  default:
    return -EINVAL;
  }
  if (chan_find(dc, info->sid))
    return -EEXIST;
  const char *l = info->label ? info->label : "", *p = info->protocol ? info->protocol : "";
  if (strlen(l) > 65535 || strlen(p) > 65535)
    return -EINVAL;
  wgm_chan_t *c = chan_new(dc, info->sid, l, strlen(l), p, strlen(p));
  if (!c)
    return -ENOMEM;
  c->negotiated = info->negotiated ? 1 : 0;
  c->type = info->channel_type;
  c->reliability = info->reliability;
  c->priority = info->priority;
  if (!c->negotiated) {
    c->open_pending = 1;
    if (dc->sctp_up) {
      int rc = send_dcep_open(dc, c);
      if (rc < 0 && rc != -EAGAIN) {
        chan_remove(dc, c);
        return rc;
      }
    }
  } else if (dc->sctp_up) {
    wgm__schedule(dc); /* channel_open from the loop */
  }
  return 0;
}

int wgm_dc_close_channel(wgm_dc_t *dc, uint16_t sid) {
  if (!dc || dc->closing)
    return -EINVAL;
  wgm_chan_t *c = chan_find(dc, sid);
  if (!c || c->out_reset)
    return -ENOENT;
  if (!dc->sctp_up || dc->sctp_lost) {
    /* nothing on the wire yet: forget it */
    if (!c->relay) {
      int was_open = c->open;
      chan_remove(dc, c);
      (void)was_open;
    } else {
      c->out_reset = 1;
    }
    return 0;
  }
  reset_out(dc, c);
  wgm__schedule(dc);
  return 0;
}

int wgm_dc_send(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const void *data, size_t len) {
  if (!dc || (!data && len))
    return -EINVAL;
  if (dc->closing || dc->dtls_failed || dc->sctp_lost || dc->consent_lost)
    return -EPIPE;
  wgm_chan_t *c = chan_find(dc, sid);
  if (!c)
    return -ENOENT;
  if (!dc->sctp_up || !dc->sock || (!c->open && !c->negotiated) || c->wait_ack || c->out_reset)
    return -ENOTCONN;
  if (ppid == 0)
    ppid = len ? WGM_PPID_BINARY : WGM_PPID_BINARY_EMPTY;
  switch (ppid) {
  case WGM_PPID_STRING:
  case WGM_PPID_BINARY:
  case WGM_PPID_STRING_PARTIAL:
  case WGM_PPID_BINARY_PARTIAL:
    if (len == 0)
      ppid = ppid == WGM_PPID_STRING || ppid == WGM_PPID_STRING_PARTIAL ? WGM_PPID_STRING_EMPTY
                                                                         : WGM_PPID_BINARY_EMPTY;
    break;
  case WGM_PPID_STRING_EMPTY:
  case WGM_PPID_BINARY_EMPTY:
    if (len)
      return -EINVAL;
    break;
  default:
    return -EINVAL;
  }
  if (len > dc->rmax)
    return -EMSGSIZE;
  static const uint8_t zero = 0;
  int rc = raw_send(dc, c, ppid, len ? data : &zero, len ? len : 1);
  if (rc == -EAGAIN) {
    dc->st.send_eagain++;
    dc->want_writable = 1; /* the next upcall (a SACK freed room) reports it */
    return rc;
  }
  if (rc < 0)
    return rc;
  dc->st.msgs_tx++;
  dc->st.msg_bytes_tx += len;
  return 0;
}

void wgm_dc_pause_read(wgm_dc_t *dc, int paused) {
  if (!dc)
    return;
  int was = dc->read_paused;
  dc->read_paused = paused ? 1 : 0;
  if (was && !paused)
    wgm__schedule(dc);
}

/* relay glue */
int wgm__dc_attach_relay(wgm_dc_t *dc, uint16_t sid, wgm_relay_t *r) {
  wgm_chan_t *c = chan_find(dc, sid);
  if (!c)
    return -ENOENT;
  if (c->relay)
    return -EEXIST;
  c->relay = r;
  return 0;
}

void wgm__dc_detach_relay(wgm_dc_t *dc, uint16_t sid) {
  wgm_chan_t *c = chan_find(dc, sid);
  if (!c)
    return;
  c->relay = NULL;
  if (c->in_done && c->out_done)
    maybe_closed(dc, c);
}

size_t wgm__dc_remote_max(const wgm_dc_t *dc) { return dc->rmax; }

int wgm__dc_channel_is_open(const wgm_dc_t *dc, uint16_t sid) {
  for (wgm_chan_t *c = dc->chans; c; c = c->next)
    if (c->sid == sid)
      return dc->sctp_up && !dc->sctp_lost && (c->open) && !c->out_reset;
  return 0;
}
