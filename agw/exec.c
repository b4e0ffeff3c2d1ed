/* exec.c -- execution of the MGC's transactions: Add, Modify, Subtract,
 * AuditValue, ServiceChange on contexts and terminations, with H.248.1
 * error codes. Each request is checked completely before anything changes
 * (so an error leaves the termination as it was), then applied; the media
 * side is driven through media.c. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agw/agw_int.h"

typedef struct exec {
  agw_t *agw;
  h248_msg_t *rep;
  h248_trans_t *rt;
  uint32_t tid;
} exec_t;

static void logc(int lvl, uint32_t ctx, int step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void logc(int lvl, uint32_t ctx, int step, const char *fmt, ...)
{
  wg_log_ctx_t lc = {NULL, ctx, step};
  va_list ap;
  va_start(ap, fmt);
  wg_vlog((enum wg_log_level)lvl, AGW_LOG, &lc, fmt, ap);
  va_end(ap);
}

/* ---------------------------------------------------------- validation */

static const char *const known_pkgs[] = {"tlsbsc", "mgrp", "sctp", "hangterm", "ipnwr",
                                         "g",      "ipdc", "nt",   NULL};

static int pkg_known(const char *name)
{
  const char *slash = strchr(name, '/');
  size_t l = slash ? (size_t)(slash - name) : strlen(name);
  for (const char *const *p = known_pkgs; *p; p++)
    if (strlen(*p) == l && strncasecmp(*p, name, l) == 0)
      return 1;
  return 0;
}

static int unknown_item(agw_err_t *e, const char *what, const char *name)
{
  if (!pkg_known(name))
    return agw_fail(e, 440, "Unsupported or unknown package in %s", name);
  if (strcmp(what, "event") == 0)
    return agw_fail(e, 451, "No such event in this package: %s", name);
  if (strcmp(what, "signal") == 0)
    return agw_fail(e, 452, "No such signal in this package: %s", name);
  return agw_fail(e, 445, "Unsupported or unknown property %s", name);
}

static int prop_uint(const h248_prop_t *p, uint64_t max, uint64_t *out, agw_err_t *e)
{
  if (p->kind != H248_VAL_SINGLE || p->rel != H248_REL_EQ || p->n != 1 ||
      h248_value_uint(p->v[0].str, out) < 0 || *out > max)
    return agw_fail(e, 449, "Unsupported value of %s: %s", p->name,
                    p->n ? p->v[0].str : "(none)");
  return 0;
}

/* What one Add/Modify asks for, checked. Applied only when all is valid. */
typedef struct plan_stream {
  uint16_t id;
  int has_mode, mode;
  int has_sctpid, sctpid;
  int has_local, has_remote;
  int remove;          /* Local { } and Remote { } both empty: delete the stream */
  agw_sdp_t local, remote;
} plan_stream_t;

typedef struct plan {
  enum agw_kind kind;         /* 0: not determined by the descriptors */
  int n;
  plan_stream_t s[AGW_MAX_STREAMS];
  int has_groupse;
  char groupse[64];
  int service_out;
  int events_given, events_bare;
  uint32_t rid;
  int ev_tlsfail, ev_tlsfail_stream, ev_thb, ev_released;
  uint32_t thb_ms;
  int signals_given, sig_tlsest, sig_tlsest_stream;
  int any_local;
} plan_t;

static enum agw_kind sdp_kind(const agw_sdp_t *s)
{
  if (!s->present)
    return 0;
  if (strcmp(s->media, "application") == 0 || strstr(s->proto, "DTLS") || strstr(s->proto, "SCTP"))
    return AGW_KIND_ACCESS;
  return AGW_KIND_CORE;
}

static int check_sdp(const agw_sdp_t *s, enum agw_kind kind, uint16_t sid, int remote,
                     agw_err_t *e)
{
  if (!s->present)
    return 0;
  if (kind == AGW_KIND_CORE) {
    if (strcmp(s->media, "message") != 0)
      return agw_fail(e, 449, "Unsupported media %s on a TCP termination", s->media);
    if (strcmp(s->proto, "TCP") != 0 && strcmp(s->proto, "TCP/MSRP") != 0)
      return agw_fail(e, 449, "Unsupported transport %s (TCP or TCP/MSRP)", s->proto);
  } else {
    if (sid != 1)
      return agw_fail(e, 449, "Unsupported: SDP on stream %u (the data channels are "
                              "de-aggregated from stream 1)", sid);
    if (strcmp(s->media, "application") != 0)
      return agw_fail(e, 449, "Unsupported media %s on the access side", s->media);
    if (strcmp(s->proto, "UDP/DTLS/SCTP") != 0)
      return agw_fail(e, 449, "Unsupported transport %s (UDP/DTLS/SCTP)", s->proto);
    if (strcmp(s->fmt, "webrtc-datachannel") != 0)
      return agw_fail(e, 449, "Unsupported format %s (webrtc-datachannel)", s->fmt);
  }
  if (remote) {
    if (s->addr_choose || s->port_choose || s->fp_choose || s->sctp_port_choose ||
        s->mms_choose || s->ufrag_choose || s->pwd_choose)
      return agw_fail(e, 449, "Unsupported value '$' in a Remote descriptor");
    if (!s->addr[0])
      return agw_fail(e, 474, "Invalid SDP: Remote without c= address");
  } else if (s->addr[0] || (!s->port_choose && s->port != 0)) {
    /* the MG chooses its own addresses; a concrete Local is accepted only as
     * "$" (first time) or as what we answered (checked by the caller) */
  }
  return 0;
}

static int plan_build(agw_t *agw, const h248_cmd_t *cmd, enum agw_kind kind_known, int is_add,
                      plan_t *p, agw_err_t *e)
{
  (void)agw;
  memset(p, 0, sizeof *p);
  p->kind = kind_known;
  int rc;
  /* first pass: the SDP tells which kind of termination an Add makes */
  if (cmd->media) {
    for (const h248_stream_t *s = cmd->media->streams; s; s = s->next) {
      if (p->n >= AGW_MAX_STREAMS)
        return agw_fail(e, 510, "Insufficient resources: more than %d streams", AGW_MAX_STREAMS);
      for (int i = 0; i < p->n; i++)
        if (p->s[i].id == s->id)
          return agw_fail(e, 448, "Stream %u appears twice", s->id);
      plan_stream_t *ps = &p->s[p->n++];
      ps->id = s->id;
      if (s->id == 0)
        return agw_fail(e, 449, "Unsupported stream id 0");
      if (s->local) {
        ps->has_local = 1;
        if ((rc = agw_sdp_parse(s->local, strlen(s->local), &ps->local, e)) < 0)
          return rc;
        if (ps->local.present)
          p->any_local = 1;
      }
      if (s->remote) {
        ps->has_remote = 1;
        if ((rc = agw_sdp_parse(s->remote, strlen(s->remote), &ps->remote, e)) < 0)
          return rc;
      }
      enum agw_kind k1 = sdp_kind(&ps->local), k2 = sdp_kind(&ps->remote);
      if (k1 && k2 && k1 != k2)
        return agw_fail(e, 449, "Unsupported: Local and Remote of stream %u differ in kind",
                        s->id);
      enum agw_kind k = k1 ? k1 : k2;
      if (k && p->kind && k != p->kind)
        return agw_fail(e, 449, "Unsupported: %s SDP on a %s termination",
                        k == AGW_KIND_ACCESS ? "data-channel" : "TCP",
                        p->kind == AGW_KIND_ACCESS ? "access" : "core");
      if (k)
        p->kind = k;
    }
    if (cmd->media->ts && h248_prop_find(cmd->media->ts->props, H248_IQ_PROP_GROUPSE)) {
      if (p->kind == AGW_KIND_CORE)
        return agw_fail(e, 445, "Unsupported property %s on a TCP termination",
                        H248_IQ_PROP_GROUPSE);
      p->kind = AGW_KIND_ACCESS;
    }
  }
  if (!p->kind)
    return agw_fail(e, 441, "Missing Local or Remote descriptor: cannot tell the termination's "
                            "transport");
  /* second pass: everything else */
  if (cmd->media) {
    /* H.248.1 7.1.8 reading (UNVERIFIED): a stream given with empty Local
     * and Remote descriptors and nothing else is deleted (doc/agw.md) */
    int i = 0;
    for (const h248_stream_t *s = cmd->media->streams; s; s = s->next, i++) {
      plan_stream_t *ps = &p->s[i];
      if (ps->has_local && ps->has_remote && !ps->local.present && !ps->remote.present &&
          (!s->lc || (s->lc->mode == H248_MODE_UNSET && !s->lc->props)))
        ps->remove = 1;
    }
  }
  for (int i = 0; i < p->n; i++) {
    plan_stream_t *ps = &p->s[i];
    if (ps->remove && is_add)
      return agw_fail(e, 449, "Unsupported: removing stream %u in an Add", ps->id);
    if (ps->remove && ps->id == 1 && p->kind == AGW_KIND_ACCESS)
      return agw_fail(e, 449, "Unsupported: removing stream 1 (the SCTP association); "
                              "Subtract the termination");
    if ((rc = check_sdp(&ps->local, p->kind, ps->id, 0, e)) < 0 ||
        (rc = check_sdp(&ps->remote, p->kind, ps->id, 1, e)) < 0)
      return rc;
  }
  if (cmd->media) {
    int i = 0;
    for (const h248_stream_t *s = cmd->media->streams; s; s = s->next, i++) {
      plan_stream_t *ps = &p->s[i];
      if (!s->lc)
        continue;
      switch (s->lc->mode) {
      case H248_MODE_UNSET: break;
      case H248_MODE_SENDRECV: ps->has_mode = 1; ps->mode = AGW_MODE_SENDRECV; break;
      case H248_MODE_INACTIVE: ps->has_mode = 1; ps->mode = AGW_MODE_INACTIVE; break;
      case H248_MODE_SENDONLY: ps->has_mode = 1; ps->mode = AGW_MODE_SENDONLY; break;
      case H248_MODE_RECVONLY: ps->has_mode = 1; ps->mode = AGW_MODE_RECVONLY; break;
      case H248_MODE_LOOPBACK:
        return agw_fail(e, 449, "Unsupported Mode value Loopback");
      }
      for (const h248_prop_t *pr = s->lc->props; pr; pr = pr->next) {
        uint64_t v;
        if (strcasecmp(pr->name, H248_IQ_PROP_SCTPID) == 0) {
          if (p->kind != AGW_KIND_ACCESS)
            return agw_fail(e, 445, "Unsupported property %s on a TCP termination", pr->name);
          if ((rc = prop_uint(pr, 65534, &v, e)) < 0)
            return rc;
          if (ps->id == 1)
            return agw_fail(e, 449, "Unsupported: %s on stream 1 (the SCTP association)",
                            pr->name);
          ps->has_sctpid = 1;
          ps->sctpid = (int)v;
        } else if (strcasecmp(pr->name, H248_IQ_PROP_STRDEAGG) == 0) {
          if (p->kind != AGW_KIND_ACCESS)
            return agw_fail(e, 445, "Unsupported property %s on a TCP termination", pr->name);
          for (size_t k = 0; k < pr->n; k++)
            if (h248_value_uint(pr->v[k].str, &v) < 0 || v == 0 || v > 65535)
              return agw_fail(e, 449, "Unsupported value of %s: %s", pr->name, pr->v[k].str);
        } else {
          return unknown_item(e, "property", pr->name);
        }
      }
    }
    /* sctpid values must differ between the streams of one termination */
    for (int a = 0; a < p->n; a++)
      for (int b = a + 1; b < p->n; b++)
        if (p->s[a].has_sctpid && p->s[b].has_sctpid && p->s[a].sctpid == p->s[b].sctpid)
          return agw_fail(e, 473, "Conflicting property values: %s = %d on streams %u and %u",
                          H248_IQ_PROP_SCTPID, p->s[a].sctpid, p->s[a].id, p->s[b].id);
    const h248_term_state_t *ts = cmd->media->ts;
    if (ts) {
      if (ts->service_state == H248_SS_OUTOFSERVICE)
        p->service_out = 1;
      for (const h248_prop_t *pr = ts->props; pr; pr = pr->next) {
        if (strcasecmp(pr->name, H248_IQ_PROP_GROUPSE) == 0) {
          for (size_t k = 0; k < pr->n; k++)
            if (strncasecmp(pr->v[k].str, "SCTP", 4) != 0)
              return agw_fail(e, 449, "Unsupported value of %s: %s (only SCTP grouping)",
                              pr->name, pr->v[k].str);
          p->has_groupse = 1;
          snprintf(p->groupse, sizeof p->groupse, "%s", pr->n ? pr->v[0].str : "");
        } else if (strcasecmp(pr->name, H248_IQ_PROP_REALM) == 0) {
          /* accepted: one realm per side in this gateway */
        } else {
          return unknown_item(e, "property", pr->name);
        }
      }
    }
  }
  if (cmd->events) {
    p->events_given = 1;
    if (!cmd->events->has_request_id)
      p->events_bare = 1;
    p->rid = cmd->events->request_id;
    for (const h248_event_t *ev = cmd->events->events; ev; ev = ev->next) {
      if (strcasecmp(ev->name, H248_IQ_EVT_TLS_FAIL) == 0) {
        if (p->kind != AGW_KIND_ACCESS)
          return agw_fail(e, 451, "Event %s needs a DTLS termination", ev->name);
        p->ev_tlsfail = 1;
        p->ev_tlsfail_stream = ev->stream ? ev->stream : 1;
      } else if (strcasecmp(ev->name, H248_IQ_EVT_THB) == 0) {
        p->ev_thb = 1;
        p->thb_ms = 60000;
        const h248_prop_t *tx = h248_prop_find(ev->params, H248_IQ_PAR_TIMERX);
        uint64_t v;
        if (tx) {
          if ((rc = prop_uint(tx, 86400, &v, e)) < 0)
            return rc;
          if (v == 0)
            return agw_fail(e, 449, "Unsupported value of %s: 0", H248_IQ_PAR_TIMERX);
          p->thb_ms = (uint32_t)v * 1000;
        }
      } else if (strcasecmp(ev->name, H248_IQ_EVT_RELEASED) == 0 ||
                 strcasecmp(ev->name, H248_IQ_EVT_CAUSE) == 0) {
        p->ev_released = 1;
      } else {
        return unknown_item(e, "event", ev->name);
      }
    }
  }
  if (cmd->signals) {
    p->signals_given = 1;
    for (const h248_signal_t *sg = cmd->signals->signals; sg; sg = sg->next) {
      if (strcasecmp(sg->name, H248_IQ_SIG_TLS_EST) == 0) {
        if (p->kind != AGW_KIND_ACCESS)
          return agw_fail(e, 452, "Signal %s needs a DTLS termination", sg->name);
        p->sig_tlsest = 1;
        p->sig_tlsest_stream = sg->stream ? sg->stream : 1;
      } else {
        return unknown_item(e, "signal", sg->name);
      }
    }
  }
  return 0;
}

/* Applies a valid plan to t (model only; media.c then acts on it). */
static int plan_apply(agw_t *agw, agw_term_t *t, const plan_t *p, int is_add, agw_err_t *e)
{
  int rc;
  /* stream slots first, so that a full termination fails before changes;
   * a stream to delete that is not there: nothing to do */
  for (int i = 0; i < p->n; i++)
    if (!p->s[i].remove && !agw_stream_get(t, p->s[i].id, 1))
      return agw_fail(e, 510, "Insufficient resources: more than %d streams", AGW_MAX_STREAMS);
  for (int i = 0; i < p->n; i++) {
    const plan_stream_t *ps = &p->s[i];
    agw_stream_t *s = agw_stream_get(t, ps->id, 0);
    if (ps->remove) {
      if (s) {
        agw_media_remove_stream(agw, t, s);
        memset(s, 0, sizeof *s);
        s->sctpid = -1;
      }
      continue;
    }
    if (ps->has_mode)
      s->mode = ps->mode;
    else if (is_add && t->kind == AGW_KIND_ACCESS)
      s->mode = AGW_MODE_SENDRECV; /* the data channel follows the association */
    if (ps->has_sctpid)
      s->sctpid = ps->sctpid;
    if (ps->has_remote)
      s->remote = ps->remote;
    if (ps->has_local && ps->local.present) {
      if (!s->has_port) {
        s->local = ps->local;
        if ((rc = agw_media_reserve(agw, t, s, e)) < 0)
          return rc;
      } else if (!ps->local.port_choose && ps->local.port != s->port) {
        return agw_fail(e, 449, "Unsupported Local port %u: the MG chooses its ports (%u)",
                        ps->local.port, s->port);
      }
    }
  }
  if (p->has_groupse)
    snprintf(t->groupse, sizeof t->groupse, "%s", p->groupse);
  t->service_out = p->service_out;
  if (p->events_given) {
    t->events_set = !p->events_bare;
    t->events_rid = p->rid;
    t->ev_tlsfail = p->ev_tlsfail;
    t->ev_tlsfail_stream = p->ev_tlsfail_stream;
    t->ev_thb = p->ev_thb;
    t->thb_timerx_ms = p->thb_ms;
    t->ev_released = p->ev_released;
    t->tlsfail_notified = 0;
  }
  if (p->signals_given) {
    t->sig_tlsest = p->sig_tlsest;
    t->sig_tlsest_stream = p->sig_tlsest_stream;
  }
  return agw_media_apply(agw, t, is_add, e);
}

/* ------------------------------------------------------------- replies */

static int add_local_reply(exec_t *x, h248_cmd_t *rc, agw_term_t *t, const plan_t *p)
{
  for (int i = 0; i < p->n; i++) {
    if (!p->s[i].has_local || !p->s[i].local.present)
      continue;
    agw_stream_t *s = agw_stream_get(t, p->s[i].id, 0);
    if (!s || !s->has_port)
      continue;
    char sdp[1024];
    agw_media_local_sdp(x->agw, t, s, sdp, sizeof sdp);
    h248_stream_t *hs = h248_add_stream(x->rep, rc, s->id);
    if (!hs || h248_stream_set_local(x->rep, hs, sdp) < 0)
      return -ENOMEM;
  }
  return 0;
}

static void add_stats(exec_t *x, h248_cmd_t *rc, agw_term_t *t)
{
  uint64_t os = 0, orx = 0;
  agw_media_stats(t, &os, &orx);
  h248_cmd_add_stat(x->rep, rc, H248_IQ_STAT_OCTETS_TX, os);
  h248_cmd_add_stat(x->rep, rc, H248_IQ_STAT_OCTETS_RX, orx);
}

static int audit_has(const h248_audit_t *au, const char *item)
{
  if (!au)
    return 0;
  for (size_t i = 0; i < au->n; i++)
    if (strcasecmp(au->items[i], item) == 0)
      return 1;
  return 0;
}

static void add_audit_media(exec_t *x, h248_cmd_t *rc, agw_term_t *t)
{
  for (unsigned i = 0; i < AGW_MAX_STREAMS; i++) {
    agw_stream_t *s = t->streams[i];
    if (!s || !s->used)
      continue;
    h248_stream_t *hs = h248_add_stream(x->rep, rc, s->id);
    if (!hs)
      return;
    static const h248_mode_t map[] = {H248_MODE_INACTIVE, H248_MODE_SENDONLY, H248_MODE_RECVONLY,
                                      H248_MODE_SENDRECV, H248_MODE_LOOPBACK};
    h248_stream_set_mode(x->rep, hs, map[s->mode]);
    if (s->sctpid >= 0) {
      char v[16];
      snprintf(v, sizeof v, "%d", s->sctpid);
      h248_stream_add_prop(x->rep, hs, H248_IQ_PROP_SCTPID, v);
    }
    if (s->has_port) {
      char sdp[1024];
      agw_media_local_sdp(x->agw, t, s, sdp, sizeof sdp);
      h248_stream_set_local(x->rep, hs, sdp);
    }
  }
}

/* ------------------------------------------------------------ commands */

typedef struct actx {
  h248_action_t *ra;   /* reply action */
  agw_ctx_t *ctx;      /* NULL: "$" not created yet, or "-" */
  int choose, null_ctx, all_ctx;
  int n_done;          /* command replies added */
} actx_t;

static int step_of(enum agw_kind kind, int add)
{
  if (kind == AGW_KIND_CORE)
    return add ? 3 : 9;
  return add ? 12 : -1;
}

static int cmd_add(exec_t *x, actx_t *ac, const h248_cmd_t *cmd, agw_err_t *e)
{
  agw_t *agw = x->agw;
  const char *tid = cmd->tid[0];
  int rc;
  if (ac->null_ctx)
    return agw_fail(e, 421, "Add is not allowed in the NULL context");
  if (strcmp(tid, "$") != 0) {
    if ((rc = agw_tid_check(tid, e)) < 0)
      return rc;
    if (agw_term_find(&agw->model, tid))
      return agw_fail(e, 433, "TerminationID %s is already in a context", tid);
    return agw_fail(e, 430, "Unknown TerminationID %s (ephemeral terminations are named "
                            "by the MG: use $)", tid);
  }
  plan_t p;
  if ((rc = plan_build(agw, cmd, 0, 1, &p, e)) < 0)
    return rc;
  if (!p.any_local)
    return agw_fail(e, 441, "Missing Local descriptor: Add needs Local with $ values");
  int new_ctx = 0;
  if (!ac->ctx) {
    if ((rc = agw_ctx_new(&agw->model, &ac->ctx, e)) < 0)
      return rc;
    new_ctx = 1;
    ac->ra->ctx = h248_ctx_num(ac->ctx->id);
  }
  agw_term_t *t;
  if ((rc = agw_term_new(&agw->model, ac->ctx, p.kind, &t, e)) < 0) {
    if (new_ctx) {
      agw_ctx_delete(&agw->model, ac->ctx);
      ac->ctx = NULL;
      ac->ra->ctx = h248_ctx_null();
    }
    return rc;
  }
  uint32_t cid = ac->ctx->id;
  if ((rc = plan_apply(agw, t, &p, 1, e)) < 0) {
    agw_media_release(agw, t);
    if (agw_term_delete(&agw->model, t)) {
      ac->ctx = NULL;
      ac->ra->ctx = h248_ctx_null();
    }
    logc(WG_LOG_WARN, cid, step_of(p.kind, 1), "Add refused: %d %s", e->code, e->text);
    return rc;
  }
  h248_cmd_t *rcmd = h248_add_cmd(x->rep, ac->ra, H248_CMD_ADD, t->id);
  if (!rcmd || add_local_reply(x, rcmd, t, &p) < 0)
    return agw_fail(e, 500, "Internal failure: out of memory");
  logc(WG_LOG_INFO, cid, step_of(p.kind, 1), "Add %s: %s termination created", t->id,
       p.kind == AGW_KIND_ACCESS ? "access (ICE-lite/DTLS/SCTP)" : "core (TCP/MSRP)");
  ac->n_done++;
  return 0;
}

/* Terminations a command names within the action's context. */
static int find_term(exec_t *x, actx_t *ac, const char *tid, agw_term_t **out, agw_err_t *e)
{
  int rc;
  if ((rc = agw_tid_check(tid, e)) < 0)
    return rc;
  agw_term_t *t = agw_term_find(&x->agw->model, tid);
  if (!t)
    return agw_fail(e, 430, "Unknown TerminationID %s", tid);
  if (ac->ctx && t->ctx != ac->ctx)
    return agw_fail(e, 435, "TerminationID %s is not in context %u", tid, ac->ctx->id);
  if (!ac->ctx && !ac->null_ctx)
    return agw_fail(e, 435, "TerminationID %s is not in the chosen context", tid);
  *out = t;
  return 0;
}

static int cmd_modify(exec_t *x, actx_t *ac, const h248_cmd_t *cmd, agw_err_t *e)
{
  const char *tid = cmd->tid[0];
  int rc;
  if (strcasecmp(tid, "ROOT") == 0) {
    if (!h248_add_cmd(x->rep, ac->ra, H248_CMD_MODIFY, "ROOT"))
      return agw_fail(e, 500, "Internal failure: out of memory");
    ac->n_done++;
    return 0;
  }
  if (strcmp(tid, "$") == 0 || agw_tid_is_wild(tid))
    return agw_fail(e, 501, "Not implemented: Modify of %s", tid);
  agw_term_t *t;
  if ((rc = find_term(x, ac, tid, &t, e)) < 0)
    return rc;
  if (ac->null_ctx)
    return agw_fail(e, 435, "TerminationID %s is in context %u, not in the NULL context", tid,
                    t->ctx->id);
  plan_t p;
  if ((rc = plan_build(x->agw, cmd, t->kind, 0, &p, e)) < 0)
    return rc;
  if ((rc = plan_apply(x->agw, t, &p, 0, e)) < 0)
    return rc;
  h248_cmd_t *rcmd = h248_add_cmd(x->rep, ac->ra, H248_CMD_MODIFY, t->id);
  if (!rcmd || add_local_reply(x, rcmd, t, &p) < 0)
    return agw_fail(e, 500, "Internal failure: out of memory");
  logc(WG_LOG_INFO, t->ctx->id, step_of(t->kind, 0), "Modify %s", t->id);
  ac->n_done++;
  return 0;
}

/* Subtracts t: its reply command (unless a wildcard reply stands for it),
 * with the audited Media/Statistics, then its media and the termination.
 * Clears ac->ctx when that was the context's last termination. */
static int subtract_term(exec_t *x, actx_t *ac, agw_term_t *t, int own_reply, int media,
                         int stats, agw_err_t *e)
{
  uint32_t cid = ac->ctx->id;
  if (own_reply) {
    h248_cmd_t *rcmd = h248_add_cmd(x->rep, ac->ra, H248_CMD_SUBTRACT, t->id);
    if (!rcmd)
      return agw_fail(e, 500, "Internal failure: out of memory");
    if (media)
      add_audit_media(x, rcmd, t);
    if (stats)
      add_stats(x, rcmd, t);
  }
  logc(WG_LOG_INFO, cid, -1, "Subtract %s", t->id);
  agw_media_release(x->agw, t);
  if (agw_term_delete(&x->agw->model, t)) {
    ac->ctx = NULL;
    logc(WG_LOG_INFO, cid, -1, "context %u deleted with its last termination", cid);
  }
  return 0;
}

static int cmd_subtract(exec_t *x, actx_t *ac, const h248_cmd_t *cmd, agw_err_t *e)
{
  const char *tid = cmd->tid[0];
  int rc;
  if (!ac->ctx)
    return agw_fail(e, 411, "Subtract needs an existing context");
  int stats = audit_has(cmd->audit, "Statistics");
  int media = audit_has(cmd->audit, "Media");
  if (agw_tid_is_wild(tid)) {
    if ((rc = agw_tid_check(tid, e)) < 0)
      return rc;
    int n = 0;
    for (agw_term_t *t = ac->ctx->terms; t; t = t->next)
      if (agw_tid_match(tid, t->id))
        n++;
    if (n == 0)
      return agw_fail(e, 431, "No TerminationID matched %s in context %u", tid, ac->ctx->id);
    if (cmd->wildcard_reply && !h248_add_cmd(x->rep, ac->ra, H248_CMD_SUBTRACT, tid))
      return agw_fail(e, 500, "Internal failure: out of memory");
    for (agw_term_t *t = ac->ctx->terms, *nx; t && ac->ctx; t = nx) {
      nx = t->next;
      if (agw_tid_match(tid, t->id) &&
          (rc = subtract_term(x, ac, t, !cmd->wildcard_reply, media, stats, e)) < 0)
        return rc;
    }
    ac->n_done++;
    return 0;
  }
  agw_term_t *t;
  if ((rc = find_term(x, ac, tid, &t, e)) < 0 ||
      (rc = subtract_term(x, ac, t, 1, media, stats, e)) < 0)
    return rc;
  ac->n_done++;
  return 0;
}

static int cmd_audit(exec_t *x, actx_t *ac, const h248_cmd_t *cmd, agw_err_t *e)
{
  const char *tid = cmd->tid[0];
  int rc;
  if (strcasecmp(tid, "ROOT") == 0 && ac->all_ctx) {
    /* H.248.1 7.2.5: ContextID ALL with TerminationID Root lists the
     * context ids, as one reply action per live context
     * (Context = 1001 { AuditValue = ROOT }, ...). With no context the one
     * reply action is the NULL context: Context = - { AuditValue = ROOT }. */
    int n = 0;
    for (agw_ctx_t *c = x->agw->model.ctxs; c; c = c->next) {
      h248_action_t *ra = n == 0 ? ac->ra : h248_add_action(x->rep, x->rt, h248_ctx_num(c->id));
      if (!ra)
        return agw_fail(e, 500, "Internal failure: out of memory");
      ra->ctx = h248_ctx_num(c->id);
      if (!h248_add_cmd(x->rep, ra, cmd->type, "ROOT"))
        return agw_fail(e, 500, "Internal failure: out of memory");
      n++;
    }
    if (n == 0) {
      ac->ra->ctx = h248_ctx_null();
      if (!h248_add_cmd(x->rep, ac->ra, cmd->type, "ROOT"))
        return agw_fail(e, 500, "Internal failure: out of memory");
    }
    logc(WG_LOG_INFO, 0, -1, "AuditValue of all contexts: %d live", n);
    ac->n_done++;
    return 0;
  }
  if (strcasecmp(tid, "ROOT") == 0) {
    /* the MGC's liveness check: an empty answer */
    if (!h248_add_cmd(x->rep, ac->ra, cmd->type, "ROOT"))
      return agw_fail(e, 500, "Internal failure: out of memory");
    ac->n_done++;
    return 0;
  }
  int media = audit_has(cmd->audit, "Media"), stats = audit_has(cmd->audit, "Statistics");
  if (agw_tid_is_wild(tid)) {
    if ((rc = agw_tid_check(tid, e)) < 0)
      return rc;
    int n = 0;
    for (agw_ctx_t *c = x->agw->model.ctxs; c; c = c->next) {
      if (ac->ctx && c != ac->ctx)
        continue;
      for (agw_term_t *t = c->terms; t; t = t->next) {
        if (!agw_tid_match(tid, t->id))
          continue;
        h248_cmd_t *rcmd = h248_add_cmd(x->rep, ac->ra, cmd->type, t->id);
        if (!rcmd)
          return agw_fail(e, 500, "Internal failure: out of memory");
        if (media)
          add_audit_media(x, rcmd, t);
        if (stats)
          add_stats(x, rcmd, t);
        n++;
      }
    }
    if (n == 0)
      return agw_fail(e, 431, "No TerminationID matched %s", tid);
    ac->n_done++;
    return 0;
  }
  agw_term_t *t;
  if ((rc = agw_tid_check(tid, e)) < 0)
    return rc;
  if (!(t = agw_term_find(&x->agw->model, tid)))
    return agw_fail(e, 430, "Unknown TerminationID %s", tid);
  if (ac->ctx && t->ctx != ac->ctx)
    return agw_fail(e, 435, "TerminationID %s is not in context %u", tid, ac->ctx->id);
  h248_cmd_t *rcmd = h248_add_cmd(x->rep, ac->ra, cmd->type, t->id);
  if (!rcmd)
    return agw_fail(e, 500, "Internal failure: out of memory");
  if (media)
    add_audit_media(x, rcmd, t);
  if (stats)
    add_stats(x, rcmd, t);
  ac->n_done++;
  return 0;
}

static int cmd_service_change(exec_t *x, actx_t *ac, const h248_cmd_t *cmd, agw_err_t *e)
{
  const char *tid = cmd->tid[0];
  if (strcasecmp(tid, "ROOT") != 0 && !agw_term_find(&x->agw->model, tid) &&
      !agw_tid_is_wild(tid))
    return agw_fail(e, 430, "Unknown TerminationID %s", tid);
  logc(WG_LOG_NOTICE, 0, -1, "ServiceChange from the MGC on %s (%s, %s): acknowledged", tid,
       cmd->svc && cmd->svc->method ? cmd->svc->method : "?",
       cmd->svc && cmd->svc->reason ? cmd->svc->reason : "?");
  /* MGC-directed HandOff/Failover to MgcIdToTry: after our reply, register
   * with that MGC (H.248.1 11.5) */
  if (strcasecmp(tid, "ROOT") == 0 && cmd->svc && cmd->svc->method && cmd->svc->mgc_id &&
      (strcasecmp(cmd->svc->method, "HandOff") == 0 ||
       strcasecmp(cmd->svc->method, "Failover") == 0)) {
    if (agw_mid_addr(x->agw, cmd->svc->mgc_id, &x->agw->handoff_to) < 0)
      return agw_fail(e, 449, "Unsupported MgcIdToTry %s (an IP mId is needed)",
                      cmd->svc->mgc_id);
    x->agw->handoff_pending = 1;
  }
  if (!h248_add_cmd(x->rep, ac->ra, H248_CMD_SERVICECHANGE, tid))
    return agw_fail(e, 500, "Internal failure: out of memory");
  ac->n_done++;
  return 0;
}

/* ------------------------------------------------------------- actions */

static int exec_action(exec_t *x, const h248_action_t *a)
{
  agw_t *agw = x->agw;
  agw_err_t e = {0};
  actx_t ac = {0};
  int rc = 0;
  h248_ctx_id_t rctx = a->ctx;
  if (a->ctx.kind == H248_CTX_CHOOSE) {
    ac.choose = 1;
    rctx = h248_ctx_null();
  } else if (a->ctx.kind == H248_CTX_NULL) {
    ac.null_ctx = 1;
  }
  ac.ra = h248_add_action(x->rep, x->rt, rctx);
  if (!ac.ra)
    return -ENOMEM;
  if (a->ctx.kind == H248_CTX_ID) {
    ac.ctx = agw_ctx_find(&agw->model, a->ctx.id);
    if (!ac.ctx) {
      agw_fail(&e, 411, "Unknown context id %u", a->ctx.id);
      goto error;
    }
  } else if (a->ctx.kind == H248_CTX_ALL) {
    ac.all_ctx = 1;
    for (const h248_cmd_t *c = a->cmds; c; c = c->next)
      if (c->type != H248_CMD_AUDITVALUE && c->type != H248_CMD_AUDITCAP) {
        agw_fail(&e, 501, "Not implemented: %s in context *", h248_cmd_name(c->type));
        goto error;
      }
  }
  for (const h248_cmd_t *c = a->cmds; c; c = c->next) {
    if (c->ntid != 1) {
      rc = agw_fail(&e, 501, "Not implemented: a list of termination ids");
    } else {
      switch (c->type) {
      case H248_CMD_ADD: rc = cmd_add(x, &ac, c, &e); break;
      case H248_CMD_MODIFY: rc = cmd_modify(x, &ac, c, &e); break;
      case H248_CMD_SUBTRACT: rc = cmd_subtract(x, &ac, c, &e); break;
      case H248_CMD_AUDITVALUE:
      case H248_CMD_AUDITCAP: rc = cmd_audit(x, &ac, c, &e); break;
      case H248_CMD_SERVICECHANGE: rc = cmd_service_change(x, &ac, c, &e); break;
      case H248_CMD_MOVE:
        rc = agw_fail(&e, 501, "Not implemented: Move");
        break;
      case H248_CMD_NOTIFY:
        rc = agw_fail(&e, 443, "Unsupported command: Notify is sent by the MG");
        break;
      default: rc = agw_fail(&e, 443, "Unsupported or unknown command"); break;
      }
    }
    if (rc < 0) {
      if (c->optional) {
        /* "O-": an optional command's failure does not stop the action */
        h248_cmd_t *rcmd = h248_add_cmd(x->rep, ac.ra, c->type, c->tid[0]);
        if (rcmd)
          h248_cmd_set_error(x->rep, rcmd, e.code, e.text);
        rc = 0;
        continue;
      }
      if (ac.n_done > 0) {
        h248_cmd_t *rcmd = h248_add_cmd(x->rep, ac.ra, c->type, c->tid[0]);
        if (rcmd)
          h248_cmd_set_error(x->rep, rcmd, e.code, e.text);
        goto logged;
      }
      goto error;
    }
  }
  return 0;
error:
  h248_action_set_error(x->rep, ac.ra, e.code, e.text);
logged:
  logc(WG_LOG_WARN, ac.ctx ? ac.ctx->id : 0, -1, "transaction %u: Error %d \"%s\"", x->tid,
       e.code, e.text);
  return -e.code;
}

void agw_exec_request(agw_t *agw, h248_tl_txn_t *txn, h248_msg_t *msg, const h248_trans_t *req)
{
  (void)msg;
  exec_t x = {.agw = agw, .tid = req->id};
  x.rep = agw_new_msg(agw);
  x.rt = x.rep ? h248_add_reply(x.rep, req->id) : NULL;
  if (!x.rt) {
    h248_msg_free(x.rep);
    h248_tl_reply_error(agw->tl, txn, 500, "Internal failure: out of memory");
    return;
  }
  int rc = 0;
  for (const h248_action_t *a = req->actions; a; a = a->next)
    if ((rc = exec_action(&x, a)) < 0)
      break; /* H.248.1 8.2.1: the actions after a failed one are not executed */
  if (rc == -ENOMEM) {
    h248_msg_free(x.rep);
    h248_tl_reply_error(agw->tl, txn, 500, "Internal failure: out of memory");
    return;
  }
  rc = h248_tl_reply(agw->tl, txn, x.rep);
  if (rc < 0)
    logc(WG_LOG_ERROR, 0, -1, "transaction %u: reply not sent: %s", req->id, strerror(-rc));
  h248_msg_free(x.rep);
  if (agw->handoff_pending) {
    agw->handoff_pending = 0;
    agw_handoff(agw, &agw->handoff_to);
  }
}
