/* wicsim.c -- the command line: wicsim run | load | check, the co-started
 * wicgated (--with-daemon), pcap/key log, output. */
#include "config.h"
#include "scenarios/wicsim.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef WICSIM_LUA
#define WICSIM_LUA "scenarios/wicsim-dissectors.lua"
#endif

static void usage(FILE *fp)
{
  fprintf(fp,
          "usage: wicsim run FILE [--target HOST:PORT | --with-daemon [--daemon PATH]] [options]\n"
          "       wicsim load FILE --rate R --calls N --concurrency C [same options]\n"
          "       wicsim check FILE...     (parse only: report errors with line numbers)\n"
          "\n"
          "Plays the WIC (SIP + ICE + DTLS + SCTP + data channel + MSRP) and UE-B (SIP + MSRP\n"
          "over TCP) through an eP-CSCF/eIMS-AGW and checks each step of TS 23.334 figure\n"
          "6.2.10.x.2.1. Prints a ladder and a verdict per step; exit 0 only if all passed.\n"
          "\n"
          "  --target HOST:PORT   the eP-CSCF's SIP address (UDP); UE-B must be its next hop\n"
          "  --with-daemon        start a wicgated for the run on free loopback ports\n"
          "  --daemon PATH        the wicgated to start (default: next to wicsim)\n"
          "  --ueb-port PORT      UE-B's SIP port (default: a free one)\n"
          "  --ip ADDR            local address for everything (default 127.0.0.1)\n"
          "  --pcap FILE          write a capture (with --with-daemon: merged with its H.248)\n"
          "  --keylog FILE        write the WIC's DTLS keys (NSS key log) for Wireshark\n"
          "  --junit FILE         write JUnit XML (one testcase per step)\n"
          "  --json               print a JSON report on stdout (the ladder goes to stderr)\n"
          "  --keep               keep the daemon's log/pcap directory (printed)\n"
          "  --verbose            all traffic rows; the daemon's log on failure\n"
          "  --color / --no-color\n"
          "  --rate R --calls N --concurrency C   load mode parameters\n"
          "  --times FILE         load mode: a line of timestamps per call (us): call, result,\n"
          "                       start, INVITE, 200, channel, first MSRP, MSRP at UE-B, done\n"
          "Exit: 0 all steps passed; 1 a step failed; 2 usage, scenario or setup error.\n");
}

/* ------------------------------------------------------------ daemon */

static void proc_exit(uv_process_t *p, int64_t status, int sig)
{
  struct sim *s = p->data;
  s->daemon_running = 0;
  if (!s->daemon_ready) {
    size_t n = strlen(s->errbuf);
    snprintf(s->errbuf + n, sizeof s->errbuf - n, "\n(wicgated exited: status %lld%s%s)",
             (long long)status, sig ? ", signal " : "", sig ? strsignal(sig) : "");
  }
  uv_close((uv_handle_t *)p, NULL);
}

static void err_alloc(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
  static char buf[4096];
  b->base = buf;
  b->len = sizeof buf;
}

static void err_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
  struct sim *s = st->data;
  if (n < 0) {
    uv_close((uv_handle_t *)st, NULL);
    return;
  }
  /* keep the tail of what it said */
  if ((size_t)n >= sizeof s->errbuf - 1) {
    memcpy(s->errbuf, b->base + n - (ssize_t)(sizeof s->errbuf - 1), sizeof s->errbuf - 1);
    s->errlen = sizeof s->errbuf - 1;
  } else {
    if (s->errlen + (size_t)n >= sizeof s->errbuf - 1) {
      size_t drop = s->errlen + (size_t)n - (sizeof s->errbuf - 1);
      memmove(s->errbuf, s->errbuf + drop, s->errlen - drop);
      s->errlen -= drop;
    }
    memcpy(s->errbuf + s->errlen, b->base, (size_t)n);
    s->errlen += (size_t)n;
  }
  s->errbuf[s->errlen] = 0;
  if (strstr(s->errbuf, "wicgated: ready"))
    s->daemon_ready = 1;
  if (s->o->verbose)
    fwrite(b->base, 1, (size_t)n, stderr);
}

static char *self_dir(void)
{
  static char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = 0;
  char *sl = strrchr(buf, '/');
  if (sl)
    *sl = 0;
  /* a libtool wrapper runs .libs/lt-wicsim: the daemon is one level up */
  size_t l = strlen(buf);
  if (l > 6 && !strcmp(buf + l - 6, "/.libs"))
    buf[l - 6] = 0;
  return buf;
}

static void timeout_noop(uv_timer_t *t) { (void)t; }

/* Close a handle that lives on the stack and wait until libuv let it go. */
static void closed_flag(uv_handle_t *h) { *(int *)h->data = 1; }
static void close_now(uv_loop_t *loop, uv_handle_t *h)
{
  int done = 0;
  h->data = &done;
  uv_close(h, closed_flag);
  while (!done)
    uv_run(loop, UV_RUN_NOWAIT);
}

int daemon_start(struct sim *s, char *err, size_t errlen)
{
  static char path[PATH_MAX];
  if (s->o->daemon_path) {
    snprintf(path, sizeof path, "%s", s->o->daemon_path);
  } else {
    char *d = self_dir();
    snprintf(path, sizeof path, "%s/wicgated", d ? d : ".");
  }
  if (access(path, X_OK) != 0) {
    snprintf(err, errlen, "cannot start the daemon: %s: %s (build it, or give --daemon PATH)",
             path, strerror(errno));
    return -ENOENT;
  }
  const char *tmp = getenv("WG_TEST_TMP");
  if (!tmp)
    tmp = getenv("TMPDIR");
  snprintf(s->daemon_dir, sizeof s->daemon_dir, "%s/wicsim.XXXXXX", tmp ? tmp : "/tmp");
  if (!mkdtemp(s->daemon_dir)) {
    snprintf(err, errlen, "mkdtemp %s: %s", s->daemon_dir, strerror(errno));
    return -errno;
  }
  /* ports free for UDP and TCP (the ALG listens on both for SIP) */
  int sip = sim_pick_port(s->ip, 0, 0, NULL, NULL);
  s->h248_port_agw = sim_pick_port(s->ip, 0, 0, NULL, NULL);
  s->h248_port_alg = sim_pick_port(s->ip, 0, 0, NULL, NULL);
  while (s->h248_port_alg == s->h248_port_agw || s->h248_port_alg == sip)
    s->h248_port_alg = sim_pick_port(s->ip, 0, 0, NULL, NULL);
  while (s->h248_port_agw == sip)
    s->h248_port_agw = sim_pick_port(s->ip, 0, 0, NULL, NULL);
  if (sip < 0 || s->h248_port_agw < 0 || s->h248_port_alg < 0) {
    snprintf(err, errlen, "no free ports on %s", s->ip);
    return -EADDRNOTAVAIL;
  }
  snprintf(s->daemon_pcap, sizeof s->daemon_pcap, "%s/wicgated.pcap", s->daemon_dir);
  snprintf(s->daemon_log, sizeof s->daemon_log, "%s/wicgated.log", s->daemon_dir);
  char a_sip[96], a_hop[96], a_agw_l[128], a_alg_l[128], a_alg_agw[128], a_agw_mgc[128],
      a_acc[96], a_core[96], a_keylog[320];
  const char *ip = s->ip;
  int v6 = strchr(ip, ':') != NULL;
#define HP(buf, pfx, port) snprintf(buf, sizeof buf, v6 ? "%s[%s]:%d" : "%s%s:%d", pfx, ip, port)
  HP(a_sip, "", sip);
  HP(a_hop, "sip:", ((struct sockaddr_in *)&s->ueb_sip_addr)->sin_port ? ntohs(((struct sockaddr_in *)&s->ueb_sip_addr)->sin_port) : 0);
  HP(a_agw_l, "agw.h248-listen=", s->h248_port_agw);
  HP(a_alg_l, "alg.h248-listen=", s->h248_port_alg);
  HP(a_alg_agw, "alg.agw=", s->h248_port_agw);
  HP(a_agw_mgc, "agw.mgc=", s->h248_port_alg);
#undef HP
  /* media port ranges of their own (below the kernel's ephemeral range), so
   * that runs in parallel with other gateways on this host do not compete
   * for the default pools */
  char a_accp[64], a_corep[64];
  unsigned base = 20000 + (unsigned)(getpid() % 60) * 200;
  snprintf(a_accp, sizeof a_accp, "agw.access-ports=%u-%u", base, base + 99);
  snprintf(a_corep, sizeof a_corep, "agw.core-ports=%u-%u", base + 100, base + 199);
  snprintf(a_acc, sizeof a_acc, "agw.access-address=%s", ip);
  snprintf(a_core, sizeof a_core, "agw.core-address=%s", ip);
  snprintf(a_keylog, sizeof a_keylog, "%s/wicgated.keylog", s->daemon_dir);
  char *args[64];
  int n = 0;
  args[n++] = path;
  args[n++] = "--role";
  args[n++] = "both";
  args[n++] = "--sip-listen";
  args[n++] = a_sip;
  args[n++] = "--next-hop";
  args[n++] = a_hop;
  args[n++] = "--set";
  args[n++] = a_agw_l;
  args[n++] = "--set";
  args[n++] = a_alg_l;
  args[n++] = "--set";
  args[n++] = a_alg_agw;
  args[n++] = "--set";
  args[n++] = a_agw_mgc;
  args[n++] = "--set";
  args[n++] = a_acc;
  args[n++] = "--set";
  args[n++] = a_core;
  args[n++] = "--set";
  args[n++] = a_accp;
  args[n++] = "--set";
  args[n++] = a_corep;
  args[n++] = "--log-level";
  args[n++] = "debug";
  args[n++] = "--log-file";
  args[n++] = s->daemon_log;
  args[n++] = "--pcap";
  args[n++] = s->daemon_pcap;
  args[n++] = "--keylog";
  args[n++] = a_keylog;
  /* the scenario's own daemon arguments, variables expanded */
  static char *expanded[64];
  for (size_t i = 0; i < s->scn->ndaemon_args && n < 62; i++) {
    char *x = sim_expand(s, s->scn->daemon_args[i], err, errlen);
    if (!x)
      return -EINVAL;
    free(expanded[i]);
    expanded[i] = x;
    args[n++] = x;
  }
  args[n] = NULL;

  uv_pipe_init(s->loop, &s->proc_err, 0);
  s->proc_err.data = s;
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 2;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t *)&s->proc_err;
  if (!s->o->verbose) {
    stdio[1].flags = UV_IGNORE;
  }
  uv_process_options_t po;
  memset(&po, 0, sizeof po);
  po.file = path;
  po.args = args;
  po.exit_cb = proc_exit;
  po.stdio = stdio;
  po.stdio_count = 3;
  s->proc.data = s;
  int r = uv_spawn(s->loop, &s->proc, &po);
  if (r) {
    snprintf(err, errlen, "cannot start %s: %s", path, uv_strerror(r));
    uv_close((uv_handle_t *)&s->proc_err, NULL);
    return r;
  }
  s->daemon_running = 1;
  uv_read_start((uv_stream_t *)&s->proc_err, err_alloc, err_read);
  /* wait for "wicgated: ready" (15 s at most). With a role given by the
   * scenario (e.g. --role alg with no AGW), "ready" may never come: then
   * the eP-CSCF answering an OPTIONS is enough. */
  int role_given = 0;
  for (size_t i = 0; i < s->scn->ndaemon_args; i++)
    role_given |= !strncmp(s->scn->daemon_args[i], "--role", 6);
  {
    char hp0[96];
    snprintf(hp0, sizeof hp0, "%s", a_sip);
    wg_parse_hostport(hp0, 1, &s->target);
  }
  uv_timer_t t;
  uv_timer_init(s->loop, &t);
  uint64_t start = uv_now(s->loop), last_probe = 0;
  while (!s->daemon_ready && s->daemon_running && uv_now(s->loop) - start < 15000) {
    if (role_given && s->probe_ok) {
      s->daemon_ready = 1;
      break;
    }
    if (role_given && uv_now(s->loop) - last_probe >= 200) {
      last_probe = uv_now(s->loop);
      sim_probe(s);
    }
    uv_timer_start(&t, timeout_noop, 100, 0);
    uv_run(s->loop, UV_RUN_ONCE);
  }
  close_now(s->loop, (uv_handle_t *)&t);
  if (!s->daemon_ready) {
    snprintf(err, errlen, "wicgated did not become ready (no \"wicgated: ready\" on stderr%s); "
                          "it said:\n%s",
             s->daemon_running ? " within 15 s" : "", s->errbuf[0] ? s->errbuf : "(nothing)");
    return -ETIMEDOUT;
  }
  char hp[96];
  snprintf(hp, sizeof hp, "%s", a_sip);
  wg_parse_hostport(hp, 1, &s->target);
  /* "ready" means the ALG takes calls; with --role both also wait (5 s at
   * most) until its AGW has registered (ServiceChange answered), so that
   * the first call does not race the registration */
  if (!role_given) {
    struct h248msg *m = NULL;
    size_t nm = 0;
    int registered = 0;
    uv_timer_init(s->loop, &t);
    start = uv_now(s->loop);
    while (!registered && s->daemon_running && uv_now(s->loop) - start < 5000) {
      capture_read_h248(s, &m, &nm);
      for (size_t i = 0; i < nm; i++)
        if (m[i].is_reply && !strcmp(m[i].command, "ServiceChange") && !strstr(m[i].text, "Error"))
          registered = 1;
      if (registered)
        break;
      uv_timer_start(&t, timeout_noop, 50, 0);
      uv_run(s->loop, UV_RUN_ONCE);
    }
    close_now(s->loop, (uv_handle_t *)&t);
    for (size_t i = 0; i < nm; i++)
      free(m[i].text);
    free(m);
    if (!registered && s->o->verbose)
      fprintf(stderr, "wicsim: no AGW registration seen in wicgated's capture; going on\n");
  }
  return 0;
}

void daemon_stop(struct sim *s)
{
  if (!s->daemon_running)
    return;
  uv_process_kill(&s->proc, SIGTERM);
  uv_timer_t t;
  uv_timer_init(s->loop, &t);
  uint64_t start = uv_now(s->loop);
  while (s->daemon_running && uv_now(s->loop) - start < 5000) {
    uv_timer_start(&t, timeout_noop, 50, 0);
    uv_run(s->loop, UV_RUN_ONCE);
  }
  if (s->daemon_running)
    uv_process_kill(&s->proc, SIGKILL);
  while (s->daemon_running && uv_now(s->loop) - start < 7000) {
    uv_timer_start(&t, timeout_noop, 50, 0);
    uv_run(s->loop, UV_RUN_ONCE);
  }
  close_now(s->loop, (uv_handle_t *)&t);
}

static void rm_dir(const char *dir)
{
  static const char *const files[] = { "wicgated.pcap", "wicgated.log", "wicgated.keylog",
                                       "wicsim.pcap", NULL };
  char p[400];
  for (int i = 0; files[i]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  rmdir(dir);
}

/* Start the daemon; when a port picked for it was taken in the meantime
 * (another test on this host), start it again on other ports (3 tries). */
static int daemon_start_retry(struct sim *s, char *err, size_t errlen)
{
  for (int attempt = 0;; attempt++) {
    int r = daemon_start(s, err, errlen);
    if (r == 0 || attempt == 2 || s->daemon_running || !strstr(s->errbuf, "in use"))
      return r;
    if (!uv_is_closing((uv_handle_t *)&s->proc_err))
      uv_close((uv_handle_t *)&s->proc_err, NULL);
    for (int i = 0; i < 20; i++)
      uv_run(s->loop, UV_RUN_NOWAIT);
    rm_dir(s->daemon_dir);
    s->errbuf[0] = 0;
    s->errlen = 0;
    s->daemon_ready = 0;
    s->h248_off = 0;
    s->probe_ok = 0;
  }
}

/* ------------------------------------------------------------ running */

static void tick(uv_timer_t *t) { (void)t; }

static int all_finished(struct sim *s)
{
  for (struct call *c = s->calls; c; c = c->next)
    if (!c->finished)
      return 0;
  return 1;
}

static void drain(struct sim *s)
{
  /* close everything and let the loop release it */
  sim_close(s);
  for (int i = 0; i < 50 && uv_run(s->loop, UV_RUN_NOWAIT); i++) {
    if (sim_free_media(s) == 0)
      break;
  }
  sim_free_media(s);
  uv_run(s->loop, UV_RUN_NOWAIT);
}

static int load_scenario(const char *file, struct scn **out)
{
  char err[1024];
  int r = scn_load(file, out, err, sizeof err);
  if (r) {
    fprintf(stderr, "wicsim: %s\n", err);
    return 2;
  }
  return 0;
}

static int setup(struct sim *s, struct sim_opts *o, uv_loop_t *loop, char *err, size_t errlen)
{
  int r = sim_init(s, loop, o, s->scn, err, errlen);
  if (r)
    return r;
  if (o->with_daemon) {
    if ((r = daemon_start_retry(s, err, errlen)))
      return r;
  } else {
    if (!o->target) {
      snprintf(err, errlen, "give --target HOST:PORT (the eP-CSCF) or --with-daemon");
      return -EINVAL;
    }
    if (wg_parse_hostport(o->target, 1, &s->target)) {
      snprintf(err, errlen, "--target %s: expected HOST:PORT", o->target);
      return -EINVAL;
    }
  }
  if (o->pcap) {
    char own[400];
    if (o->with_daemon)
      snprintf(own, sizeof own, "%s/wicsim.pcap", s->daemon_dir);
    else
      snprintf(own, sizeof own, "%s", o->pcap);
    s->pcap = wg_pcap_open(own, err, errlen);
    if (!s->pcap)
      return -EIO;
  }
  if (o->keylog) {
    s->keylog = wg_keylog_open(o->keylog, err, errlen);
    if (!s->keylog)
      return -EIO;
  }
  return 0;
}

static void finish_captures(struct sim *s, struct sim_opts *o)
{
  if (s->pcap) {
    wg_pcap_close(s->pcap);
    s->pcap = NULL;
    if (o->with_daemon) {
      char own[400], err[512];
      snprintf(own, sizeof own, "%s/wicsim.pcap", s->daemon_dir);
      if (capture_merge(own, s->daemon_pcap, s->h248_port_agw, s->h248_port_alg, o->pcap, err,
                        sizeof err))
        fprintf(stderr, "wicsim: pcap: %s\n", err);
    }
  }
  if (s->keylog) {
    wg_keylog_close(s->keylog);
    s->keylog = NULL;
  }
}

/* A setup error: release what setup() got so far (the daemon, its files,
 * the captures, the sockets), for a clean exit 2 instead of an abort. */
static void setup_undo(struct sim *s, struct sim_opts *o)
{
  if (s->pcap) {
    wg_pcap_close(s->pcap);
    s->pcap = NULL;
  }
  if (s->keylog) {
    wg_keylog_close(s->keylog);
    s->keylog = NULL;
  }
  daemon_stop(s);
  drain(s);
  if (s->daemon_dir[0] && !o->keep)
    rm_dir(s->daemon_dir);
  scn_free(s->scn);
}

static int cmd_run(struct sim_opts *o)
{
  struct sim s;
  memset(&s, 0, sizeof s);
  int rc = load_scenario(o->file, &s.scn);
  if (rc)
    return rc;
  uv_loop_t *loop = uv_default_loop();
  char err[4600];
  if (setup(&s, o, loop, err, sizeof err)) {
    fprintf(stderr, "wicsim: %s\n", err);
    setup_undo(&s, o);
    return 2;
  }
  FILE *out = o->json ? stderr : stdout;
  if (o->with_daemon)
    fprintf(out, "wicsim: wicgated ready: SIP %s, H.248 AGW port %d, ALG port %d\n",
            wg_format_addr((struct sockaddr *)&s.target, err, 64), s.h248_port_agw,
            s.h248_port_alg);
  int64_t t0 = wg_time_us();
  struct call *c = call_start(&s);
  if (!c) {
    fprintf(stderr, "wicsim: cannot start the call (out of memory or sockets)\n");
    daemon_stop(&s);
    drain(&s);
    scn_free(s.scn);
    return 2;
  }
  uv_timer_t t;
  uv_timer_init(loop, &t);
  while (!all_finished(&s)) {
    uv_timer_start(&t, tick, 50, 0);
    uv_run(loop, UV_RUN_ONCE);
  }
  /* a moment for the last packets (BYE's 200, Subtract) to reach the captures */
  uint64_t st = uv_now(loop);
  while (uv_now(loop) - st < 200) {
    uv_timer_start(&t, tick, 50, 0);
    uv_run(loop, UV_RUN_ONCE);
  }
  close_now(loop, (uv_handle_t *)&t);
  double secs = (double)(wg_time_us() - t0) / 1e6;
  daemon_stop(&s);
  if (o->with_daemon)
    call_add_h248_rows(c);
  finish_captures(&s, o);
  report_ladder(out, &s, c);
  int pass, fail, skip;
  report_verdicts(out, &s, c, &pass, &fail, &skip);
  int notrun = (int)s.scn->nsteps - pass - fail - skip;
  if (o->json)
    report_json(stdout, &s, c, secs);
  if (o->junit && report_junit(o->junit, &s, c, secs))
    fprintf(stderr, "wicsim: cannot write %s\n", o->junit);
  if ((fail || notrun) && o->with_daemon) {
    fprintf(out, "wicgated's last words (stderr):\n%s\n",
            s.errbuf[0] ? s.errbuf : "(nothing)");
    fprintf(out, "wicgated's log: %s%s\n", s.daemon_log, o->keep ? "" : " (use --keep to keep it)");
  }
  if (o->pcap) {
    fprintf(out, "capture: %s%s%s\n", o->pcap, o->keylog ? "  key log: " : "",
            o->keylog ? o->keylog : "");
    /* heuristics first: the run's SIP and media ports are free ports, and
     * Wireshark binds other protocols to some of them (UDP 19948 is KDP, 41170
     * Manolito), which would hide the SIP, STUN or DTLS on them */
    fprintf(out,
            "  open it: tshark -X lua_script:%s -o udp.try_heuristic_first:TRUE"
            " -o tcp.try_heuristic_first:TRUE%s%s -r %s -V\n",
            WICSIM_LUA, o->keylog ? " -o tls.keylog_file:" : "", o->keylog ? o->keylog : "",
            o->pcap);
  }
  call_free(c);
  drain(&s);
  sim_free_dead(&s);
  if (s.daemon_dir[0]) {
    if (o->keep)
      fprintf(out, "daemon files kept in %s\n", s.daemon_dir);
    else
      rm_dir(s.daemon_dir);
  }
  scn_free(s.scn);
  return fail || notrun ? 1 : 0;
}

/* -------------------------------------------------------------- load */

#define NLAT 4 /* INVITE -> 200, 200 -> channel, INVITE -> first MSRP, 200 -> MSRP at UE-B */

struct lstats {
  long started, ok, failed;
  double *lat[NLAT];
  size_t nlat[NLAT];
  FILE *times;     /* --times: one line per call */
  int64_t t0_us;   /* the load's start (wg_time_us) */
  struct reason {
    char what[64];
    long n;
  } reasons[32];
  int nreasons;
};

/* --times FILE: a line per finished call, microseconds since the load
 * started (0 = did not happen): call, result, start, INVITE sent, 200 at
 * the WIC, channel open, first MSRP request delivered (either end), first
 * MSRP request delivered at UE-B, done. */
static void write_times(struct lstats *ls, struct call *c)
{
  const struct marks *m = &c->marks;
  int64_t v[7] = { c->t0_us, m->invite, m->answered, m->channel, m->first_msrp, m->ueb_msrp,
                   m->done };
  fprintf(ls->times, "%u %s", c->id, c->failed ? (c->fail_reason[0] ? c->fail_reason : "failed")
                                               : "ok");
  for (int k = 0; k < 7; k++)
    fprintf(ls->times, " %lld", v[k] ? (long long)(v[k] - ls->t0_us) : 0LL);
  fputc('\n', ls->times);
}

static void collect(struct lstats *ls, struct call *c)
{
  if (ls->times)
    write_times(ls, c);
  if (c->failed) {
    ls->failed++;
    const char *w = c->fail_reason[0] ? c->fail_reason : "unknown";
    int i;
    for (i = 0; i < ls->nreasons; i++)
      if (!strcmp(ls->reasons[i].what, w))
        break;
    if (i == ls->nreasons && i < 32) {
      snprintf(ls->reasons[i].what, sizeof ls->reasons[i].what, "%s", w);
      ls->nreasons++;
    }
    if (i < 32)
      ls->reasons[i].n++;
    return;
  }
  ls->ok++;
  int64_t v[NLAT] = { c->marks.answered - c->marks.invite, c->marks.channel - c->marks.answered,
                      c->marks.first_msrp - c->marks.invite,
                      c->marks.ueb_msrp - c->marks.answered };
  int okm[NLAT] = { c->marks.answered && c->marks.invite, c->marks.channel && c->marks.answered,
                    c->marks.first_msrp && c->marks.invite,
                    c->marks.ueb_msrp && c->marks.answered };
  for (int k = 0; k < NLAT; k++)
    if (okm[k]) {
      double *a = realloc(ls->lat[k], (ls->nlat[k] + 1) * sizeof *a);
      if (!a)
        continue;
      ls->lat[k] = a;
      a[ls->nlat[k]++] = (double)v[k] / 1000.0;
    }
}

static int dcmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *a, size_t n, double p)
{
  if (!n)
    return 0;
  size_t i = (size_t)ceil(p / 100.0 * (double)n);
  if (i < 1)
    i = 1;
  if (i > n)
    i = n;
  return a[i - 1];
}

static int cmd_load(struct sim_opts *o)
{
  struct sim s;
  memset(&s, 0, sizeof s);
  if (o->calls < 1 || o->rate <= 0 || o->concurrency < 1) {
    fprintf(stderr, "wicsim load: give --rate R (> 0), --calls N (>= 1), --concurrency C (>= 1)\n");
    return 2;
  }
  int rc = load_scenario(o->file, &s.scn);
  if (rc)
    return rc;
  uv_loop_t *loop = uv_default_loop();
  char err[4600];
  if (setup(&s, o, loop, err, sizeof err)) {
    fprintf(stderr, "wicsim: %s\n", err);
    setup_undo(&s, o);
    return 2;
  }
  struct lstats ls;
  memset(&ls, 0, sizeof ls);
  if (o->times) {
    ls.times = fopen(o->times, "w");
    if (!ls.times) {
      fprintf(stderr, "wicsim: --times %s: %s\n", o->times, strerror(errno));
      daemon_stop(&s);
      drain(&s);
      scn_free(s.scn);
      return 2;
    }
    fprintf(ls.times, "# call result start invite answered channel first_msrp ueb_msrp done"
                      " (us since the load started; 0: did not happen)\n");
  }
  ls.t0_us = wg_time_us();
  uv_timer_t t;
  uv_timer_init(loop, &t);
  uint64_t start = uv_now(loop), last_print = 0;
  double interval = 1000.0 / o->rate;
  int tty = isatty(2);
  while (ls.started < o->calls || s.calls) {
    uint64_t now = uv_now(loop);
    long active = 0;
    for (struct call *c = s.calls; c; c = c->next)
      active++;
    /* start the calls that are due */
    while (ls.started < o->calls && active < o->concurrency &&
           (double)(now - start) >= (double)ls.started * interval) {
      if (!call_start(&s)) {
        ls.started++;
        ls.failed++;
        continue;
      }
      ls.started++;
      active++;
    }
    /* collect finished ones */
    for (struct call *c = s.calls, *nx; c; c = nx) {
      nx = c->next;
      if (c->finished) {
        collect(&ls, c);
        call_free(c);
      }
    }
    active = 0;
    for (struct call *c = s.calls; c; c = c->next)
      active++;
    if (now - last_print >= 1000 || (!s.calls && ls.started >= o->calls)) {
      last_print = now;
      fprintf(stderr, "%scalls %ld/%ld started, %ld ok, %ld failed, %ld active, %.1f s%s",
              tty ? "\r" : "", ls.started, o->calls, ls.ok, ls.failed, active,
              (double)(now - start) / 1000.0, tty ? "   " : "\n");
      fflush(stderr);
    }
    uv_timer_start(&t, tick, 10, 0);
    uv_run(loop, UV_RUN_ONCE);
    sim_free_dead(&s);
  }
  if (tty)
    fputc('\n', stderr);
  close_now(loop, (uv_handle_t *)&t);
  double secs = (double)(uv_now(loop) - start) / 1000.0;
  daemon_stop(&s);
  finish_captures(&s, o);
  FILE *out = o->json ? stderr : stdout;
  fprintf(out, "\n%s: load: %ld calls attempted, %ld succeeded, %ld failed in %.2f s\n",
          s.scn->name, ls.started, ls.ok, ls.failed, secs);
  for (int i = 0; i < ls.nreasons; i++)
    fprintf(out, "  failed at %-40s %ld\n", ls.reasons[i].what, ls.reasons[i].n);
  static const char *const ln[NLAT] = { "INVITE -> 200", "200 -> channel open",
                                        "INVITE -> first MSRP delivered",
                                        "200 -> first MSRP at UE-B" };
  fprintf(out, "  setup latency (ms)               p50      p90      p99      max   (n)\n");
  for (int k = 0; k < NLAT; k++) {
    qsort(ls.lat[k], ls.nlat[k], sizeof(double), dcmp);
    size_t n = ls.nlat[k];
    fprintf(out, "  %-30s %8.1f %8.1f %8.1f %8.1f   (%zu)\n", ln[k], pct(ls.lat[k], n, 50),
            pct(ls.lat[k], n, 90), pct(ls.lat[k], n, 99), n ? ls.lat[k][n - 1] : 0.0, n);
  }
  fprintf(out, "  throughput: %.2f calls/s completed (%.2f/s succeeded)\n",
          secs > 0 ? (double)(ls.ok + ls.failed) / secs : 0.0,
          secs > 0 ? (double)ls.ok / secs : 0.0);
  if (o->json) {
    printf("{\"scenario\":\"%s\",\"attempted\":%ld,\"succeeded\":%ld,\"failed\":%ld,"
           "\"duration_s\":%.3f,\"latency_ms\":{",
           s.scn->file, ls.started, ls.ok, ls.failed, secs);
    static const char *const jk[NLAT] = { "invite_to_200", "200_to_channel",
                                          "invite_to_first_msrp", "200_to_first_msrp_at_ueb" };
    for (int k = 0; k < NLAT; k++)
      printf("%s\"%s\":{\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"n\":%zu}", k ? "," : "", jk[k],
             pct(ls.lat[k], ls.nlat[k], 50), pct(ls.lat[k], ls.nlat[k], 90),
             pct(ls.lat[k], ls.nlat[k], 99), ls.nlat[k]);
    printf("},\"failures\":{");
    for (int i = 0; i < ls.nreasons; i++)
      printf("%s\"%s\":%ld", i ? "," : "", ls.reasons[i].what, ls.reasons[i].n);
    printf("}}\n");
  }
  for (int k = 0; k < NLAT; k++)
    free(ls.lat[k]);
  if (ls.times && fclose(ls.times) != 0)
    fprintf(stderr, "wicsim: --times %s: %s\n", o->times, strerror(errno));
  drain(&s);
  sim_free_dead(&s);
  if (s.daemon_dir[0] && !o->keep)
    rm_dir(s.daemon_dir);
  scn_free(s.scn);
  return ls.failed ? 1 : 0;
}

static int cmd_check(int argc, char **argv)
{
  int rc = 0;
  for (int i = 0; i < argc; i++) {
    struct scn *s;
    char err[1024];
    if (scn_load(argv[i], &s, err, sizeof err)) {
      fprintf(stderr, "wicsim: %s\n", err);
      rc = 2;
      continue;
    }
    uint32_t fig = 0;
    for (size_t k = 0; k < s->nsteps; k++)
      fig |= s->steps[k].fig;
    char figs[64];
    printf("%s: ok: \"%s\", %zu steps, %zu SDP templates, figure steps %s\n", argv[i], s->name,
           s->nsteps, s->ntmpls, fig ? fig_list(fig, figs, sizeof figs) : "none");
    scn_free(s);
  }
  return rc;
}

int main(int argc, char **argv)
{
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version")) {
    printf("wicsim " PACKAGE_VERSION "\n");
    return 0;
  }
  if (!strcmp(cmd, "check")) {
    if (argc < 3) {
      usage(stderr);
      return 2;
    }
    return cmd_check(argc - 2, argv + 2);
  }
  if (strcmp(cmd, "run") != 0 && strcmp(cmd, "load") != 0) {
    fprintf(stderr, "wicsim: unknown command \"%s\" (run, load, check)\n", cmd);
    usage(stderr);
    return 2;
  }
  struct sim_opts o;
  memset(&o, 0, sizeof o);
  o.ip = "127.0.0.1";
  o.calls = 1;
  o.concurrency = 1;
  o.rate = 1;
  o.color = isatty(1) && !getenv("NO_COLOR");
  enum { O_TARGET = 1000, O_WD, O_DAEMON, O_PCAP, O_KEYLOG, O_JUNIT, O_JSON, O_IP, O_UEB, O_KEEP,
         O_VERB, O_COLOR, O_NOCOLOR, O_RATE, O_CALLS, O_CONC, O_TIMES };
  static const struct option lo[] = {
    { "target", required_argument, 0, O_TARGET },   { "with-daemon", no_argument, 0, O_WD },
    { "daemon", required_argument, 0, O_DAEMON },   { "pcap", required_argument, 0, O_PCAP },
    { "keylog", required_argument, 0, O_KEYLOG },   { "junit", required_argument, 0, O_JUNIT },
    { "json", no_argument, 0, O_JSON },             { "ip", required_argument, 0, O_IP },
    { "ueb-port", required_argument, 0, O_UEB },    { "keep", no_argument, 0, O_KEEP },
    { "verbose", no_argument, 0, O_VERB },          { "color", no_argument, 0, O_COLOR },
    { "no-color", no_argument, 0, O_NOCOLOR },      { "rate", required_argument, 0, O_RATE },
    { "calls", required_argument, 0, O_CALLS },     { "concurrency", required_argument, 0, O_CONC },
    { "times", required_argument, 0, O_TIMES },     { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  optind = 2;
  int ch;
  char *end;
  while ((ch = getopt_long(argc, argv, "hv", lo, NULL)) != -1) {
    switch (ch) {
    case O_TARGET: o.target = optarg; break;
    case O_WD: o.with_daemon = 1; break;
    case O_DAEMON: o.daemon_path = optarg; o.with_daemon = 1; break;
    case O_PCAP: o.pcap = optarg; break;
    case O_KEYLOG: o.keylog = optarg; break;
    case O_JUNIT: o.junit = optarg; break;
    case O_JSON: o.json = 1; break;
    case O_IP: o.ip = optarg; break;
    case O_UEB:
      o.ueb_sip_port = (int)strtol(optarg, &end, 10);
      if (*end || o.ueb_sip_port < 1 || o.ueb_sip_port > 65535) {
        fprintf(stderr, "wicsim: --ueb-port %s: expected a port number\n", optarg);
        return 2;
      }
      break;
    case O_KEEP: o.keep = 1; break;
    case 'v':
    case O_VERB: o.verbose = 1; break;
    case O_COLOR: o.color = 1; break;
    case O_NOCOLOR: o.color = 0; break;
    case O_RATE:
      o.rate = strtod(optarg, &end);
      if (*end || o.rate <= 0) {
        fprintf(stderr, "wicsim: --rate %s: expected calls per second (> 0)\n", optarg);
        return 2;
      }
      break;
    case O_CALLS:
      o.calls = strtol(optarg, &end, 10);
      if (*end || o.calls < 1) {
        fprintf(stderr, "wicsim: --calls %s: expected a number >= 1\n", optarg);
        return 2;
      }
      break;
    case O_CONC:
      o.concurrency = strtol(optarg, &end, 10);
      if (*end || o.concurrency < 1) {
        fprintf(stderr, "wicsim: --concurrency %s: expected a number >= 1\n", optarg);
        return 2;
      }
      break;
    case O_TIMES: o.times = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "wicsim %s: expected exactly one scenario FILE\n", cmd);
    usage(stderr);
    return 2;
  }
  o.file = argv[optind];
  if (o.target && o.with_daemon) {
    fprintf(stderr, "wicsim: --target and --with-daemon exclude each other\n");
    return 2;
  }
  if (!strcmp(cmd, "run"))
    return cmd_run(&o);
  return cmd_load(&o);
}
