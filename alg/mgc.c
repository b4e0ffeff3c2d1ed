/* mgc.c -- the MGC side of the ALG: one UDP socket on the su_root, the
 * h248/ transaction layer plugged into it (su_timer), the AGW list and its
 * liveness: ServiceChange from an AGW (registration, restart, shutdown),
 * periodic AuditValue ROOT, loss -> release the AGW's calls; Notify from an
 * AGW -> call.c. */
#include "config.h"
#include "alg/mgc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mgc_priv {
  h248_tl_t *tl;
  su_timer_t *tl_timer;
  su_timer_t *audit_timer;
};

static struct mgc_priv *P(alg_t *alg) { return (struct mgc_priv *)alg->mgc; }

/* ------------------------------------------------------ transport */

static int tp_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const void *data,
                   size_t len)
{
  alg_t *alg = ctx;
  ssize_t n = sendto(alg->h248_fd, data, len, 0, to, tolen);
  if (alg->pcap && !alg->pcap_no_h248)
    wg_pcap_udp(alg->pcap, (const struct sockaddr *)&alg->h248_addr, to, data, len);
  if (WG_LOG_ENABLED(WG_LOG_DEBUG)) {
    char a[64];
    wg_log(WG_LOG_DEBUG, "alg", NULL, "h248 send to %s:\n%.*s", wg_format_addr(to, a, sizeof a),
           (int)len, (const char *)data);
  }
  return n < 0 ? -errno : 0;
}

static void tl_timer_cb(su_root_magic_t *m, su_timer_t *t, void *arg)
{
  alg_t *alg = arg;
  (void)m; (void)t;
  if (P(alg) && P(alg)->tl)
    h248_tl_on_timer(P(alg)->tl);
}

static void tp_set_timer(void *ctx, int64_t delay_ms)
{
  alg_t *alg = ctx;
  struct mgc_priv *p = P(alg);
  if (!p->tl_timer)
    return;
  if (delay_ms < 0)
    su_timer_reset(p->tl_timer);
  else
    su_timer_set_interval(p->tl_timer, tl_timer_cb, alg, (su_duration_t)delay_ms);
}

static uint64_t tp_now(void *ctx)
{
  (void)ctx;
  return wg_mono_ms();
}

/* ------------------------------------------------------- helpers */

int alg_h248_reply_error(const h248_trans_t *reply, char *text, size_t len)
{
  const h248_action_t *a;
  const h248_cmd_t *c;
  const h248_error_t *e = NULL;

  if (!reply)
    return 500;
  if (reply->error)
    e = reply->error;
  for (a = reply->actions; !e && a; a = a->next) {
    if (a->error)
      e = a->error;
    for (c = a->cmds; !e && c; c = c->next)
      if (c->error)
        e = c->error;
  }
  if (!e)
    return 0;
  snprintf(text, len, "H.248 error %u %s", e->code, e->text ? e->text : h248_error_text(e->code));
  return e->code ? e->code : 500;
}

static alg_agw_t *agw_by_addr(alg_t *alg, const struct sockaddr *sa)
{
  alg_agw_t *g;
  for (g = alg->agws; g; g = g->next) {
    if (g->addr.ss_family != sa->sa_family)
      continue;
    if (sa->sa_family == AF_INET) {
      const struct sockaddr_in *a = (const void *)&g->addr, *b = (const void *)sa;
      if (a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr)
        return g;
    } else if (sa->sa_family == AF_INET6) {
      const struct sockaddr_in6 *a = (const void *)&g->addr, *b = (const void *)sa;
      if (a->sin6_port == b->sin6_port && !memcmp(&a->sin6_addr, &b->sin6_addr, 16))
        return g;
    }
  }
  return NULL;
}

static void maybe_ready(alg_t *alg)
{
  if (!alg->ready_sent && alg->ready_cb) {
    char h[64];
    alg->ready_sent = 1;
    wg_format_addr((const struct sockaddr *)&alg->h248_addr, h, sizeof h);
    alg->ready_cb(alg->ready_arg, alg->sip_listen, h);
  }
}

static void agw_up(alg_t *alg, alg_agw_t *g, const char *how)
{
  if (!g->alive)
    wg_log(WG_LOG_NOTICE, "alg", NULL, "AGW %s in service (%s)", g->name, how);
  g->alive = 1;
  g->ever_alive = 1;
  /* after a ServiceChange the ready notice waits for our reply to it (see
   * on_request), so that no call's Add can overtake it */
  if (strcmp(how, "ServiceChange") != 0)
    maybe_ready(alg);
}

static void agw_down(alg_t *alg, alg_agw_t *g, const char *why)
{
  if (g->alive || g->ncalls)
    wg_log(WG_LOG_WARN, "alg", NULL, "AGW %s out of service: %s; releasing its %u call(s)",
           g->name, why, g->ncalls);
  g->alive = 0;
  alg_calls_release_agw(alg, g, why);
}

h248_msg_t *alg_mgc_msg(alg_t *alg)
{
  h248_msg_t *m = h248_msg_new();
  if (m && h248_msg_parse_mid(m, alg->mid) < 0) {
    h248_msg_free(m);
    return NULL;
  }
  return m;
}

int alg_mgc_send(alg_t *alg, alg_agw_t *agw, h248_msg_t *req, h248_tl_reply_cb cb, void *arg,
                 uint32_t *tid)
{
  if (!P(alg) || !P(alg)->tl)
    return -ENOTCONN;
  return h248_tl_request(P(alg)->tl, (const struct sockaddr *)&agw->addr, agw->alen, req, cb,
                         arg, tid);
}

int alg_mgc_cancel(alg_t *alg, uint32_t tid)
{
  if (!P(alg) || !P(alg)->tl)
    return -ENOENT;
  return h248_tl_cancel(P(alg)->tl, tid);
}

size_t alg_mgc_outstanding(alg_t *alg)
{
  if (!P(alg) || !P(alg)->tl)
    return 0;
  return h248_tl_outstanding(P(alg)->tl);
}

alg_agw_t *alg_mgc_pick(alg_t *alg, int *full)
{
  alg_agw_t *g, *best = NULL;
  unsigned i = 0, start;
  *full = 0;
  if (!alg->nagws)
    return NULL;
  start = alg->rr_next++ % alg->nagws;
  /* round robin starting at `start`, skipping dead and full AGWs */
  for (unsigned k = 0; k < alg->nagws && !best; k++) {
    unsigned want = (start + k) % alg->nagws;
    for (g = alg->agws, i = 0; g; g = g->next, i++) {
      if (i != want)
        continue;
      if (!g->alive)
        break;
      if (g->ncalls >= (unsigned)alg->agw_max_calls) {
        *full = 1;
        break;
      }
      best = g;
      break;
    }
  }
  if (best)
    *full = 0;
  return best;
}

/* ------------------------------------------------------ audits */

struct audit_arg { alg_t *alg; alg_agw_t *g; unsigned epoch; };

/* A request of one command (type on termination tid, in context ctx) to
 * AGW g; prep (may be NULL) fills the command's descriptors. cb gets an
 * audit_arg (alg, g, the registration epoch now) and frees it. 0, or -1
 * when nothing was sent. */
static int send_one(alg_t *alg, alg_agw_t *g, h248_ctx_id_t ctx, h248_cmd_type_t type,
                    const char *tid, int (*prep)(h248_msg_t *, h248_cmd_t *),
                    h248_tl_reply_cb cb, uint32_t *tid_out)
{
  h248_msg_t *m = alg_mgc_msg(alg);
  h248_trans_t *t = m ? h248_add_request(m, 0) : NULL;
  h248_action_t *a = t ? h248_add_action(m, t, ctx) : NULL;
  h248_cmd_t *c = a ? h248_add_cmd(m, a, type, tid) : NULL;
  struct audit_arg *aa = malloc(sizeof *aa);
  int rc = -1;
  if (c && aa && (!prep || prep(m, c))) {
    aa->alg = alg, aa->g = g, aa->epoch = g->reg_epoch;
    if ((rc = alg_mgc_send(alg, g, m, cb, aa, tid_out)) == 0)
      aa = NULL;
  }
  free(aa);
  h248_msg_free(m);
  return rc < 0 ? -1 : 0;
}

static void audit_reply2(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  struct audit_arg *aa = arg;
  alg_t *alg = aa->alg;
  alg_agw_t *g = aa->g;
  char text[200];
  int code;
  unsigned epoch = aa->epoch;
  (void)msg;
  free(aa);
  if (status == -ECANCELED)
    return;
  g->audit_out = 0;
  if (status < 0) {
    if (g->alive)
      agw_down(alg, g, "no answer to AuditValue ROOT");
    return;
  }
  code = alg_h248_reply_error(reply, text, sizeof text);
  if (code == 505) {
    /* a 505 to an audit sent before its latest registration is stale */
    if (epoch == g->reg_epoch)
      alg_mgc_not_registered(alg, g);
    return;
  }
  if (code) {
    if (g->alive)
      wg_log(WG_LOG_WARN, "alg", NULL, "AGW %s: audit answered %s", g->name, text);
    return;
  }
  /* an AGW that answers and never left us (e.g. the ALG restarted under a
   * registered AGW, or the network came back) is in service again */
  if (!g->alive && !g->need_register)
    agw_up(alg, g, "answered an audit");
}

static int prep_audit(h248_msg_t *m, h248_cmd_t *c) { return h248_cmd_audit(m, c) != NULL; }

static void audit_all(alg_t *alg)
{
  for (alg_agw_t *g = alg->agws; g; g = g->next)
    if (!g->audit_out && send_one(alg, g, h248_ctx_null(), H248_CMD_AUDITVALUE, "ROOT",
                                  prep_audit, audit_reply2, &g->audit_tid) == 0)
      g->audit_out = 1;
}

/* ------------------------------------------------------ orphan sweep
 *
 * A context the AGW holds that belongs to no call: an Add (Context $) whose
 * every reply was lost created it, and the call gave up (alg.h248-timeout,
 * 503) without ever learning its id. With each audit the ALG asks each AGW
 * for its contexts (H.248.1 7.2.5: Context = * { AuditValue = ROOT }) and
 * subtracts one that belonged to no call at two looks more than
 * alg.h248-timeout apart, so never one whose Add reply is still on its way.
 * An AGW that answers the list with an error is not asked again. */

static void sweep_sub_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  struct audit_arg *aa = arg;
  char text[200];
  (void)msg;
  if (status >= 0 && alg_h248_reply_error(reply, text, sizeof text))
    wg_log(WG_LOG_WARN, "alg", NULL, "AGW %s: Subtract of an orphaned context answered %s",
           aa->g->name, text);
  free(aa);
}

static void sweep_subtract(alg_t *alg, alg_agw_t *g, uint32_t ctx, uint64_t age_ms)
{
  wg_log(WG_LOG_NOTICE, "alg", NULL, "AGW %s: context %u belongs to no call for %.1f s "
         "(an Add whose reply was lost?): Subtract", g->name, (unsigned)ctx, age_ms / 1000.0);
  send_one(alg, g, h248_ctx_num(ctx), H248_CMD_SUBTRACT, "*", NULL, sweep_sub_reply, NULL);
}

static void sweep_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  struct audit_arg *aa = arg;
  alg_t *alg = aa->alg;
  alg_agw_t *g = aa->g;
  char text[200];
  (void)msg;
  free(aa);
  if (status == -ECANCELED)
    return;
  g->sweep_out = 0;
  if (status < 0)
    return; /* liveness is the ROOT audit's business */
  int code = alg_h248_reply_error(reply, text, sizeof text);
  if (code) {
    g->sweep_off = 1;
    wg_log(WG_LOG_NOTICE, "alg", NULL, "AGW %s answers the list of its contexts "
           "(Context = * { AuditValue = ROOT }) with %s: no sweep for orphaned contexts",
           g->name, text);
    return;
  }
  uint64_t now = (uint64_t)(wg_time_us() / 1000);
  size_t n_old = g->n_suspect, n = 0;
  struct alg_suspect old[sizeof g->suspect / sizeof g->suspect[0]];
  memcpy(old, g->suspect, sizeof old);
  for (const h248_action_t *a = reply->actions; a; a = a->next) {
    if (a->ctx.kind != H248_CTX_ID || alg_call_owns_ctx(alg, g, a->ctx.id))
      continue;
    uint64_t since = now;
    for (size_t k = 0; k < n_old; k++)
      if (old[k].ctx == a->ctx.id)
        since = old[k].since_ms;
    if (since != now && now - since > (uint64_t)alg->h248_timeout_ms) {
      sweep_subtract(alg, g, a->ctx.id, now - since);
      continue;
    }
    if (n < sizeof g->suspect / sizeof g->suspect[0]) {
      g->suspect[n].ctx = a->ctx.id;
      g->suspect[n].since_ms = since;
      n++;
    }
  }
  g->n_suspect = n;
}

static void sweep_all(alg_t *alg)
{
  for (alg_agw_t *g = alg->agws; g; g = g->next)
    if (g->alive && !g->need_register && !g->sweep_off && !g->sweep_out &&
        send_one(alg, g, h248_ctx_all(), H248_CMD_AUDITVALUE, "ROOT", NULL, sweep_reply,
                 NULL) == 0)
      g->sweep_out = 1;
}

static void audit_timer_cb(su_root_magic_t *mg, su_timer_t *t, void *arg)
{
  alg_t *alg = arg;
  (void)mg; (void)t;
  if (!alg->stopping) {
    audit_all(alg);
    alg_calls_audit(alg);
    sweep_all(alg);
  }
  su_timer_set_interval(t, audit_timer_cb, alg, (su_duration_t)(alg->audit_interval_s * 1000));
}

/* ------------------------------------------------------ requests in */

static void reply_plain(alg_t *alg, h248_tl_txn_t *txn, const h248_trans_t *req)
{
  /* echo each command without descriptors (Notify/ServiceChange replies) */
  h248_msg_t *m = alg_mgc_msg(alg);
  h248_trans_t *t;
  const h248_action_t *a;
  if (!m) {
    h248_tl_reply_error(P(alg)->tl, txn, 500, "out of memory");
    return;
  }
  t = h248_add_reply(m, req->id);
  for (a = req->actions; t && a; a = a->next) {
    h248_action_t *ra = h248_add_action(m, t, a->ctx);
    const h248_cmd_t *c;
    for (c = a->cmds; ra && c; c = c->next)
      h248_add_cmd(m, ra, c->type, c->ntid ? c->tid[0] : "ROOT");
  }
  h248_tl_reply(P(alg)->tl, txn, m);
  h248_msg_free(m);
}

static void on_request(void *arg, h248_tl_txn_t *txn, h248_msg_t *msg, const h248_trans_t *req,
                       const struct sockaddr *from, socklen_t fromlen)
{
  alg_t *alg = arg;
  alg_agw_t *g = agw_by_addr(alg, from);
  const h248_action_t *a;
  const h248_cmd_t *c;
  char addr[64];
  (void)msg; (void)fromlen;

  if (!g) {
    wg_log(WG_LOG_WARN, "alg", NULL, "H.248 request from %s, which is not in alg.agw: refused",
           wg_format_addr(from, addr, sizeof addr));
    h248_tl_reply_error(P(alg)->tl, txn, 403, "not a configured AGW");
    return;
  }
  /* look at every command; reply to all of them at the end */
  for (a = req->actions; a; a = a->next) {
    for (c = a->cmds; c; c = c->next) {
      if (c->type == H248_CMD_SERVICECHANGE) {
        const char *method = c->svc && c->svc->method ? c->svc->method : "Restart";
        const char *reason = c->svc && c->svc->reason ? c->svc->reason : "";
        wg_log(WG_LOG_INFO, "alg", NULL, "AGW %s ServiceChange %s \"%s\"", g->name, method,
               reason);
        if (!strcasecmp(method, "Forced") || !strcasecmp(method, "Graceful")) {
          g->need_register = 1;
          agw_down(alg, g, !strcasecmp(method, "Forced") ? "ServiceChange Forced"
                                                         : "ServiceChange Graceful");
        } else {
          /* Restart / Disconnected / Failover / HandOff: a (re)start: calls
           * it held before are gone */
          if (g->ever_alive && g->ncalls)
            agw_down(alg, g, "AGW restarted (ServiceChange)");
          g->need_register = 0;
          g->reg_epoch++;
          agw_up(alg, g, "ServiceChange");
        }
      } else if (c->type == H248_CMD_NOTIFY) {
        const h248_event_t *e;
        if (a->ctx.kind != H248_CTX_ID)
          continue;
        for (e = c->observed ? c->observed->events : NULL; e; e = e->next)
          alg_call_notify(alg, g, a->ctx.id, c->ntid ? c->tid[0] : "", e->name);
      }
    }
  }
  reply_plain(alg, txn, req);
  if (g->alive)
    maybe_ready(alg);
}

/* ------------------------------------------------------ socket */

static int h248_readable(su_root_magic_t *m, su_wait_t *w, void *arg)
{
  alg_t *alg = m;
  char buf[65536];
  (void)w; (void)arg;
  for (int i = 0; i < 64; i++) {
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(alg->h248_fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
    if (n < 0)
      break;
    if (alg->pcap && !alg->pcap_no_h248)
      wg_pcap_udp(alg->pcap, (const struct sockaddr *)&from,
                  (const struct sockaddr *)&alg->h248_addr, buf, (size_t)n);
    if (WG_LOG_ENABLED(WG_LOG_DEBUG)) {
      char a[64];
      wg_log(WG_LOG_DEBUG, "alg", NULL, "h248 recv from %s:\n%.*s",
             wg_format_addr((struct sockaddr *)&from, a, sizeof a), (int)n, buf);
    }
    if (P(alg) && P(alg)->tl)
      h248_tl_input(P(alg)->tl, (struct sockaddr *)&from, fl, buf, (size_t)n);
  }
  return 0;
}

static int parse_agws(alg_t *alg)
{
  char list[512], *save = NULL, *tok;
  alg_agw_t **tail = &alg->agws;
  snprintf(list, sizeof list, "%s", alg->agw_list);
  for (tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
    alg_agw_t *g = su_zalloc(alg->home, sizeof *g);
    if (!g)
      return -ENOMEM;
    if (wg_parse_hostport(tok, 1, &g->addr) < 0) {
      wg_log(WG_LOG_ERROR, "alg", NULL, "alg.agw: bad address \"%s\"", tok);
      return -EINVAL;
    }
    g->alen = g->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
    wg_format_addr((struct sockaddr *)&g->addr, g->name, sizeof g->name);
    *tail = g;
    tail = &g->next;
    alg->nagws++;
  }
  return alg->nagws ? 0 : -EINVAL;
}

int alg_mgc_start(alg_t *alg)
{
  struct mgc_priv *p;
  h248_transport_t tp;
  h248_tl_config_t cfg;
  socklen_t sl;
  int rc;
  char a[64];

  p = su_zalloc(alg->home, sizeof *p);
  if (!p)
    return -ENOMEM;
  alg->mgc = p;
  if ((rc = parse_agws(alg)) < 0)
    return rc;
  if (wg_parse_hostport(alg->h248_listen, 1, &alg->h248_addr) < 0) {
    wg_log(WG_LOG_ERROR, "alg", NULL, "alg.h248-listen: bad address \"%s\"", alg->h248_listen);
    return -EINVAL;
  }
  alg->h248_fd = socket(alg->h248_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (alg->h248_fd < 0)
    return -errno;
  sl = alg->h248_addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
  if (bind(alg->h248_fd, (struct sockaddr *)&alg->h248_addr, sl) < 0) {
    rc = -errno;
    wg_log(WG_LOG_ERROR, "alg", NULL, "cannot bind H.248 socket %s: %s", alg->h248_listen,
           strerror(errno));
    return rc;
  }
  sl = sizeof alg->h248_addr;
  getsockname(alg->h248_fd, (struct sockaddr *)&alg->h248_addr, &sl);
  if (!alg->mid[0]) {
    wg_format_addr((struct sockaddr *)&alg->h248_addr, a, sizeof a);
    if (alg->h248_addr.ss_family == AF_INET) {
      char *colon = strrchr(a, ':');
      *colon = 0;
      snprintf(alg->mid, sizeof alg->mid, "[%s]:%s", a, colon + 1);
    } else {
      snprintf(alg->mid, sizeof alg->mid, "%s", a);
    }
  }
  if (su_wait_create(alg->h248_wait, alg->h248_fd, SU_WAIT_IN) < 0)
    return -EIO;
  alg->h248_index = su_root_register(alg->root, alg->h248_wait, h248_readable, NULL, 0);
  if (alg->h248_index < 0)
    return -EIO;
  p->tl_timer = su_timer_create(su_root_task(alg->root), 0);
  p->audit_timer = su_timer_create(su_root_task(alg->root), 0);
  memset(&tp, 0, sizeof tp);
  tp.ctx = alg;
  tp.send = tp_send;
  tp.set_timer = tp_set_timer;
  tp.now_ms = tp_now;
  memset(&cfg, 0, sizeof cfg);
  {
    /* mId for the layer's own messages */
    h248_msg_t *m = alg_mgc_msg(alg);
    if (!m) {
      wg_log(WG_LOG_ERROR, "alg", NULL, "alg.mid: not a valid H.248 mId: %s", alg->mid);
      return -EINVAL;
    }
    cfg.mid_kind = m->mid.kind;
    snprintf(a, sizeof a, "%s", m->mid.name);
    cfg.mid_name = a;
    cfg.mid_port = m->mid.port;
    h248_msg_free(m);
  }
  cfg.rto_initial_ms = 250;
  cfg.rto_max_ms = 2000;
  cfg.max_total_ms = (unsigned)alg->h248_timeout_ms;
  cfg.pending_timeout_ms = (unsigned)alg->h248_timeout_ms * 4;
  cfg.long_timer_ms = (unsigned)alg->long_timer_ms;
  /* a restarted MGC must not reuse the ids the AGW still remembers from the
   * previous run (LONG-TIMER): start from a time-derived id */
  cfg.first_tid = 10001 + (uint32_t)((wg_time_us() / 1000) % 1000000000u);
  rc = h248_tl_new(&p->tl, &tp, &cfg, on_request, alg);
  if (rc < 0)
    return rc;
  if (alg->audit_interval_s > 0)
    su_timer_set_interval(p->audit_timer, audit_timer_cb, alg,
                          (su_duration_t)(alg->audit_interval_s * 1000));
  /* find AGWs that are already up (the ALG restarted under them) */
  audit_all(alg);
  wg_log(WG_LOG_INFO, "alg", NULL, "MGC on %s (mId %s), %u AGW(s) configured", alg->h248_listen,
         alg->mid, alg->nagws);
  return 0;
}

void alg_mgc_not_registered(alg_t *alg, alg_agw_t *g)
{
  if (g->alive)
    wg_log(WG_LOG_WARN, "alg", NULL, "AGW %s answered 505 (not registered): out of service "
           "until it registers", g->name);
  g->alive = 0;
  g->need_register = 1;
}

static int prep_forced(h248_msg_t *m, h248_cmd_t *c)
{
  return h248_cmd_svc(m, c, "Forced", "908 MGC Impending Failure") != NULL;
}

void alg_mgc_goodbye(alg_t *alg)
{
  /* the answer is not awaited: the audit callback frees the argument */
  for (alg_agw_t *g = alg->agws; g; g = g->next)
    if (g->alive)
      send_one(alg, g, h248_ctx_null(), H248_CMD_SERVICECHANGE, "ROOT", prep_forced,
               audit_reply2, NULL);
}

void alg_mgc_stop(alg_t *alg)
{
  struct mgc_priv *p = P(alg);
  if (!p)
    return;
  if (p->audit_timer)
    su_timer_destroy(p->audit_timer), p->audit_timer = NULL;
  if (p->tl)
    h248_tl_free(p->tl), p->tl = NULL;
  if (p->tl_timer)
    su_timer_destroy(p->tl_timer), p->tl_timer = NULL;
  if (alg->h248_index > 0)
    su_root_deregister(alg->root, alg->h248_index), alg->h248_index = 0;
  if (alg->h248_fd >= 0)
    close(alg->h248_fd), alg->h248_fd = -1;
}
