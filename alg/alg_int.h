/* alg_int.h -- private to alg/: the structures shared by the proxy (SIP),
 * the call state machine and the MGC (H.248). Everything here runs on the
 * ALG thread (the su_root's thread) except the fields marked atomic. */
#ifndef WG_ALG_INT_H
#define WG_ALG_INT_H

#define SU_ROOT_MAGIC_T struct alg
#define NTA_AGENT_MAGIC_T struct alg
#define NTA_LEG_MAGIC_T struct alg
#define NTA_INCOMING_MAGIC_T struct alg_ptx
#define NTA_OUTGOING_MAGIC_T struct alg_ptx
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void

#include <stdatomic.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/tport.h>

#include "alg/alg.h"

typedef struct alg_ptx alg_ptx_t;
typedef struct alg_call alg_call_t;
typedef struct alg_agw alg_agw_t;

/* ------------------------------------------------------------ the ALG */

struct alg {
  const wg_config_t *cfg;
  su_home_t home[1];
  su_root_t *root;
  nta_agent_t *agent;
  nta_leg_t *defleg;
  wg_pcap_t *pcap;
  int pcap_no_h248; /* alg_set_capture_h248(alg, 0) */
  alg_ready_cb ready_cb;
  void *ready_arg;
  int ready_sent;
  alg_bound_cb bound_cb;
  void *bound_arg;

  /* config */
  char sip_listen[128];       /* HOST:PORT */
  char sip_host[64];
  unsigned sip_port;
  int sip_udp, sip_tcp;
  char *next_hop;             /* sip: URI or NULL */
  url_t *next_hop_url;
  struct sockaddr_storage next_hop_addr;  /* numeric next hop, else family 0 */
  int record_route;
  char h248_listen[128];
  char mid[160];
  char agw_list[512];
  long h248_timeout_ms, audit_interval_s, max_calls, agw_max_calls;
  long retry_after_s, timer_c_s, release_timeout_ms, long_timer_ms;

  /* SIP over WebSocket (ws.c, wsreg.c) */
  char ws_listen[128], wss_listen[128];  /* HOST:PORT or "" (off) */
  char ws_host[64], wss_host[64];         /* their host (no brackets) and port */
  unsigned ws_port, wss_port;
  sip_record_route_t *ws_rr, *wss_rr;     /* our WS-facing Record-Route entries */
  char *http_root;            /* static files, or NULL */
  void *tls_ctx;              /* SSL_CTX for wss-listen */
  char *registrar;            /* NULL: built-in test registrar */
  url_t *registrar_url;
  long ws_max_conns, ws_max_msg, ws_ping_s;
  void *ws;                   /* ws.c's private state */
  void *reg;                  /* wsreg.c's private state */

  sip_record_route_t *rr;     /* our Record-Route entry */
  struct sockaddr_storage sip_addr;

  /* stop / wake-up (written from any thread) */
  int wake_fd[2];
  su_wait_t wake_wait[1];
  int wake_index;
  atomic_int stop_req;        /* 0 none, 1 graceful, 2 now */
  int stopping;               /* graceful stop in progress */
  su_timer_t *stop_timer;
  uint64_t stop_deadline;
  atomic_uint ncalls_atomic;

  /* proxy transactions and calls */
  alg_ptx_t *ptxs;
  alg_call_t *calls;
  unsigned ncalls;

  /* MGC */
  int h248_fd;
  su_wait_t h248_wait[1];
  int h248_index;
  struct sockaddr_storage h248_addr;
  alg_agw_t *agws;
  unsigned nagws;
  unsigned rr_next;           /* round robin */
  uint32_t next_tid;
  su_timer_t *mgc_timer;      /* retransmissions, audits (every 100 ms) */
  void *mgc;                  /* mgc.c's private state */
  void *released;             /* call.c: calls the ALG ended lately (crossing BYEs) */
};

/* -------------------------------------------------------- proxy (SIP) */

/* One proxied transaction: server side (irq) + one client side (orq). */
struct alg_ptx {
  alg_t *alg;
  alg_ptx_t *next, **prev;
  nta_incoming_t *irq;
  nta_outgoing_t *orq;
  msg_t *req;                /* our copy of the request (the one we forward) */
  sip_method_t method;
  int status_sent;           /* final status sent upstream (0 none) */
  int status_recv;           /* best status received downstream */
  int cancelled;             /* CANCEL received from upstream */
  int lingering;             /* final sent: waiting for late 2xx */
  su_timer_t *linger_timer;
  alg_call_t *call;          /* a data-channel call (INVITE), or NULL */
  int dc;                    /* it was a data-channel call */
  struct sockaddr_storage src; /* where the request came from */
  int from_ims;              /* it came from alg.next-hop (the IMS side) */
  uint64_t ws_conn;          /* it came over this WebSocket connection (0: not) */
  url_t const *route;        /* forward there (REGISTER to alg.registrar) */
};

/* proxy.c */
int alg_proxy_start(alg_t *alg);
void alg_proxy_stop(alg_t *alg);
/* Forward ptx->req downstream (to next hop / Route / Request-URI). 0 or <0. */
int alg_proxy_forward(alg_ptx_t *t);
/* Answer upstream with our own response (status + Warning text if any). */
void alg_proxy_respond(alg_ptx_t *t, int status, const char *phrase, const char *warning,
                       int retry_after);
/* The same with extra header lines ("Name: value", CRLF-separated). */
void alg_proxy_respond_hdrs(alg_ptx_t *t, int status, const char *phrase, const char *warning,
                            const char *hdrs);
/* Relay a downstream response upstream (takes msg ownership). */
void alg_proxy_relay(alg_ptx_t *t, msg_t *resp);
/* CANCEL the downstream INVITE if pending. */
void alg_proxy_cancel_down(alg_ptx_t *t);
/* Detach the call from its ptx. */
void alg_ptx_release(alg_ptx_t *t);
/* Whether a Record-Route/Route URI is one of ours (SIP, ws or wss). */
int alg_rr_is_me(alg_t *alg, url_t const *u);
/* End the dialog of a 2xx to t's INVITE that is not relayed (its SDP has no
 * gateway behind it): ACK it, and when bye, BYE that dialog. */
void alg_proxy_kill_2xx(alg_ptx_t *t, sip_t const *sip, int bye);
/* Replace a message's body with an SDP text. 0 or -ENOMEM. */
int alg_msg_set_sdp(msg_t *msg, const char *sdp);
/* Capture a SIP message (sent=1: from us to its address; else to us). */
void alg_capture_sip(alg_t *alg, msg_t *msg, int sent);
/* Send an ALG-made request in a dialog (BYE/ACK); fire and forget. */
int alg_proxy_send_in_dialog(alg_t *alg, sip_method_t method, const char *name,
                             const url_t *ruri, sip_route_t const *route,
                             sip_from_t const *from, sip_to_t const *to,
                             sip_call_id_t const *cid, uint32_t cseq);

/* ------------------------------------------ SIP over WebSocket (ws.c) */

/* Each WebSocket connection (RFC 7118) is bridged to a TCP connection from
 * the ALG to its own SIP TCP listen address: nta sees every WS client as a
 * TCP client on that connection. */
/* Reads the alg.ws-*, alg.wss-listen, alg.tls-*, alg.http-root and
 * alg.registrar keys (loads the TLS certificate). 0 or -EINVAL (err). */
int alg_ws_config(alg_t *alg, const wg_config_t *cfg, char *err, size_t errlen);
void alg_ws_free(alg_t *alg);
int alg_ws_start(alg_t *alg);
void alg_ws_stop(alg_t *alg);
/* The WebSocket connection whose bridge connection has the local address
 * src (where nta saw a request come from), or 0. */
uint64_t alg_ws_conn_by_src(alg_t *alg, const struct sockaddr_storage *src);
/* A request came over WS connection id: remember its nta transport (for
 * requests towards the client) and its Contact URIs. */
void alg_ws_learn(alg_t *alg, uint64_t id, nta_incoming_t *irq, sip_t const *sip);
/* The nta transport of the WS connection that sent a Contact matching uri
 * (user, host, port), or NULL. */
tport_t *alg_ws_tport_for(alg_t *alg, url_t const *uri, uint64_t *id);
/* Whether the URI names a WebSocket client (transport=ws|wss). */
int alg_ws_uri_is_ws(url_t const *uri);
/* Whether the connection is wss (TLS). */
int alg_ws_conn_secure(alg_t *alg, uint64_t id);
/* "ws://HOST:PORT/" of a connection (for logs), "" if gone. */
const char *alg_ws_conn_name(alg_t *alg, uint64_t id);

/* wsreg.c: REGISTER (built-in test registrar or forward with Path) and
 * the bindings used to reach registered WebSocket clients. */
int alg_reg_start(alg_t *alg);
void alg_reg_stop(alg_t *alg);
/* A REGISTER from WS connection t->ws_conn. Returns 1 when answered here
 * (built-in), 0 when t->req was prepared to be forwarded (t->route). */
int alg_reg_register(alg_t *alg, alg_ptx_t *t, sip_t const *sip);
/* A response to a forwarded REGISTER: 2xx records the bindings. */
void alg_reg_response(alg_t *alg, alg_ptx_t *t, sip_t const *sip);
/* An initial request: Request-URI an AOR with a binding -> the R-URI of
 * t->req becomes the binding's contact (1); an AOR whose bindings are all
 * gone -> -1 (480); otherwise 0. */
int alg_reg_retarget(alg_t *alg, alg_ptx_t *t);
/* The WS connection closed: drop its bindings. */
void alg_reg_conn_closed(alg_t *alg, uint64_t id);
/* Housekeeping (expiry), every second. */
void alg_reg_tick(alg_t *alg);

/* wsutil.c: pure helpers (no I/O), unit-tested. */
/* Length of the first complete SIP message in a TCP byte stream after
 * *skip leading CR/LF bytes (keep-alives): >0, 0 = need more, -1 = bad or
 * larger than max. */
long alg_ws_sip_split(const char *buf, size_t len, size_t max, size_t *skip);
/* One WebSocket message -> one stream message: top Via WS/WSS -> TCP,
 * Content-Length added if absent. -EINVAL (*why) if the Content-Length
 * does not match the message; *out is malloc'd and NUL-terminated (the NUL
 * is not counted in *outlen); the same for alg_ws_from_stream. */
int alg_ws_to_stream(const char *in, size_t len, char **out, size_t *outlen, const char **why);
/* One stream message -> one WebSocket message: top Via TCP -> proto. */
int alg_ws_from_stream(const char *in, size_t len, const char *proto, char **out,
                       size_t *outlen);
int alg_ws_utf8_valid(const unsigned char *s, size_t n);
/* Sec-WebSocket-Accept for a Sec-WebSocket-Key; -EINVAL if the key is
 * not 16 bytes in base64. */
int alg_ws_accept_key(const char *key, char out[29]);
/* request-target -> path relative to the root (decoded; "" = the root).
 * 0, -400 (malformed / not origin-form), -403 (".", "..", "//", "\"),
 * -414 (too long). */
int alg_http_path(const char *target, char *out, size_t outlen);
const char *alg_http_mime(const char *path);

/* ------------------------------------------------------- calls (alg/call.c) */

/* An initial INVITE arrived (Max-Forwards done, ptx->req ready). Returns 1
 * when the call layer owns it (DC offer; it will forward or answer), 0 when
 * the proxy should forward it untouched. */
int alg_call_invite(alg_t *alg, alg_ptx_t *t, sip_t const *sip);
/* A downstream response for a call's INVITE. Takes msg ownership. */
void alg_call_response(alg_call_t *c, alg_ptx_t *t, msg_t *msg, sip_t const *sip);
/* The downstream INVITE transaction ended without a response (timeout). */
void alg_call_down_timeout(alg_call_t *c, alg_ptx_t *t, int status);
/* Upstream CANCELled the INVITE. */
void alg_call_cancelled(alg_call_t *c, alg_ptx_t *t);
/* An in-dialog INVITE/UPDATE inside a data-channel call (ptx->req ready):
 * returns 1 when the call layer owns the transaction (a re-offer it
 * processes, or answers with an error), 0 when the proxy forwards it. */
int alg_call_reoffer(alg_t *alg, alg_ptx_t *t, sip_t const *sip);
/* A BYE for a call the ALG itself ended lately (its BYEs crossed): answered
 * 200 here, never forwarded (the far side had the ALG's BYE). 1 = taken. */
int alg_call_bye_crossed(alg_t *alg, alg_ptx_t *t, sip_t const *sip);
/* A request inside a dialog passed through (BYE releases the call). */
void alg_call_in_dialog(alg_t *alg, sip_t const *sip);
/* A ptx of the call (its INVITE, or a re-offer's) is going away. */
void alg_call_ptx_gone(alg_call_t *c, alg_ptx_t *t);
/* Release every call (graceful stop / AGW lost). agw NULL = all. */
void alg_calls_release_agw(alg_t *alg, alg_agw_t *agw, const char *why);
void alg_call_free_all(alg_t *alg);
/* A WebSocket client is gone: release every call whose caller or callee
 * Contact is one of contacts (BYE/CANCEL/480 to the other side, Subtract). */
void alg_calls_release_contacts(alg_t *alg, url_t *const *contacts, int n, const char *why);

#endif /* WG_ALG_INT_H */
