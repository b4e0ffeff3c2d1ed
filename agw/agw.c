/* agw.c -- the gateway object: config, the libuv loop, the H.248 UDP socket
 * plugged into h248/'s transaction layer, registration with the MGC
 * (ServiceChange Restart), and stopping (ServiceChange Graceful/Forced). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agw/agw_int.h"

static const wg_log_ctx_t nolog = {NULL, 0, -1};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static socklen_t sa_len(const struct sockaddr *sa)
{
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static uint16_t sa_port(const struct sockaddr *sa)
{
  if (sa->sa_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
  return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

static int sa_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
  if (a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static int sa_equal(const struct sockaddr *a, const struct sockaddr *b)
{
  if (a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* ------------------------------------------------------------------ config */

static const char *const known_keys[] = {
    "agw.h248-listen",      "agw.mgc",           "agw.mid",           "agw.profile",
    "agw.access-address",   "agw.access-ports",  "agw.core-address",  "agw.core-ports",
    "agw.max-contexts",     "agw.max-terminations", "agw.consent-timeout",
    "agw.dtls-timeout",     "agw.cert",          "agw.key",
    "agw.notify-released-bearer", "agw.register-retry", "agw.max-message-size",
    "agw.sctp-port",        "agw.long-timer",    "agw.sctp-streams", "agw.auditors", NULL};

/* A bare IP (v4 or v6, brackets allowed) into out (port 0). */
static int parse_ip(const char *text, struct sockaddr_storage *out)
{
  memset(out, 0, sizeof *out);
  struct sockaddr_in *s4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
  char buf[80];
  size_t l = strlen(text);
  if (l >= sizeof buf)
    return -EINVAL;
  if (text[0] == '[' && l > 2 && text[l - 1] == ']') {
    memcpy(buf, text + 1, l - 2);
    buf[l - 2] = '\0';
  } else {
    memcpy(buf, text, l + 1);
  }
  if (strcmp(buf, "localhost") == 0)
    strcpy(buf, "127.0.0.1");
  if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    return 0;
  }
  return -EINVAL;
}

static int conf_read(agw_conf_t *c, const wg_config_t *cfg, char *err, size_t errlen)
{
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < wg_config_count(cfg); i++) {
    const char *k = wg_config_key_at(cfg, i);
    if (strncasecmp(k, "agw.", 4) != 0)
      continue;
    int ok = 0;
    for (const char *const *p = known_keys; *p; p++)
      if (strcasecmp(*p, k) == 0)
        ok = 1;
    if (!ok) {
      seterr(err, errlen, "%s: unknown key (see doc/agw.md)", k);
      return -EINVAL;
    }
  }
  const char *v;
  v = wg_config_get(cfg, "agw.h248-listen", "127.0.0.1:2944");
  if (wg_parse_hostport(v, 1, &c->listen) < 0) {
    seterr(err, errlen, "agw.h248-listen: '%s' is not ADDRESS:PORT", v);
    return -EINVAL;
  }
  v = wg_config_get(cfg, "agw.mgc", "127.0.0.1:2945");
  if (wg_parse_hostport(v, 1, &c->mgc) < 0 || sa_port((struct sockaddr *)&c->mgc) == 0) {
    seterr(err, errlen, "agw.mgc: '%s' is not ADDRESS:PORT", v);
    return -EINVAL;
  }
  v = wg_config_get(cfg, "agw.access-address", "127.0.0.1");
  if (parse_ip(v, &c->access) < 0) {
    seterr(err, errlen, "agw.access-address: '%s' is not an IP address", v);
    return -EINVAL;
  }
  v = wg_config_get(cfg, "agw.core-address", "127.0.0.1");
  if (parse_ip(v, &c->core) < 0) {
    seterr(err, errlen, "agw.core-address: '%s' is not an IP address", v);
    return -EINVAL;
  }
  for (int i = 0; i < 2; i++) {
    /* the address goes into the SDP the peers use: it must be a real one */
    const struct sockaddr *sa = (const struct sockaddr *)(i ? &c->core : &c->access);
    int any = sa->sa_family == AF_INET
                  ? ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY)
                  : IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    if (any) {
      seterr(err, errlen, "%s: the unspecified address cannot be written into SDP; give the "
                          "address the peers reach", i ? "agw.core-address" : "agw.access-address");
      return -EINVAL;
    }
  }
  v = wg_config_get(cfg, "agw.access-ports", "41000-41999");
  if (agw_parse_range(v, &c->access_lo, &c->access_hi) < 0) {
    seterr(err, errlen, "agw.access-ports: '%s' is not a port range LO-HI", v);
    return -EINVAL;
  }
  v = wg_config_get(cfg, "agw.core-ports", "40000-40999");
  if (agw_parse_range(v, &c->core_lo, &c->core_hi) < 0) {
    seterr(err, errlen, "agw.core-ports: '%s' is not a port range LO-HI", v);
    return -EINVAL;
  }
  v = wg_config_get(cfg, "agw.profile", H248_IQ_PROFILE);
  if (!*v || strlen(v) >= sizeof c->profile || strpbrk(v, " \t\"{},=")) {
    seterr(err, errlen, "agw.profile: '%s' is not a profile name like ims_iq/1", v);
    return -EINVAL;
  }
  strcpy(c->profile, v);
  char ipbuf[80];
  const struct sockaddr *ls = (const struct sockaddr *)&c->listen;
  if (ls->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ls)->sin6_addr, ipbuf, sizeof ipbuf);
  else
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ls)->sin_addr, ipbuf, sizeof ipbuf);
  char defmid[128];
  snprintf(defmid, sizeof defmid, "[%s]:%u", ipbuf, sa_port(ls) ? sa_port(ls) : 2944);
  v = wg_config_get(cfg, "agw.mid", NULL);
  c->mid_default = v == NULL;
  snprintf(c->mid_text, sizeof c->mid_text, "%s", v ? v : defmid);
  c->mid_text[sizeof c->mid_text - 1] = '\0';
  /* agw.auditors: addresses (any port) that may send read-only AuditValue
   * transactions, e.g. a monitor or a test asking for the live contexts */
  v = wg_config_get(cfg, "agw.auditors", "");
  for (const char *p = v; *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    size_t l = strcspn(p, ", ");
    if (l == 0)
      break;
    char one[80];
    if (c->n_auditors >= AGW_MAX_AUDITORS || l >= sizeof one) {
      seterr(err, errlen, "agw.auditors: more than %d addresses, or one too long",
             AGW_MAX_AUDITORS);
      return -EINVAL;
    }
    memcpy(one, p, l);
    one[l] = '\0';
    if (parse_ip(one, &c->auditors[c->n_auditors]) < 0) {
      seterr(err, errlen, "agw.auditors: '%s' is not an IP address", one);
      return -EINVAL;
    }
    c->n_auditors++;
    p += l;
  }
  v = wg_config_get(cfg, "agw.cert", "");
  snprintf(c->cert, sizeof c->cert, "%s", v);
  v = wg_config_get(cfg, "agw.key", "");
  snprintf(c->key, sizeof c->key, "%s", v);
  int rc;
  if ((rc = wg_config_get_int(cfg, "agw.max-contexts", 1000, 1, 1000000, &c->max_contexts, err,
                              errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.max-terminations", 8, 2, 64, &c->max_terms, err,
                              errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.consent-timeout", 30, 1, 3600, &c->consent_timeout_s,
                              err, errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.dtls-timeout", 20, 1, 600, &c->dtls_timeout_s, err,
                              errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.register-retry", 1000, 10, 600000, &c->register_retry_ms,
                              err, errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.max-message-size", 65536, 1024, 1 << 30,
                              &c->max_message_size, err, errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.sctp-port", 5000, 1, 65535, &c->sctp_port, err,
                              errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.sctp-streams", 1024, 16, 65535, &c->sctp_streams, err,
                              errlen)) < 0 ||
      (rc = wg_config_get_int(cfg, "agw.long-timer", 30000, 100, 600000, &c->long_timer_ms, err,
                              errlen)) < 0 ||
      (rc = wg_config_get_bool(cfg, "agw.notify-released-bearer", 1, &c->notify_released, err,
                               errlen)) < 0)
    return rc;
  if ((c->cert[0] != 0) != (c->key[0] != 0) && c->cert[0] == 0) {
    seterr(err, errlen, "agw.key is set but agw.cert is not");
    return -EINVAL;
  }
  return 0;
}

/* ------------------------------------------------------ H.248 transport */

typedef struct send_req {
  uv_udp_send_t req;
  char data[];
} send_req_t;

static void on_udp_sent(uv_udp_send_t *req, int status)
{
  (void)status;
  free(req);
}

static int tl_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const void *data,
                   size_t len)
{
  agw_t *agw = ctx;
  (void)tolen;
  if (agw->state == AGW_ST_CLOSING && !uv_is_active((uv_handle_t *)&agw->udp) &&
      uv_is_closing((uv_handle_t *)&agw->udp))
    return -EPIPE;
  if (WG_LOG_ENABLED(WG_LOG_DEBUG)) {
    char a[64];
    wg_log(WG_LOG_DEBUG, AGW_LOG, &nolog, "H.248 to %s (%zu bytes):\n%.*s",
           wg_format_addr(to, a, sizeof a), len, (int)len, (const char *)data);
  }
  if (agw->pcap)
    wg_pcap_udp(agw->pcap, (const struct sockaddr *)&agw->conf.listen, to, data, len);
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  int rc = uv_udp_try_send(&agw->udp, &b, 1, to);
  if (rc >= 0)
    return 0;
  if (rc != UV_EAGAIN)
    return rc;
  send_req_t *r = malloc(sizeof *r + len);
  if (!r)
    return -ENOMEM;
  memcpy(r->data, data, len);
  b = uv_buf_init(r->data, (unsigned)len);
  rc = uv_udp_send(&r->req, &agw->udp, &b, 1, to, on_udp_sent);
  if (rc < 0)
    free(r);
  return rc;
}

static void on_tl_timer(uv_timer_t *t)
{
  agw_t *agw = t->data;
  if (agw->tl)
    h248_tl_on_timer(agw->tl);
}

static void tl_set_timer(void *ctx, int64_t delay_ms)
{
  agw_t *agw = ctx;
  if (uv_is_closing((uv_handle_t *)&agw->tl_timer))
    return;
  if (delay_ms < 0)
    uv_timer_stop(&agw->tl_timer);
  else
    uv_timer_start(&agw->tl_timer, on_tl_timer, (uint64_t)delay_ms, 0);
}

static uint64_t tl_now(void *ctx)
{
  agw_t *agw = ctx;
  uv_update_time(&agw->loop);
  return uv_now(&agw->loop);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  static char slab[65536]; /* one loop thread per process reads H.248 */
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(slab, sizeof slab);
}

static void on_udp_read(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *from, unsigned flags)
{
  agw_t *agw = h->data;
  if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL) || !agw->tl)
    return;
  if (agw->pcap)
    wg_pcap_udp(agw->pcap, from, (const struct sockaddr *)&agw->conf.listen, buf->base,
                (size_t)nread);
  if (WG_LOG_ENABLED(WG_LOG_DEBUG)) {
    char a[64];
    wg_log(WG_LOG_DEBUG, AGW_LOG, &nolog, "H.248 from %s (%zd bytes):\n%.*s",
           wg_format_addr(from, a, sizeof a), nread, (int)nread, buf->base);
  }
  h248_tl_input(agw->tl, from, sa_len(from), buf->base, (size_t)nread);
}

static int is_auditor(const agw_t *agw, const struct sockaddr *from)
{
  for (int i = 0; i < agw->conf.n_auditors; i++)
    if (sa_same_ip(from, (const struct sockaddr *)&agw->conf.auditors[i]))
      return 1;
  return 0;
}

/* A transaction that only reads: every command an AuditValue or AuditCap. */
static int audit_only(const h248_trans_t *req)
{
  int n = 0;
  for (const h248_action_t *a = req->actions; a; a = a->next)
    for (const h248_cmd_t *c = a->cmds; c; c = c->next, n++)
      if (c->type != H248_CMD_AUDITVALUE && c->type != H248_CMD_AUDITCAP)
        return 0;
  return n > 0;
}

/* A request from some peer: only the MGC we registered with may command us;
 * a configured auditor (agw.auditors) may audit. */
static void on_request(void *arg, h248_tl_txn_t *txn, h248_msg_t *msg, const h248_trans_t *req,
                       const struct sockaddr *from, socklen_t fromlen)
{
  agw_t *agw = arg;
  char a[64];
  (void)fromlen;
  if (!sa_equal(from, (const struct sockaddr *)&agw->conf.mgc) && is_auditor(agw, from)) {
    if (!audit_only(req)) {
      wg_log(WG_LOG_WARN, AGW_LOG, &nolog,
             "transaction %u from auditor %s refused: only AuditValue/AuditCapabilities (504)",
             (unsigned)req->id, wg_format_addr(from, a, sizeof a));
      h248_tl_reply_error(agw->tl, txn, 504,
                          "Command received from unauthorized entity (an auditor may only audit)");
      return;
    }
    wg_log(WG_LOG_INFO, AGW_LOG, &nolog, "transaction %u: audit from %s",
           (unsigned)req->id, wg_format_addr(from, a, sizeof a));
    agw_exec_request(agw, txn, msg, req);
    return;
  }
  if (!sa_equal(from, (const struct sockaddr *)&agw->conf.mgc)) {
    wg_log(WG_LOG_WARN, AGW_LOG, &nolog,
           "transaction %u from %s refused: not the MGC we registered with (504)",
           (unsigned)req->id, wg_format_addr(from, a, sizeof a));
    h248_tl_reply_error(agw->tl, txn, 504, "Command received from unauthorized entity");
    return;
  }
  if (agw->state == AGW_ST_INIT || agw->state == AGW_ST_REGISTERING) {
    wg_log(WG_LOG_WARN, AGW_LOG, &nolog,
           "transaction %u before the ServiceChange reply: answered 505", (unsigned)req->id);
    h248_tl_reply_error(agw->tl, txn, 505,
                        "Transaction request received before a ServiceChange reply");
    return;
  }
  agw->executed++;
  agw_exec_request(agw, txn, msg, req);
}

h248_msg_t *agw_new_msg(agw_t *agw)
{
  h248_msg_t *m = h248_msg_new();
  if (m && h248_msg_set_mid(m, agw->mid_kind, agw->mid_name, agw->mid_port) < 0) {
    h248_msg_free(m);
    return NULL;
  }
  return m;
}

int agw_send_request(agw_t *agw, h248_msg_t *msg, h248_tl_reply_cb cb, void *arg)
{
  if (!msg)
    return -ENOMEM;
  if (!agw->tl) {
    h248_msg_free(msg);
    return -EPIPE;
  }
  const struct sockaddr *to = (const struct sockaddr *)&agw->conf.mgc;
  int rc = h248_tl_request(agw->tl, to, sa_len(to), msg, cb, arg, NULL);
  h248_msg_free(msg);
  return rc;
}

/* ------------------------------------------------------- registration */

static void send_restart(agw_t *agw);

static void on_reg_timer(uv_timer_t *t)
{
  agw_t *agw = t->data;
  if (agw->state == AGW_ST_REGISTERING && !agw->reg_inflight)
    send_restart(agw);
}

static void schedule_restart(agw_t *agw)
{
  unsigned d = agw->reg_delay_ms;
  agw->reg_delay_ms = agw->reg_delay_ms * 2 > 8000 ? 8000 : agw->reg_delay_ms * 2;
  if (agw->reg_delay_ms < agw->conf.register_retry_ms)
    agw->reg_delay_ms = (unsigned)agw->conf.register_retry_ms;
  uv_timer_start(&agw->reg_timer, on_reg_timer, d, 0);
}

static const h248_error_t *reply_error(const h248_trans_t *reply)
{
  if (!reply)
    return NULL;
  if (reply->error)
    return reply->error;
  for (const h248_action_t *a = reply->actions; a; a = a->next) {
    if (a->error)
      return a->error;
    for (const h248_cmd_t *c = a->cmds; c; c = c->next)
      if (c->error)
        return c->error;
  }
  return NULL;
}

static void on_restart_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  agw_t *agw = arg;
  (void)msg;
  agw->reg_inflight = 0;
  if (status == -ECANCELED || agw->state != AGW_ST_REGISTERING)
    return;
  if (status < 0) {
    char a[64];
    wg_log(WG_LOG_WARN, AGW_LOG, &nolog, "ServiceChange Restart to %s: no reply (%s); retrying",
           wg_format_addr((const struct sockaddr *)&agw->conf.mgc, a, sizeof a),
           strerror(-status));
    schedule_restart(agw);
    return;
  }
  const h248_error_t *e = reply_error(reply);
  if (e) {
    wg_log(WG_LOG_WARN, AGW_LOG, &nolog, "ServiceChange Restart refused: %u %s; retrying",
           e->code, e->text ? e->text : "");
    schedule_restart(agw);
    return;
  }
  /* ServiceChangeAddress in the reply: the MGC wants us to talk to it there */
  for (const h248_action_t *a = reply->actions; a; a = a->next)
    for (const h248_cmd_t *c = a->cmds; c; c = c->next) {
      struct sockaddr_storage to;
      if (c->svc && c->svc->address && agw_mid_addr(agw, c->svc->address, &to) == 0) {
        char x[64];
        agw->conf.mgc = to;
        wg_log(WG_LOG_NOTICE, AGW_LOG, &nolog, "the MGC moves us to %s (ServiceChangeAddress)",
               wg_format_addr((const struct sockaddr *)&to, x, sizeof x));
      }
    }
  agw->state = AGW_ST_REGISTERED;
  wg_log(WG_LOG_NOTICE, AGW_LOG, &nolog, "registered with the MGC (ServiceChange %s answered)",
         agw->reg_method);
}

int agw_mid_addr(agw_t *agw, const char *text, struct sockaddr_storage *out)
{
  char *end;
  unsigned long port = strtoul(text, &end, 10);
  if (end != text && *end == '\0') { /* a port alone */
    if (port == 0 || port > 65535)
      return -EINVAL;
    *out = agw->conf.mgc;
    struct sockaddr *sa = (struct sockaddr *)out;
    if (sa->sa_family == AF_INET6)
      ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
    else
      ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
    return 0;
  }
  h248_msg_t *tmp = h248_msg_new();
  if (!tmp)
    return -ENOMEM;
  int rc = -EINVAL;
  if (h248_msg_parse_mid(tmp, text) == 0 &&
      (tmp->mid.kind == H248_MID_IP4 || tmp->mid.kind == H248_MID_IP6) &&
      parse_ip(tmp->mid.name, out) == 0) {
    uint16_t p = tmp->mid.port ? tmp->mid.port : H248_IQ_PORT_TEXT;
    struct sockaddr *sa = (struct sockaddr *)out;
    if (sa->sa_family == AF_INET6)
      ((struct sockaddr_in6 *)sa)->sin6_port = htons(p);
    else
      ((struct sockaddr_in *)sa)->sin_port = htons(p);
    rc = 0;
  }
  h248_msg_free(tmp);
  return rc;
}

void agw_handoff(agw_t *agw, const struct sockaddr_storage *to)
{
  char x[64];
  if (agw->state == AGW_ST_CLOSING || agw->state == AGW_ST_STOPPING)
    return;
  agw->conf.mgc = *to;
  agw->state = AGW_ST_REGISTERING;
  agw->reg_method = "HandOff";
  agw->reg_reason = "903 MGC Directed Change";
  agw->reg_delay_ms = (unsigned)agw->conf.register_retry_ms;
  wg_log(WG_LOG_NOTICE, AGW_LOG, &nolog, "MGC-directed change: registering with %s",
         wg_format_addr((const struct sockaddr *)to, x, sizeof x));
  uv_timer_stop(&agw->reg_timer);
  if (!agw->reg_inflight)
    send_restart(agw);
  /* else: the answer to the old registration is ignored (state and address
   * changed), and its callback re-sends when it fails */
}

static h248_msg_t *service_change(agw_t *agw, const char *method, const char *reason)
{
  h248_msg_t *m = agw_new_msg(agw);
  if (!m)
    return NULL;
  h248_trans_t *t = h248_add_request(m, 0);
  h248_action_t *a = t ? h248_add_action(m, t, h248_ctx_null()) : NULL;
  h248_cmd_t *c = a ? h248_add_cmd(m, a, H248_CMD_SERVICECHANGE, "ROOT") : NULL;
  h248_service_change_t *sc = c ? h248_cmd_svc(m, c, method, reason) : NULL;
  if (!sc) {
    h248_msg_free(m);
    return NULL;
  }
  if (strcmp(method, "Restart") == 0 || strcmp(method, "HandOff") == 0)
    sc->profile = h248_strdup(m, agw->conf.profile);
  return m;
}

static void send_restart(agw_t *agw)
{
  h248_msg_t *m = service_change(agw, agw->reg_method, agw->reg_reason);
  char a[64];
  wg_log(WG_LOG_INFO, AGW_LOG, &nolog, "ServiceChange %s (%s, %s) to %s", agw->reg_method,
         agw->reg_reason, agw->conf.profile,
         wg_format_addr((const struct sockaddr *)&agw->conf.mgc, a, sizeof a));
  int rc = agw_send_request(agw, m, on_restart_reply, agw);
  if (rc < 0) {
    wg_log(WG_LOG_ERROR, AGW_LOG, &nolog, "ServiceChange Restart not sent: %s", strerror(-rc));
    schedule_restart(agw);
    return;
  }
  agw->reg_inflight = 1;
}

/* ----------------------------------------------------------------- stop */

static void on_handle_closed(uv_handle_t *h)
{
  agw_t *agw = h->data;
  agw->handles_open--;
}

static void close_handle(agw_t *agw, uv_handle_t *h)
{
  if (!uv_is_closing(h))
    uv_close(h, on_handle_closed);
  (void)agw;
}

/* Called whenever a media close finished: once none is left, free the
 * media context and close our own handles; uv_run then returns. */
void agw_maybe_finish_close(agw_t *agw)
{
  if (agw->state != AGW_ST_CLOSING || agw->media_closing > 0)
    return;
  if (agw->media) {
    if (wgm_ctx_free(agw->media) == -EBUSY)
      return;
    agw->media = NULL;
  }
  if (agw->tl) {
    h248_tl_free(agw->tl);
    agw->tl = NULL;
  }
  close_handle(agw, (uv_handle_t *)&agw->udp);
  close_handle(agw, (uv_handle_t *)&agw->tl_timer);
  close_handle(agw, (uv_handle_t *)&agw->reg_timer);
  close_handle(agw, (uv_handle_t *)&agw->tick);
  close_handle(agw, (uv_handle_t *)&agw->async);
}

static void release_all(agw_t *agw)
{
  for (agw_ctx_t *c = agw->model.ctxs; c; c = c->next)
    for (agw_term_t *t = c->terms; t; t = t->next)
      agw_media_release(agw, t);
  agw_model_clear(&agw->model);
}

static void on_finish_timer(uv_timer_t *t) { agw_maybe_finish_close(t->data); }

/* May run inside a transaction-layer callback: the layer is freed later,
 * from a timer (or the last media close callback), never from here. */
static void begin_close(agw_t *agw)
{
  if (agw->state == AGW_ST_CLOSING)
    return;
  agw->state = AGW_ST_CLOSING;
  uv_udp_recv_stop(&agw->udp);
  release_all(agw);
  uv_timer_start(&agw->reg_timer, on_finish_timer, 0, 0);
}

static void on_leave_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  agw_t *agw = arg;
  (void)msg;
  (void)reply;
  if (status == -ECANCELED)
    return;
  wg_log(WG_LOG_INFO, AGW_LOG, &nolog, "ServiceChange Graceful %s",
         status == 0 ? "answered" : "not answered");
  begin_close(agw);
}

static void on_async(uv_async_t *h)
{
  agw_t *agw = h->data;
  int req = atomic_load(&agw->stop_req);
  if (!req || agw->state == AGW_ST_CLOSING || agw->state == AGW_ST_STOPPING)
    return;
  int was_registered = agw->state == AGW_ST_REGISTERED;
  if (req == 2 && was_registered) {
    agw->state = AGW_ST_STOPPING;
    wg_log(WG_LOG_NOTICE, AGW_LOG, &nolog, "stopping: ServiceChange Graceful to the MGC");
    h248_msg_t *m = service_change(agw, "Graceful", "905 Termination taken out of service");
    uv_update_time(&agw->loop);
    agw->stop_deadline_ms = uv_now(&agw->loop) + 5000;
    if (agw_send_request(agw, m, on_leave_reply, agw) == 0)
      return;
    begin_close(agw);
    return;
  }
  if (was_registered) {
    wg_log(WG_LOG_NOTICE, AGW_LOG, &nolog, "stopping: ServiceChange Forced to the MGC");
    agw_send_request(agw, service_change(agw, "Forced", "905 Termination taken out of service"),
                     NULL, NULL);
  }
  begin_close(agw);
}

static void on_tick(uv_timer_t *t)
{
  agw_t *agw = t->data;
  if (agw->state == AGW_ST_STOPPING && uv_now(&agw->loop) >= agw->stop_deadline_ms) {
    begin_close(agw);
    return;
  }
  if (agw->state == AGW_ST_REGISTERED)
    agw_media_tick(agw);
}

/* ------------------------------------------------------------- public */

int agw_create(agw_t **out, const wg_config_t *cfg, char *err, size_t errlen)
{
  *out = NULL;
  agw_t *agw = calloc(1, sizeof *agw);
  if (!agw)
    return -ENOMEM;
  int rc = conf_read(&agw->conf, cfg, err, errlen);
  if (rc < 0)
    goto fail;
  h248_msg_t *tmp = h248_msg_new();
  if (!tmp) {
    rc = -ENOMEM;
    goto fail;
  }
  if (h248_msg_parse_mid(tmp, agw->conf.mid_text) < 0) {
    h248_msg_free(tmp);
    seterr(err, errlen, "agw.mid: '%s' is not an H.248 mId ([1.2.3.4]:2944, <name>:2944)",
           agw->conf.mid_text);
    rc = -EINVAL;
    goto fail;
  }
  agw->mid_kind = tmp->mid.kind;
  snprintf(agw->mid_name, sizeof agw->mid_name, "%s", tmp->mid.name);
  agw->mid_port = tmp->mid.port;
  h248_msg_free(tmp);

  if ((rc = agw_pool_init(&agw->access_pool, agw->conf.access_lo, agw->conf.access_hi)) < 0 ||
      (rc = agw_pool_init(&agw->core_pool, agw->conf.core_lo, agw->conf.core_hi)) < 0) {
    seterr(err, errlen, "port pools: %s", strerror(-rc));
    goto fail;
  }
  agw_model_init(&agw->model, (unsigned)agw->conf.max_contexts, (unsigned)agw->conf.max_terms);

  if (agw->conf.cert[0]) {
    rc = wgm_cert_load(agw->conf.cert, agw->conf.key[0] ? agw->conf.key : NULL, &agw->cert, err,
                       errlen);
    if (rc < 0)
      goto fail;
  } else if ((rc = wgm_cert_generate(&agw->cert)) < 0) {
    seterr(err, errlen, "cannot generate the DTLS certificate: %s", wgm_strerror(rc));
    goto fail;
  }

  if ((rc = uv_loop_init(&agw->loop)) < 0) {
    seterr(err, errlen, "uv_loop_init: %s", uv_strerror(rc));
    goto fail;
  }
  agw->loop_inited = 1;
  agw->udp.data = agw->tl_timer.data = agw->reg_timer.data = agw->tick.data = agw->async.data =
      agw;
  uv_udp_init(&agw->loop, &agw->udp);
  uv_timer_init(&agw->loop, &agw->tl_timer);
  uv_timer_init(&agw->loop, &agw->reg_timer);
  uv_timer_init(&agw->loop, &agw->tick);
  uv_async_init(&agw->loop, &agw->async, on_async);
  agw->handles_open = 5;
  rc = uv_udp_bind(&agw->udp, (const struct sockaddr *)&agw->conf.listen, 0);
  if (rc < 0) {
    char a[64];
    seterr(err, errlen, "agw.h248-listen: cannot bind %s: %s",
           wg_format_addr((const struct sockaddr *)&agw->conf.listen, a, sizeof a),
           uv_strerror(rc));
    goto fail;
  }
  int nl = sizeof agw->conf.listen;
  uv_udp_getsockname(&agw->udp, (struct sockaddr *)&agw->conf.listen, &nl);
  if (agw->conf.mid_default && agw->mid_port != sa_port((struct sockaddr *)&agw->conf.listen)) {
    /* listening on port 0: the default mId names the port we got */
    agw->mid_port = sa_port((struct sockaddr *)&agw->conf.listen);
    snprintf(agw->conf.mid_text, sizeof agw->conf.mid_text, "[%s]:%u", agw->mid_name,
             agw->mid_port);
  }

  wgm_ctx_options_t mo = {.cert = agw->cert};
  if ((rc = wgm_ctx_new(&agw->loop, &mo, &agw->media)) < 0) {
    seterr(err, errlen, "media context: %s", wgm_strerror(rc));
    goto fail;
  }

  h248_transport_t tr = {.ctx = agw, .send = tl_send, .set_timer = tl_set_timer, .now_ms = tl_now};
  h248_tl_config_t tc = {0};
  tc.mid_kind = agw->mid_kind;
  tc.mid_name = agw->mid_name;
  tc.mid_port = agw->mid_port;
  tc.long_timer_ms = (unsigned)agw->conf.long_timer_ms;
  /* Time-derived first id: a restarted AGW must not reuse the ids of its
   * previous life, or the MGC's reply cache (LONG-TIMER) would take its new
   * ServiceChange for a retransmission and never execute it. */
  tc.first_tid = 1 + (uint32_t)((wg_time_us() / 1000) % 1000000000u);
  if ((rc = h248_tl_new(&agw->tl, &tr, &tc, on_request, agw)) < 0) {
    seterr(err, errlen, "H.248 transaction layer: %s", strerror(-rc));
    goto fail;
  }
  agw->reg_delay_ms = (unsigned)agw->conf.register_retry_ms;
  agw->reg_method = "Restart";
  agw->reg_reason = "901 Cold Boot";
  *out = agw;
  return 0;
fail:
  agw_destroy(agw);
  return rc;
}

void agw_set_capture(agw_t *agw, wg_pcap_t *pcap, wg_keylog_t *keylog)
{
  agw->pcap = pcap;
  agw->keylog = keylog;
}

int agw_run(agw_t *agw)
{
  int rc = uv_udp_recv_start(&agw->udp, on_alloc, on_udp_read);
  if (rc < 0)
    return rc;
  char a[64], b[64];
  wg_log(WG_LOG_NOTICE, AGW_LOG, &nolog, "eIMS-AGW up: H.248 on %s (mId %s), MGC %s",
         wg_format_addr((const struct sockaddr *)&agw->conf.listen, a, sizeof a),
         agw->conf.mid_text, wg_format_addr((const struct sockaddr *)&agw->conf.mgc, b, sizeof b));
  uv_timer_start(&agw->tick, on_tick, 1000, 1000);
  agw->state = AGW_ST_REGISTERING;
  send_restart(agw);
  if (atomic_load(&agw->stop_req))
    on_async(&agw->async);
  uv_run(&agw->loop, UV_RUN_DEFAULT);
  return 0;
}

void agw_stop(agw_t *agw, int graceful)
{
  if (!agw)
    return;
  int want = graceful ? 2 : 1, cur = 0;
  atomic_compare_exchange_strong(&agw->stop_req, &cur, want);
  uv_async_send(&agw->async);
}

void agw_destroy(agw_t *agw)
{
  if (!agw)
    return;
  if (agw->loop_inited) {
    /* not run, or run and finished: make sure everything is closed */
    if (agw->state != AGW_ST_CLOSING) {
      agw->state = AGW_ST_INIT;
      begin_close(agw);
    }
    agw_maybe_finish_close(agw);
    if (agw->handles_open > 0 || agw->media_closing > 0 || agw->media) {
      uv_run(&agw->loop, UV_RUN_DEFAULT);
      agw_maybe_finish_close(agw);
      uv_run(&agw->loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&agw->loop);
  }
  if (agw->tl)
    h248_tl_free(agw->tl);
  agw_model_clear(&agw->model);
  agw_pool_free(&agw->access_pool);
  agw_pool_free(&agw->core_pool);
  if (agw->cert)
    wgm_cert_unref(agw->cert);
  free(agw);
}

int agw_h248_address(const agw_t *agw, struct sockaddr_storage *out)
{
  *out = agw->conf.listen;
  return 0;
}

size_t agw_context_count(const agw_t *agw) { return agw->model.n_ctxs; }
size_t agw_termination_count(const agw_t *agw) { return agw->model.n_terms; }
const char *agw_fingerprint(const agw_t *agw)
{
  return agw->cert ? wgm_cert_fingerprint(agw->cert) : "";
}

/* ------------------------------------------------------------ test hooks */

void agw__registered(agw_t *agw, int yes) { agw->state = yes ? AGW_ST_REGISTERED : AGW_ST_REGISTERING; }

int agw__input(agw_t *agw, const void *data, size_t len)
{
  if (!agw->tl)
    return -EPIPE;
  const struct sockaddr *from = (const struct sockaddr *)&agw->conf.mgc;
  int rc = h248_tl_input(agw->tl, from, sa_len(from), data, len);
  uv_run(&agw->loop, UV_RUN_NOWAIT);
  return rc;
}

void agw__reset(agw_t *agw)
{
  release_all(agw);
  uv_run(&agw->loop, UV_RUN_NOWAIT);
}

uint64_t agw__executed(const agw_t *agw) { return agw->executed; }
