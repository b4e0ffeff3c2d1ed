/* media-dc.c -- two instances of libwgmedia on one loop over real loopback
 * UDP: one ICE-lite (gateway side), one ICE controlling (WIC side). They
 * complete ICE, DTLS and SCTP, open an SDP-negotiated channel (sid 1) and a
 * DCEP channel, and exchange N MSRP messages of mixed sizes (body 1 byte ..
 * max-message-size) in both directions on the negotiated channel, checked
 * byte for byte. Cases: lite = DTLS client / controlling = server, the
 * reverse, and the same under 5 % datagram loss (seeded).
 *
 * usage: media-dc [case] [count]   case: all (default), client, server, loss */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agw/media/wgmedia.h"
#include "tests/task.h"

#define MAXMSG 65536
#define SID_NEG 1

typedef struct side {
  const char *name;
  struct pair *p;
  int dir; /* 0 lite->ctl, 1 ctl->lite: which generator this side sends */
  wgm_ctx_t *ctx;
  wgm_dc_t *dc;
  int ice_ok, dtls_ok, sctp_ok;
  int neg_open, dcep_open, dcep_sid, dcep_rx, dcep_label_ok, dcep_closed;
  uint32_t tx, rx;
  uint64_t tap_out, tap_in, tap_in_bytes;
  int keylog_lines;
  uint8_t *buf;
  size_t buf_len;   /* message tx already built in buf (kept on -EAGAIN) */
  int closed;
} side_t;

typedef struct pair {
  uv_loop_t loop;
  side_t lite, ctl;
  uint32_t count;
  int done;
} pair_t;

/* ------------------------------------------------ deterministic messages */

static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* Build MSRP message i of direction dir into out; returns its length. */
static size_t make_msg(int dir, uint32_t i, uint8_t *out) {
  char hdr[512];
  uint32_t r = mix(i * 2u + (uint32_t)dir + 1u);
  int hl0 = snprintf(hdr, sizeof(hdr),
                     "MSRP t%c%08x SEND\r\nTo-Path: msrp://peer.invalid:9/s%d;dc\r\n"
                     "From-Path: msrp://me.invalid:9/s%d;dc\r\nMessage-ID: m%u\r\n"
                     "Byte-Range: 1-%06u/%06u\r\nContent-Type: application/octet-stream\r\n\r\n",
                     'a' + dir, i, dir, 1 - dir, i, 0u, 0u);
  size_t overhead = (size_t)hl0 + 2 + 7 + 10 + 1 + 2;
  size_t maxbody = MAXMSG - overhead;
  size_t body;
  if (i == 0)
    body = 1;
  else if (i == 1)
    body = maxbody; /* exactly max-message-size */
  else if (r % 16 == 0)
    body = 1 + (mix(r) % maxbody); /* large */
  else
    body = 1 + (mix(r) % 600); /* typical chat */
  int hl = snprintf(hdr, sizeof(hdr),
                    "MSRP t%c%08x SEND\r\nTo-Path: msrp://peer.invalid:9/s%d;dc\r\n"
                    "From-Path: msrp://me.invalid:9/s%d;dc\r\nMessage-ID: m%u\r\n"
                    "Byte-Range: 1-%06zu/%06zu\r\nContent-Type: application/octet-stream\r\n\r\n",
                    'a' + dir, i, dir, 1 - dir, i, body, body);
  memcpy(out, hdr, (size_t)hl);
  uint32_t s = r | 1;
  for (size_t k = 0; k < body; k++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    out[hl + k] = (uint8_t)(s & 0xff); /* any bytes: '-' sequences may occur */
  }
  size_t n = (size_t)hl + body;
  n += (size_t)sprintf((char *)out + n, "\r\n-------t%c%08x$\r\n", 'a' + dir, i);
  return n;
}

/* ---------------------------------------------------------- callbacks */

static void pump(side_t *s) {
  pair_t *p = s->p;
  while (s->tx < p->count) {
    if (!s->buf_len)
      s->buf_len = make_msg(s->dir, s->tx, s->buf);
    ASSERT_LE(s->buf_len, MAXMSG);
    int rc = wgm_dc_send(s->dc, SID_NEG, WGM_PPID_BINARY, s->buf, s->buf_len);
    if (rc == -EAGAIN)
      return; /* writable follows */
    if (rc != 0)
      TASK_FAIL("%s: send %u: %s", s->name, s->tx, wgm_strerror(rc));
    s->buf_len = 0;
    s->tx++;
  }
}

static void maybe_start(side_t *s) {
  if (s->neg_open && s->dcep_open)
    pump(s);
}

static void on_closed(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  s->closed = 1;
}

static void check_done(pair_t *p) {
  if (p->done)
    return;
  if (p->lite.rx == p->count && p->ctl.rx == p->count && p->lite.dcep_rx >= 1 && p->ctl.dcep_rx >= 2) {
    p->done = 1;
    wgm_dc_stats_t st;
    wgm_dc_get_stats(p->lite.dc, &st);
    printf("# lite: rx %" PRIu64 " msgs, tx %" PRIu64 " msgs, %" PRIu64 " udp out, %" PRIu64
           " lost by the test hook, %" PRIu64 " eagain\n",
           st.msgs_rx, st.msgs_tx, st.udp_tx_packets, st.drops[WGM_DROP_LOSS_TEST],
           st.send_eagain);
    ASSERT_EQ(st.msgs_rx, p->count + 1);
    /* the packet tap saw every datagram the statistics count */
    ASSERT_EQ(p->lite.tap_in, st.udp_rx_packets);
    ASSERT_EQ(p->lite.tap_in_bytes, st.udp_rx_bytes);
    ASSERT_EQ(p->lite.tap_out, st.udp_tx_packets + st.drops[WGM_DROP_SEND_FAIL]);
    ASSERT_GT(p->lite.keylog_lines, 0);
    ASSERT_GT(p->ctl.keylog_lines, 0);
    /* close the DCEP channel (stream reset both ways), then the endpoints */
    ASSERT_EQ(wgm_dc_close_channel(p->lite.dc, (uint16_t)p->lite.dcep_sid), 0);
    ASSERT_EQ(wgm_dc_close_channel(p->lite.dc, (uint16_t)p->lite.dcep_sid), -ENOENT);
    ASSERT_EQ(wgm_dc_send(p->lite.dc, (uint16_t)p->lite.dcep_sid, 0, "x", 1), -ENOTCONN);
  }
}

static void cb_closed_chan(wgm_dc_t *dc, uint16_t sid) {
  side_t *s = wgm_dc_get_data(dc);
  pair_t *p = s->p;
  ASSERT_EQ(sid, (uint16_t)p->lite.dcep_sid);
  ASSERT(p->done);
  s->dcep_closed = 1;
  /* the negotiated channel still works after the other one closed */
  ASSERT_EQ(wgm_dc_send(dc, SID_NEG, 0, NULL, 0), 0);
  if (p->lite.dcep_closed && p->ctl.dcep_closed) {
    wgm_dc_close(p->lite.dc, on_closed);
    wgm_dc_close(p->ctl.dc, on_closed);
  }
}

static void cb_ice(wgm_dc_t *dc, const struct sockaddr *peer) {
  side_t *s = wgm_dc_get_data(dc);
  ASSERT_NOT_NULL(peer);
  ASSERT_EQ(peer->sa_family, AF_INET);
  s->ice_ok++;
}

static void cb_dtls(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  ASSERT(s->ice_ok);
  s->dtls_ok = 1;
}

static void cb_dtls_failed(wgm_dc_t *dc, enum wgm_dtls_fail why, const char *detail) {
  side_t *s = wgm_dc_get_data(dc);
  TASK_FAIL("%s: DTLS failed: %s (%s)", s->name, wgm_dtls_fail_name(why), detail);
}

static void cb_sctp_up(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  ASSERT(s->dtls_ok);
  s->sctp_ok = 1;
  if (s->dcep_sid >= 0) {
    wgm_channel_info_t ci;
    memset(&ci, 0, sizeof(ci));
    ci.sid = (uint16_t)s->dcep_sid;
    ci.negotiated = 0;
    ci.channel_type = WGM_DC_RELIABLE;
    ci.label = "chat";
    ci.protocol = "MSRP";
    ASSERT_EQ(wgm_dc_open_channel(dc, &ci), 0);
    ASSERT_EQ(wgm_dc_open_channel(dc, &ci), -EEXIST);
  }
}

static void cb_sctp_lost(wgm_dc_t *dc, int err) {
  side_t *s = wgm_dc_get_data(dc);
  TASK_FAIL("%s: SCTP lost (%d)", s->name, err);
}

static void cb_open(wgm_dc_t *dc, const wgm_channel_info_t *ci) {
  side_t *s = wgm_dc_get_data(dc);
  if (ci->sid == SID_NEG) {
    ASSERT_EQ(ci->negotiated, 1);
    ASSERT_STR_EQ(ci->protocol, "MSRP");
    s->neg_open = 1;
  } else {
    ASSERT_EQ(ci->negotiated, 0);
    ASSERT_STR_EQ(ci->label, "chat");
    ASSERT_STR_EQ(ci->protocol, "MSRP");
    s->dcep_open = 1;
    /* the opener sends one message on it */
    if ((int)ci->sid == s->dcep_sid) {
      static const char hello[] = "MSRP dcep0001 SEND\r\nTo-Path: msrp://x.invalid/1;dc\r\n"
                                  "From-Path: msrp://y.invalid/2;dc\r\n-------dcep0001$\r\n";
      ASSERT_EQ(wgm_dc_send(dc, ci->sid, WGM_PPID_STRING, hello, strlen(hello)), 0);
      ASSERT_EQ(wgm_dc_send(dc, ci->sid, 0, NULL, 0), 0); /* empty message */
    } else {
      /* the acceptor too */
      ASSERT_EQ(wgm_dc_send(dc, ci->sid, WGM_PPID_BINARY, "x", 1), 0);
    }
  }
  maybe_start(s);
}

static void cb_message(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const uint8_t *d, size_t len) {
  side_t *s = wgm_dc_get_data(dc);
  pair_t *p = s->p;
  if (sid == SID_NEG && p->done) {
    ASSERT_EQ(len, 0); /* the empty message sent after the close */
    ASSERT_EQ(ppid, WGM_PPID_BINARY_EMPTY);
    return;
  }
  if (sid != SID_NEG) {
    if (len == 0)
      ASSERT_EQ(ppid, WGM_PPID_BINARY_EMPTY);
    s->dcep_rx++;
    check_done(p);
    return;
  }
  ASSERT_EQ(ppid, WGM_PPID_BINARY);
  /* exactly one whole MSRP message per data-channel message */
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  wgm_msrp_framer_init(&f, MAXMSG);
  ASSERT_EQ(wgm_msrp_frame(&f, d, len, &fr), (int)len);
  side_t *other = s == &p->lite ? &p->ctl : &p->lite;
  uint8_t *exp = malloc(MAXMSG + 64);
  size_t n = make_msg(other->dir, s->rx, exp);
  if (n != len || memcmp(exp, d, n) != 0)
    TASK_FAIL("%s: message %u differs (len %zu, expected %zu)", s->name, s->rx, len, n);
  free(exp);
  s->rx++;
  check_done(p);
}

static void cb_writable(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  pump(s);
}

static void cb_consent(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  TASK_FAIL("%s: consent lost", s->name);
}

static void cb_keylog(wgm_dc_t *dc, const char *line) {
  side_t *s = wgm_dc_get_data(dc);
  ASSERT_NOT_NULL(line);
  /* NSS key log: "<LABEL> <64 hex client random> <hex secret>" */
  const char *sp = strchr(line, ' ');
  ASSERT_NOT_NULL(sp);
  ASSERT(strlen(sp + 1) > 64 + 1 && sp[65] == ' ');
  s->keylog_lines++;
}

static void cb_tap(wgm_dc_t *dc, int outgoing, const struct sockaddr *src,
                   const struct sockaddr *dst, const uint8_t *data, size_t len) {
  side_t *s = wgm_dc_get_data(dc);
  ASSERT(src && dst && data && len > 0);
  ASSERT_EQ(src->sa_family, AF_INET);
  ASSERT_EQ(dst->sa_family, AF_INET);
  if (outgoing) {
    s->tap_out++;
  } else {
    s->tap_in++;
    s->tap_in_bytes += len;
  }
}

static const wgm_dc_callbacks_t cbs = {
    .keylog = cb_keylog,
    .tap = cb_tap,
    .ice_connected = cb_ice,
    .dtls_connected = cb_dtls,
    .dtls_failed = cb_dtls_failed,
    .sctp_up = cb_sctp_up,
    .sctp_lost = cb_sctp_lost,
    .channel_open = cb_open,
    .channel_closed = cb_closed_chan,
    .message = cb_message,
    .writable = cb_writable,
    .consent_lost = cb_consent,
};

/* -------------------------------------------------------------- cases */

static void run_case(const char *name, int lite_is_client, unsigned loss, uint32_t count) {
  pair_t *p = calloc(1, sizeof(*p));
  ASSERT_NOT_NULL(p);
  ASSERT_EQ(uv_loop_init(&p->loop), 0);
  p->count = count;
  side_t *L = &p->lite, *C = &p->ctl;
  L->name = "lite";
  C->name = "controlling";
  L->p = C->p = p;
  L->dir = 0;
  C->dir = 1;
  L->buf = malloc(MAXMSG + 64);
  C->buf = malloc(MAXMSG + 64);
  ASSERT_EQ(wgm_ctx_new(&p->loop, NULL, &L->ctx), 0);
  ASSERT_EQ(wgm_ctx_new(&p->loop, NULL, &C->ctx), 0);
  const char *fpL = wgm_cert_fingerprint(wgm_ctx_cert(L->ctx));
  const char *fpC = wgm_cert_fingerprint(wgm_ctx_cert(C->ctx));
  ASSERT(strncmp(fpL, "sha-256 ", 8) == 0);
  ASSERT_EQ(strlen(fpL), 8 + 32 * 3 - 1);
  ASSERT(strcmp(fpL, fpC) != 0);

  struct sockaddr_in lo;
  memset(&lo, 0, sizeof(lo));
  lo.sin_family = AF_INET;
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  /* the gateway side: ICE-lite, told its role; the remote values arrive
   * later (as with the SDP answer) */
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&lo;
  cfg.ice = WGM_ICE_LITE;
  cfg.role = lite_is_client ? WGM_DTLS_CLIENT : WGM_DTLS_SERVER;
  cfg.local_max_message_size = MAXMSG;
  cfg.remote_max_message_size = MAXMSG;
  cfg.cb = &cbs;
  cfg.data = L;
  ASSERT_EQ(wgm_dc_new(L->ctx, &cfg, &L->dc), 0);
  ASSERT_NE(wgm_dc_port(L->dc), 0);
  ASSERT(strlen(wgm_dc_local_ufrag(L->dc)) >= 4);
  ASSERT(strlen(wgm_dc_local_pwd(L->dc)) >= 22);
  L->dcep_sid = lite_is_client ? 2 : 3; /* client even, server odd */

  struct sockaddr_in la;
  la = lo;
  la.sin_port = htons(wgm_dc_port(L->dc));

  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&lo;
  cfg.ice = WGM_ICE_CONTROLLING;
  cfg.role = lite_is_client ? WGM_DTLS_SERVER : WGM_DTLS_CLIENT;
  cfg.remote_ufrag = wgm_dc_local_ufrag(L->dc);
  cfg.remote_pwd = wgm_dc_local_pwd(L->dc);
  cfg.remote_addr = (struct sockaddr *)&la;
  cfg.remote_fingerprints = &fpL;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_autostart = 1;
  cfg.local_max_message_size = MAXMSG;
  cfg.remote_max_message_size = MAXMSG;
  cfg.cb = &cbs;
  cfg.data = C;
  ASSERT_EQ(wgm_dc_new(C->ctx, &cfg, &C->dc), 0);
  C->dcep_sid = -1; /* only one side opens the DCEP channel */

  ASSERT_EQ(wgm_dc_set_remote(L->dc, wgm_dc_local_ufrag(C->dc), wgm_dc_local_pwd(C->dc), NULL,
                              &fpC, 1),
            0);
  if (loss) {
    wgm_dc_set_loss(L->dc, loss, 12345);
    wgm_dc_set_loss(C->dc, loss, 67890);
  }
  /* tlsest: the gateway starts DTLS when told to */
  ASSERT_EQ(wgm_dc_start_dtls(L->dc), 0);

  wgm_channel_info_t ci;
  memset(&ci, 0, sizeof(ci));
  ci.sid = SID_NEG;
  ci.negotiated = 1;
  ci.channel_type = WGM_DC_RELIABLE;
  ci.label = "msrp";
  ci.protocol = "MSRP";
  ASSERT_EQ(wgm_dc_open_channel(L->dc, &ci), 0);
  ASSERT_EQ(wgm_dc_open_channel(C->dc, &ci), 0);
  ASSERT_EQ(wgm_dc_send(L->dc, SID_NEG, 0, "x", 1), -ENOTCONN);

  uv_run(&p->loop, UV_RUN_DEFAULT);
  ASSERT(p->done);
  ASSERT(L->closed && C->closed);
  ASSERT(L->dcep_closed && C->dcep_closed);
  ASSERT_EQ(L->rx, count);
  ASSERT_EQ(C->rx, count);
  ASSERT_EQ(L->ice_ok, 1);
  ASSERT_EQ(C->ice_ok, 1);
  ASSERT_EQ(wgm_ctx_free(L->ctx), 0);
  ASSERT_EQ(wgm_ctx_free(C->ctx), 0);
  uv_run(&p->loop, UV_RUN_DEFAULT);
  ASSERT_EQ(uv_loop_close(&p->loop), 0);
  free(L->buf);
  free(C->buf);
  free(p);
  printf("ok - %s (%u messages each way%s)\n", name, count, loss ? ", 5% loss" : "");
  fflush(stdout);
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "all";
  uint32_t count = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 10000;
  if (!strcmp(which, "all") || !strcmp(which, "client"))
    run_case("lite-dtls-client", 1, 0, count);
  if (!strcmp(which, "all") || !strcmp(which, "server"))
    run_case("lite-dtls-server", 0, 0, count);
  if (!strcmp(which, "all") || !strcmp(which, "loss"))
    run_case("lite-dtls-client-5pct-loss", 1, 50, count);
  return 0;
}
