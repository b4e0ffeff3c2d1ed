/* agw_model.h -- private to libwgagw: the MG's context / termination /
 * stream model, port pools, termination naming, and the SDP fragments of the
 * Local/Remote descriptors. Pure data structures: no I/O, no logging, so the
 * unit tests (tests/unit/test-agw-model.c) drive them directly.
 *
 * Termination naming (doc/agw.md): "ip/<n>/<realm>/<k>", n = 1 for the access
 * realm (T1, UDP: ICE/DTLS/SCTP), n = 2 for the core realm (T2, TCP/MSRP),
 * k a number unique among the MG's live terminations. Ids are compared
 * case-insensitively. Contexts are numbered from 1001 upwards, wrapping and
 * skipping numbers in use.
 *
 * Cost: contexts are indexed by id and terminations by their case-folded id
 * in chained hash tables owned by the model (grown by doubling, freed by
 * agw_model_clear), so agw_ctx_find / agw_ctx_new / agw_ctx_delete /
 * agw_term_find / agw_term_new / agw_term_delete are O(1) on average. Only
 * wildcard matching (agw_tid_match over the lists) scans. The lists
 * (m->ctxs via c->next, c->terms via t->next) stay valid for iteration;
 * the prev/hnext/tail/tab fields are the model's own bookkeeping: read-only
 * for everybody else.
 */
#ifndef WG_AGW_MODEL_H
#define WG_AGW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define AGW_TID_MAX 64      /* longest termination id we accept, with NUL */
#define AGW_MAX_STREAMS 16  /* H.248 streams per termination */
#define AGW_ERRTEXT_MAX 160

/* An H.248 error: code (H.248.1 §14) and the text that goes in quotes. */
typedef struct agw_err {
  int code;
  char text[AGW_ERRTEXT_MAX];
} agw_err_t;

/* Sets e (if not NULL) and returns -code, so callers can `return agw_fail(...)`. */
int agw_fail(agw_err_t *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------ port pools */

/* Ports lo..hi inclusive; a cursor spreads allocations round-robin so a port
 * just released is not reused at once. */
typedef struct agw_pool {
  uint16_t lo, hi;
  uint32_t cursor;
  uint32_t in_use;
  uint8_t *used; /* hi-lo+1 flags */
} agw_pool_t;

int agw_pool_init(agw_pool_t *p, uint16_t lo, uint16_t hi); /* -EINVAL, -ENOMEM */
void agw_pool_free(agw_pool_t *p);
/* Next free port (marked used), or -EAGAIN when the pool is exhausted. */
int agw_pool_take(agw_pool_t *p, uint16_t *port);
void agw_pool_give(agw_pool_t *p, uint16_t port);
uint32_t agw_pool_size(const agw_pool_t *p);
/* "41000-41999" or "41000" -> lo, hi. -EINVAL on bad text or lo > hi or 0. */
int agw_parse_range(const char *text, uint16_t *lo, uint16_t *hi);

/* --------------------------------------------------------- SDP fragments */

#define AGW_SDP_MAX_FP 4
/* One media description of a Local or Remote descriptor. A value the MGC
 * leaves to us is "$" (the *_choose flags). Only what the AGW uses is kept;
 * unknown a= lines are ignored (they are the ALG's business). */
typedef struct agw_sdp {
  int present;
  int ipv6;                 /* c=IN IP6 */
  int addr_choose;          /* c=IN IP4 $ */
  char addr[64];
  char media[16];           /* "message", "application" */
  int port_choose;
  uint32_t port;            /* 0..65535 */
  char proto[32];           /* "TCP", "TCP/MSRP", "UDP/DTLS/SCTP" */
  char fmt[32];             /* "-", "*", "webrtc-datachannel" */
  int sctp_port_choose, has_sctp_port;
  uint32_t sctp_port;
  int mms_choose, has_mms;
  uint32_t mms;             /* a=max-message-size */
  int fp_choose;            /* a=fingerprint:$ */
  int n_fp;
  char fp[AGW_SDP_MAX_FP][128]; /* "sha-256 AB:CD:.." */
  int ufrag_choose, pwd_choose;
  char ufrag[64], pwd[128]; /* a=ice-ufrag / a=ice-pwd */
  int ice_lite;
  char setup[16];           /* a=setup: active/passive/actpass/holdconn */
} agw_sdp_t;

/* Parse the octet string of a Local/Remote descriptor (one SDP, LF or CRLF,
 * surrounding blank/indented lines trimmed). Errors: -474 with e set
 * ("Invalid SDP syntax: <reason>"), -449 for a value we do not support (in
 * the text), -510 never. An empty descriptor gives present = 0 and 0. */
int agw_sdp_parse(const char *text, size_t len, agw_sdp_t *out, agw_err_t *e);

/* --------------------------------------------------------------- model */

enum agw_kind { AGW_KIND_ACCESS = 1, AGW_KIND_CORE = 2 };
enum agw_mode {
  AGW_MODE_INACTIVE = 0,
  AGW_MODE_SENDONLY,
  AGW_MODE_RECVONLY,
  AGW_MODE_SENDRECV,
  AGW_MODE_LOOPBACK,
};
const char *agw_mode_name(int mode);

struct agw_term;
struct agw_ctx;

typedef struct agw_stream {
  uint16_t id;
  int used;
  int mode;
  int sctpid;          /* sctp/sctpid, -1 when not set */
  uint16_t port;       /* allocated local port (T1 stream 1: UDP; T2: TCP) */
  int has_port;
  agw_sdp_t local;     /* what we answered */
  agw_sdp_t remote;    /* what the MGC told us */
  void *media;         /* owned by the media glue (agw_media.c) */
  /* statistics */
  uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes, dropped;
} agw_stream_t;

typedef struct agw_term {
  char id[AGW_TID_MAX];
  enum agw_kind kind;
  uint32_t num;
  struct agw_ctx *ctx;
  struct agw_term *next; /* in ctx */
  struct agw_term *prev; /* in ctx (model bookkeeping) */
  struct agw_term *hnext; /* hash chain (model bookkeeping) */
  uint32_t hash;          /* of the case-folded id (model bookkeeping) */
  /* stream slots: NULL until agw_stream_get creates one there; a removed
   * stream's slot keeps its memory (used = 0) until the termination goes.
   * Pointers, not an array of streams: a stream with its two SDP fragments
   * is ~2 KiB, and a termination has 1-3 of the 16 (bench P4) */
  agw_stream_t *streams[AGW_MAX_STREAMS];
  /* Events descriptor */
  int events_set;
  uint32_t events_rid;
  int ev_tlsfail, ev_tlsfail_stream;
  int ev_thb;
  uint32_t thb_timerx_ms;
  int ev_released;      /* bearer-released event armed */
  int tlsfail_notified; /* at most one Notify per armed descriptor */
  uint64_t thb_next_ms; /* next heartbeat Notify (loop time) */
  /* Signals descriptor */
  int sig_tlsest, sig_tlsest_stream;
  /* TerminationState */
  char groupse[64];
  int service_out;      /* ServiceStates = OutOfService */
  void *media;          /* owned by the media glue */
} agw_term_t;

typedef struct agw_ctx {
  uint32_t id;
  struct agw_ctx *next;
  agw_term_t *terms;
  unsigned n_terms;
  struct agw_ctx *prev;   /* in m->ctxs (model bookkeeping) */
  struct agw_ctx *hnext;  /* hash chain (model bookkeeping) */
  agw_term_t *terms_tail; /* last of terms (model bookkeeping) */
} agw_ctx_t;

typedef struct agw_model {
  agw_ctx_t *ctxs;
  unsigned n_ctxs, max_ctxs, max_terms_per_ctx;
  unsigned n_terms;
  uint32_t next_ctx;
  uint32_t next_term;
  /* hash tables (power-of-two sizes, NULL until first use) */
  agw_ctx_t **ctx_tab;
  size_t ctx_cap;
  agw_term_t **term_tab;
  size_t term_cap;
} agw_model_t;

void agw_model_init(agw_model_t *m, unsigned max_ctxs, unsigned max_terms_per_ctx);
/* Frees every context and termination and the hash tables; the media glue
 * must have released their media first. Idempotent; the model stays usable
 * (ids keep counting from where they were). */
void agw_model_clear(agw_model_t *m);

/* New context with a fresh id (the next number after the last one given,
 * from 1001, skipping live ids, wrapping to 1 before 0xFFFFFFF0). -510
 * (e: "Insufficient resources: ...") when max-contexts are in use or memory
 * is short. */
int agw_ctx_new(agw_model_t *m, agw_ctx_t **out, agw_err_t *e);
agw_ctx_t *agw_ctx_find(const agw_model_t *m, uint32_t id);
/* Unlinks and frees an (empty) context. A context that is not (or no longer)
 * in m is left alone. Terminations still in it are unlinked and freed too
 * (their media must have been released). */
void agw_ctx_delete(agw_model_t *m, agw_ctx_t *c);

/* New termination of `kind` in c with a fresh id. -510 when the context is
 * full (e: 434 semantics are folded into 510 only for capacity; a full
 * context gives -434). */
int agw_term_new(agw_model_t *m, agw_ctx_t *c, enum agw_kind kind, agw_term_t **out,
                 agw_err_t *e);
/* Case-insensitive id lookup among live terminations (exact id: a "*" in id
 * is a plain character here, use agw_tid_match for wildcards). NULL when
 * id is NULL or unknown. */
agw_term_t *agw_term_find(const agw_model_t *m, const char *id);
/* Unlinks from its context and frees; deletes the context when it becomes
 * empty (returns 1 then, else 0). */
int agw_term_delete(agw_model_t *m, agw_term_t *t);

/* Termination id syntax check: ROOT, "$", "*", or pathNAME characters
 * (ALPHA / DIGIT / "/" / "_" / "." / "-" / "*" / "@" / "$"), 1..63 chars.
 * Returns 0 or -410 (incorrect identifier). */
int agw_tid_check(const char *id, agw_err_t *e);
/* Wildcard match, case-insensitive: "*" matches one or more whole
 * characters within the id (e.g. "ip/1/" followed by a star). */
int agw_tid_match(const char *pattern, const char *id);
int agw_tid_is_wild(const char *id);

/* Stream by id; create = 1 makes it (mode Inactive, no sctpid). NULL when
 * the id is 0 or no slot is left. */
agw_stream_t *agw_stream_get(agw_term_t *t, uint16_t id, int create);

#endif /* WG_AGW_MODEL_H */
