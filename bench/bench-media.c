/* bench-media.c -- libwgmedia on loopback, side by side with plain TCP:
 *   1. throughput: MSRP messages of a given size, one way, over
 *      ICE + DTLS 1.2 + SCTP (two library endpoints on one loop) and over a
 *      TCP connection (two wgm_tcp endpoints, MSRP framing on the reader);
 *   2. set-up rate: associations (ICE + DTLS + SCTP + negotiated channel
 *      open on both sides, then closed) vs TCP connections (connect +
 *      accept) per second.
 * usage: bench-media [MBYTES] [MSGSIZE] [SETUPS] [STREAMS]
 *        (defaults 200 16384 100 65535; STREAMS: SCTP streams offered each way)
 * One process, one loop, one core: both ends share the CPU in both runs. */
#include "config.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agw/media/wgmedia.h"

static uv_loop_t *loop;
static wgm_ctx_t *ctx;
static struct sockaddr_in lo;
static uint8_t *msg;
static size_t msg_len;
static uint64_t target_msgs;

static double now_s(void) { return (double)uv_hrtime() / 1e9; }

static void die(const char *what, int rc) {
  fprintf(stderr, "bench-media: %s: %s\n", what, wgm_strerror(rc));
  exit(1);
}

static void build_msg(size_t size) {
  msg = malloc(size + 256);
  char hdr[256];
  int hl = snprintf(hdr, sizeof(hdr),
                    "MSRP bench0001 SEND\r\nTo-Path: msrp://a.invalid/1;dc\r\n"
                    "From-Path: msrp://b.invalid/2;dc\r\nMessage-ID: 1\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n");
  static const char tail[] = "\r\n-------bench0001$\r\n";
  size_t body = size > (size_t)hl + sizeof(tail) ? size - (size_t)hl - (sizeof(tail) - 1) : 1;
  memcpy(msg, hdr, (size_t)hl);
  memset(msg + hl, 'x', body);
  memcpy(msg + hl + body, tail, sizeof(tail) - 1);
  msg_len = (size_t)hl + body + sizeof(tail) - 1;
}

/* ------------------------------------------------------------- DC pair */

static double ph_ice, ph_dtls, ph_sctp; /* set-up phases, summed */
static uint16_t n_streams;                /* 0: the default (65535) */

struct dcpair {
  wgm_dc_t *a, *b; /* a: lite, DTLS client, sender; b: controlling, server */
  double t_start;
  int a_open, b_open, closed;
  uint64_t sent, rcvd;
  int sending;
  double t0, t1;
};

static void pump_dc(struct dcpair *p) {
  while (p->sending && p->sent < target_msgs) {
    int rc = wgm_dc_send(p->a, 1, WGM_PPID_BINARY, msg, msg_len);
    if (rc == -EAGAIN)
      return;
    if (rc < 0)
      die("wgm_dc_send", rc);
    p->sent++;
  }
}

static void dc_closed(wgm_dc_t *d) {
  struct dcpair *p = wgm_dc_get_data(d);
  p->closed++;
}

static void dc_open(wgm_dc_t *d, const wgm_channel_info_t *ci) {
  (void)ci;
  struct dcpair *p = wgm_dc_get_data(d);
  if (d == p->a)
    p->a_open = 1;
  else
    p->b_open = 1;
  if (p->a_open && p->b_open) {
    if (p->sending) {
      p->t0 = now_s();
      pump_dc(p);
    } else {
      p->t1 = now_s();
      wgm_dc_close(p->a, dc_closed);
      wgm_dc_close(p->b, dc_closed);
    }
  }
}

static void dc_msg(wgm_dc_t *d, uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len) {
  (void)sid;
  (void)ppid;
  (void)data;
  struct dcpair *p = wgm_dc_get_data(d);
  if (len != msg_len)
    die("length mismatch", -EBADMSG);
  if (++p->rcvd == target_msgs) {
    p->t1 = now_s();
    wgm_dc_close(p->a, dc_closed);
    wgm_dc_close(p->b, dc_closed);
  }
}

static void dc_writable(wgm_dc_t *d) { pump_dc(wgm_dc_get_data(d)); }

static void dc_ice(wgm_dc_t *d, const struct sockaddr *peer) {
  (void)peer;
  struct dcpair *p = wgm_dc_get_data(d);
  if (d == p->a && !p->sending)
    ph_ice += now_s() - p->t_start;
}
static void dc_dtls(wgm_dc_t *d) {
  struct dcpair *p = wgm_dc_get_data(d);
  if (d == p->a && !p->sending)
    ph_dtls += now_s() - p->t_start;
}
static void dc_up(wgm_dc_t *d) {
  struct dcpair *p = wgm_dc_get_data(d);
  if (d == p->a && !p->sending)
    ph_sctp += now_s() - p->t_start;
}

static void dc_fail(wgm_dc_t *d, enum wgm_dtls_fail why, const char *detail) {
  (void)d;
  fprintf(stderr, "bench-media: DTLS failed: %s %s\n", wgm_dtls_fail_name(why), detail);
  exit(1);
}

static void dc_pair_run(struct dcpair *p) {
  static const wgm_dc_callbacks_t cbs = {.channel_open = dc_open,
                                         .message = dc_msg,
                                         .writable = dc_writable,
                                         .dtls_failed = dc_fail,
                                         .ice_connected = dc_ice,
                                         .dtls_connected = dc_dtls,
                                         .sctp_up = dc_up};
  const char *fp = wgm_cert_fingerprint(wgm_ctx_cert(ctx));
  p->t_start = now_s();
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&lo;
  cfg.ice = WGM_ICE_LITE;
  cfg.role = WGM_DTLS_CLIENT;
  cfg.remote_fingerprints = &fp;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_autostart = 1;
  cfg.local_max_message_size = cfg.remote_max_message_size = msg_len + 1024;
  cfg.sctp_streams = n_streams;
  cfg.cb = &cbs;
  cfg.data = p;
  int rc = wgm_dc_new(ctx, &cfg, &p->a);
  if (rc < 0)
    die("wgm_dc_new", rc);
  struct sockaddr_in aa = lo;
  aa.sin_port = htons(wgm_dc_port(p->a));
  cfg.ice = WGM_ICE_CONTROLLING;
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
  wgm_dc_open_channel(p->a, &ci);
  wgm_dc_open_channel(p->b, &ci);
  uv_run(loop, UV_RUN_DEFAULT);
}

/* ------------------------------------------------------------ TCP pair */

struct tcppair {
  wgm_tcp_t *srv, *cli;
  int connected;
  uint64_t sent, rcvd;
  int sending;
  double t0, t1;
  int closed;
};

static void pump_tcp(struct tcppair *p) {
  while (p->sending && p->sent < target_msgs) {
    int rc = wgm_tcp_send(p->cli, msg, msg_len);
    if (rc == -EAGAIN)
      return;
    if (rc < 0)
      die("wgm_tcp_send", rc);
    p->sent++;
  }
}

static void tcp_closed_cb(wgm_tcp_t *t) {
  struct tcppair *p = wgm_tcp_get_data(t);
  p->closed++;
}

static void tcp_connected(wgm_tcp_t *t, const struct sockaddr *peer) {
  (void)peer;
  (void)t;
  struct tcppair *p = wgm_tcp_get_data(t);
  if (++p->connected < 2)
    return;
  if (p->sending) {
    p->t0 = now_s();
    pump_tcp(p);
  } else {
    p->t1 = now_s();
    wgm_tcp_close(p->srv, tcp_closed_cb);
    wgm_tcp_close(p->cli, tcp_closed_cb);
  }
}

static void tcp_msg(wgm_tcp_t *t, const uint8_t *d, size_t len) {
  (void)d;
  struct tcppair *p = wgm_tcp_get_data(t);
  if (len != msg_len)
    die("length mismatch", -EBADMSG);
  if (++p->rcvd == target_msgs) {
    p->t1 = now_s();
    wgm_tcp_close(p->srv, tcp_closed_cb);
    wgm_tcp_close(p->cli, tcp_closed_cb);
  }
}

static void tcp_writable(wgm_tcp_t *t) { pump_tcp(wgm_tcp_get_data(t)); }

static void tcp_pair_run(struct tcppair *p) {
  static const wgm_tcp_callbacks_t cbs = {
      .connected = tcp_connected, .message = tcp_msg, .writable = tcp_writable};
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 1;
  tc.bind_addr = (struct sockaddr *)&lo;
  tc.max_message_size = msg_len + 1024;
  tc.cb = &cbs;
  tc.data = p;
  int rc = wgm_tcp_new(ctx, &tc, &p->srv);
  if (rc < 0)
    die("wgm_tcp_new", rc);
  struct sockaddr_in sa = lo;
  sa.sin_port = htons(wgm_tcp_port(p->srv));
  tc.listen = 0;
  tc.bind_addr = NULL;
  tc.connect_addr = (struct sockaddr *)&sa;
  if ((rc = wgm_tcp_new(ctx, &tc, &p->cli)) < 0)
    die("wgm_tcp_new", rc);
  uv_run(loop, UV_RUN_DEFAULT);
}

int main(int argc, char **argv) {
  double mbytes = argc > 1 ? atof(argv[1]) : 200;
  size_t size = argc > 2 ? (size_t)atol(argv[2]) : 16384;
  int setups = argc > 3 ? atoi(argv[3]) : 100;
  n_streams = argc > 4 ? (uint16_t)atoi(argv[4]) : 0;
  if (size < 128)
    size = 128;
  build_msg(size);
  target_msgs = (uint64_t)(mbytes * 1e6 / (double)msg_len);
  if (target_msgs == 0)
    target_msgs = 1;
  loop = uv_default_loop();
  memset(&lo, 0, sizeof(lo));
  lo.sin_family = AF_INET;
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = wgm_ctx_new(loop, NULL, &ctx);
  if (rc < 0)
    die("wgm_ctx_new", rc);

  struct dcpair dp = {.sending = 1};
  dc_pair_run(&dp);
  struct tcppair tp = {.sending = 1};
  tcp_pair_run(&tp);
  double dc_s = dp.t1 - dp.t0, tcp_s = tp.t1 - tp.t0;
  double dc_mb = (double)dp.rcvd * (double)msg_len / 1e6 / dc_s;
  double tcp_mb = (double)tp.rcvd * (double)msg_len / 1e6 / tcp_s;

  double dc_setup = 0, tcp_setup = 0;
  for (int i = 0; i < setups; i++) {
    struct dcpair sp = {.sending = 0};
    double t = now_s();
    dc_pair_run(&sp);
    dc_setup += sp.t1 - t;
    struct tcppair st = {.sending = 0};
    t = now_s();
    tcp_pair_run(&st);
    tcp_setup += st.t1 - t;
  }
  printf("bench-media: %" PRIu64 " MSRP messages of %zu bytes one way; %d set-ups with %u SCTP "
         "streams; loopback, one loop\n",
         target_msgs, msg_len, setups, n_streams ? n_streams : 65535);
  printf("%-34s %14s %14s %8s\n", "", "DTLS+SCTP", "plain TCP", "ratio");
  printf("%-34s %14.1f %14.1f %8.3f\n", "throughput (MB/s)", dc_mb, tcp_mb, dc_mb / tcp_mb);
  printf("%-34s %14.0f %14.0f %8.3f\n", "messages/s", (double)dp.rcvd / dc_s,
         (double)tp.rcvd / tcp_s, ((double)dp.rcvd / dc_s) / ((double)tp.rcvd / tcp_s));
  if (setups > 0)
    printf("%-34s %14.2f %14.3f %8.1f\n", "set-up time (ms, mean)", dc_setup * 1e3 / setups,
           tcp_setup * 1e3 / setups, dc_setup / tcp_setup);
  if (setups > 0)
    printf("set-up phases (ms from creation, mean): ICE %.2f, DTLS %.2f, SCTP %.2f\n",
           ph_ice * 1e3 / setups, ph_dtls * 1e3 / setups, ph_sctp * 1e3 / setups);
  wgm_ctx_free(ctx);
  uv_run(loop, UV_RUN_DEFAULT);
  free(msg);
  return 0;
}
