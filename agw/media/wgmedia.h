/* wgmedia.h -- the one public header of libwgmedia, the eIMS-AGW user plane.
 *
 * Used by the gateway (agw/: terminations T1 and T2 and the relay between
 * them) and by the scenario tool (scenarios/: the WIC side and UE-B).
 *
 *   UDP port ── STUN (ICE-lite responder | controlling agent, consent)
 *            └─ DTLS 1.2 (memory BIOs, MTU 1200) ── SCTP (usrsctp, AF_CONN)
 *                                                   └─ data channels
 *                                                      (SDP-negotiated | DCEP)
 *   TCP port ── MSRP framer (one message per unit)
 *   relay: one data-channel stream <-> one TCP endpoint, one MSRP message per
 *          data-channel message, never rewritten, back-pressure both ways.
 *
 * Conventions (libuv style)
 * - Every function that can fail returns int: 0 (or a documented
 *   non-negative value) on success, a negative errno value on error. The
 *   errors each function returns are listed next to it. A function that
 *   returns an error never calls a callback for that call.
 * - THREADS: one wgm_ctx per process, bound to one uv loop. Every function
 *   of this header except the pure codecs (STUN, MSRP framer, DCEP,
 *   wgm_strerror) must be called on that loop's thread. usrsctp is process
 *   global; this library is its only user and calls it only on that thread
 *   (usrsctp_init_nothreads, timers from a uv timer).
 * - MEMORY: endpoints (wgm_dc_t, wgm_tcp_t, wgm_relay_t) are allocated by the
 *   library and freed by it after their close callback has returned. After
 *   wgm_*_close() the object gets no callback other than its close callback.
 *   Buffers passed to callbacks are only valid during the callback. Strings
 *   and arrays in *_config structs are copied: the caller may free them when
 *   the call returns.
 * - CALLBACKS are never called from inside the API function that caused
 *   them (e.g. wgm_dc_send never calls `message` or `writable`): they run
 *   from the loop. Inside a callback the caller may call any function of
 *   this header, including wgm_dc_close on the same endpoint.
 * - No logging: the library reports through return values, callbacks and
 *   statistics; the application logs.
 */
#ifndef WG_MEDIA_H
#define WG_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Text for a status returned by this library ("address in use", ...). */
const char *wgm_strerror(int err);

/* ======================================================================
 * STUN codec (RFC 5389 / RFC 8445 attributes). Pure: no I/O, no state.
 * ====================================================================== */

#define WGM_STUN_BINDING_REQUEST 0x0001
#define WGM_STUN_BINDING_SUCCESS 0x0101
#define WGM_STUN_BINDING_ERROR 0x0111
#define WGM_STUN_BINDING_INDICATION 0x0011

#define WGM_STUN_MAGIC 0x2112A442u

/* A parsed STUN message. Pointers point into the parsed buffer. */
typedef struct wgm_stun_msg {
  uint16_t type;          /* e.g. WGM_STUN_BINDING_REQUEST */
  uint16_t length;        /* header length field (bytes after the header) */
  uint8_t tid[12];        /* transaction id */
  const char *username;   /* USERNAME, not NUL-terminated, or NULL */
  size_t username_len;
  const char *software;   /* SOFTWARE, or NULL */
  size_t software_len;
  int has_priority;
  uint32_t priority;
  int use_candidate;      /* USE-CANDIDATE present */
  int ice_controlling;    /* ICE-CONTROLLING present (tiebreaker below) */
  int ice_controlled;     /* ICE-CONTROLLED present */
  uint64_t tiebreaker;
  int has_mapped;         /* XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) found */
  struct sockaddr_storage mapped;
  int error_code;         /* ERROR-CODE class*100+number, 0 when absent */
  const char *error_reason; /* reason phrase (not NUL-terminated) */
  size_t error_reason_len;
  size_t integrity_off;   /* offset of the MESSAGE-INTEGRITY attribute, 0 = absent */
  size_t fingerprint_off; /* offset of the FINGERPRINT attribute, 0 = absent */
  int fingerprint_ok;     /* 1 when FINGERPRINT present and correct */
  int unknown_required;   /* an unknown comprehension-required attribute (< 0x8000) */
} wgm_stun_msg_t;

/* 1 when buf looks like STUN (first byte 0..3, length multiple of 4 and
 * matching, magic cookie), else 0. */
int wgm_stun_is_stun(const void *buf, size_t len);

/* Parse a STUN message. Attributes after MESSAGE-INTEGRITY other than
 * FINGERPRINT are ignored (RFC 5389 15.4).
 * Errors: -EINVAL (NULL args), -EBADMSG (not STUN, truncated or malformed
 * attribute, bad FINGERPRINT value). */
int wgm_stun_parse(const void *buf, size_t len, wgm_stun_msg_t *out);

/* Check MESSAGE-INTEGRITY (HMAC-SHA1, short-term key = the password bytes;
 * SASLprep is the identity for the ASCII ICE passwords used here).
 * Errors: -ENOENT (no MESSAGE-INTEGRITY), -EACCES (mismatch), -EINVAL. */
int wgm_stun_check_integrity(const void *buf, size_t len, const wgm_stun_msg_t *msg,
                             const void *key, size_t keylen);

/* What to build. Zero the struct, then set the fields you want. */
typedef struct wgm_stun_build {
  uint16_t type;
  uint8_t tid[12];
  /* attributes are written in this order: SOFTWARE, PRIORITY, USE-CANDIDATE,
   * ICE-CONTROLLING/CONTROLLED, USERNAME, XOR-MAPPED-ADDRESS, ERROR-CODE,
   * MESSAGE-INTEGRITY, FINGERPRINT (the order of the RFC 5769 vectors) */
  const char *username;         /* USERNAME (NUL-terminated) or NULL */
  const char *software;         /* SOFTWARE or NULL */
  uint32_t priority;            /* PRIORITY when != 0 */
  int use_candidate;            /* USE-CANDIDATE */
  int ice_role;                 /* 0 none, 1 ICE-CONTROLLING, 2 ICE-CONTROLLED */
  uint64_t tiebreaker;
  const struct sockaddr *xor_mapped; /* XOR-MAPPED-ADDRESS or NULL */
  int error_code;               /* ERROR-CODE when != 0 (e.g. 400, 401, 487) */
  const char *error_reason;     /* its reason phrase (NULL: a standard one) */
  const void *integrity_key;    /* MESSAGE-INTEGRITY with this key, or NULL */
  size_t integrity_keylen;
  int fingerprint;              /* add FINGERPRINT (last) */
  uint8_t pad_byte;             /* value of padding bytes (0 normally) */
} wgm_stun_build_t;

/* Encode into out[cap]. Returns the length (> 0).
 * Errors: -EINVAL (bad field), -ENOSPC (cap too small). */
int wgm_stun_build(const wgm_stun_build_t *b, void *out, size_t cap);

/* CRC-32 (ITU V.42) as used by FINGERPRINT (before the xor). */
uint32_t wgm_crc32(const void *buf, size_t len);

/* ======================================================================
 * MSRP framer (RFC 4975 section 7). Pure and incremental: no I/O, no copy.
 *
 * The caller keeps the unconsumed bytes of a TCP stream in one buffer that
 * starts at the first byte of a message, and calls wgm_msrp_frame() with
 * the whole buffer each time bytes are appended. The framer remembers how
 * far it has scanned, so feeding byte by byte costs O(n) overall. When it
 * returns a length n > 0, bytes [0, n) are one complete message (request or
 * response including its end-line and CRLF); the caller removes them and
 * calls again with the rest (the framer has reset itself). The message bytes
 * are never modified.
 * ====================================================================== */

#define WGM_MSRP_NEED_MORE 0 /* not an error: give me more bytes */

#define WGM_MSRP_TID_MAX 32

typedef struct wgm_msrp_frame {
  int is_request;             /* 1 request, 0 response */
  char tid[WGM_MSRP_TID_MAX + 1]; /* transaction id, NUL-terminated */
  char method[16];            /* request method ("SEND", "REPORT", ...) */
  int status;                 /* response status code (100..999) */
  size_t header_len;          /* bytes of start line + headers (incl. CRLFs) */
  size_t body_off, body_len;  /* body (body_len 0 when none) */
  char flag;                  /* continuation flag '$', '+' or '#' */
  size_t len;                 /* total message length */
} wgm_msrp_frame_t;

typedef struct wgm_msrp_framer {
  size_t max_size;   /* a message longer than this is an error (0: 1 MiB) */
  /* private: */
  int state;
  size_t scan;
  size_t hdr_end;
  wgm_msrp_frame_t cur;
} wgm_msrp_framer_t;

/* Initialise (or reset) a framer. max_size 0 means 1 MiB. */
void wgm_msrp_framer_init(wgm_msrp_framer_t *f, size_t max_size);

/* Returns n > 0 (a complete message of n bytes; *out describes it),
 * WGM_MSRP_NEED_MORE (0), or an error:
 *   -EBADMSG  bad framing: start line not "MSRP SP tid SP (method|code...)",
 *             bad transaction id, header line without ':' or control
 *             characters, end-line with another tid or flag, garbage;
 *   -EMSGSIZE the message exceeds max_size before its end-line was found.
 * After an error the stream cannot be resynchronised: close it. The buffer
 * passed must start with the same bytes as on the previous call. */
int wgm_msrp_frame(wgm_msrp_framer_t *f, const void *buf, size_t len, wgm_msrp_frame_t *out);

/* ======================================================================
 * DCEP codec (RFC 8832). Pure.
 * ====================================================================== */

#define WGM_DCEP_ACK 0x02
#define WGM_DCEP_OPEN 0x03

#define WGM_DC_RELIABLE 0x00
#define WGM_DC_RELIABLE_UNORDERED 0x80
#define WGM_DC_PARTIAL_RELIABLE_REXMIT 0x01
#define WGM_DC_PARTIAL_RELIABLE_REXMIT_UNORDERED 0x81
#define WGM_DC_PARTIAL_RELIABLE_TIMED 0x02
#define WGM_DC_PARTIAL_RELIABLE_TIMED_UNORDERED 0x82

/* PPIDs (RFC 8831 / IANA). */
#define WGM_PPID_DCEP 50
#define WGM_PPID_STRING 51
#define WGM_PPID_BINARY_PARTIAL 52
#define WGM_PPID_BINARY 53
#define WGM_PPID_STRING_PARTIAL 54
#define WGM_PPID_STRING_EMPTY 56
#define WGM_PPID_BINARY_EMPTY 57

typedef struct wgm_dcep_open {
  uint8_t channel_type;   /* WGM_DC_* */
  uint16_t priority;
  uint32_t reliability;   /* retransmissions or lifetime (ms) */
  const char *label;      /* not NUL-terminated; points into the buffer */
  size_t label_len;
  const char *protocol;
  size_t protocol_len;
} wgm_dcep_open_t;

/* Returns the message type (WGM_DCEP_OPEN, fills *open; or WGM_DCEP_ACK).
 * Errors: -EBADMSG (empty, truncated, lengths beyond the buffer, unknown
 * channel type, trailing bytes), -ENOTSUP (unknown message type), -EINVAL. */
int wgm_dcep_parse(const void *buf, size_t len, wgm_dcep_open_t *open);
/* Encode; return the length or -ENOSPC / -EINVAL (label/protocol > 65535). */
int wgm_dcep_build_open(const wgm_dcep_open_t *open, void *out, size_t cap);
int wgm_dcep_build_ack(void *out, size_t cap);

/* ======================================================================
 * Certificate: ECDSA P-256, self-signed, shared by endpoints. Refcounted.
 * ====================================================================== */

typedef struct wgm_cert wgm_cert_t;

/* Generate a fresh self-signed ECDSA P-256 certificate (CN "wicgate").
 * Errors: -ENOMEM, -EIO (OpenSSL failure). */
int wgm_cert_generate(wgm_cert_t **out);
/* Load a certificate and its private key from PEM files (key may be in the
 * certificate file: pass key_path NULL). err gets "path: reason".
 * Errors: -ENOENT/-EACCES (file), -EINVAL (not PEM / key mismatch), -ENOMEM. */
int wgm_cert_load(const char *cert_path, const char *key_path, wgm_cert_t **out,
                  char *err, size_t errlen);
/* "sha-256 AB:CD:..." (the value of an SDP a=fingerprint). Lives as long as
 * the certificate. */
const char *wgm_cert_fingerprint(const wgm_cert_t *cert);
void wgm_cert_ref(wgm_cert_t *cert);
void wgm_cert_unref(wgm_cert_t *cert);

/* ======================================================================
 * Context: one per process and uv loop.
 * ====================================================================== */

typedef struct wgm_ctx wgm_ctx_t;

typedef struct wgm_ctx_options {
  wgm_cert_t *cert;  /* referenced by the ctx; NULL: generate one */
} wgm_ctx_options_t;

/* Create the context on `loop`: initialises usrsctp (refcounted: the first
 * ctx calls usrsctp_init_nothreads, the last one usrsctp_finish) and starts
 * its timer. opt may be NULL.
 * Errors: -EBUSY (a ctx on another loop exists), -ENOMEM, -EIO. */
int wgm_ctx_new(uv_loop_t *loop, const wgm_ctx_options_t *opt, wgm_ctx_t **out);
/* Start closing the context. Every endpoint must be closed before (their
 * close callbacks called); returns -EBUSY otherwise. The memory is released
 * from a handle close callback: run the loop afterwards (uv_run) until it
 * has no more handles, as usual with libuv. */
int wgm_ctx_free(wgm_ctx_t *ctx);
wgm_cert_t *wgm_ctx_cert(wgm_ctx_t *ctx);
uv_loop_t *wgm_ctx_loop(wgm_ctx_t *ctx);

/* ======================================================================
 * DC endpoint: one UDP port with ICE (lite or controlling), DTLS, SCTP and
 * data channels. One per access-side termination (T1) / per WIC.
 * ====================================================================== */

typedef struct wgm_dc wgm_dc_t;

enum wgm_ice_mode {
  WGM_ICE_LITE = 0,        /* gateway: answer checks, latch the nominated peer */
  WGM_ICE_CONTROLLING = 1, /* WIC side: full agent, aggressive nomination */
  WGM_ICE_NONE = 2,        /* no STUN: the peer is remote_addr, or the first
                              source of a DTLS datagram when remote_addr unset */
};

enum wgm_dtls_role {
  WGM_DTLS_CLIENT = 0, /* active: sends the ClientHello */
  WGM_DTLS_SERVER = 1, /* passive: answers it (with a CertificateRequest) */
};

enum wgm_dtls_fail {
  WGM_DTLS_FAIL_TIMEOUT = 1,     /* no handshake within dtls_timeout_ms */
  WGM_DTLS_FAIL_ALERT = 2,       /* fatal alert received or other TLS error */
  WGM_DTLS_FAIL_FINGERPRINT = 3, /* peer certificate matches no expected fingerprint */
};
/* "timeout", "alert", "fingerprint-mismatch". */
const char *wgm_dtls_fail_name(enum wgm_dtls_fail reason);

/* Why a message or datagram was dropped (the index of wgm_dc_stats.drops). */
enum wgm_drop {
  WGM_DROP_UNKNOWN_PROTO = 0, /* first byte not STUN or DTLS (RFC 7983) */
  WGM_DROP_STUN_BAD,          /* malformed STUN / bad FINGERPRINT */
  WGM_DROP_STUN_AUTH,         /* wrong USERNAME or MESSAGE-INTEGRITY (answered 400/401) */
  WGM_DROP_NOT_LATCHED,       /* DTLS from an address that is not the peer */
  WGM_DROP_DTLS_EARLY,        /* DTLS before the endpoint accepts it */
  WGM_DROP_DTLS_BAD,          /* DTLS record that does not decrypt / after failure */
  WGM_DROP_SCTP_BAD,          /* SCTP data before SCTP exists */
  WGM_DROP_TOO_BIG,           /* received message > local_max_message_size */
  WGM_DROP_NO_CHANNEL,        /* message on a stream with no open channel */
  WGM_DROP_BAD_PPID,          /* unknown PPID (the channel is closed, RFC 8831) */
  WGM_DROP_DCEP_BAD,          /* malformed DCEP message */
  WGM_DROP_LOSS_TEST,         /* dropped by the loss-injection test hook */
  WGM_DROP_SEND_FAIL,         /* UDP send error */
  WGM_DROP__COUNT
};
const char *wgm_drop_name(enum wgm_drop d); /* "unknown-proto", ... */

typedef struct wgm_dc_stats {
  uint64_t udp_rx_packets, udp_rx_bytes;
  uint64_t udp_tx_packets, udp_tx_bytes;
  uint64_t stun_rx, stun_tx;
  uint64_t dtls_rx, dtls_tx;          /* datagrams */
  uint64_t dtls_retransmits;          /* handshake timer expiries */
  uint64_t msgs_rx, msg_bytes_rx;     /* data-channel messages delivered */
  uint64_t msgs_tx, msg_bytes_tx;     /* data-channel messages accepted by SCTP */
  uint64_t send_eagain;               /* wgm_dc_send returned -EAGAIN */
  uint64_t rtt_probes;                /* heartbeat bursts of the RTT repair */
  uint64_t drops[WGM_DROP__COUNT];
} wgm_dc_stats_t;

/* Channel properties (open request and open event). */
typedef struct wgm_channel_info {
  uint16_t sid;
  int negotiated;          /* 1: SDP-negotiated (no DCEP); 0: DCEP */
  uint8_t channel_type;    /* WGM_DC_* (reliability / ordering) */
  uint32_t reliability;    /* max retransmissions or lifetime ms */
  uint16_t priority;
  const char *label;       /* NUL-terminated ("" when none) */
  const char *protocol;    /* subprotocol, e.g. "MSRP" */
} wgm_channel_info_t;

/* Events of a DC endpoint. Any member may be NULL. */
typedef struct wgm_dc_callbacks {
  /* ICE: a peer was nominated (lite: valid check with USE-CANDIDATE, or the
   * first valid check; controlling: success response to our nominating
   * check) and its address latched. Called again if the peer moves. */
  void (*ice_connected)(wgm_dc_t *dc, const struct sockaddr *peer);
  /* DTLS handshake done and the peer fingerprint verified. */
  void (*dtls_connected)(wgm_dc_t *dc);
  /* DTLS failed; the endpoint stops (close it). detail is a short text. */
  void (*dtls_failed)(wgm_dc_t *dc, enum wgm_dtls_fail reason, const char *detail);
  /* The SCTP association is up (channels can be used). */
  void (*sctp_up)(wgm_dc_t *dc);
  /* The association is gone (peer ABORT/SHUTDOWN, DTLS close_notify, or
   * consent lost). err: -ECONNRESET, -ECONNABORTED, -ETIMEDOUT. */
  void (*sctp_lost)(wgm_dc_t *dc, int err);
  /* A channel is open: a negotiated one once SCTP is up (or at once when it
   * already is), a DCEP one when the peer's OPEN arrived (we ACK it) or
   * when our OPEN got its ACK. */
  void (*channel_open)(wgm_dc_t *dc, const wgm_channel_info_t *info);
  /* The channel was closed (stream reset done in both directions, or the
   * association went away). */
  void (*channel_closed)(wgm_dc_t *dc, uint16_t sid);
  /* One complete message (partial deliveries reassembled). An empty
   * message (PPID 56/57) has len 0. Not called for a stream glued to a
   * relay. */
  void (*message)(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const uint8_t *data,
                  size_t len);
  /* After wgm_dc_send returned -EAGAIN: there is room again. */
  void (*writable)(wgm_dc_t *dc);
  /* No valid STUN from (lite) / no answer to our checks by (controlling)
   * the peer for consent_timeout_ms (RFC 7675). The endpoint stops
   * sending; close it. */
  void (*consent_lost)(wgm_dc_t *dc);
  /* A received message was dropped (too big, bad PPID, no channel...). */
  void (*dropped)(wgm_dc_t *dc, uint16_t sid, enum wgm_drop why, size_t len);
  /* NSS key-log line ("CLIENT_RANDOM <hex> <hex>") for Wireshark. */
  void (*keylog)(wgm_dc_t *dc, const char *line);
  /* The SCTP RTT estimate was found inflated above RTO.max (3 s) and a
   * burst of heartbeats was sent to re-measure the path, because usrsctp
   * would otherwise not retransmit a lost chunk for up to 3 x the first
   * RTT sample (doc/reliability.md, "usrsctp retransmission stall").
   * stalled: 0 found right after the association came up, 1 found by the
   * watchdog (data unacknowledged, no progress for longer than RTO.max).
   * srtt_ms: usrsctp's smoothed RTT at that moment. For logging. */
  void (*rtt_probe)(wgm_dc_t *dc, int stalled, uint32_t srtt_ms);
  /* Every UDP datagram sent (outgoing 1) or received (0), for pcap. */
  void (*tap)(wgm_dc_t *dc, int outgoing, const struct sockaddr *src,
              const struct sockaddr *dst, const uint8_t *data, size_t len);
} wgm_dc_callbacks_t;

typedef struct wgm_dc_config {
  /* --- local UDP socket: one of --- */
  /* (a) bind to bind_addr (127.0.0.1, ::, ...; NULL: 0.0.0.0) on a port in
   *     [port_min, port_max] (both 0: any port the system chooses; a single
   *     port: port_min == port_max); */
  const struct sockaddr *bind_addr;
  uint16_t port_min, port_max;
  /* (b) or use this already bound UDP socket (>= 0; the library owns and
   *     closes it). Set to -1 to use (a). */
  uv_os_sock_t sock;

  /* --- ICE --- */
  enum wgm_ice_mode ice;
  const char *local_ufrag, *local_pwd;   /* NULL: random (32 bits / 128 bits) */
  const char *remote_ufrag, *remote_pwd; /* may be set later */
  /* The peer's candidate (controlling / no ICE). Lite ignores it until ICE
   * latches a peer. May be set later (wgm_dc_set_remote). */
  const struct sockaddr *remote_addr;
  uint32_t consent_timeout_ms;           /* 0: 30000 */
  uint32_t ice_check_interval_ms;        /* controlling: first RTO, 0: 50 */

  /* --- DTLS --- */
  enum wgm_dtls_role role;
  /* Expected peer fingerprints, each "sha-256 AB:CD:..." (also sha-1,
   * sha-384, sha-512; case-insensitive). At least one is required unless
   * accept_any_fingerprint is set (tests, aiortc probing). */
  const char *const *remote_fingerprints;
  size_t n_remote_fingerprints;
  int accept_any_fingerprint;
  /* Client: start the handshake as soon as a peer is known (instead of
   * waiting for wgm_dc_start_dtls). */
  int dtls_autostart;
  uint32_t dtls_timeout_ms;              /* whole handshake, 0: 20000 */

  /* --- SCTP --- */
  uint16_t local_sctp_port, remote_sctp_port; /* 0: 5000 */
  size_t local_max_message_size;  /* largest we accept, 0: 262144 */
  size_t remote_max_message_size; /* largest the peer accepts, 0: 65536 (RFC 8841) */
  /* SCTP streams each way offered in INIT: 0 means 65535 (RFC 8831). Each
   * stream costs usrsctp memory and INIT processing time (about 6.5 MB and
   * 10+ ms per association for 65535 on a small machine): a gateway that
   * knows its stream ids are small may offer fewer (stream ids must be
   * below the number the association ends up with). */
  uint16_t sctp_streams;

  const wgm_dc_callbacks_t *cb;   /* copied */
  void *data;                     /* user pointer, see wgm_dc_get_data */
} wgm_dc_config_t;

/* Fill a config with defaults (sock = -1, everything else 0/NULL). */
void wgm_dc_config_init(wgm_dc_config_t *cfg);

/* Create a DC endpoint and bind its UDP port.
 * Errors: -EINVAL (bad config, e.g. port_min > port_max, no fingerprint,
 *         bad fingerprint text), -EADDRINUSE (the single requested port is
 *         taken), -ENOSPC (every port of the range is taken),
 *         -EADDRNOTAVAIL (bind_addr not local), -ENOMEM, other -errno. */
int wgm_dc_new(wgm_ctx_t *ctx, const wgm_dc_config_t *cfg, wgm_dc_t **out);

/* Close: SCTP ABORT + DTLS close_notify when connected, then the UDP
 * handle. close_cb (may be NULL) runs from the loop; the memory is freed
 * after it returns. Idempotent (a second call does nothing). */
void wgm_dc_close(wgm_dc_t *dc, void (*close_cb)(wgm_dc_t *dc));

void *wgm_dc_get_data(const wgm_dc_t *dc);
void wgm_dc_set_data(wgm_dc_t *dc, void *data);
/* The bound local port / address. */
uint16_t wgm_dc_port(const wgm_dc_t *dc);
int wgm_dc_local_addr(const wgm_dc_t *dc, struct sockaddr_storage *out);
/* Local ICE credentials (generated or configured). Live as long as dc. */
const char *wgm_dc_local_ufrag(const wgm_dc_t *dc);
const char *wgm_dc_local_pwd(const wgm_dc_t *dc);
/* Our certificate fingerprint, "sha-256 AB:CD:..." (the ctx's cert). */
const char *wgm_dc_fingerprint(const wgm_dc_t *dc);
/* The latched peer, or -ENOTCONN. */
int wgm_dc_peer_addr(const wgm_dc_t *dc, struct sockaddr_storage *out);

/* Update remote parameters later (H.248 Modify, SDP answer). NULL / 0
 * leaves a value unchanged. Before DTLS has started only, else -EISCONN.
 * Errors: -EINVAL (bad fingerprint text), -EISCONN. */
int wgm_dc_set_remote(wgm_dc_t *dc, const char *ufrag, const char *pwd,
                      const struct sockaddr *addr, const char *const *fingerprints,
                      size_t n_fingerprints);
int wgm_dc_set_sctp(wgm_dc_t *dc, uint16_t remote_sctp_port, size_t remote_max_message_size);

/* Start DTLS (the tlsest signal). Client: sends the ClientHello now if a
 * peer is known (latched by ICE, or remote_addr with WGM_ICE_NONE), else as
 * soon as ICE latches one. Server: accept ClientHellos from now on (before,
 * they are dropped and counted WGM_DROP_DTLS_EARLY, unless
 * dtls_autostart). Calling it twice is harmless.
 * Errors: -EALREADY is never returned; -EPIPE when the endpoint failed. */
int wgm_dc_start_dtls(wgm_dc_t *dc);

/* Open a channel. info->negotiated 1: by stream id, no DCEP (RFC 8864);
 * the channel_open callback follows when SCTP is up. 0: send DCEP OPEN
 * (now or when SCTP comes up); channel_open when the ACK arrives. label and
 * protocol are copied. Stream ids: any 0..65534 for negotiated; for DCEP the
 * DTLS client uses even and the server odd ids (RFC 8832).
 * Errors: -EINVAL (sid 65535, bad type), -EEXIST (sid in use),
 *         -EPIPE (endpoint failed / closing). */
int wgm_dc_open_channel(wgm_dc_t *dc, const wgm_channel_info_t *info);

/* Close a channel: outgoing stream reset (RFC 8831 6.7), after queued data.
 * channel_closed follows when the peer has reset its side.
 * Errors: -ENOENT (no such channel). */
int wgm_dc_close_channel(wgm_dc_t *dc, uint16_t sid);

/* Send one message on an open channel. ppid 0 picks WGM_PPID_BINARY (or
 * WGM_PPID_BINARY_EMPTY for len 0); an empty message is sent as one zero
 * byte with the Empty PPID. The bytes are copied (into SCTP) before return.
 * Returns 0 or:
 *   -EAGAIN   SCTP send buffer full, nothing sent; `writable` follows;
 *   -EMSGSIZE len > remote max-message-size (nothing sent);
 *   -ENOTCONN SCTP not up yet, or channel not open (DCEP OPEN not ACKed);
 *   -ENOENT   no such channel;  -EINVAL bad ppid;  -EPIPE endpoint failed. */
int wgm_dc_send(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const void *data, size_t len);

/* Stop / resume reading from SCTP (receive window fills, the peer's sender
 * blocks). Used by the relay when TCP cannot take more. */
void wgm_dc_pause_read(wgm_dc_t *dc, int paused);

void wgm_dc_get_stats(const wgm_dc_t *dc, wgm_dc_stats_t *out);

/* Change the consent timeout (ms, 0: 30000) from now on; the silence
 * counted so far is kept. */
void wgm_dc_set_consent_timeout(wgm_dc_t *dc, uint32_t ms);

/* TEST HOOK: drop each outgoing datagram with probability permille/1000,
 * from a PRNG seeded with seed (deterministic). 0 disables. */
void wgm_dc_set_loss(wgm_dc_t *dc, unsigned permille, uint32_t seed);

/* ======================================================================
 * TCP endpoint: one connection (IMS-side termination T2, or UE-B).
 * ====================================================================== */

typedef struct wgm_tcp wgm_tcp_t;

enum wgm_tcp_framing {
  WGM_TCP_MSRP = 0, /* read side delivers whole MSRP messages */
  WGM_TCP_RAW = 1,  /* read side delivers bytes as they arrive */
};

typedef struct wgm_tcp_stats {
  uint64_t rx_bytes, tx_bytes;
  uint64_t msgs_rx, msgs_tx;
  uint64_t framing_errors;
  uint64_t send_eagain;
  uint64_t rejected_connections; /* a second connection on a listener */
} wgm_tcp_stats_t;

typedef struct wgm_tcp_callbacks {
  /* Connection established (accepted or connected). */
  void (*connected)(wgm_tcp_t *t, const struct sockaddr *peer);
  /* Connection gone: 0 orderly close by the peer, -ECONNRESET, -ECONNREFUSED
   * (connect failed), -EBADMSG (MSRP framing error: we closed it),
   * -EMSGSIZE (message over max_message_size: we closed it), other -errno. */
  void (*closed)(wgm_tcp_t *t, int err);
  /* One complete MSRP message (or a chunk of bytes with WGM_TCP_RAW). Not
   * called when the endpoint is glued to a relay. */
  void (*message)(wgm_tcp_t *t, const uint8_t *data, size_t len);
  /* After wgm_tcp_send returned -EAGAIN: the write queue drained. */
  void (*writable)(wgm_tcp_t *t);
  /* TCP payload sent (outgoing 1) / received, for wg_pcap_tcp. */
  void (*tap)(wgm_tcp_t *t, int outgoing, const struct sockaddr *src,
              const struct sockaddr *dst, const uint8_t *data, size_t len);
} wgm_tcp_callbacks_t;

typedef struct wgm_tcp_config {
  int listen;                        /* 1: passive (a=setup:passive), 0: connect */
  const struct sockaddr *bind_addr;  /* listen: the address (NULL 0.0.0.0);
                                        connect: optional source address */
  uint16_t port_min, port_max;       /* listen port range (0,0: any) */
  const struct sockaddr *connect_addr; /* connect: the peer; may be NULL and
                                          given later to wgm_tcp_connect */
  enum wgm_tcp_framing framing;
  size_t max_message_size;           /* framer limit, 0: 1 MiB */
  size_t write_high_water;           /* -EAGAIN above this, 0: 256 KiB */
  const wgm_tcp_callbacks_t *cb;     /* copied */
  void *data;
} wgm_tcp_config_t;

void wgm_tcp_config_init(wgm_tcp_config_t *cfg);

/* Create; listen at once (listen=1) or connect when connect_addr is set.
 * Errors as wgm_dc_new (-EADDRINUSE, -ENOSPC, -EINVAL, ...). */
int wgm_tcp_new(wgm_ctx_t *ctx, const wgm_tcp_config_t *cfg, wgm_tcp_t **out);
/* Connect now (active endpoint created without connect_addr).
 * Errors: -EISCONN (already connected/connecting), -EINVAL (listener). */
int wgm_tcp_connect(wgm_tcp_t *t, const struct sockaddr *peer);
/* Close (listener and connection); close_cb as wgm_dc_close. */
void wgm_tcp_close(wgm_tcp_t *t, void (*close_cb)(wgm_tcp_t *t));
void *wgm_tcp_get_data(const wgm_tcp_t *t);
void wgm_tcp_set_data(wgm_tcp_t *t, void *data);
/* The listening (or local) port. */
uint16_t wgm_tcp_port(const wgm_tcp_t *t);
int wgm_tcp_is_connected(const wgm_tcp_t *t);
/* Queue one whole message (copied). Returns 0, or -EAGAIN (write queue above
 * write_high_water: nothing queued, `writable` follows), -ENOTCONN. */
int wgm_tcp_send(wgm_tcp_t *t, const void *data, size_t len);
/* Stop / resume reading the socket. */
void wgm_tcp_pause_read(wgm_tcp_t *t, int paused);
void wgm_tcp_get_stats(const wgm_tcp_t *t, wgm_tcp_stats_t *out);

/* ======================================================================
 * Relay: one data-channel stream <-> one TCP endpoint (MSRP, CEMA: never
 * rewritten). DC -> TCP: each data-channel message is written as it is.
 * TCP -> DC: the framer cuts whole MSRP messages; each is sent as one
 * data-channel message with PPID 53 (51 and 53 are accepted on receive).
 * Back-pressure: -EAGAIN from SCTP pauses TCP reading until `writable`; a
 * full TCP write queue pauses SCTP reading. Nothing is dropped silently: a
 * TCP-side message larger than the peer's max-message-size is answered on
 * TCP with "413" when it is a SEND request expecting a response (else just
 * dropped), counted, and reported by `dropped`.
 * While the TCP side is not connected yet, DC messages are held (SCTP
 * reading paused) and delivered on connect.
 * ====================================================================== */

typedef struct wgm_relay wgm_relay_t;

typedef struct wgm_relay_stats {
  uint64_t dc_to_tcp_msgs, dc_to_tcp_bytes;
  uint64_t tcp_to_dc_msgs, tcp_to_dc_bytes;
  uint64_t too_big;          /* TCP messages over the DC max-message-size */
  uint64_t answered_413;
  uint64_t answered_400;      /* MSRP framing errors answered before the close */
  uint64_t dc_paused, tcp_paused; /* times each side was paused */
} wgm_relay_stats_t;

typedef struct wgm_relay_callbacks {
  /* A message could not be relayed (err -EMSGSIZE), already counted. */
  void (*dropped)(wgm_relay_t *r, int from_tcp, int err, size_t len);
} wgm_relay_callbacks_t;

/* Glue stream sid of dc to tcp. While glued, dc's `message` callback is not
 * called for sid and tcp's `message` callback is not called, except for a
 * direction closed by wgm_relay_set_gates; the other
 * callbacks (connected, closed, channel_*, sctp_*, dtls_*) still reach the
 * owners. cb may be NULL. Both endpoints must outlive the relay: free the
 * relay (wgm_relay_free) before closing either endpoint. sid must be a
 * channel opened with wgm_dc_open_channel (open or still opening: TCP
 * reading waits until it is open).
 * Errors: -EEXIST (sid or tcp already glued), -EINVAL (no such channel,
 * bad arguments), -ENOMEM. */
int wgm_relay_new(wgm_dc_t *dc, uint16_t sid, wgm_tcp_t *tcp,
                  const wgm_relay_callbacks_t *cb, void *data, wgm_relay_t **out);
/* Unglue and free at once (no callback). Held messages are discarded and
 * counted. */
void wgm_relay_free(wgm_relay_t *r);
void *wgm_relay_get_data(const wgm_relay_t *r);
/* Open (1) or close (0) each direction of the relay (H.248 stream Mode).
 * A closed direction takes no new messages: they reach the source
 * endpoint's own `message` callback (dc's for DC -> TCP, tcp's for
 * TCP -> DC), where the owner holds them; messages the relay already queued
 * for back-pressure still go out. Both open after wgm_relay_new. */
void wgm_relay_set_gates(wgm_relay_t *r, int dc_to_tcp, int tcp_to_dc);
/* Send a DC -> TCP message the owner held, behind the relay's own queue
 * (order kept; the gate is not checked). 0 when sent or queued, -ENOMEM. */
int wgm_relay_send_to_tcp(wgm_relay_t *r, const uint8_t *data, size_t len);
/* The MSRP response (RFC 4975 7.2) that answers the SEND request [req,
 * req+len) with status (e.g. "413 Held queue full"): To-Path is the SEND's
 * first From-Path URI, From-Path its first To-Path URI. Returns its length
 * (written to out, cap bytes), or 0 when no answer is due: not a complete
 * SEND, a path missing, Failure-Report: no, or out too small. No I/O. */
size_t wgm_msrp_answer(const uint8_t *req, size_t len, const char *status, char *out,
                       size_t cap);
void wgm_relay_get_stats(const wgm_relay_t *r, wgm_relay_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* WG_MEDIA_H */
