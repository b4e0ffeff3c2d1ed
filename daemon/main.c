/* wicgated -- the wicgate daemon: the eP-CSCF (IMS-ALG, alg/) and the
 * eIMS-AGW (agw/) in one process (--role both: two threads talking H.248
 * over loopback UDP), or either one alone (--role alg / --role agw).
 *
 * The main thread only reads the command line and the config, starts the
 * threads and then waits for signals (sigwait): TERM/INT -> graceful stop
 * (a second one stops at once), HUP -> reopen the log file. See
 * doc/wicgated.8 and doc/wicgated.conf.md. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "alg/alg.h"
#include "agw/agw.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

enum role { ROLE_BOTH, ROLE_ALG, ROLE_AGW };

static const char *const daemon_keys[] = {
  "daemon.role", "daemon.log-level", "daemon.log-file", "daemon.pcap", "daemon.keylog", NULL,
};

static void usage(FILE *f)
{
  fprintf(f,
"Usage: wicgated [OPTION]...\n"
"WebRTC data channel gateway: eP-CSCF (IMS-ALG) + eIMS-AGW, TS 23.334\n"
"figure 6.2.10.x.2.1 (WIC MSRP data channel into IMS).\n"
"\n"
"  -c, --config FILE        read the configuration file FILE (see wicgated.conf)\n"
"  -s, --set KEY=VALUE      set a configuration key (after the file; repeatable),\n"
"                           e.g. --set alg.max-calls=100\n"
"  -r, --role ROLE          both (default): ALG and AGW in one process;\n"
"                           alg: the eP-CSCF only; agw: the eIMS-AGW only\n"
"      --sip-listen H:P     SIP address, UDP and TCP   (alg.sip-listen, 127.0.0.1:5060)\n"
"      --next-hop URI       where initial requests go  (alg.next-hop, e.g. sip:127.0.0.1:5080)\n"
"      --h248-listen H:P    the ALG's H.248 address    (alg.h248-listen, 127.0.0.1:2945)\n"
"      --agw H:P[,H:P..]    AGWs the ALG controls      (alg.agw, 127.0.0.1:2944)\n"
"      --agw-listen H:P     the AGW's H.248 address    (agw.h248-listen, 127.0.0.1:2944)\n"
"      --mgc H:P            the MGC the AGW registers with (agw.mgc, 127.0.0.1:2945)\n"
"      --ws-listen H:P      SIP over WebSocket (ws://) and the demo page (http://)\n"
"                           on one port (alg.ws-listen; unset: off)\n"
"      --http-root DIR      static files served on the WebSocket port(s)\n"
"                           (alg.http-root; unset: 404)\n"
"  -l, --log-level LEVEL    error, warn, notice, info (default), debug\n"
"      --log-file FILE      append logs to FILE instead of stderr (reopened on SIGHUP)\n"
"      --pcap FILE          record SIP, H.248, T1 UDP and T2 TCP traffic (pcap)\n"
"      --keylog FILE        write DTLS secrets (SSLKEYLOGFILE format) for Wireshark\n"
"      --check              check the configuration and exit\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the version and exit\n"
"\n"
"SIP over WebSocket (RFC 7118) keys, each settable with --set KEY=VALUE:\n"
"  alg.ws-listen H:P, alg.wss-listen H:P (TLS; needs alg.tls-cert and\n"
"  alg.tls-key, PEM files), alg.http-root DIR, alg.registrar builtin|sip:URI\n"
"  (builtin: a test registrar for demos), alg.ws-max-connections N (100),\n"
"  alg.ws-max-message BYTES (65536), alg.ws-ping-interval S (30; 0 off).\n"
"\n"
"When it can take calls, wicgated writes to stderr:\n"
"  wicgated: ready (sip HOST:PORT, h248 HOST:PORT)\n"
"(--role agw: \"wicgated: ready (agw h248 HOST:PORT)\").\n"
"Signals: TERM/INT stop gracefully (new calls get 503, existing calls are\n"
"released, ServiceChange to the peer; a second one stops at once);\n"
"HUP reopens the log file. Exit status: 0 ok, 1 runtime error, 2 usage or\n"
"configuration error.\n");
}

struct ctx {
  enum role role;
  alg_t *alg;
  agw_t *agw;
  pthread_t main_thread;
  int alg_rc, agw_rc;
  volatile int alg_done, agw_done;
};

static void on_ready(void *arg, const char *sip, const char *h248)
{
  (void)arg;
  fprintf(stderr, "wicgated: ready (sip %s, h248 %s)\n", sip, h248);
  fflush(stderr);
}

/* role both: the AGW thread starts once the ALG listens (see alg_set_bound_cb) */
static pthread_mutex_t bound_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bound_cv = PTHREAD_COND_INITIALIZER;
static int bound_flag;

static void on_bound(void *arg)
{
  (void)arg;
  pthread_mutex_lock(&bound_mu);
  bound_flag = 1;
  pthread_cond_signal(&bound_cv);
  pthread_mutex_unlock(&bound_mu);
}

static void *alg_thread(void *arg)
{
  struct ctx *c = arg;
  c->alg_rc = alg_run(c->alg);
  c->alg_done = 1;
  on_bound(NULL);  /* never leave main waiting */
  pthread_kill(c->main_thread, SIGUSR1);
  return NULL;
}

static void *agw_thread(void *arg)
{
  struct ctx *c = arg;
  c->agw_rc = agw_run(c->agw);
  c->agw_done = 1;
  pthread_kill(c->main_thread, SIGUSR1);
  return NULL;
}

static int set_opt(wg_config_t *cfg, const char *key, const char *val)
{
  if (wg_config_set(cfg, key, val) < 0) {
    fprintf(stderr, "wicgated: cannot set %s\n", key);
    return -1;
  }
  return 0;
}

static int known_key(const char *key)
{
  const char *const *k;
  size_t n;
  for (k = daemon_keys; *k; k++)
    if (!strcasecmp(*k, key))
      return 1;
  for (k = alg_config_keys(); *k; k++)
    if (!strcasecmp(*k, key))
      return 1;
  n = strlen("agw.");
  if (!strncasecmp(key, "agw.", n))
    return 1;  /* agw_create checks its own keys */
  if (!strncasecmp(key, "wicsim.", 7))
    return 1;  /* a shared config file may hold the scenario tool's keys */
  return 0;
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    { "config", required_argument, NULL, 'c' },
    { "set", required_argument, NULL, 's' },
    { "role", required_argument, NULL, 'r' },
    { "sip-listen", required_argument, NULL, 1 },
    { "next-hop", required_argument, NULL, 2 },
    { "h248-listen", required_argument, NULL, 3 },
    { "agw", required_argument, NULL, 4 },
    { "agw-listen", required_argument, NULL, 5 },
    { "mgc", required_argument, NULL, 6 },
    { "log-level", required_argument, NULL, 'l' },
    { "log-file", required_argument, NULL, 7 },
    { "pcap", required_argument, NULL, 8 },
    { "keylog", required_argument, NULL, 9 },
    { "check", no_argument, NULL, 10 },
    { "ws-listen", required_argument, NULL, 11 },
    { "http-root", required_argument, NULL, 12 },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  /* command-line settings are applied after the file: keep them in order */
  const char *later_k[256], *later_v[256];
  int nlater = 0, opt, check = 0, rc = 0, i, lvl;
  const char *config_file = NULL;
  char err[512], *eq, buf[512];
  wg_config_t *cfg;
  struct ctx c;
  wg_pcap_t *pcap = NULL;
  wg_keylog_t *keylog = NULL;
  const char *v;
  sigset_t set;
  pthread_t alg_tid, agw_tid;
  int alg_started = 0, agw_started = 0;
  int stops = 0;

  memset(&c, 0, sizeof c);
  cfg = wg_config_new();
  if (!cfg) {
    fprintf(stderr, "wicgated: out of memory\n");
    return 1;
  }
#define LATER(k, v_) do { if (nlater < 256) { later_k[nlater] = (k); later_v[nlater++] = (v_); } } while (0)
  while ((opt = getopt_long(argc, argv, "c:s:r:l:hV", opts, NULL)) != -1) {
    switch (opt) {
    case 'c': config_file = optarg; break;
    case 's': LATER(NULL, optarg); break;
    case 'r': LATER("daemon.role", optarg); break;
    case 1: LATER("alg.sip-listen", optarg); break;
    case 2: LATER("alg.next-hop", optarg); break;
    case 3: LATER("alg.h248-listen", optarg); break;
    case 4: LATER("alg.agw", optarg); break;
    case 5: LATER("agw.h248-listen", optarg); break;
    case 6: LATER("agw.mgc", optarg); break;
    case 'l': LATER("daemon.log-level", optarg); break;
    case 7: LATER("daemon.log-file", optarg); break;
    case 8: LATER("daemon.pcap", optarg); break;
    case 9: LATER("daemon.keylog", optarg); break;
    case 10: check = 1; break;
    case 11: LATER("alg.ws-listen", optarg); break;
    case 12: LATER("alg.http-root", optarg); break;
    case 'h': usage(stdout); wg_config_free(cfg); return 0;
    case 'V': printf("wicgated %s\n", PACKAGE_VERSION); wg_config_free(cfg); return 0;
    default: usage(stderr); wg_config_free(cfg); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "wicgated: unexpected argument \"%s\" (see --help)\n", argv[optind]);
    wg_config_free(cfg);
    return 2;
  }
  if (config_file && wg_config_load(cfg, config_file, err, sizeof err) < 0) {
    fprintf(stderr, "wicgated: %s\n", err);
    wg_config_free(cfg);
    return 2;
  }
  for (i = 0; i < nlater; i++) {
    if (later_k[i]) {
      if (set_opt(cfg, later_k[i], later_v[i]) < 0) {
        wg_config_free(cfg);
        return 2;
      }
    } else if (!(eq = strchr(later_v[i], '=')) ||
               wg_config_set_kv(cfg, later_v[i], err, sizeof err) < 0) {
      fprintf(stderr, "wicgated: --set %s: expected KEY=VALUE%s%s\n", later_v[i],
              eq ? ": " : "", eq ? err : "");
      wg_config_free(cfg);
      return 2;
    }
  }
  for (size_t k = 0; k < wg_config_count(cfg); k++) {
    const char *key = wg_config_key_at(cfg, k);
    if (!known_key(key)) {
      fprintf(stderr, "wicgated: unknown configuration key \"%s\" (see wicgated.conf(5))\n",
              key);
      wg_config_free(cfg);
      return 2;
    }
  }

  v = wg_config_get(cfg, "daemon.role", "both");
  if (!strcasecmp(v, "both"))
    c.role = ROLE_BOTH;
  else if (!strcasecmp(v, "alg"))
    c.role = ROLE_ALG;
  else if (!strcasecmp(v, "agw"))
    c.role = ROLE_AGW;
  else {
    fprintf(stderr, "wicgated: daemon.role: \"%s\" is not both, alg or agw\n", v);
    wg_config_free(cfg);
    return 2;
  }
  v = wg_config_get(cfg, "daemon.log-level", "info");
  lvl = wg_log_level_parse(v);
  if (lvl < 0) {
    fprintf(stderr, "wicgated: daemon.log-level: \"%s\" is not error, warn, notice, info or debug\n", v);
    wg_config_free(cfg);
    return 2;
  }
  wg_log_set_level((enum wg_log_level)lvl);

  if (c.role != ROLE_AGW && alg_create(&c.alg, cfg, err, sizeof err) < 0) {
    fprintf(stderr, "wicgated: %s\n", err);
    wg_config_free(cfg);
    return 2;
  }
  if (check && c.role == ROLE_ALG) {
    printf("wicgated: configuration ok\n");
    alg_destroy(c.alg);
    wg_config_free(cfg);
    return 0;
  }
  if (c.role != ROLE_ALG) {
    rc = agw_create(&c.agw, cfg, err, sizeof err);
    if (rc < 0) {
      fprintf(stderr, "wicgated: %s\n", err);
      alg_destroy(c.alg);
      wg_config_free(cfg);
      return rc == -EINVAL ? 2 : 1;
    }
  }
  if (check) {
    printf("wicgated: configuration ok\n");
    agw_destroy(c.agw);
    alg_destroy(c.alg);
    wg_config_free(cfg);
    return 0;
  }

  v = wg_config_get(cfg, "daemon.log-file", NULL);
  if (v && wg_log_open(v) < 0) {
    fprintf(stderr, "wicgated: cannot open log file %s: %s\n", v, strerror(errno));
    rc = 1;
    goto done;
  }
  v = wg_config_get(cfg, "daemon.pcap", NULL);
  if (v && !(pcap = wg_pcap_open(v, err, sizeof err))) {
    fprintf(stderr, "wicgated: %s\n", err);
    rc = 1;
    goto done;
  }
  v = wg_config_get(cfg, "daemon.keylog", NULL);
  if (v && !(keylog = wg_keylog_open(v, err, sizeof err))) {
    fprintf(stderr, "wicgated: %s\n", err);
    rc = 1;
    goto done;
  }
  if (c.alg) {
    alg_set_capture(c.alg, pcap);
    /* role both: the AGW records the Iq datagrams, so each is in the pcap once */
    alg_set_capture_h248(c.alg, c.agw == NULL);
    alg_set_ready_cb(c.alg, on_ready, &c);
    alg_set_bound_cb(c.alg, on_bound, &c);
  }
  if (c.agw)
    agw_set_capture(c.agw, pcap, keylog);

  /* every thread inherits the blocked set; only sigwait() below sees them */
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  c.main_thread = pthread_self();

  wg_log(WG_LOG_NOTICE, "wicgated", NULL, "wicgated %s starting, role %s", PACKAGE_VERSION,
         c.role == ROLE_BOTH ? "both" : c.role == ROLE_ALG ? "alg" : "agw");
  if (c.alg) {
    if (pthread_create(&alg_tid, NULL, alg_thread, &c) != 0) {
      fprintf(stderr, "wicgated: cannot start the ALG thread\n");
      rc = 1;
      goto join;
    }
    alg_started = 1;
  }

  if (c.agw) {
    if (c.alg) {
      /* wait until the ALG listens (or failed) */
      pthread_mutex_lock(&bound_mu);
      while (!bound_flag)
        pthread_cond_wait(&bound_cv, &bound_mu);
      pthread_mutex_unlock(&bound_mu);
    }
    if (c.alg && c.alg_done)
      goto join;
    if (pthread_create(&agw_tid, NULL, agw_thread, &c) != 0) {
      fprintf(stderr, "wicgated: cannot start the AGW thread\n");
      rc = 1;
      if (c.alg)
        alg_stop(c.alg, 0);
      goto join;
    }
    agw_started = 1;
    if (!c.alg) {
      struct sockaddr_storage ss;
      char a[64] = "?";
      if (agw_h248_address(c.agw, &ss) == 0)
        wg_format_addr((struct sockaddr *)&ss, a, sizeof a);
      fprintf(stderr, "wicgated: ready (agw h248 %s)\n", a);
      fflush(stderr);
    }
  }
  for (;;) {
    int sig = 0;
    if ((!alg_started || c.alg_done) && (!agw_started || c.agw_done))
      break;
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      wg_log_reopen();
      wg_log(WG_LOG_NOTICE, "wicgated", NULL, "SIGHUP: log reopened");
    } else if (sig == SIGTERM || sig == SIGINT) {
      stops++;
      wg_log(WG_LOG_NOTICE, "wicgated", NULL, "%s: %s stop", sig == SIGTERM ? "SIGTERM" : "SIGINT",
             stops == 1 ? "graceful" : "immediate");
      if (c.alg && !c.alg_done)
        alg_stop(c.alg, stops == 1);
      else if (c.agw)
        agw_stop(c.agw, stops == 1);
    } else if (sig == SIGUSR1) {
      /* a thread ended: with the ALG gone, the AGW follows (role both) */
      if (c.alg_done && c.agw && !c.agw_done)
        agw_stop(c.agw, 0);  /* its MGC is gone: no ServiceChange wait */
      if (c.agw_done && c.alg && !c.alg_done && c.agw_rc != 0)
        alg_stop(c.alg, 0);
    }
  }
join:
  if (alg_started)
    pthread_join(alg_tid, NULL);
  if (agw_started)
    pthread_join(agw_tid, NULL);
  if (alg_started && c.alg_rc < 0) {
    fprintf(stderr, "wicgated: the ALG stopped: %s\n", strerror(-c.alg_rc));
    rc = 1;
  }
  if (agw_started && c.agw_rc < 0) {
    fprintf(stderr, "wicgated: the AGW stopped: %s\n", strerror(-c.agw_rc));
    rc = 1;
  }
  wg_log(WG_LOG_NOTICE, "wicgated", NULL, "stopped");
done:
  (void)buf;
  agw_destroy(c.agw);
  alg_destroy(c.alg);
  if (pcap)
    wg_pcap_close(pcap);
  if (keylog)
    wg_keylog_close(keylog);
  wg_log_close();
  wg_config_free(cfg);
  return rc;
}
