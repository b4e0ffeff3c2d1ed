/* media-fail.c -- failure reporting of libwgmedia over loopback:
 * - a wrong expected fingerprint fails the handshake; the side that checks
 *   reports "fingerprint-mismatch", its peer gets the alert (both roles);
 * - a DTLS client whose peer never answers reports "timeout";
 * - a peer that stops answering is reported after the consent timeout
 *   (configured short; no timing is asserted, only the event);
 * - port allocation errors: -EADDRINUSE (single port), -ENOSPC (range). */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "agw/media/wgmedia.h"
#include "tests/task.h"

typedef struct side {
  const char *name;
  wgm_dc_t *dc;
  int ice_ok, dtls_ok, sctp_ok, consent_lost, failed, closed;
  enum wgm_dtls_fail why;
  struct side *other;
  int silence_other_on_sctp_up;
  int close_other_on_sctp_up;
  int lost;
} side_t;

static uv_loop_t loop;
static wgm_ctx_t *ctx;
static int pending_events;

static void on_closed(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  s->closed = 1;
}

static void cb_ice(wgm_dc_t *dc, const struct sockaddr *peer) {
  (void)peer;
  side_t *s = wgm_dc_get_data(dc);
  s->ice_ok = 1;
}
static void cb_dtls(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  s->dtls_ok = 1;
}
static void cb_failed(wgm_dc_t *dc, enum wgm_dtls_fail why, const char *detail) {
  side_t *s = wgm_dc_get_data(dc);
  ASSERT_NOT_NULL(detail);
  printf("# %s: dtls failed: %s (%s)\n", s->name, wgm_dtls_fail_name(why), detail);
  ASSERT_EQ(s->failed, 0);
  s->failed = 1;
  s->why = why;
  wgm_dc_close(dc, on_closed);
  if (--pending_events == 0 && s->other && !s->other->closed)
    wgm_dc_close(s->other->dc, on_closed);
}
static void cb_sctp_up(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  s->sctp_ok = 1;
  if (s->other && s->other->sctp_ok &&
      (s->close_other_on_sctp_up || s->other->close_other_on_sctp_up)) {
    side_t *victim = s->close_other_on_sctp_up ? s->other : s;
    wgm_dc_close(victim->dc, on_closed); /* SCTP ABORT + close_notify */
    return;
  }
  if (s->other && s->other->sctp_ok &&
      (s->silence_other_on_sctp_up || s->other->silence_other_on_sctp_up)) {
    /* both up: short consent timeouts from now on, and the controlling
     * side goes silent (drops all it sends) */
    side_t *ctl = s->silence_other_on_sctp_up ? s->other : s;
    wgm_dc_set_consent_timeout(s->dc, 300);
    wgm_dc_set_consent_timeout(s->other->dc, 300);
    wgm_dc_set_loss(ctl->dc, 1000, 1);
  }
}
static void cb_lost(wgm_dc_t *dc, int err) {
  side_t *s = wgm_dc_get_data(dc);
  printf("# %s: sctp lost (%d)\n", s->name, err);
  ASSERT(err < 0);
  s->lost = 1;
  wgm_dc_close(dc, on_closed);
}

static void cb_consent(wgm_dc_t *dc) {
  side_t *s = wgm_dc_get_data(dc);
  printf("# %s: consent lost\n", s->name);
  s->consent_lost = 1;
  ASSERT_EQ(wgm_dc_send(dc, 1, 0, "x", 1), -EPIPE);
  /* close once both noticed (a close sends an SCTP ABORT the other side
   * would hear before its own consent timeout) */
  if (s->other && s->other->consent_lost) {
    wgm_dc_close(dc, on_closed);
    wgm_dc_close(s->other->dc, on_closed);
  }
}

static const wgm_dc_callbacks_t cbs = {
    .ice_connected = cb_ice,
    .dtls_connected = cb_dtls,
    .dtls_failed = cb_failed,
    .sctp_up = cb_sctp_up,
    .sctp_lost = cb_lost,
    .consent_lost = cb_consent,
};

static struct sockaddr_in lo(uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* lite (role lite_role) + controlling; bad_on_lite: the lite side expects
 * a wrong fingerprint, else the controlling side does. consent_ms: 0 for
 * the default. */
static void make_pair(side_t *L, side_t *C, enum wgm_dtls_role lite_role, int bad_on,
                      uint32_t consent_ms) {
  static const char *wrong = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                             "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  const char *fp = wgm_cert_fingerprint(wgm_ctx_cert(ctx));
  struct sockaddr_in any = lo(0);
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&any;
  cfg.ice = WGM_ICE_LITE;
  cfg.role = lite_role;
  cfg.remote_fingerprints = bad_on == 1 ? &wrong : &fp;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_autostart = 1;
  cfg.consent_timeout_ms = consent_ms;
  cfg.cb = &cbs;
  cfg.data = L;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &L->dc), 0);
  struct sockaddr_in la = lo(wgm_dc_port(L->dc));
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&any;
  cfg.ice = WGM_ICE_CONTROLLING;
  cfg.role = lite_role == WGM_DTLS_CLIENT ? WGM_DTLS_SERVER : WGM_DTLS_CLIENT;
  cfg.remote_ufrag = wgm_dc_local_ufrag(L->dc);
  cfg.remote_pwd = wgm_dc_local_pwd(L->dc);
  cfg.remote_addr = (struct sockaddr *)&la;
  cfg.remote_fingerprints = bad_on == 2 ? &wrong : &fp;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_autostart = 1;
  cfg.consent_timeout_ms = consent_ms;
  cfg.cb = &cbs;
  cfg.data = C;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &C->dc), 0);
  ASSERT_EQ(wgm_dc_set_remote(L->dc, wgm_dc_local_ufrag(C->dc), wgm_dc_local_pwd(C->dc), NULL,
                              NULL, 0),
            0);
  L->other = C;
  C->other = L;
}

static void test_fingerprint(enum wgm_dtls_role lite_role, int bad_on) {
  side_t L = {.name = "lite"}, C = {.name = "controlling"};
  make_pair(&L, &C, lite_role, bad_on, 0);
  pending_events = 2;
  uv_run(&loop, UV_RUN_DEFAULT);
  side_t *checker = bad_on == 1 ? &L : &C, *peer = bad_on == 1 ? &C : &L;
  ASSERT(L.ice_ok && C.ice_ok);
  ASSERT(checker->failed);
  ASSERT_EQ(checker->why, WGM_DTLS_FAIL_FINGERPRINT);
  ASSERT_EQ(checker->dtls_ok, 0);
  ASSERT_EQ(peer->sctp_ok, 0);
  ASSERT(peer->failed); /* it got the checker's alert */
  ASSERT_EQ(peer->why, WGM_DTLS_FAIL_ALERT);
  ASSERT(L.closed && C.closed);
}

static void fp_lite_client_bad_on_lite(void) { test_fingerprint(WGM_DTLS_CLIENT, 1); }
static void fp_lite_client_bad_on_ctl(void) { test_fingerprint(WGM_DTLS_CLIENT, 2); }
static void fp_lite_server_bad_on_lite(void) { test_fingerprint(WGM_DTLS_SERVER, 1); }
static void fp_lite_server_bad_on_ctl(void) { test_fingerprint(WGM_DTLS_SERVER, 2); }

static void consent_timeout(void) {
  side_t L = {.name = "lite"}, C = {.name = "controlling"};
  make_pair(&L, &C, WGM_DTLS_CLIENT, 0, 0);
  L.silence_other_on_sctp_up = 1;
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT(L.sctp_ok && C.sctp_ok);
  ASSERT(L.consent_lost); /* the lite side stopped hearing checks */
  ASSERT(C.consent_lost); /* the controlling side stopped getting answers */
  ASSERT(L.closed && C.closed);
}

/* the peer closes its endpoint: we hear it at once (ABORT / close_notify),
 * not only after the consent timeout */
static void peer_closes(void) {
  side_t L = {.name = "lite"}, C = {.name = "controlling"};
  make_pair(&L, &C, WGM_DTLS_CLIENT, 0, 0);
  L.close_other_on_sctp_up = 1;
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT(L.sctp_ok && C.sctp_ok);
  ASSERT(L.lost);
  ASSERT_EQ(L.consent_lost, 0);
  ASSERT(L.closed && C.closed);
}

static void dtls_timeout(void) {
  /* a UDP socket that never answers */
  uv_udp_t mute;
  struct sockaddr_in any = lo(0), ma;
  ASSERT_EQ(uv_udp_init(&loop, &mute), 0);
  ASSERT_EQ(uv_udp_bind(&mute, (struct sockaddr *)&any, 0), 0);
  int nl = sizeof(ma);
  ASSERT_EQ(uv_udp_getsockname(&mute, (struct sockaddr *)&ma, &nl), 0);
  const char *fp = wgm_cert_fingerprint(wgm_ctx_cert(ctx));
  side_t S = {.name = "client"};
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&any;
  cfg.ice = WGM_ICE_NONE;
  cfg.role = WGM_DTLS_CLIENT;
  cfg.remote_addr = (struct sockaddr *)&ma;
  cfg.remote_fingerprints = &fp;
  cfg.n_remote_fingerprints = 1;
  cfg.dtls_timeout_ms = 1500;
  cfg.cb = &cbs;
  cfg.data = &S;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &S.dc), 0);
  ASSERT_EQ(wgm_dc_start_dtls(S.dc), 0);
  pending_events = 1;
  uv_close((uv_handle_t *)&mute, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT(S.failed);
  ASSERT_EQ(S.why, WGM_DTLS_FAIL_TIMEOUT);
  ASSERT(S.closed);
}

static void ports(void) {
  struct sockaddr_in any = lo(0);
  side_t a = {.name = "a"}, b = {.name = "b"}, c = {.name = "c"};
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (struct sockaddr *)&any;
  cfg.accept_any_fingerprint = 1;
  cfg.data = &a;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &a.dc), 0);
  uint16_t p = wgm_dc_port(a.dc);
  cfg.port_min = cfg.port_max = p;
  cfg.data = &b;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &b.dc), -EADDRINUSE);
  /* a range of two taken ports */
  if (p < 65535) {
    cfg.port_min = cfg.port_max = (uint16_t)(p + 1);
    if (wgm_dc_new(ctx, &cfg, &b.dc) == 0) {
      cfg.port_min = p;
      cfg.port_max = (uint16_t)(p + 1);
      cfg.data = &c;
      ASSERT_EQ(wgm_dc_new(ctx, &cfg, &c.dc), -ENOSPC);
      wgm_dc_close(b.dc, NULL);
    }
  }
  cfg.port_min = 10;
  cfg.port_max = 5;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &c.dc), -EINVAL);
  static const char *bad = "sha-256 zz";
  cfg.port_min = cfg.port_max = 0;
  cfg.remote_fingerprints = &bad;
  cfg.n_remote_fingerprints = 1;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &c.dc), -EINVAL);
  wgm_dc_close(a.dc, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
}

int main(void) {
  ASSERT_EQ(uv_loop_init(&loop), 0);
  ASSERT_EQ(wgm_ctx_new(&loop, NULL, &ctx), 0);
  TEST_RUN(fp_lite_client_bad_on_lite);
  TEST_RUN(fp_lite_client_bad_on_ctl);
  TEST_RUN(fp_lite_server_bad_on_lite);
  TEST_RUN(fp_lite_server_bad_on_ctl);
  TEST_RUN(consent_timeout);
  TEST_RUN(peer_closes);
  TEST_RUN(dtls_timeout);
  TEST_RUN(ports);
  ASSERT_EQ(wgm_ctx_free(ctx), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(uv_loop_close(&loop), 0);
  return 0;
}
