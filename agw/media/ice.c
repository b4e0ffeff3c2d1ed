/* ice.c -- ICE-lite responder, controlling agent (aggressive nomination)
 * and consent freshness (RFC 8445, RFC 7675), on top of the STUN codec. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "agw/media/media-int.h"

#define TICK_MS 20

static socklen_t sa_len(const struct sockaddr *sa) {
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int sa_equal(const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family)
    return 0;
  return memcmp(a, b, sa_len(a)) == 0;
}

static void send_error(wgm_dc_t *dc, const wgm_stun_msg_t *req, int code,
                       const struct sockaddr *to, int with_integrity) {
  wgm_stun_build_t b;
  uint8_t out[256];
  memset(&b, 0, sizeof(b));
  b.type = WGM_STUN_BINDING_ERROR;
  memcpy(b.tid, req->tid, 12);
  b.error_code = code;
  if (with_integrity) {
    b.integrity_key = dc->lpwd;
    b.integrity_keylen = strlen(dc->lpwd);
  }
  b.fingerprint = 1;
  int n = wgm_stun_build(&b, out, sizeof(out));
  if (n > 0 && wgm__udp_send(dc, out, (size_t)n, to) == 0)
    dc->st.stun_tx++;
}

static void latch(wgm_dc_t *dc, const struct sockaddr *src) {
  int changed = !dc->latched || !sa_equal(src, (const struct sockaddr *)&dc->peer);
  memcpy(&dc->peer, src, sa_len(src));
  dc->latched = 1;
  if (changed) {
    if (dc->cb.ice_connected)
      dc->cb.ice_connected(dc, src);
    if (!dc->closing && (dc->dtls_started || dc->dtls_autostart))
      wgm__dtls_maybe_start(dc);
  }
}

static void on_request(wgm_dc_t *dc, const uint8_t *buf, size_t len, const wgm_stun_msg_t *m,
                       const struct sockaddr *src) {
  if (!m->username || !m->integrity_off) {
    dc->st.drops[WGM_DROP_STUN_AUTH]++;
    send_error(dc, m, 400, src, 0);
    return;
  }
  size_t lu = strlen(dc->lufrag);
  const char *colon = memchr(m->username, ':', m->username_len);
  size_t ru = strlen(dc->rufrag);
  if (!colon || (size_t)(colon - m->username) != lu || memcmp(m->username, dc->lufrag, lu) ||
      (ru && ((size_t)(m->username + m->username_len - colon - 1) != ru ||
              memcmp(colon + 1, dc->rufrag, ru)))) {
    dc->st.drops[WGM_DROP_STUN_AUTH]++;
    send_error(dc, m, 401, src, 0);
    return;
  }
  if (wgm_stun_check_integrity(buf, len, m, dc->lpwd, strlen(dc->lpwd)) != 0) {
    dc->st.drops[WGM_DROP_STUN_AUTH]++;
    send_error(dc, m, 401, src, 0);
    return;
  }
  /* role conflict: a lite agent is controlled; a controlling agent that
   * meets another controlling one answers 487 when its tiebreaker wins */
  if ((dc->ice == WGM_ICE_LITE && m->ice_controlled) ||
      (dc->ice == WGM_ICE_CONTROLLING && m->ice_controlling && dc->tiebreaker >= m->tiebreaker)) {
    send_error(dc, m, 487, src, 1);
    return;
  }
  wgm_stun_build_t b;
  uint8_t out[256];
  memset(&b, 0, sizeof(b));
  b.type = WGM_STUN_BINDING_SUCCESS;
  memcpy(b.tid, m->tid, 12);
  b.xor_mapped = src;
  b.integrity_key = dc->lpwd;
  b.integrity_keylen = strlen(dc->lpwd);
  b.fingerprint = 1;
  int n = wgm_stun_build(&b, out, sizeof(out));
  if (n > 0 && wgm__udp_send(dc, out, (size_t)n, src) == 0)
    dc->st.stun_tx++;
  if (dc->ice == WGM_ICE_LITE) {
    dc->last_consent_ms = wgm__now(dc);
    if (m->use_candidate || !dc->latched) {
      if (m->use_candidate)
        dc->nominated = 1;
      if (!dc->nominated || m->use_candidate)
        latch(dc, src);
    }
  }
}

static void send_check(wgm_dc_t *dc) {
  if (!dc->has_remote || !dc->rufrag[0] || !dc->rpwd[0])
    return;
  char user[130];
  snprintf(user, sizeof(user), "%s:%s", dc->rufrag, dc->lufrag);
  wgm_stun_build_t b;
  uint8_t out[256];
  memset(&b, 0, sizeof(b));
  b.type = WGM_STUN_BINDING_REQUEST;
  if (!dc->check_outstanding) {
    wgm__random(dc->check_tid, 12);
    dc->check_outstanding = 1;
  }
  memcpy(b.tid, dc->check_tid, 12);
  b.username = user;
  b.priority = (110u << 24) | (65535u << 8) | 255u; /* host, component 1 */
  b.use_candidate = 1;
  b.ice_role = 1;
  b.tiebreaker = dc->tiebreaker;
  b.integrity_key = dc->rpwd;
  b.integrity_keylen = strlen(dc->rpwd);
  b.fingerprint = 1;
  int n = wgm_stun_build(&b, out, sizeof(out));
  if (n > 0 && wgm__udp_send(dc, out, (size_t)n, (const struct sockaddr *)&dc->remote) == 0)
    dc->st.stun_tx++;
}

static void on_response(wgm_dc_t *dc, const uint8_t *buf, size_t len, const wgm_stun_msg_t *m,
                        const struct sockaddr *src) {
  if (dc->ice != WGM_ICE_CONTROLLING || !dc->check_outstanding ||
      memcmp(m->tid, dc->check_tid, 12) != 0)
    return;
  if (wgm_stun_check_integrity(buf, len, m, dc->rpwd, strlen(dc->rpwd)) != 0) {
    dc->st.drops[WGM_DROP_STUN_AUTH]++;
    return;
  }
  dc->check_outstanding = 0;
  if (m->type != WGM_STUN_BINDING_SUCCESS)
    return; /* error response: keep checking (487 cannot happen with lite) */
  dc->last_consent_ms = wgm__now(dc);
  dc->check_rto = dc->check_interval_ms;
  /* next: a consent check after the consent interval */
  uint32_t iv = dc->consent_timeout_ms / 4;
  if (iv > 5000)
    iv = 5000;
  if (iv < TICK_MS)
    iv = TICK_MS;
  dc->next_check_ms = wgm__now(dc) + iv;
  if (!dc->nominated || !dc->latched) {
    dc->nominated = 1;
    latch(dc, src);
  }
}

void wgm__ice_on_stun(wgm_dc_t *dc, const uint8_t *buf, size_t len, const struct sockaddr *src) {
  wgm_stun_msg_t m;
  if (wgm_stun_parse(buf, len, &m) < 0) {
    dc->st.drops[WGM_DROP_STUN_BAD]++;
    return;
  }
  if (dc->consent_lost)
    return;
  if (m.type == WGM_STUN_BINDING_REQUEST) {
    if (!m.fingerprint_ok || m.unknown_required) {
      /* ICE requires FINGERPRINT; unknown mandatory attributes: 420 would
       * be the answer, a bad request is close enough for ICE peers */
      dc->st.drops[WGM_DROP_STUN_BAD]++;
      send_error(dc, &m, 400, src, 0);
      return;
    }
    on_request(dc, buf, len, &m, src);
  } else if (m.type == WGM_STUN_BINDING_SUCCESS || m.type == WGM_STUN_BINDING_ERROR) {
    on_response(dc, buf, len, &m, src);
  } else if (m.type == WGM_STUN_BINDING_INDICATION) {
    /* keepalive: nothing to do */
  } else {
    dc->st.drops[WGM_DROP_STUN_BAD]++;
  }
}

void wgm__ice_timer_cb(uv_timer_t *t) {
  wgm_dc_t *dc = t->data;
  if (dc->closing || dc->consent_lost)
    return;
  uint64_t now = wgm__now(dc);
  if (dc->ice == WGM_ICE_CONTROLLING && now >= dc->next_check_ms) {
    send_check(dc);
    if (!dc->check_rto)
      dc->check_rto = dc->check_interval_ms;
    if (dc->nominated) {
      /* consent check retransmissions */
      dc->next_check_ms = now + dc->check_rto;
      dc->check_rto = dc->check_rto * 2 > 1000 ? 1000 : dc->check_rto * 2;
    } else {
      dc->next_check_ms = now + dc->check_rto;
      dc->check_rto = dc->check_rto * 2 > 500 ? 500 : dc->check_rto * 2;
    }
  }
  /* consent: lite counts from the last valid check, controlling from the
   * last answer; both start counting when ICE starts */
  if (dc->ice != WGM_ICE_NONE && dc->last_consent_ms &&
      now - dc->last_consent_ms >= dc->consent_timeout_ms) {
    dc->consent_lost = 1;
    uv_timer_stop(&dc->ice_timer);
    if (dc->cb.consent_lost)
      dc->cb.consent_lost(dc);
    return;
  }
  wgm__run_pending(dc->ctx);
}

void wgm__ice_start(wgm_dc_t *dc) {
  if (dc->ice == WGM_ICE_NONE || dc->closing)
    return;
  if (!dc->last_consent_ms)
    dc->last_consent_ms = wgm__now(dc) ? wgm__now(dc) : 1;
  if (dc->ice == WGM_ICE_CONTROLLING && dc->has_remote && dc->rufrag[0] && dc->rpwd[0] &&
      !dc->nominated)
    dc->next_check_ms = 0;
  if (!uv_is_active((uv_handle_t *)&dc->ice_timer)) {
    uint32_t tick = TICK_MS;
    if (dc->consent_timeout_ms / 10 > tick && dc->ice == WGM_ICE_LITE)
      tick = dc->consent_timeout_ms / 10 > 1000 ? 1000 : dc->consent_timeout_ms / 10;
    uv_timer_start(&dc->ice_timer, wgm__ice_timer_cb, dc->ice == WGM_ICE_CONTROLLING ? 0 : tick,
                   tick);
  }
}
