/* bench-assoc.c -- the media library's own limit for P2: DTLS + SCTP
 * association set-ups per second (ICE-lite check, DTLS 1.2 handshake with
 * fingerprint check, SCTP association, negotiated channel 1 open on both
 * ends, then both endpoints closed), with up to CONCURRENCY set-ups in flight
 * at a time. Both ends of every association run in this process on one libuv
 * loop (one core), as the AGW's media plane does.
 * usage: bench-assoc [SETUPS] [CONCURRENCY] [STREAMS]   (defaults 200 20 0)
 * STREAMS: SCTP streams each way offered in INIT (wgm_dc_config_t.sctp_streams;
 * 0: the library's default, 65535).
 * prints: set-ups, seconds, set-ups/s, mean and max time of one set-up (ms). */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agw/media/wgmedia.h"

static uv_loop_t *loop;
static wgm_ctx_t *ctx;
static struct sockaddr_in lo;
static int total, conc, started, done, streams;
static double sum_ms, max_ms;

struct pair {
  wgm_dc_t *a, *b;
  int open, closed;
  double t0;
};

static double now_s(void) { return (double)uv_hrtime() / 1e9; }

static void die(const char *what, int rc) {
  fprintf(stderr, "bench-assoc: %s: %s\n", what, wgm_strerror(rc));
  exit(1);
}

static void start_one(void);

static void closed_cb(wgm_dc_t *d) {
  struct pair *p = wgm_dc_get_data(d);
  if (++p->closed == 2) {
    free(p);
    if (started < total)
      start_one();
  }
}

static void open_cb(wgm_dc_t *d, const wgm_channel_info_t *ci) {
  (void)ci;
  struct pair *p = wgm_dc_get_data(d);
  if (++p->open < 2)
    return;
  double ms = (now_s() - p->t0) * 1e3;
  sum_ms += ms;
  if (ms > max_ms)
    max_ms = ms;
  done++;
  wgm_dc_close(p->a, closed_cb);
  wgm_dc_close(p->b, closed_cb);
}

static void fail_cb(wgm_dc_t *d, enum wgm_dtls_fail why, const char *detail) {
  (void)d;
  fprintf(stderr, "bench-assoc: DTLS failed: %s %s\n", wgm_dtls_fail_name(why), detail);
  exit(1);
}

static void start_one(void) {
  static const wgm_dc_callbacks_t cbs = {.channel_open = open_cb, .dtls_failed = fail_cb};
  struct pair *p = calloc(1, sizeof(*p));
  if (!p)
    die("calloc", -ENOMEM);
  started++;
  p->t0 = now_s();
  const char *fp = wgm_cert_fingerprint(wgm_ctx_cert(ctx));
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&lo;
  cfg.ice = WGM_ICE_LITE; /* the AGW's side: ICE-lite, DTLS client */
  cfg.role = WGM_DTLS_CLIENT;
  cfg.remote_fingerprints = &fp;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_autostart = 1;
  cfg.sctp_streams = (uint16_t)streams;
  cfg.cb = &cbs;
  cfg.data = p;
  int rc = wgm_dc_new(ctx, &cfg, &p->a);
  if (rc < 0)
    die("wgm_dc_new", rc);
  struct sockaddr_in aa = lo;
  aa.sin_port = htons(wgm_dc_port(p->a));
  cfg.ice = WGM_ICE_CONTROLLING; /* the WIC's side */
  cfg.role = WGM_DTLS_SERVER;
  cfg.remote_ufrag = wgm_dc_local_ufrag(p->a);
  cfg.remote_pwd = wgm_dc_local_pwd(p->a);
  cfg.remote_addr = (struct sockaddr *)&aa;
  if ((rc = wgm_dc_new(ctx, &cfg, &p->b)) < 0)
    die("wgm_dc_new", rc);
  wgm_dc_set_remote(p->a, wgm_dc_local_ufrag(p->b), wgm_dc_local_pwd(p->b), NULL, NULL, 0);
  wgm_channel_info_t ci;
  memset(&ci, 0, sizeof(ci));
  ci.sid = 1;
  ci.negotiated = 1;
  ci.protocol = "MSRP";
  if ((rc = wgm_dc_open_channel(p->a, &ci)) < 0 || (rc = wgm_dc_open_channel(p->b, &ci)) < 0)
    die("wgm_dc_open_channel", rc);
}

int main(int argc, char **argv) {
  total = argc > 1 ? atoi(argv[1]) : 200;
  conc = argc > 2 ? atoi(argv[2]) : 20;
  streams = argc > 3 ? atoi(argv[3]) : 0;
  if (total < 1 || conc < 1 || streams < 0 || streams > 65535) {
    fprintf(stderr, "usage: bench-assoc [SETUPS] [CONCURRENCY] [STREAMS]\n");
    return 2;
  }
  loop = uv_default_loop();
  memset(&lo, 0, sizeof(lo));
  lo.sin_family = AF_INET;
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = wgm_ctx_new(loop, NULL, &ctx);
  if (rc < 0)
    die("wgm_ctx_new", rc);
  double t0 = now_s();
  for (int i = 0; i < conc && started < total; i++)
    start_one();
  uv_run(loop, UV_RUN_DEFAULT);
  double s = now_s() - t0;
  printf("bench-assoc: %d set-ups, %d at a time, %d streams, %.2f s: %.1f set-ups/s, "
         "mean %.1f ms, max %.1f ms\n",
         done, conc, streams ? streams : 65535, s, done / s, done ? sum_ms / done : 0.0, max_ms);
  wgm_ctx_free(ctx);
  uv_run(loop, UV_RUN_DEFAULT);
  return done == total ? 0 : 1;
}
