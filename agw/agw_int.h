/* agw_int.h -- private to libwgagw: the gateway object shared by agw.c (loop,
 * H.248 transport, registration, stop), exec.c (command execution) and
 * media.c (T1/T2 media, relays, bearer notifications). */
#ifndef WG_AGW_INT_H
#define WG_AGW_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "agw/agw.h"
#include "agw/agw_model.h"
#include "agw/media/wgmedia.h"
#include "common/common.h"
#include "h248/h248.h"

#define AGW_LOG "agw"

#define AGW_MAX_AUDITORS 8

typedef struct agw_conf {
  struct sockaddr_storage listen, mgc, access, core;
  char mid_text[128];
  int mid_default; /* agw.mid not set: derived from the bound address */
  char profile[64];
  uint16_t access_lo, access_hi, core_lo, core_hi;
  long max_contexts, max_terms;
  long consent_timeout_s, dtls_timeout_s;
  char cert[512], key[512];
  int notify_released;
  long register_retry_ms;
  long max_message_size, sctp_port;
  long sctp_streams; /* agw.sctp-streams: SCTP streams offered per association */
  long long_timer_ms;
  struct sockaddr_storage auditors[AGW_MAX_AUDITORS]; /* agw.auditors (port ignored) */
  int n_auditors;
} agw_conf_t;

enum agw_state {
  AGW_ST_INIT = 0,
  AGW_ST_REGISTERING,
  AGW_ST_REGISTERED,
  AGW_ST_STOPPING, /* ServiceChange Graceful sent, waiting */
  AGW_ST_CLOSING,  /* handles closing */
};

struct agw {
  agw_conf_t conf;
  uv_loop_t loop;
  int loop_inited;
  uv_udp_t udp;
  uv_timer_t tl_timer;   /* the h248 transaction layer's one timer */
  uv_timer_t reg_timer;  /* ServiceChange retry */
  uv_timer_t tick;       /* 1 s: heartbeats, stop deadline */
  uv_async_t async;      /* agw_stop() from any thread */
  int handles_open;      /* handles initialised (to close) */
  h248_tl_t *tl;
  h248_mid_kind_t mid_kind;
  char mid_name[100];
  uint16_t mid_port;
  wgm_cert_t *cert;
  wgm_ctx_t *media;
  agw_model_t model;
  agw_pool_t access_pool, core_pool;
  enum agw_state state;
  unsigned reg_delay_ms;
  int reg_inflight;
  uint64_t stop_deadline_ms;
  atomic_int stop_req;   /* 0 none, 1 forced, 2 graceful */
  int media_closing;     /* endpoints whose close callback is pending */
  wg_pcap_t *pcap;
  wg_keylog_t *keylog;
  uint64_t executed;     /* transactions executed (not answered from cache) */
  const char *reg_method, *reg_reason; /* Restart/901, or HandOff/903 */
  int handoff_pending;
  struct sockaddr_storage handoff_to;
};

/* agw.c */
/* Send a request transaction (Notify, ServiceChange) to the MGC; msg is
 * freed by the call. cb may be NULL. */
int agw_send_request(agw_t *agw, h248_msg_t *msg, h248_tl_reply_cb cb, void *arg);
/* An mId or ServiceChangeAddress ("[1.2.3.4]:2944", "[::1]:2944", "2944")
 * -> address (port only: the current MGC's address). -EINVAL otherwise. */
int agw_mid_addr(agw_t *agw, const char *text, struct sockaddr_storage *out);
/* Register with another MGC (MGC-directed HandOff/Failover): ServiceChange
 * HandOff, "903 MGC Directed Change", retried until answered. */
void agw_handoff(agw_t *agw, const struct sockaddr_storage *to);
h248_msg_t *agw_new_msg(agw_t *agw);
void agw_maybe_finish_close(agw_t *agw);

/* Test hooks (tests/unit/test-agw-exec.c, fuzz/fuzz-agw-exec.c), on a gateway
 * made by agw_create() and not run: agw__registered() marks it registered
 * (or not) without a ServiceChange; agw__input() hands one datagram to the
 * transaction layer as if the MGC (agw.mgc) had sent it, then runs the loop
 * once without blocking; replies go to agw.mgc over UDP as usual.
 * agw__reset() releases every context. */
void agw__registered(agw_t *agw, int yes);
int agw__input(agw_t *agw, const void *data, size_t len);
void agw__reset(agw_t *agw);
uint64_t agw__executed(const agw_t *agw);

/* exec.c: answer one request transaction from the MGC. */
void agw_exec_request(agw_t *agw, h248_tl_txn_t *txn, h248_msg_t *msg, const h248_trans_t *req);

/* media.c */
/* Bring the media of t (all its streams) in line with the model after an
 * Add/Modify: create endpoints, apply remotes, signals, modes, relays.
 * Errors: -510/-500/-449 with e set. On error for a new termination the
 * caller deletes it (after agw_media_release). */
int agw_media_apply(agw_t *agw, agw_term_t *t, int is_add, agw_err_t *e);
/* Allocate the local side of stream s (port + endpoint) for Local "$". */
int agw_media_reserve(agw_t *agw, agw_term_t *t, agw_stream_t *s, agw_err_t *e);
/* Release every endpoint and port of t (asynchronous closes are counted in
 * agw->media_closing). */
void agw_media_release(agw_t *agw, agw_term_t *t);
/* One stream of t is deleted by Modify (not T1's stream 1): a data channel
 * is closed by an outgoing SCTP stream reset (RFC 8831 6.7), a T2 stream's
 * TCP connection is closed and its port given back. The caller then clears
 * the slot. */
void agw_media_remove_stream(agw_t *agw, agw_term_t *t, agw_stream_t *s);
/* Fill s->local with the values we chose (for the reply). */
void agw_media_local_sdp(agw_t *agw, agw_term_t *t, agw_stream_t *s, char *out, size_t len);
/* Statistics of a termination (for Subtract/AuditValue replies). */
void agw_media_stats(agw_term_t *t, uint64_t *os, uint64_t *orx);
/* Heartbeat and other periodic work (1 s tick). */
void agw_media_tick(agw_t *agw);

#endif /* WG_AGW_INT_H */
