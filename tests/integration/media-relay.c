/* media-relay.c -- the gateway's relay over real loopback sockets:
 *   WIC (controlling, DTLS server) ==DC== gateway (lite, DTLS client)
 *   gateway T2 (TCP listen) --TCP-- UE-B (TCP connect)
 * with wgm_relay gluing the gateway's negotiated stream to its TCP endpoint.
 * Checks: every MSRP message arrives byte-exact and as exactly one unit on
 * each side; back-pressure propagates both ways (a reader that stops makes
 * the far sender see -EAGAIN, nothing is lost); a TCP-side SEND larger than
 * the WIC's max-message-size is answered with 413 and counted. */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agw/media/wgmedia.h"
#include "tests/task.h"

#define MAXMSG 65536
#define SID 0

static uv_loop_t loop;
static wgm_ctx_t *ctx;
static wgm_dc_t *gw_dc, *wic_dc;
static wgm_tcp_t *gw_tcp, *ueb_tcp;
static wgm_relay_t *relay;
static uint32_t N = 10000;
static int phase;
static int wic_open, ueb_connected, gw_connected;
static uint32_t wic_tx, wic_rx, ueb_tx, ueb_rx;
static uint8_t *wic_buf, *ueb_buf;
static size_t wic_len, ueb_len;
static int wic_saw_eagain, ueb_saw_eagain, got_413, closed_count;

static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

static size_t make_msg(int dir, uint32_t i, size_t body_override, uint8_t *out) {
  char hdr[512];
  uint32_t r = mix(i * 2u + (uint32_t)dir + 7u);
  size_t maxbody = MAXMSG - 400;
  size_t body = i == 0 ? 1 : i == 1 ? maxbody : (r % 16 == 0) ? 1 + mix(r) % maxbody
                                                               : 1 + mix(r) % 600;
  if (body_override)
    body = body_override;
  int hl = snprintf(hdr, sizeof(hdr),
                    "MSRP r%c%08x SEND\r\nTo-Path: msrp://peer.invalid:9/s%d;tcp\r\n"
                    "From-Path: msrp://me.invalid:9/s%d;dc\r\nMessage-ID: m%u\r\n"
                    "Byte-Range: 1-%zu/%zu\r\nContent-Type: text/plain\r\n\r\n",
                    'a' + dir, i, dir, 1 - dir, i, body, body);
  memcpy(out, hdr, (size_t)hl);
  uint32_t s = r | 1;
  for (size_t k = 0; k < body; k++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    out[hl + k] = (uint8_t)(' ' + (s % 95));
  }
  size_t n = (size_t)hl + body;
  n += (size_t)sprintf((char *)out + n, "\r\n-------r%c%08x$\r\n", 'a' + dir, i);
  return n;
}

static void close_all(void);
static void start_phase(int p);

/* ------------------------------------------------------------ WIC side */

static void wic_pump(void) {
  /* at least N messages, and on until the back-pressure was seen */
  while (phase == 1 && (wic_tx < N || !wic_saw_eagain)) {
    if (!wic_len)
      wic_len = make_msg(0, wic_tx, 0, wic_buf);
    int rc = wgm_dc_send(wic_dc, SID, WGM_PPID_BINARY, wic_buf, wic_len);
    if (rc == -EAGAIN) {
      wgm_relay_stats_t rs;
      wgm_relay_get_stats(relay, &rs);
      /* resume UE-B once the relay has paused SCTP reading because TCP
       * was full, and the WIC feels it */
      if (!wic_saw_eagain && rs.dc_paused > 0) {
        wic_saw_eagain = 1;
        fflush(stdout);
        printf("# DC->TCP: WIC blocked after %u messages; UE-B resumes reading\n", wic_tx);
        wgm_tcp_pause_read(ueb_tcp, 0);
      }
      return;
    }
    ASSERT_EQ(rc, 0);
    wic_len = 0;
    wic_tx++;
  }
}

static void wic_message(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const uint8_t *d, size_t len) {
  (void)dc;
  ASSERT_EQ(sid, SID);
  ASSERT_EQ(ppid, WGM_PPID_BINARY);
  uint8_t *exp = malloc(MAXMSG + 512);
  size_t n = make_msg(1, wic_rx, 0, exp);
  if (n != len || memcmp(exp, d, n))
    TASK_FAIL("WIC: message %u differs (len %zu vs %zu)", wic_rx, len, n);
  free(exp);
  wic_rx++;
  if (ueb_saw_eagain && wic_rx == ueb_tx && ueb_tx >= N)
    start_phase(3);
}

static void wic_open_cb(wgm_dc_t *dc, const wgm_channel_info_t *ci) {
  (void)dc;
  ASSERT_EQ(ci->sid, SID);
  wic_open = 1;
  start_phase(1);
}

static void wic_writable(wgm_dc_t *dc) {
  (void)dc;
  wic_pump();
}

/* ----------------------------------------------------------- UE-B side */

static void ueb_pump(void) {
  while (phase == 2 && (ueb_tx < N || !ueb_saw_eagain)) {
    if (!ueb_len)
      ueb_len = make_msg(1, ueb_tx, 0, ueb_buf);
    int rc = wgm_tcp_send(ueb_tcp, ueb_buf, ueb_len);
    if (rc == -EAGAIN) {
      wgm_relay_stats_t rs;
      wgm_relay_get_stats(relay, &rs);
      if (!ueb_saw_eagain && rs.tcp_paused > 0) {
        ueb_saw_eagain = 1;
        printf("# TCP->DC: UE-B blocked after %u messages; WIC resumes reading\n", ueb_tx);
        wgm_dc_pause_read(wic_dc, 0);
      }
      return;
    }
    ASSERT_EQ(rc, 0);
    ueb_len = 0;
    ueb_tx++;
  }
}

static void ueb_message(wgm_tcp_t *t, const uint8_t *d, size_t len) {
  (void)t;
  if (phase == 3) {
    /* the answer to the oversize SEND */
    ASSERT(len > 20 && memcmp(d, "MSRP rb00000000 413 ", 20) == 0);
    got_413 = 1;
    close_all();
    return;
  }
  uint8_t *exp = malloc(MAXMSG + 512);
  size_t n = make_msg(0, ueb_rx, 0, exp);
  if (n != len || memcmp(exp, d, n))
    TASK_FAIL("UE-B: message %u differs (len %zu vs %zu)", ueb_rx, len, n);
  free(exp);
  ueb_rx++;
  if (wic_saw_eagain && ueb_rx == wic_tx && wic_tx >= N)
    start_phase(2);
}

static void ueb_connected_cb(wgm_tcp_t *t, const struct sockaddr *peer) {
  (void)t;
  (void)peer;
  ueb_connected = 1;
  start_phase(1);
}

static void ueb_writable(wgm_tcp_t *t) {
  (void)t;
  ueb_pump();
}

static void tcp_closed(wgm_tcp_t *t, int err) {
  (void)t;
  if (!got_413)
    TASK_FAIL("TCP closed early (%d)", err);
}

static void gw_connected_cb(wgm_tcp_t *t, const struct sockaddr *peer) {
  (void)t;
  (void)peer;
  gw_connected = 1;
  start_phase(1);
}

/* ---------------------------------------------------------------- flow */

static void start_phase(int p) {
  if (p == 1) {
    if (phase != 0 || !wic_open || !ueb_connected || !gw_connected)
      return;
    phase = 1;
    wgm_tcp_pause_read(ueb_tcp, 1); /* UE-B stops reading: back-pressure */
    wic_pump();
  } else if (p == 2) {
    ASSERT_EQ(phase, 1);
    ASSERT(wic_saw_eagain);
    phase = 2;
    wgm_dc_pause_read(wic_dc, 1); /* now the WIC stops reading */
    ueb_pump();
  } else if (p == 3) {
    ASSERT_EQ(phase, 2);
    ASSERT(ueb_saw_eagain);
    phase = 3;
    uint8_t *big = malloc(MAXMSG + 10000);
    size_t n = make_msg(1, 0, MAXMSG + 100, big);
    ASSERT_EQ(wgm_tcp_send(ueb_tcp, big, n), 0);
    free(big);
  }
}

static void closed_tcp(wgm_tcp_t *t) {
  (void)t;
  closed_count++;
}
static void closed_dc(wgm_dc_t *d) {
  (void)d;
  closed_count++;
}

static void close_all(void) {
  wgm_relay_stats_t rs;
  wgm_relay_get_stats(relay, &rs);
  printf("# relay: dc->tcp %" PRIu64 " msgs, tcp->dc %" PRIu64 " msgs, dc paused %" PRIu64
         ", tcp paused %" PRIu64 ", too big %" PRIu64 ", 413 %" PRIu64 "\n",
         rs.dc_to_tcp_msgs, rs.tcp_to_dc_msgs, rs.dc_paused, rs.tcp_paused, rs.too_big,
         rs.answered_413);
  ASSERT_EQ(rs.dc_to_tcp_msgs, wic_tx);
  ASSERT_EQ(rs.tcp_to_dc_msgs, ueb_tx);
  ASSERT_GE(rs.dc_paused, 1);
  ASSERT_GE(rs.tcp_paused, 1);
  ASSERT_EQ(rs.too_big, 1);
  ASSERT_EQ(rs.answered_413, 1);
  wgm_relay_free(relay);
  relay = NULL;
  wgm_tcp_close(gw_tcp, closed_tcp);
  wgm_tcp_close(ueb_tcp, closed_tcp);
  wgm_dc_close(gw_dc, closed_dc);
  wgm_dc_close(wic_dc, closed_dc);
}

static void fail_cb(wgm_dc_t *dc, enum wgm_dtls_fail why, const char *detail) {
  (void)dc;
  TASK_FAIL("dtls failed: %s %s", wgm_dtls_fail_name(why), detail);
}

int main(int argc, char **argv) {
  if (argc > 1)
    N = (uint32_t)strtoul(argv[1], NULL, 10);
  wic_buf = malloc(MAXMSG + 512);
  ueb_buf = malloc(MAXMSG + 512);
  ASSERT_EQ(uv_loop_init(&loop), 0);
  ASSERT_EQ(wgm_ctx_new(&loop, NULL, &ctx), 0);
  const char *fp = wgm_cert_fingerprint(wgm_ctx_cert(ctx));
  struct sockaddr_in lo;
  memset(&lo, 0, sizeof(lo));
  lo.sin_family = AF_INET;
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  static const wgm_dc_callbacks_t gw_cbs = {.dtls_failed = fail_cb};
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&lo;
  cfg.ice = WGM_ICE_LITE;
  cfg.role = WGM_DTLS_CLIENT;
  cfg.remote_fingerprints = &fp;
  cfg.n_remote_fingerprints = 1;
  cfg.local_max_message_size = MAXMSG;
  cfg.remote_max_message_size = MAXMSG;
  cfg.cb = &gw_cbs;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &gw_dc), 0);

  struct sockaddr_in ga = lo;
  ga.sin_port = htons(wgm_dc_port(gw_dc));
  static const wgm_dc_callbacks_t wic_cbs = {.dtls_failed = fail_cb,
                                             .channel_open = wic_open_cb,
                                             .message = wic_message,
                                             .writable = wic_writable};
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&lo;
  cfg.ice = WGM_ICE_CONTROLLING;
  cfg.role = WGM_DTLS_SERVER;
  cfg.remote_ufrag = wgm_dc_local_ufrag(gw_dc);
  cfg.remote_pwd = wgm_dc_local_pwd(gw_dc);
  cfg.remote_addr = (struct sockaddr *)&ga;
  cfg.remote_fingerprints = &fp;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_autostart = 1;
  cfg.local_max_message_size = MAXMSG;
  cfg.remote_max_message_size = MAXMSG;
  cfg.cb = &wic_cbs;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &wic_dc), 0);
  ASSERT_EQ(wgm_dc_set_remote(gw_dc, wgm_dc_local_ufrag(wic_dc), wgm_dc_local_pwd(wic_dc), NULL,
                              NULL, 0),
            0);
  ASSERT_EQ(wgm_dc_start_dtls(gw_dc), 0);
  wgm_channel_info_t ci;
  memset(&ci, 0, sizeof(ci));
  ci.sid = SID;
  ci.negotiated = 1;
  ci.protocol = "MSRP";
  ASSERT_EQ(wgm_dc_open_channel(gw_dc, &ci), 0);
  ASSERT_EQ(wgm_dc_open_channel(wic_dc, &ci), 0);

  /* T2: listen on a port of a range; UE-B connects */
  static const wgm_tcp_callbacks_t gw_tcp_cbs = {.connected = gw_connected_cb,
                                                 .closed = tcp_closed};
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 1;
  tc.bind_addr = (struct sockaddr *)&lo;
  tc.port_min = 20000;
  tc.port_max = 40000;
  tc.max_message_size = 4 * MAXMSG;
  tc.cb = &gw_tcp_cbs;
  ASSERT_EQ(wgm_tcp_new(ctx, &tc, &gw_tcp), 0);
  uint16_t tport = wgm_tcp_port(gw_tcp);
  ASSERT(tport >= 20000 && tport <= 40000);
  ASSERT_EQ(wgm_relay_new(gw_dc, SID, gw_tcp, NULL, NULL, &relay), 0);
  wgm_relay_t *dup;
  ASSERT_EQ(wgm_relay_new(gw_dc, SID, gw_tcp, NULL, NULL, &dup), -EEXIST);

  struct sockaddr_in ta = lo;
  ta.sin_port = htons(tport);
  static const wgm_tcp_callbacks_t ueb_cbs = {.connected = ueb_connected_cb,
                                              .closed = tcp_closed,
                                              .message = ueb_message,
                                              .writable = ueb_writable};
  wgm_tcp_config_init(&tc);
  tc.connect_addr = (struct sockaddr *)&ta;
  tc.max_message_size = 4 * MAXMSG;
  tc.cb = &ueb_cbs;
  ASSERT_EQ(wgm_tcp_new(ctx, &tc, &ueb_tcp), 0);

  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT(got_413);
  ASSERT_EQ(closed_count, 4);
  ASSERT_EQ(ueb_rx, wic_tx);
  ASSERT_EQ(wic_rx, ueb_tx);
  ASSERT_GE(wic_rx, N);
  ASSERT_GE(ueb_rx, N);
  ASSERT_EQ(wgm_ctx_free(ctx), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(uv_loop_close(&loop), 0);
  free(wic_buf);
  free(ueb_buf);
  printf("ok - relay (%u and %u messages)\n", wic_tx, ueb_tx);
  return 0;
}
