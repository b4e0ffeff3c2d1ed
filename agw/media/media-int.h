/* media-int.h -- private to libwgmedia. */
#ifndef WG_MEDIA_INT_H
#define WG_MEDIA_INT_H

#include <openssl/ssl.h>
#include <stdint.h>
#include <uv.h>

#include "agw/media/wgmedia.h"

struct socket; /* usrsctp */

struct wgm_cert {
  int refs;
  X509 *x509;
  EVP_PKEY *pkey;
  char fingerprint[8 + 32 * 3 + 1]; /* "sha-256 " + 95 + NUL */
};

typedef struct wgm_chan wgm_chan_t;
typedef struct wgm_relay_link wgm_relay_link_t;

struct wgm_ctx {
  uv_loop_t *loop;
  wgm_cert_t *cert;
  SSL_CTX *ssl_ctx;
  uv_timer_t sctp_timer;
  uint64_t sctp_last_ms;
  uv_idle_t idle;
  void (*idle_cb)(uv_idle_t *);
  struct wgm_dc *pending_head; /* endpoints with deferred work */
  unsigned n_dc, n_tcp;
  int closing;
  /* every endpoint's UDP datagrams are read into this one buffer: a
   * datagram is handled to its end inside the read callback (DTLS copies
   * it into its BIO), so one per loop is enough, and an endpoint costs
   * 64 KiB less than with a buffer of its own (bench P4) */
  uint8_t udp_rx[65536];
};

/* ctx.c */
uint32_t wgm__id_register(struct wgm_dc *dc);
void wgm__id_unregister(uint32_t id);
struct wgm_dc *wgm__id_lookup(uint32_t id);
void wgm__schedule(struct wgm_dc *dc); /* run wgm__dc_process from the loop (dc.c) */
void wgm__run_pending(wgm_ctx_t *ctx);   /* run all scheduled work now (dc.c) */
int wgm__ssl_ex_index(void);
int wgm__random(void *buf, size_t len);
int wgm__bind_range(int type, const struct sockaddr *bind_addr, uint16_t pmin, uint16_t pmax,
                    int *fd_out, int listen_backlog);

/* dc.c */
void wgm__dc_process(struct wgm_dc *dc);
int wgm__dc_sctp_output(struct wgm_dc *dc, const void *buf, size_t len);
void wgm__dc_sctp_upcall(struct wgm_dc *dc, int events);
void wgm__dc_keylog(struct wgm_dc *dc, const char *line);
int wgm__dc_verify_cert(struct wgm_dc *dc, X509 *cert);
int wgm__dc_bio_write(struct wgm_dc *dc, const void *buf, size_t len);

/* relay hooks (relay.c), called by dc.c and tcp.c; from_dc / from_tcp
 * return WGM__RELAY_NOT_TAKEN when that direction's gate is closed: the
 * caller then hands the message to its own `message` callback */
#define WGM__RELAY_NOT_TAKEN 1
int wgm__relay_from_dc(wgm_relay_t *r, uint32_t ppid, const uint8_t *data, size_t len);
void wgm__relay_dc_writable(wgm_relay_t *r);
void wgm__relay_dc_open(wgm_relay_t *r);
int wgm__relay_from_tcp(wgm_relay_t *r, const uint8_t *data, size_t len);
void wgm__relay_tcp_writable(wgm_relay_t *r);
void wgm__relay_tcp_connected(wgm_relay_t *r);
void wgm__relay_tcp_bad_framing(wgm_relay_t *r, const uint8_t *d, size_t len, int err);
int wgm__dc_attach_relay(wgm_dc_t *dc, uint16_t sid, wgm_relay_t *r);
void wgm__dc_detach_relay(wgm_dc_t *dc, uint16_t sid);
int wgm__tcp_attach_relay(wgm_tcp_t *t, wgm_relay_t *r);
void wgm__tcp_detach_relay(wgm_tcp_t *t);
size_t wgm__dc_remote_max(const wgm_dc_t *dc);
int wgm__dc_channel_is_open(const wgm_dc_t *dc, uint16_t sid);


/* ------------------------------------------------------------ wgm_dc */

#define WGM_MAX_FP 8

struct wgm_fp {
  const EVP_MD *md;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len;
};

struct wgm_chan {
  wgm_chan_t *next;
  uint16_t sid;
  int negotiated;
  uint8_t type;
  uint32_t reliability;
  uint16_t priority;
  char *label, *protocol;
  int open;          /* open event delivered */
  int wait_ack;      /* our DCEP OPEN sent, ACK pending */
  int open_pending;  /* DCEP OPEN to send once SCTP is up */
  int out_reset;     /* our outgoing stream reset (requested or done) */
  int out_reset_req; /* reset requested but not yet accepted by usrsctp */
  int out_done, in_done;
  wgm_relay_t *relay;
  uint8_t *partial;  /* PPID 52/54 fragments */
  size_t partial_len;
};

struct wgm_dc {
  wgm_ctx_t *ctx;
  wgm_dc_callbacks_t cb;
  void *data;
  uint32_t id; /* opaque id registered with usrsctp */

  /* deferred work */
  struct wgm_dc *pending_next;
  int pending;
  int in_process;

  /* UDP */
  uv_udp_t udp;
  int udp_inited;
  struct sockaddr_storage local;
  unsigned loss_permille;
  uint32_t loss_state;

  /* ICE */
  enum wgm_ice_mode ice;
  char lufrag[64], lpwd[128], rufrag[64], rpwd[128];
  struct sockaddr_storage remote; int has_remote;
  struct sockaddr_storage peer; int latched;
  uint64_t tiebreaker;
  uv_timer_t ice_timer;
  uint8_t check_tid[12];
  int check_outstanding;
  uint32_t check_rto;
  uint64_t next_check_ms;
  uint64_t last_consent_ms;
  uint32_t consent_timeout_ms, check_interval_ms;
  int consent_lost;
  int nominated;

  /* DTLS */
  enum wgm_dtls_role role;
  struct wgm_fp fps[WGM_MAX_FP];
  size_t n_fps;
  int accept_any_fp;
  int dtls_started;   /* allowed to run */
  int dtls_autostart;
  SSL *ssl;
  BIO *rbio, *wbio;
  uv_timer_t dtls_timer;
  uint64_t dtls_deadline_ms;
  uint32_t dtls_timeout_ms;
  int dtls_done, dtls_failed, fp_mismatch;
  int dtls_fail_reported;

  /* SCTP */
  struct socket *sock;
  uint16_t lport, rport;
  uint16_t streams;
  size_t lmax, rmax;
  int sctp_up, sctp_lost;
  int read_paused;
  int want_writable;
  int sctp_events;     /* from the upcall */
  int pending_events;  /* our own: 1 sctp up, 2 lost ... */
  uint8_t *msg; size_t msg_len, msg_cap;  /* reassembly */
  int msg_too_big;
  uint8_t *notif; size_t notif_len, notif_cap;
  wgm_chan_t *chans;
  /* RTT estimate repair (sctp.c: rtt_check): runs while data is unacked */
  uv_timer_t watch_timer;
  uint32_t watch_unack;        /* unacknowledged chunks at the last look */
  uint64_t watch_progress_ms;  /* last time that number fell (or was 0) */
  uint64_t probe_next_ms;      /* no new probe burst before */

  /* closing */
  int closing;
  int handles_open;
  void (*close_cb)(wgm_dc_t *);

  wgm_dc_stats_t st;
};

/* ice.c */
void wgm__ice_on_stun(wgm_dc_t *dc, const uint8_t *buf, size_t len, const struct sockaddr *src);
void wgm__ice_start(wgm_dc_t *dc);
void wgm__ice_timer_cb(uv_timer_t *t);
/* dtls.c */
int wgm__dtls_maybe_start(wgm_dc_t *dc);
void wgm__dtls_on_packet(wgm_dc_t *dc, const uint8_t *buf, size_t len);
void wgm__dtls_timer_cb(uv_timer_t *t);
void wgm__dtls_fail(wgm_dc_t *dc, enum wgm_dtls_fail why, const char *detail);
int wgm__dtls_send(wgm_dc_t *dc, const void *buf, size_t len);
void wgm__dtls_shutdown(wgm_dc_t *dc);
/* sctp.c */
int wgm__sctp_start(wgm_dc_t *dc);
void wgm__sctp_process(wgm_dc_t *dc);
void wgm__sctp_close(wgm_dc_t *dc);
void wgm__sctp_free_chans(wgm_dc_t *dc);
void wgm__sctp_watch_cb(uv_timer_t *t);
/* dc.c */
int wgm__udp_send(wgm_dc_t *dc, const void *buf, size_t len, const struct sockaddr *to);
const struct sockaddr *wgm__dc_dest(wgm_dc_t *dc);
uint64_t wgm__now(wgm_dc_t *dc);
void wgm__dc_lost(wgm_dc_t *dc, int err);

#endif
