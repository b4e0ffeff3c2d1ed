/* media-peer.c -- one DC endpoint of libwgmedia driven over stdin/stdout,
 * for interop tests with a third-party WebRTC stack (media-aiortc.sh).
 *
 *   media-peer client|server [ice-lite|controlling]
 * prints   LOCAL <port> <ufrag> <pwd> <fingerprint>
 * reads    REMOTE <ufrag> <pwd> <fp>[|<fp>...] [<host> <port>]
 * then runs ICE + DTLS (the given role) + SCTP, opens the negotiated
 * channel 1 and prints events: ICE, DTLS, SCTP, OPEN <sid>; it sends
 * 10 messages "c2p <i> <filler>" (sizes up to 60000 bytes); every message
 * received is printed as "RX <sid> <ppid> <len> <hex of sha-256>" and echoed
 * back unchanged. "QUIT" closes the endpoint; exit 0 after a clean close,
 * 1 on any failure. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agw/media/wgmedia.h"

static uv_loop_t *loop;
static wgm_ctx_t *ctx;
static wgm_dc_t *dc;
static uv_pipe_t in;
static char line[4096];
static size_t line_len;
static int exit_code = 1;
static int sent;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

static size_t c2p_msg(int i, char *buf, size_t cap) {
  static const size_t sizes[] = {1, 20, 100, 1000, 1200, 5000, 16384, 30000, 60000, 2};
  size_t n = sizes[i % 10];
  if (n > cap)
    n = cap;
  int h = snprintf(buf, cap, "c2p %d ", i);
  if ((size_t)h > n)
    n = (size_t)h;
  for (size_t k = (size_t)h; k < n; k++)
    buf[k] = (char)('a' + (k * 7 + (size_t)i) % 26);
  return n;
}

static void pump(void) {
  static char buf[65536];
  while (sent < 10) {
    size_t n = c2p_msg(sent, buf, sizeof(buf));
    int rc = wgm_dc_send(dc, 1, WGM_PPID_BINARY, buf, n);
    if (rc == -EAGAIN)
      return;
    if (rc < 0) {
      say("ERROR send %s", wgm_strerror(rc));
      return;
    }
    sent++;
  }
}

static void on_closed(wgm_dc_t *d) {
  (void)d;
  uv_close((uv_handle_t *)&in, NULL);
  wgm_ctx_free(ctx);
}

static void cb_ice(wgm_dc_t *d, const struct sockaddr *peer) {
  (void)d;
  char host[64];
  const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;
  inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
  say("ICE %s %u", host, ntohs(sin->sin_port));
}
static void cb_dtls(wgm_dc_t *d) {
  (void)d;
  say("DTLS");
}
static void cb_fail(wgm_dc_t *d, enum wgm_dtls_fail why, const char *detail) {
  (void)d;
  say("FAIL %s %s", wgm_dtls_fail_name(why), detail);
}
static void cb_up(wgm_dc_t *d) {
  (void)d;
  say("SCTP");
}
static void cb_lost(wgm_dc_t *d, int err) {
  (void)d;
  say("LOST %d", err);
}
static void cb_open(wgm_dc_t *d, const wgm_channel_info_t *ci) {
  (void)d;
  say("OPEN %u %s", ci->sid, ci->negotiated ? "negotiated" : "dcep");
  if (ci->sid == 1)
    pump();
}
static void cb_msg(wgm_dc_t *d, uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len) {
  unsigned char md[32];
  char hex[65];
  SHA256(data, len, md);
  for (int i = 0; i < 32; i++)
    sprintf(hex + 2 * i, "%02x", md[i]);
  say("RX %u %u %zu %s", sid, ppid, len, hex);
  int rc = wgm_dc_send(d, sid, ppid, data, len);
  if (rc < 0)
    say("ERROR echo %s", wgm_strerror(rc));
}
static void cb_writable(wgm_dc_t *d) {
  (void)d;
  pump();
}
static void cb_consent(wgm_dc_t *d) {
  (void)d;
  say("CONSENT-LOST");
}

static void handle_line(char *l) {
  if (!strncmp(l, "REMOTE ", 7)) {
    char ufrag[128], pwd[256], fps[1024], host[64] = "";
    unsigned port = 0;
    if (sscanf(l + 7, "%127s %255s %1023s %63s %u", ufrag, pwd, fps, host, &port) < 3) {
      say("ERROR bad REMOTE line");
      return;
    }
    const char *list[8];
    char fpbuf[8][200];
    size_t n = 0;
    for (char *tok = strtok(fps, "|"); tok && n < 8; tok = strtok(NULL, "|")) {
      /* "sha-256/AB:CD" (no spaces on the line) -> "sha-256 AB:CD" */
      snprintf(fpbuf[n], sizeof(fpbuf[n]), "%s", tok);
      char *slash = strchr(fpbuf[n], '/');
      if (slash)
        *slash = ' ';
      list[n] = fpbuf[n];
      n++;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    int have_addr = host[0] && inet_pton(AF_INET, host, &sa.sin_addr) == 1;
    int rc = wgm_dc_set_remote(dc, ufrag, pwd, have_addr ? (struct sockaddr *)&sa : NULL, list,
                               n);
    if (rc < 0) {
      say("ERROR set_remote %s", wgm_strerror(rc));
      return;
    }
    wgm_dc_start_dtls(dc);
    say("STARTED");
  } else if (!strcmp(l, "QUIT")) {
    exit_code = 0;
    wgm_dc_close(dc, on_closed);
  }
}

static void alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *b) {
  (void)h;
  (void)s;
  static char buf[4096];
  *b = uv_buf_init(buf, sizeof(buf));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  (void)s;
  if (n < 0) {
    uv_read_stop((uv_stream_t *)&in);
    if (exit_code != 0)
      wgm_dc_close(dc, on_closed); /* EOF before QUIT: failure */
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    char c = b->base[i];
    if (c == '\n') {
      line[line_len] = 0;
      if (line_len && line[line_len - 1] == '\r')
        line[line_len - 1] = 0;
      handle_line(line);
      line_len = 0;
    } else if (line_len + 1 < sizeof(line)) {
      line[line_len++] = c;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "client") && strcmp(argv[1], "server"))) {
    fprintf(stderr, "usage: media-peer client|server [ice-lite|controlling]\n");
    return 2;
  }
  int controlling = argc > 2 && !strcmp(argv[2], "controlling");
  loop = uv_default_loop();
  if (wgm_ctx_new(loop, NULL, &ctx) < 0)
    return 1;
  static const wgm_dc_callbacks_t cbs = {.ice_connected = cb_ice,
                                         .dtls_connected = cb_dtls,
                                         .dtls_failed = cb_fail,
                                         .sctp_up = cb_up,
                                         .sctp_lost = cb_lost,
                                         .channel_open = cb_open,
                                         .message = cb_msg,
                                         .writable = cb_writable,
                                         .consent_lost = cb_consent};
  struct sockaddr_in lo;
  memset(&lo, 0, sizeof(lo));
  lo.sin_family = AF_INET;
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&lo;
  cfg.ice = controlling ? WGM_ICE_CONTROLLING : WGM_ICE_LITE;
  cfg.role = !strcmp(argv[1], "client") ? WGM_DTLS_CLIENT : WGM_DTLS_SERVER;
  cfg.local_max_message_size = 262144;
  cfg.remote_max_message_size = 65536;
  cfg.cb = &cbs;
  int rc = wgm_dc_new(ctx, &cfg, &dc);
  if (rc < 0) {
    fprintf(stderr, "wgm_dc_new: %s\n", wgm_strerror(rc));
    return 1;
  }
  wgm_channel_info_t ci;
  memset(&ci, 0, sizeof(ci));
  ci.sid = 1;
  ci.negotiated = 1;
  ci.label = "msrp";
  ci.protocol = "MSRP";
  wgm_dc_open_channel(dc, &ci);
  say("LOCAL %u %s %s %s", wgm_dc_port(dc), wgm_dc_local_ufrag(dc), wgm_dc_local_pwd(dc),
      wgm_dc_fingerprint(dc));
  uv_pipe_init(loop, &in, 0);
  uv_pipe_open(&in, 0);
  uv_read_start((uv_stream_t *)&in, alloc_cb, read_cb);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return exit_code;
}
