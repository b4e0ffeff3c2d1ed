/* h248.h -- the one public header of libwgh248: H.248.1 text codec (Annex B),
 * in-memory message model, builders, and the Annex D.1 transaction layer.
 *
 * Plain libc only: no I/O (except through the transport interface the caller
 * implements), no logging, no global state. Every function is reentrant;
 * objects are not thread-safe (use one h248_tl_t per loop thread).
 *
 * Return convention (as libuv): functions returning int give 0 (or a length)
 * on success and a negative errno-style value on failure:
 *   -ENOMEM     out of memory
 *   -EINVAL     invalid argument (documented per function)
 *   -EBADMSG    the text is not a valid H.248 message; h248_error_info_t says
 *               which H.248 error code the peer should get, where and why
 *   -ENOSPC     a fixed-size output buffer is too small
 *   -ETIMEDOUT  (transaction layer callbacks) the peer never answered
 *   -ECANCELED  (transaction layer callbacks) the layer is being freed
 * Builders that return a pointer return NULL only when out of memory.
 *
 * MEMORY. A message (h248_msg_t) owns an arena: every node and string of the
 * message lives in it and is freed at once by h248_msg_free(). Nodes are never
 * freed one by one; strings are NUL-terminated and owned by the message. Build
 * or change messages only through the builders (they allocate from the right
 * arena) or by assigning strings made with h248_strdup(msg, ...). Reading the
 * structs directly is the intended way to walk a decoded message. Lists are
 * singly linked through `next`, in wire order. A message is reference counted
 * (h248_msg_ref / h248_msg_free) so that a caller can keep a decoded request
 * while it answers asynchronously.
 *
 * TOKENS. Input tokens are case-insensitive, long or compact (Annex B.2),
 * with optional "O-"/"W-" command prefixes, ";" comments, LF or CRLF. The
 * model stores *meaning*, not spelling: the encoder chooses long tokens with
 * 3-space indentation (H248_ENC_PRETTY, like the examples in
 * ../shared/spec/examples) or compact tokens without whitespace
 * (H248_ENC_COMPACT). Package/property/event/signal names (pkg/item) are kept
 * as written. The Iq tokens are in h248/h248_iq.h (included below).
 *
 * SDP (Local/Remote) is kept verbatim: "\}" is unescaped to "}" on input and
 * "}" escaped on output; leading white space / line ends after the "{" and
 * trailing spaces/tabs before the "}" (the indentation) are trimmed; a
 * non-empty SDP text that does not end in a line end gets "\r\n" appended, so
 * every decoded SDP text ends in "\n". Only a light check is made (every line
 * must look like "<letter>=", else error 474); parse it with sdp/.
 */
#ifndef WG_H248_H
#define WG_H248_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "h248/h248_iq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* =================================================================== model */

typedef struct h248_msg h248_msg_t;

/* ---- property values (propertyParm, statistics, event/signal parameters) ---- */

/* Relation between name and value: "=", "!=", "<", ">". */
typedef enum h248_rel {
  H248_REL_EQ = 0,
  H248_REL_NE,
  H248_REL_LT,
  H248_REL_GT,
} h248_rel_t;

/* Shape of the value. */
typedef enum h248_vkind {
  H248_VAL_NONE = 0, /* name only, no value (e.g. a statistic asked for in Audit,
                      * or an event parameter without value) */
  H248_VAL_SINGLE,   /* name = v             (n == 1) */
  H248_VAL_LIST,     /* name = [a, b, ...]   AND-list (n >= 1) */
  H248_VAL_RANGE,    /* name = [lo : hi]     (n == 2) */
  H248_VAL_ALT,      /* name = {a, b, ...}   alternatives, choose one (n >= 1) */
} h248_vkind_t;

typedef struct h248_value {
  char *str;  /* unquoted text, never NULL */
  int quoted; /* 1: was / will be written as "quoted string"; the encoder also
               * quotes any value that is not a plain VALUE token */
} h248_value_t;

typedef struct h248_prop {
  struct h248_prop *next;
  char *name;       /* "pkg/item" as written (in audits also "pkg/<star>") */
  h248_rel_t rel;   /* H248_REL_EQ unless kind == H248_VAL_SINGLE */
  h248_vkind_t kind;
  size_t n;         /* number of values */
  h248_value_t *v;  /* n values */
} h248_prop_t;

/* ---- descriptors ---- */

typedef struct h248_error {
  uint16_t code;    /* 0..999 (e.g. 400, 510) */
  char *text;       /* the quoted reason without quotes, or NULL */
} h248_error_t;

typedef enum h248_mode {
  H248_MODE_UNSET = 0,
  H248_MODE_SENDONLY,
  H248_MODE_RECVONLY,
  H248_MODE_SENDRECV,
  H248_MODE_INACTIVE,
  H248_MODE_LOOPBACK,
} h248_mode_t;

/* Tri-state flag: absent / Off / On. */
enum { H248_FLAG_UNSET = -1, H248_FLAG_OFF = 0, H248_FLAG_ON = 1 };

typedef struct h248_local_control {
  h248_mode_t mode;      /* H248_MODE_UNSET when not given */
  int reserve_group;     /* ReservedGroup: H248_FLAG_* */
  int reserve_value;     /* ReservedValue: H248_FLAG_* */
  h248_prop_t *props;    /* package properties, e.g. mgrp/strdeagg = [2],
                          * sctp/sctpid = 1 */
} h248_local_control_t;

typedef struct h248_stream {
  struct h248_stream *next;
  uint16_t id;                  /* Stream = id; 1 when implicit */
  int implicit;                 /* 1: streamParms were given directly in Media
                                 * (single stream, no "Stream = n" wrapper) */
  h248_local_control_t *lc;     /* LocalControl, NULL when absent */
  char *local;                  /* Local SDP text (see SDP above), NULL when absent */
  char *remote;                 /* Remote SDP text, NULL when absent */
  int has_stats;                /* Statistics descriptor present */
  h248_prop_t *stats;           /* its entries (may be empty) */
} h248_stream_t;

typedef enum h248_service_state {
  H248_SS_UNSET = 0,
  H248_SS_TEST,
  H248_SS_OUTOFSERVICE,
  H248_SS_INSERVICE,
} h248_service_state_t;

typedef enum h248_buffer_ctl {
  H248_BUF_UNSET = 0,
  H248_BUF_OFF,
  H248_BUF_LOCKSTEP,
} h248_buffer_ctl_t;

typedef struct h248_term_state {
  h248_service_state_t service_state; /* ServiceStates = ... */
  h248_buffer_ctl_t buffer;           /* Buffer = Off / LockStep */
  h248_prop_t *props;                 /* e.g. mgrp/groupse = ["SCTP 2"] */
} h248_term_state_t;

typedef struct h248_media {
  h248_term_state_t *ts;        /* TerminationState, NULL when absent */
  h248_stream_t *streams;       /* Stream descriptors in wire order */
} h248_media_t;

/* Parameters shared by requested events, signals and observed events. */
typedef struct h248_event {
  struct h248_event *next;
  char *name;              /* "pkg/item", e.g. H248_IQ_EVT_TLS_FAIL */
  uint16_t stream;         /* Stream = n; 0 when absent */
  int keep_active;         /* KeepActive given (Events and signals) */
  char *timestamp;         /* ObservedEvents only: "yyyymmddThhmmssss" or NULL */
  h248_prop_t *params;     /* other parameters: name [= value] (names without
                            * a package allowed here, as in the ABNF) */
  struct h248_events *embed_events;   /* Events only: Embed { Events = ... } or NULL */
  struct h248_signals *embed_signals; /* Events only: Embed { Signals { ... } } or NULL */
} h248_event_t;

/* Events = RequestID { ... }, or a bare "Events" (cancels all events). */
typedef struct h248_events {
  int has_request_id;      /* 0: bare "Events" (no "= id {...}") */
  uint32_t request_id;
  h248_event_t *events;
} h248_events_t;

/* ObservedEvents = RequestID { [timestamp:] pkg/evt {params}, ... } */
typedef struct h248_observed {
  uint32_t request_id;
  h248_event_t *events;    /* timestamp set per event when given */
} h248_observed_t;

typedef enum h248_signal_type {
  H248_SIGTYPE_UNSET = 0,
  H248_SIGTYPE_ONOFF,
  H248_SIGTYPE_TIMEOUT,
  H248_SIGTYPE_BRIEF,
} h248_signal_type_t;

/* NotifyCompletion bits */
enum {
  H248_NC_TIMEOUT = 1,        /* TimeOut  (TO) */
  H248_NC_INTBYEVENT = 2,     /* IntByEvent (IBE) */
  H248_NC_INTBYSIGDESCR = 4,  /* IntBySigDescr (IBS) */
  H248_NC_OTHERREASON = 8,    /* OtherReason (OR) */
  H248_NC_ITERATION = 16,     /* Iteration (IT) */
};

typedef struct h248_signal {
  struct h248_signal *next;
  char *name;                 /* "pkg/item", e.g. H248_IQ_SIG_TLS_EST */
  uint16_t stream;            /* Stream = n; 0 when absent */
  h248_signal_type_t type;    /* SignalType */
  int has_duration;
  uint32_t duration;          /* Duration, in ms as on the wire */
  unsigned notify_completion; /* H248_NC_* bits; 0 when absent */
  int keep_active;            /* KeepActive */
  h248_prop_t *params;        /* other parameters */
} h248_signal_t;

typedef struct h248_signals {
  h248_signal_t *signals;     /* empty list: "Signals { }" (stop all signals) */
} h248_signals_t;

/* ServiceChange parameters ("Services { ... }"). NULL / 0 = absent. */
typedef struct h248_service_change {
  char *method;       /* "Restart", "Graceful", "Forced", "Disconnected", "HandOff",
                       * "Failover" (canonical long spelling) or an extension as written */
  char *reason;       /* e.g. "901 Cold Boot" (without quotes) */
  int has_delay;
  uint32_t delay;     /* Delay, seconds */
  char *address;      /* ServiceChangeAddress as written, e.g. "2944" or "[192.0.2.1]:2944" */
  char *mgc_id;       /* MgcIdToTry, as written */
  char *profile;      /* Profile, e.g. H248_IQ_PROFILE */
  int version;        /* Version, 0 = absent */
  char *timestamp;    /* TimeStamp "yyyymmddThhmmssss" or NULL */
} h248_service_change_t;  /* a ServiceChange reply error is h248_cmd_t.error */

/* Audit { item, ... }: the items are tokens in canonical long spelling:
 * "Media", "Events", "Signals", "ObservedEvents", "DigitMap", "Statistics",
 * "Packages", "EventBuffer", "Modem", "Mux". Empty "Audit { }" has n == 0. */
typedef struct h248_audit {
  size_t n;
  char **items;
} h248_audit_t;

/* ---- commands ---- */

typedef enum h248_cmd_type {
  H248_CMD_ADD = 0,
  H248_CMD_MODIFY,
  H248_CMD_SUBTRACT,
  H248_CMD_MOVE,
  H248_CMD_AUDITVALUE,
  H248_CMD_AUDITCAP,
  H248_CMD_NOTIFY,
  H248_CMD_SERVICECHANGE,
} h248_cmd_type_t;

/* One command request or command reply. In a request: the descriptors the
 * ABNF allows for that command. In a reply: the audit-return descriptors
 * (Media with Local SDP, Statistics, ...) or error. Absent descriptors are NULL. */
typedef struct h248_cmd {
  struct h248_cmd *next;
  h248_cmd_type_t type;
  int optional;            /* "O-" prefix (requests only) */
  int wildcard_reply;      /* "W-" prefix (requests only) */
  size_t ntid;             /* >= 1 termination ids */
  char **tid;              /* "ROOT", "$", "*", or a name like "ip/1/access/18"
                            * (may contain "*" wildcards). tid[0] is the usual one;
                            * several only for the "[t1, t2]" list form */
  h248_media_t *media;
  h248_events_t *events;
  h248_signals_t *signals;
  h248_audit_t *audit;
  int has_stats;           /* termination-level Statistics descriptor present */
  h248_prop_t *stats;      /* e.g. nt/os = 1234 (Subtract replies) */
  h248_observed_t *observed;        /* Notify request */
  h248_service_change_t *svc;       /* ServiceChange request and reply */
  h248_error_t *error;     /* command reply error, or Notify request error */
  char *digitmap;          /* DigitMap = name, or NULL (value form not supported) */
  int has_packages;        /* Packages descriptor (audit reply) present */
  h248_prop_t *packages;   /* its items "name-version" as name, VAL_NONE */
} h248_cmd_t;

/* ---- context / action ---- */

typedef enum h248_ctx_kind {
  H248_CTX_ID = 0,  /* a number */
  H248_CTX_NULL,    /* "-" */
  H248_CTX_CHOOSE,  /* "$" */
  H248_CTX_ALL,     /* "*" */
} h248_ctx_kind_t;

typedef struct h248_ctx_id {
  h248_ctx_kind_t kind;
  uint32_t id;      /* when kind == H248_CTX_ID */
} h248_ctx_id_t;

/* One action request (Context = c { props, commands }) or action reply
 * (Context = c { Error | command replies }). */
typedef struct h248_action {
  struct h248_action *next;
  h248_ctx_id_t ctx;
  int priority;            /* Priority = 0..15; -1 when absent */
  int emergency;           /* Emergency / EmergencyOff: H248_FLAG_* */
  h248_cmd_t *cmds;        /* command requests or replies */
  h248_error_t *error;     /* action reply error (a reply has either error or
                            * commands; the encoder writes the error first) */
} h248_action_t;

/* ---- transactions ---- */

typedef enum h248_trans_type {
  H248_TRANS_REQUEST = 0, /* Transaction = id { actions } */
  H248_TRANS_REPLY,       /* Reply = id { [ImmAckRequired,] error | actions } */
  H248_TRANS_PENDING,     /* Pending = id { } */
  H248_TRANS_ACK,         /* TransactionResponseAck { id, lo-hi, ... } */
} h248_trans_type_t;

typedef struct h248_ack_range {
  uint32_t first, last;   /* first == last for a single id */
} h248_ack_range_t;

typedef struct h248_trans {
  struct h248_trans *next;
  h248_trans_type_t type;
  uint32_t id;             /* TransactionID (not used for ACK) */
  int imm_ack;             /* Reply: ImmAckRequired */
  h248_action_t *actions;  /* Request / Reply */
  h248_error_t *error;     /* Reply: transaction-level error (then no actions) */
  size_t nacks;            /* ACK: ranges */
  h248_ack_range_t *acks;
} h248_trans_t;

/* ---- message ---- */

typedef enum h248_mid_kind {
  H248_MID_IP4 = 0,  /* [192.0.2.1]:2944 */
  H248_MID_IP6,      /* [2001:db8::1]:2944 */
  H248_MID_DOMAIN,   /* <mgc.example.net>:2944 */
  H248_MID_DEVICE,   /* a device name (pathNAME), e.g. mg1/west */
  H248_MID_MTP,      /* MTP{xxxx} (hex digits) */
} h248_mid_kind_t;

typedef struct h248_mid {
  h248_mid_kind_t kind;
  char *name;       /* address without brackets, domain without <>, device or MTP digits */
  uint16_t port;    /* 0 when absent (IP4/IP6/DOMAIN only) */
} h248_mid_t;

struct h248_msg {
  int version;             /* MEGACO/<version>: 1..3 */
  h248_mid_t mid;
  h248_error_t *error;     /* message-level error (body = errorDescriptor), else NULL */
  h248_trans_t *trans;     /* transactions in wire order (<= H248_IQ_MAX_TRANS decoded) */
  /* private */
  void *arena_;
  int refs_;
};

/* ============================================================ allocation */

/* New empty message: version H248_IQ_VERSION, mId "[0.0.0.0]" kind IP4 (set it).
 * Returns NULL when out of memory. */
h248_msg_t *h248_msg_new(void);
/* Take one more reference; returns msg. */
h248_msg_t *h248_msg_ref(h248_msg_t *msg);
/* Drop a reference; the last one frees the arena (every node and string).
 * NULL is accepted. */
void h248_msg_free(h248_msg_t *msg);

/* Copy a string / n bytes (NUL-terminated result) into msg's arena. NULL when
 * out of memory (h248_strdup(msg, NULL) returns NULL too). */
char *h248_strdup(h248_msg_t *msg, const char *s);
char *h248_strndup(h248_msg_t *msg, const char *s, size_t n);
/* Zeroed arena memory (for callers that extend the model). */
void *h248_alloc(h248_msg_t *msg, size_t size);

/* Set the message header. name is copied. -EINVAL: name NULL/empty. */
int h248_msg_set_mid(h248_msg_t *msg, h248_mid_kind_t kind, const char *name, uint16_t port);
/* Parse a mId in wire form ("[192.0.2.1]:2944", "[::1]:2944", "<a.b>:2944",
 * "mg1/west") into msg->mid. -EINVAL when it is not a valid mId. */
int h248_msg_parse_mid(h248_msg_t *msg, const char *text);

/* ================================================================= codec */

typedef struct h248_error_info {
  int code;           /* H.248 error code to send back: 400 (message syntax),
                       * 403 (syntax in a transaction request), 422 (action),
                       * 442 (command), 443 (unknown command), 444 (unknown
                       * descriptor), 445 (unknown/bare property), 446 (unknown
                       * parameter), 447 (descriptor not legal in command),
                       * 448 (descriptor twice), 449 (bad property/parameter
                       * value), 456 (property twice), 457 (missing parameter),
                       * 410 (bad termination id), 413 (more than
                       * H248_IQ_MAX_TRANS transactions), 474 (bad SDP), 501 (a
                       * legal construct this codec does not implement) */
  size_t offset;      /* byte offset of the problem in the input */
  unsigned line;      /* 1-based line of the problem */
  unsigned column;    /* 1-based column */
  int has_trans_id;   /* 1 when the error is inside a transaction request whose
                       * id was read: answer it with Reply = trans_id { Error } */
  uint32_t trans_id;
  char reason[128];   /* one line, e.g. "expected '{' after Context" */
} h248_error_info_t;

/* Decode one whole message (len bytes; need not be NUL-terminated; NUL bytes
 * are a syntax error). On success returns 0 and *out (caller frees with
 * h248_msg_free). On failure *out is NULL and returns -EBADMSG with *err
 * filled (err may be NULL), or -ENOMEM, or -EINVAL (text/out NULL). */
int h248_decode(const char *text, size_t len, h248_msg_t **out, h248_error_info_t *err);

/* Encoding flags. */
enum {
  H248_ENC_PRETTY = 0,   /* long tokens, one item per line, 3-space indent, CRLF */
  H248_ENC_COMPACT = 1,  /* compact tokens, no optional white space (SDP keeps
                          * its own line ends; CRLF after "L{"/"R{" and header) */
  H248_ENC_LF = 2,       /* use LF instead of CRLF for the lines we write */
};

/* A growable output buffer: data is malloc()ed, NUL-terminated, len excludes
 * the NUL. Initialise with {0}; release with h248_buf_free. */
typedef struct h248_buf {
  char *data;
  size_t len, cap;
} h248_buf_t;
void h248_buf_free(h248_buf_t *buf);

/* Append the encoding of msg to buf. Returns 0, -ENOMEM, or -EINVAL when the
 * model cannot be encoded (e.g. a transaction with no action, a name with
 * characters a token cannot hold); on -EINVAL buf->len is unchanged. */
int h248_encode(const h248_msg_t *msg, unsigned flags, h248_buf_t *buf);

/* Same into a fixed buffer (NUL-terminated): returns the length written, or
 * -ENOSPC (size too small; buf left empty), -ENOMEM, -EINVAL. */
int h248_encode_to(const h248_msg_t *msg, unsigned flags, char *out, size_t size);

/* 1 when a and b carry the same message (same canonical compact encoding),
 * 0 when they differ or either cannot be encoded. */
int h248_msg_equal(const h248_msg_t *a, const h248_msg_t *b);

/* Canonical long / compact spellings, for logs and summaries. */
const char *h248_cmd_name(h248_cmd_type_t type);      /* "Add", ... */
const char *h248_mode_name(h248_mode_t mode);         /* "SendReceive", ... ; "" for UNSET */
/* Standard H.248.1 meaning of an error code ("Syntax error in message"), or
 * "Unknown error". */
const char *h248_error_text(int code);
/* Write "Context = 1001" style context id ("$", "-", "*", number) into out
 * (at least 12 bytes). Returns out. */
char *h248_ctx_str(h248_ctx_id_t ctx, char out[12]);

/* ============================================================== builders
 * All builders take the message whose arena they allocate from, append to the
 * end of the list they touch (wire order), copy every string argument, and
 * return the new node or NULL when out of memory (or -ENOMEM for int ones).
 * Example (step 2 of the figure):
 *
 *   h248_msg_t *m = h248_msg_new();
 *   h248_msg_parse_mid(m, "[203.0.113.1]:2944");
 *   h248_trans_t *t = h248_add_request(m, 10001);
 *   h248_action_t *a = h248_add_action(m, t, h248_ctx_choose());
 *   h248_cmd_t *c = h248_add_cmd(m, a, H248_CMD_ADD, "$");
 *   h248_stream_t *s = h248_add_stream(m, c, 2);
 *   h248_stream_set_mode(m, s, H248_MODE_INACTIVE);
 *   h248_stream_set_local(m, s, "v=0\r\nc=IN IP4 $\r\nm=message $ TCP -\r\n");
 */

h248_ctx_id_t h248_ctx_num(uint32_t id);
h248_ctx_id_t h248_ctx_choose(void);  /* $ */
h248_ctx_id_t h248_ctx_null(void);    /* - */
h248_ctx_id_t h248_ctx_all(void);     /* * */

h248_trans_t *h248_add_request(h248_msg_t *msg, uint32_t id);
h248_trans_t *h248_add_reply(h248_msg_t *msg, uint32_t id);
h248_trans_t *h248_add_pending(h248_msg_t *msg, uint32_t id);
/* Add one ack range to the message's TransactionResponseAck (creates it the
 * first time; a message holds one). first <= last, else NULL. */
h248_trans_t *h248_add_ack(h248_msg_t *msg, uint32_t first, uint32_t last);

h248_action_t *h248_add_action(h248_msg_t *msg, h248_trans_t *t, h248_ctx_id_t ctx);
/* tid: "ROOT", "$", "*" or a name. */
h248_cmd_t *h248_add_cmd(h248_msg_t *msg, h248_action_t *a, h248_cmd_type_t type,
                         const char *tid);

/* Media descriptor of cmd (created on first use). */
h248_media_t *h248_cmd_media(h248_msg_t *msg, h248_cmd_t *cmd);
/* Stream = id in cmd's Media (returns the existing one with that id if any). */
h248_stream_t *h248_add_stream(h248_msg_t *msg, h248_cmd_t *cmd, uint16_t id);
/* Replace the Local / Remote SDP text (copied verbatim; NULL removes it). */
int h248_stream_set_local(h248_msg_t *msg, h248_stream_t *s, const char *sdp);
int h248_stream_set_remote(h248_msg_t *msg, h248_stream_t *s, const char *sdp);
/* LocalControl (created on first use) Mode / a property. */
h248_local_control_t *h248_stream_lc(h248_msg_t *msg, h248_stream_t *s);
int h248_stream_set_mode(h248_msg_t *msg, h248_stream_t *s, h248_mode_t mode);
/* Append "name = value" (single value; value quoted on output when needed). */
h248_prop_t *h248_stream_add_prop(h248_msg_t *msg, h248_stream_t *s, const char *name,
                                  const char *value);
/* TerminationState property (TerminationState created on first use). */
h248_prop_t *h248_cmd_add_ts_prop(h248_msg_t *msg, h248_cmd_t *cmd, const char *name,
                                  const char *value);

/* Generic property lists: append to *list (e.g. &lc->props, &cmd->stats). */
h248_prop_t *h248_prop_add(h248_msg_t *msg, h248_prop_t **list, const char *name,
                           const char *value);       /* value NULL -> H248_VAL_NONE */
h248_prop_t *h248_prop_add_uint(h248_msg_t *msg, h248_prop_t **list, const char *name,
                                uint64_t value);
/* name = [v0, v1, ...] (kind H248_VAL_LIST) or {v0, ...} (H248_VAL_ALT) or
 * [lo:hi] (H248_VAL_RANGE, n must be 2). quoted: write each value quoted. */
h248_prop_t *h248_prop_add_multi(h248_msg_t *msg, h248_prop_t **list, const char *name,
                                 h248_vkind_t kind, const char *const *values, size_t n,
                                 int quoted);

/* Events = request_id { } on cmd (replaces an existing one). */
h248_events_t *h248_cmd_set_events(h248_msg_t *msg, h248_cmd_t *cmd, uint32_t request_id);
/* Append a requested event "name {Stream = stream}" (stream 0: no Stream parameter). */
h248_event_t *h248_events_add(h248_msg_t *msg, h248_events_t *ev, const char *name,
                              uint16_t stream);
/* Signals { } on cmd (created on first use) and a signal in it. */
h248_signals_t *h248_cmd_signals(h248_msg_t *msg, h248_cmd_t *cmd);
h248_signal_t *h248_cmd_add_signal(h248_msg_t *msg, h248_cmd_t *cmd, const char *name,
                                   uint16_t stream);
/* ObservedEvents = request_id { } on a Notify (replaces an existing one) and an
 * observed event; timestamp "yyyymmddThhmmssss" or NULL. Use
 * h248_timestamp() to format one. */
h248_observed_t *h248_cmd_set_observed(h248_msg_t *msg, h248_cmd_t *cmd, uint32_t request_id);
h248_event_t *h248_observed_add(h248_msg_t *msg, h248_observed_t *obs, const char *timestamp,
                                const char *name, uint16_t stream);
/* Format a TimeStamp from seconds since the epoch (UTC) + hundredths:
 * out receives "yyyymmddThhmmssss" (18 bytes incl. NUL). Returns out. */
char *h248_timestamp(int64_t unix_sec, unsigned hundredths, char out[18]);

/* Audit { } on cmd (created on first use), and an item ("Media", "Statistics", ...). */
h248_audit_t *h248_cmd_audit(h248_msg_t *msg, h248_cmd_t *cmd);
int h248_audit_add(h248_msg_t *msg, h248_audit_t *au, const char *item);
/* Termination-level Statistics entry "name = value" (e.g. in Subtract replies). */
h248_prop_t *h248_cmd_add_stat(h248_msg_t *msg, h248_cmd_t *cmd, const char *name,
                               uint64_t value);
/* ServiceChange parameters (created on first use); fill the fields with
 * h248_strdup(msg, ...). method/reason copied when non-NULL. */
h248_service_change_t *h248_cmd_svc(h248_msg_t *msg, h248_cmd_t *cmd, const char *method,
                                    const char *reason);

/* Error descriptors. text may be NULL. Return -ENOMEM or 0. Setting a
 * transaction error on a reply means "Reply = id { Error = ... }"; an action
 * error "Context = c { Error = ... }"; a command error "Add = t { Error = ... }";
 * a message error (whole body) "MEGACO/3 mid Error = ...". */
int h248_msg_set_error(h248_msg_t *msg, int code, const char *text);
int h248_trans_set_error(h248_msg_t *msg, h248_trans_t *t, int code, const char *text);
int h248_action_set_error(h248_msg_t *msg, h248_action_t *a, int code, const char *text);
int h248_cmd_set_error(h248_msg_t *msg, h248_cmd_t *cmd, int code, const char *text);

/* ================================================================ lookup */

/* Stream with this id in cmd's Media, or NULL. */
h248_stream_t *h248_cmd_stream(const h248_cmd_t *cmd, uint16_t id);
/* First property with this name (case-insensitive) in list, or NULL. */
h248_prop_t *h248_prop_find(const h248_prop_t *list, const char *name);
/* First value text of p ("" when p has none); NULL when p is NULL. */
const char *h248_prop_value(const h248_prop_t *p);
/* Parse a value as an unsigned decimal: 0 and *out, or -EINVAL. */
int h248_value_uint(const char *s, uint64_t *out);
/* Count transactions of a message. */
size_t h248_msg_ntrans(const h248_msg_t *msg);

/* ========================================================= TPKT (TCP, D.2)
 * RFC 1006 framing: 3, 0, 16-bit big-endian length including the 4-byte header. */
#define H248_TPKT_HDR 4
#define H248_TPKT_MAX 65535

/* Write the 4-byte header for a payload of len bytes into hdr.
 * Returns 0, or -EMSGSIZE when len + 4 > 65535. */
int h248_tpkt_header(uint8_t hdr[H248_TPKT_HDR], size_t len);
/* Look at the start of a stream buffer. Returns:
 *   > 0  a whole frame is there: that many bytes make the frame (header
 *        included); the payload is buf[4 .. ret) (*payload_len = ret - 4);
 *   0    need more bytes (incomplete header or payload);
 *   -EBADMSG  not a TPKT header (version != 3 or length < 4): close the stream. */
int h248_tpkt_read(const uint8_t *buf, size_t len, size_t *payload_len);

/* Stream reader: buffers the bytes of one TCP connection across reads and
 * hands out whole TPKT payloads, whatever the read boundaries (a frame split
 * over many reads, several frames in one read). One reader per connection.
 * Use (the payloads go to h248_tl_input() of a layer with cfg.reliable = 1):
 *
 *   n = read(fd, buf, sizeof buf);         // n == 0: peer closed
 *   rc = h248_tpkt_reader_feed(r, buf, n);
 *   while (rc >= 0 && (rc = h248_tpkt_reader_next(r, &p, &plen)) == 1)
 *     h248_tl_input(tl, peer, peerlen, p, plen);
 *   if (rc < 0) close the connection (-EBADMSG, -EMSGSIZE or -ENOMEM);
 *
 * Errors are sticky: after a bad header the stream cannot be resynchronised,
 * so every later feed/next returns the same error until reset or free. */
typedef struct h248_tpkt_reader h248_tpkt_reader_t;
/* Create a reader that accepts frames (header included) of at most max_frame
 * bytes; 0 -> H248_TPKT_MAX. Returns 0 and *out, -EINVAL (out NULL, or
 * max_frame < H248_TPKT_HDR or > H248_TPKT_MAX), -ENOMEM. */
int h248_tpkt_reader_new(h248_tpkt_reader_t **out, size_t max_frame);
/* Free the reader and its buffer. NULL accepted. */
void h248_tpkt_reader_free(h248_tpkt_reader_t *r);
/* Append len received bytes (copied; len 0 is fine). Returns 0, -EINVAL (r
 * NULL, or data NULL with len > 0), -ENOMEM, or the sticky error of an
 * earlier bad header. Payloads returned by next() become invalid. */
int h248_tpkt_reader_feed(h248_tpkt_reader_t *r, const void *data, size_t len);
/* Take the next whole frame. Returns:
 *   1  *payload / *payload_len are its payload (the bytes after the 4-byte
 *      header, may be empty), valid until the next feed/reset/free;
 *   0  need more bytes (nothing or only part of a frame is buffered);
 *   -EBADMSG   not a TPKT header (version != 3, or length < 4): close;
 *   -EMSGSIZE  the header announces a frame longer than max_frame: close;
 *   -EINVAL    r, payload or payload_len NULL.
 * A bad header is reported as soon as its bytes arrive (the version byte
 * alone is enough), before any later byte of the stream. */
int h248_tpkt_reader_next(h248_tpkt_reader_t *r, const uint8_t **payload, size_t *payload_len);
/* Bytes buffered and not yet returned (a partial frame, or frames not yet
 * taken); non-zero when the peer closes means a truncated frame. 0 for NULL. */
size_t h248_tpkt_reader_buffered(const h248_tpkt_reader_t *r);
/* Forget buffered bytes and the sticky error (e.g. to reuse it for a new
 * connection). NULL accepted. */
void h248_tpkt_reader_reset(h248_tpkt_reader_t *r);

/* ================================================= transaction layer (D.1)
 *
 * One h248_tl_t per local H.248 endpoint (one socket). It is used by both
 * sides: as requester (MGC commands, MG Notify/ServiceChange) and as
 * responder. The caller owns the socket and the loop; the layer never blocks.
 *
 * Feed every received datagram to h248_tl_input(). Implement the transport:
 *   send       send one datagram (the whole encoded message) to a peer; return
 *              0 or a negative errno (a failed send counts as a lost datagram);
 *              for a stream transport (TCP) frame it with h248_tpkt_header()
 *              and set cfg.reliable;
 *   set_timer  (re)arm the ONE timer of this layer to fire after delay_ms
 *              (0 = as soon as possible), or cancel it when delay_ms < 0; when it
 *              fires call h248_tl_on_timer(). A new call replaces the previous
 *              setting. Never call h248_tl_on_timer from inside set_timer.
 *   now_ms     a monotonic clock in milliseconds.
 * libuv: one uv_timer_t (uv_timer_start / uv_timer_stop), uv_now().
 * Sofia: one su_timer_t (su_timer_set_interval / su_timer_reset), su_now().
 *
 * REQUESTER. h248_tl_request() sends one transaction request and retransmits
 * it: the first timeout is the RTT estimate of that peer (RFC 6298 style:
 * SRTT + 4*RTTVAR from replies to requests that were not retransmitted;
 * cfg.rto_initial_ms before any sample), doubled after each retransmission
 * up to cfg.rto_max_ms. A Pending from the peer stops the fast retransmission:
 * the request is then re-sent only every cfg.pending_retx_ms (so that a lost
 * reply is recovered) and each Pending extends the deadline by
 * cfg.pending_timeout_ms (more than cfg.pending_limit Pendings: give up at
 * once). Without reply by the deadline (cfg.max_total_ms
 * after the first send, or the pending deadline) the callback gets -ETIMEDOUT.
 * Each reply is acknowledged with TransactionResponseAck: at once when it
 * carries ImmAckRequired, otherwise within cfg.ack_delay_ms, several ids
 * coalesced into ranges in one message. A duplicate reply is acknowledged
 * again and not reported again.
 *
 * RESPONDER. A new request transaction is handed to the request callback with
 * a h248_tl_txn_t handle; answer it with h248_tl_reply() now or later. While
 * no reply is sent, a duplicate request gets Pending, and the layer sends
 * Pending by itself when cfg.provisional_ms passes without a reply (and again
 * every provisional_ms). After the reply is sent, it is remembered per (peer,
 * transaction id) for cfg.long_timer_ms (LONG-TIMER, default 30 s): a
 * duplicate request gets the same bytes again and is never re-executed. A
 * TransactionResponseAck covering the id releases the stored reply (the id
 * is still remembered until LONG-TIMER so that late duplicates are dropped).
 * With cfg.imm_ack (or a reply with imm_ack set) the reply carries
 * ImmAckRequired and is retransmitted like a request until acknowledged or
 * LONG-TIMER.
 *
 * Callbacks may call every h248_tl_* function except h248_tl_free(): never
 * free the layer from inside one of its callbacks.
 *
 * A message that does not decode is answered: with Reply = id { Error = code }
 * when the failing transaction request's id was read, else with a message-level
 * Error descriptor (e.g. 413 for more than 10 transactions), never silently.
 */

typedef struct h248_tl h248_tl_t;
typedef struct h248_tl_txn h248_tl_txn_t;   /* an incoming request awaiting our reply */

typedef struct h248_transport {
  void *ctx; /* passed back to every function */
  int (*send)(void *ctx, const struct sockaddr *to, socklen_t tolen, const void *data,
              size_t len);
  void (*set_timer)(void *ctx, int64_t delay_ms);
  uint64_t (*now_ms)(void *ctx);
} h248_transport_t;

typedef struct h248_tl_config {
  /* header of every message the layer writes itself (Pending, acks, errors);
   * requests/replies given by the caller keep their own mId */
  h248_mid_kind_t mid_kind;
  const char *mid_name;          /* copied; required */
  uint16_t mid_port;
  int version;                   /* 0 -> H248_IQ_VERSION */
  unsigned encode_flags;         /* H248_ENC_*, for everything the layer encodes */
  int reliable;                  /* 1: stream transport (TCP/TPKT): no retransmission,
                                  * no acks; max_total_ms still applies */
  /* requester timers, ms; 0 -> default */
  unsigned rto_initial_ms;       /* first timeout before any RTT sample (500) */
  unsigned rto_min_ms;           /* lower bound of the timeout (100) */
  unsigned rto_max_ms;           /* upper bound of the backed-off timeout (4000) */
  unsigned max_total_ms;         /* give up after this long without reply (30000) */
  unsigned pending_retx_ms;      /* re-send interval after a Pending (5000) */
  unsigned pending_timeout_ms;   /* each Pending extends the wait by this (30000) */
  unsigned ack_delay_ms;         /* batch TransactionResponseAck (100) */
  /* responder timers, ms */
  unsigned long_timer_ms;        /* LONG-TIMER: remember replies (30000) */
  unsigned provisional_ms;       /* send Pending when no reply after (1000) */
  int imm_ack;                   /* ask for ImmAckRequired in every reply */
  uint32_t first_tid;            /* first transaction id to use (0 -> 1) */
  unsigned pending_limit;        /* requester: give up (-ETIMEDOUT) after more Pendings
                                  * than this for one request, like
                                  * MGOriginatedPendingLimit (0 -> 30) */
} h248_tl_config_t;

/* Requester callback: status 0 -> reply is the Reply transaction (inside msg,
 * which is valid during the call; h248_msg_ref() it to keep it);
 * status -ETIMEDOUT / -ECANCELED -> msg and reply NULL. Called exactly once
 * per h248_tl_request() that returned 0. */
typedef void (*h248_tl_reply_cb)(void *arg, int status, h248_msg_t *msg,
                                 const h248_trans_t *reply);

/* Responder callback: a NEW request transaction `req` from `from` (inside msg,
 * valid during the call; h248_msg_ref() to keep). Answer with h248_tl_reply()
 * (during the call or later). txn stays valid until that call or
 * h248_tl_free(). */
typedef void (*h248_tl_request_cb)(void *arg, h248_tl_txn_t *txn, h248_msg_t *msg,
                                   const h248_trans_t *req, const struct sockaddr *from,
                                   socklen_t fromlen);

/* Create a layer. transport and cfg are copied. on_request may be NULL (then
 * every request is answered with Error 501). Returns 0 and *out, -EINVAL
 * (missing send/set_timer/now_ms or mid_name), -ENOMEM. */
int h248_tl_new(h248_tl_t **out, const h248_transport_t *transport,
                const h248_tl_config_t *cfg, h248_tl_request_cb on_request, void *request_arg);
/* Free the layer: every pending requester callback is called with -ECANCELED,
 * unanswered txn handles become invalid, the timer is cancelled. NULL accepted. */
void h248_tl_free(h248_tl_t *tl);

/* Feed one received datagram (or one TPKT payload). Returns 0 (handled,
 * including bad messages, which are answered), -EINVAL (NULL arguments). */
int h248_tl_input(h248_tl_t *tl, const struct sockaddr *from, socklen_t fromlen,
                  const void *data, size_t len);
/* Call when the timer set through set_timer fires. */
void h248_tl_on_timer(h248_tl_t *tl);

/* Send the request transaction of `req` (exactly one transaction, type
 * REQUEST) to `to`. Its id is assigned by the layer when 0 (the id is written
 * into req->trans->id and *tid_out if non-NULL). req is only read during the
 * call (encoded once); the caller still owns and frees it.
 * Returns 0 (cb will be called exactly once, never from within this call), or
 * -EINVAL (not exactly one request transaction, id already in use, encoding
 * failed), -ENOMEM, -EMSGSIZE (encoding > 65535 bytes). */
int h248_tl_request(h248_tl_t *tl, const struct sockaddr *to, socklen_t tolen,
                    h248_msg_t *req, h248_tl_reply_cb cb, void *arg, uint32_t *tid_out);
/* Cancel an outstanding request: no more retransmission; its callback is NOT
 * called. Returns 0 or -ENOENT. */
int h248_tl_cancel(h248_tl_t *tl, uint32_t tid);

/* Answer txn with `reply`: exactly one transaction of type REPLY (its id is
 * set to the request's id). The reply is encoded, sent and remembered; txn is
 * released (invalid after the call) even on error. reply is only read.
 * Returns 0, -EINVAL (not one reply transaction, encoding failed), -ENOMEM. */
int h248_tl_reply(h248_tl_t *tl, h248_tl_txn_t *txn, h248_msg_t *reply);
/* Convenience: answer txn with "Reply = id { Error = code { "text" } }". */
int h248_tl_reply_error(h248_tl_t *tl, h248_tl_txn_t *txn, int code, const char *text);
/* Send a Pending for txn now (the layer also does it by itself, see above). */
int h248_tl_pending(h248_tl_t *tl, h248_tl_txn_t *txn);
/* Transaction id of txn. */
uint32_t h248_tl_txn_id(const h248_tl_txn_t *txn);

/* Counters for tests, logs and the bench. */
typedef struct h248_tl_stats {
  uint64_t requests_sent;       /* h248_tl_request calls that sent */
  uint64_t retransmissions;     /* request re-sends (incl. after Pending) */
  uint64_t replies_received;    /* first copies of replies (reported) */
  uint64_t duplicate_replies;   /* replies for finished/unknown transactions */
  uint64_t timeouts;            /* requests given up */
  uint64_t pendings_received;
  uint64_t requests_received;   /* new requests handed to on_request */
  uint64_t duplicate_requests;  /* answered from the cache or with Pending */
  uint64_t replies_resent;      /* cached reply bytes re-sent */
  uint64_t pendings_sent;
  uint64_t acks_sent;           /* TransactionResponseAck messages */
  uint64_t acks_received;       /* transaction ids acknowledged by peers */
  uint64_t bad_messages;        /* messages that did not decode */
} h248_tl_stats_t;
void h248_tl_get_stats(const h248_tl_t *tl, h248_tl_stats_t *out);
/* Number of outstanding requests / remembered responder entries. */
size_t h248_tl_outstanding(const h248_tl_t *tl);
size_t h248_tl_remembered(const h248_tl_t *tl);

#ifdef __cplusplus
}
#endif

#endif /* WG_H248_H */
