/* alg.c -- the ALG object: configuration, the su_root and its thread, stop
 * (thread-safe through a pipe the root watches), graceful release. */
#include "config.h"
#include "alg/mgc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/url.h>
#include <sofia-sip/su_log.h>

/* Sofia's module logs (exported by libsofia-sip-ua, not declared in its
 * public headers) go to our log at debug level instead of stderr. */
extern su_log_t nta_log[], tport_log[], sresolv_log[];

static _Thread_local char sofia_line[1024];

static void sofia_logger(void *stream, char const *fmt, va_list ap)
{
  size_t n = strlen(sofia_line);
  char *nl;
  (void)stream;
  if (n < sizeof sofia_line - 1)
    vsnprintf(sofia_line + n, sizeof sofia_line - n, fmt, ap);
  while ((nl = strchr(sofia_line, '\n'))) {
    *nl = 0;
    if (sofia_line[0])
      wg_log(WG_LOG_DEBUG, "sofia", NULL, "%s", sofia_line);
    memmove(sofia_line, nl + 1, strlen(nl + 1) + 1);
  }
  if (strlen(sofia_line) >= sizeof sofia_line - 2) {
    wg_log(WG_LOG_DEBUG, "sofia", NULL, "%s", sofia_line);
    sofia_line[0] = 0;
  }
}

static const char *const keys[] = {
  "alg.sip-listen", "alg.sip-transports", "alg.next-hop", "alg.record-route",
  "alg.h248-listen", "alg.mid", "alg.agw", "alg.h248-timeout", "alg.audit-interval",
  "alg.max-calls", "alg.agw-max-calls", "alg.retry-after", "alg.timer-c",
  "alg.release-timeout", "alg.h248-long-timer",
  "alg.ws-listen", "alg.wss-listen", "alg.tls-cert", "alg.tls-key", "alg.http-root",
  "alg.registrar", "alg.ws-max-connections", "alg.ws-max-message", "alg.ws-ping-interval",
  NULL,
};

const char *const *alg_config_keys(void)
{
  return keys;
}

static int get_int(const wg_config_t *cfg, const char *key, long def, long min, long max,
                   long *out, char *err, size_t errlen)
{
  return wg_config_get_int(cfg, key, def, min, max, out, err, errlen);
}

int alg_create(alg_t **out, const wg_config_t *cfg, char *err, size_t errlen)
{
  alg_t *alg;
  const char *v;
  struct sockaddr_storage ss;
  int rc, b;
  char *colon;

  *out = NULL;
  alg = calloc(1, sizeof *alg);
  if (!alg)
    return -ENOMEM;
  su_home_init(alg->home);
  alg->cfg = cfg;
  alg->h248_fd = -1;
  alg->wake_fd[0] = alg->wake_fd[1] = -1;

  v = wg_config_get(cfg, "alg.sip-listen", "127.0.0.1:5060");
  if (wg_parse_hostport(v, 1, &ss) < 0) {
    snprintf(err, errlen, "alg.sip-listen: \"%s\" is not HOST:PORT", v);
    goto bad;
  }
  snprintf(alg->sip_listen, sizeof alg->sip_listen, "%s", v);
  alg->sip_addr = ss;
  {
    char a[128];
    wg_format_addr((struct sockaddr *)&ss, a, sizeof a);
    colon = strrchr(a, ':');
    *colon = 0;
    alg->sip_port = (unsigned)atoi(colon + 1);
    if (a[0] == '[') {
      a[strlen(a) - 1] = 0;
      snprintf(alg->sip_host, sizeof alg->sip_host, "%.63s", a + 1);
    } else {
      snprintf(alg->sip_host, sizeof alg->sip_host, "%.63s", a);
    }
  }
  v = wg_config_get(cfg, "alg.sip-transports", "udp,tcp");
  alg->sip_udp = strstr(v, "udp") != NULL;
  alg->sip_tcp = strstr(v, "tcp") != NULL;
  if (!alg->sip_udp && !alg->sip_tcp) {
    snprintf(err, errlen, "alg.sip-transports: \"%s\" names neither udp nor tcp", v);
    goto bad;
  }
  v = wg_config_get(cfg, "alg.next-hop", NULL);
  if (v && *v) {
    alg->next_hop = su_strdup(alg->home, v);
    alg->next_hop_url = url_hdup(alg->home, (url_t *)url_make(alg->home, v));
    if (!alg->next_hop_url || (alg->next_hop_url->url_type != url_sip &&
                               alg->next_hop_url->url_type != url_sips) ||
        !alg->next_hop_url->url_host) {
      snprintf(err, errlen, "alg.next-hop: \"%s\" is not a sip: URI", v);
      goto bad;
    }
    {
      /* a numeric next hop: requests coming from it are routed by their
       * Request-URI (IMS-originated calls towards a WIC), not back to it */
      char hp[160];
      const char *h = alg->next_hop_url->url_host;
      const char *port = alg->next_hop_url->url_port ? alg->next_hop_url->url_port : "5060";
      if (h[0] == '[')
        snprintf(hp, sizeof hp, "%s:%s", h, port);
      else if (strchr(h, ':'))
        snprintf(hp, sizeof hp, "[%s]:%s", h, port);
      else
        snprintf(hp, sizeof hp, "%s:%s", h, port);
      if (wg_parse_hostport(hp, 1, &alg->next_hop_addr) < 0)
        alg->next_hop_addr.ss_family = 0;
    }
  }
  if ((rc = wg_config_get_bool(cfg, "alg.record-route", 1, &b, err, errlen)) < 0)
    goto bad;
  alg->record_route = b;
  v = wg_config_get(cfg, "alg.h248-listen", "127.0.0.1:2945");
  if (wg_parse_hostport(v, 1, &ss) < 0) {
    snprintf(err, errlen, "alg.h248-listen: \"%s\" is not HOST:PORT", v);
    goto bad;
  }
  snprintf(alg->h248_listen, sizeof alg->h248_listen, "%s", v);
  v = wg_config_get(cfg, "alg.mid", NULL);
  if (v)
    snprintf(alg->mid, sizeof alg->mid, "%s", v);
  v = wg_config_get(cfg, "alg.agw", "127.0.0.1:2944");
  snprintf(alg->agw_list, sizeof alg->agw_list, "%s", v);
  {
    char list[512], *save = NULL, *tok;
    int n = 0;
    snprintf(list, sizeof list, "%s", v);
    for (tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save), n++)
      if (wg_parse_hostport(tok, 1, &ss) < 0) {
        snprintf(err, errlen, "alg.agw: \"%s\" is not HOST:PORT", tok);
        goto bad;
      }
    if (!n) {
      snprintf(err, errlen, "alg.agw: no AGW address");
      goto bad;
    }
  }
  if (get_int(cfg, "alg.h248-timeout", 4000, 100, 600000, &alg->h248_timeout_ms, err, errlen) < 0 ||
      get_int(cfg, "alg.audit-interval", 10, 0, 86400, &alg->audit_interval_s, err, errlen) < 0 ||
      get_int(cfg, "alg.max-calls", 1000, 0, 1000000, &alg->max_calls, err, errlen) < 0 ||
      get_int(cfg, "alg.agw-max-calls", 500, 1, 1000000, &alg->agw_max_calls, err, errlen) < 0 ||
      get_int(cfg, "alg.retry-after", 10, 0, 86400, &alg->retry_after_s, err, errlen) < 0 ||
      get_int(cfg, "alg.timer-c", 180, 1, 3600, &alg->timer_c_s, err, errlen) < 0 ||
      get_int(cfg, "alg.release-timeout", 3000, 0, 600000, &alg->release_timeout_ms, err, errlen) < 0 ||
      get_int(cfg, "alg.h248-long-timer", 30000, 100, 600000, &alg->long_timer_ms, err, errlen) < 0)
    goto bad;
  if (alg_ws_config(alg, cfg, err, errlen) < 0)
    goto bad;
  *out = alg;
  return 0;
bad:
  alg_ws_free(alg);
  su_home_deinit(alg->home);
  free(alg);
  return -EINVAL;
}

void alg_set_capture(alg_t *alg, wg_pcap_t *pcap)
{
  alg->pcap = pcap;
}

void alg_set_capture_h248(alg_t *alg, int record)
{
  alg->pcap_no_h248 = !record;
}

void alg_set_bound_cb(alg_t *alg, alg_bound_cb cb, void *arg)
{
  alg->bound_cb = cb;
  alg->bound_arg = arg;
}

void alg_set_ready_cb(alg_t *alg, alg_ready_cb cb, void *arg)
{
  alg->ready_cb = cb;
  alg->ready_arg = arg;
}

unsigned alg_call_count(const alg_t *alg)
{
  return atomic_load(&((alg_t *)alg)->ncalls_atomic);
}

/* ------------------------------------------------------------ stop */

static void stop_check(su_root_magic_t *m, su_timer_t *t, void *arg);

static void begin_graceful(alg_t *alg)
{
  if (alg->stopping)
    return;
  alg->stopping = 1;
  wg_log(WG_LOG_NOTICE, "alg", NULL, "graceful stop: refusing new calls, releasing %u call(s)",
         alg->ncalls);
  alg_calls_release_agw(alg, NULL, "service shutting down");
  alg_mgc_goodbye(alg);
  alg->stop_timer = su_timer_create(su_root_task(alg->root), 50);
  alg->stop_deadline = wg_mono_ms() + (uint64_t)alg->release_timeout_ms;
  if (alg->stop_timer)
    su_timer_set(alg->stop_timer, stop_check, alg);
  else
    su_root_break(alg->root);
}

static void stop_check(su_root_magic_t *m, su_timer_t *t, void *arg)
{
  alg_t *alg = arg;
  (void)m;
  if (alg_mgc_outstanding(alg) == 0 || wg_mono_ms() >= alg->stop_deadline) {
    su_root_break(alg->root);
    return;
  }
  su_timer_set(t, stop_check, alg);
}

static int wake_cb(su_root_magic_t *m, su_wait_t *w, void *arg)
{
  alg_t *alg = m;
  char buf[64];
  (void)w; (void)arg;
  while (read(alg->wake_fd[0], buf, sizeof buf) > 0)
    ;
  if (atomic_load(&alg->stop_req) == 2) {
    alg->stopping = 2;
    su_root_break(alg->root);
  } else if (atomic_load(&alg->stop_req) == 1) {
    begin_graceful(alg);
  }
  return 0;
}

void alg_stop(alg_t *alg, int graceful)
{
  int want = graceful ? 1 : 2;
  int cur = atomic_load(&alg->stop_req);
  ssize_t n;
  if (cur < want)
    atomic_store(&alg->stop_req, want);
  if (alg->wake_fd[1] >= 0)
    n = write(alg->wake_fd[1], "x", 1);
  (void)n;
}

/* ------------------------------------------------------------ run */

int alg_run(alg_t *alg)
{
  int rc = 0;

  if (pipe2(alg->wake_fd, O_NONBLOCK | O_CLOEXEC) < 0)
    return -errno;
  if (atomic_load(&alg->stop_req) == 2)
    goto closepipe;
  su_init();
  su_log_redirect(su_log_default, sofia_logger, NULL);
  su_log_redirect(nta_log, sofia_logger, NULL);
  su_log_redirect(tport_log, sofia_logger, NULL);
  su_log_redirect(sresolv_log, sofia_logger, NULL);
  alg->root = su_root_create(alg);
  if (!alg->root) {
    rc = -ENOMEM;
    goto deinit;
  }
  if (su_wait_create(alg->wake_wait, alg->wake_fd[0], SU_WAIT_IN) < 0 ||
      (alg->wake_index = su_root_register(alg->root, alg->wake_wait, wake_cb, NULL, 0)) < 0) {
    rc = -EIO;
    goto out;
  }
  if ((rc = alg_proxy_start(alg)) < 0)
    goto out;
  if ((rc = alg_mgc_start(alg)) < 0)
    goto out;
  if ((rc = alg_ws_start(alg)) < 0)
    goto out;
  wg_log(WG_LOG_NOTICE, "alg", NULL, "SIP on %s (%s%s%s), next hop %s", alg->sip_listen,
         alg->sip_udp ? "udp" : "", alg->sip_udp && alg->sip_tcp ? "+" : "",
         alg->sip_tcp ? "tcp" : "", alg->next_hop ? alg->next_hop : "by Request-URI");
  if (alg->bound_cb)
    alg->bound_cb(alg->bound_arg);
  if (atomic_load(&alg->stop_req))
    wake_cb(alg, NULL, NULL);
  su_root_run(alg->root);
  rc = 0;
out:
  alg_call_free_all(alg);
  alg_ws_stop(alg);
  alg_proxy_stop(alg);
  alg_mgc_stop(alg);
  if (alg->stop_timer)
    su_timer_destroy(alg->stop_timer), alg->stop_timer = NULL;
  if (alg->wake_index > 0)
    su_root_deregister(alg->root, alg->wake_index), alg->wake_index = 0;
  su_root_destroy(alg->root);
  alg->root = NULL;
deinit:
  su_deinit();
closepipe:
  close(alg->wake_fd[0]);
  close(alg->wake_fd[1]);
  alg->wake_fd[0] = alg->wake_fd[1] = -1;
  return rc;
}

void alg_destroy(alg_t *alg)
{
  if (!alg)
    return;
  alg_ws_free(alg);
  su_home_deinit(alg->home);
  free(alg);
}
