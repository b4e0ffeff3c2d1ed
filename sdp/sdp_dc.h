/* sdp_dc.h -- the one public header of libwgsdp: the SDP model of WebRTC
 * data-channel media (RFC 8841/8864/8873) and of TCP/MSRP media (RFC 4975,
 * 6714), the IMS-ALG's offer/answer rewrites of TS 23.334 figure
 * 6.2.10.x.2.1 (step 5: DC offer -> TCP/MSRP offer; step 14: TCP/MSRP answer
 * -> DC answer) and their mirror for WIC-terminated calls (digest 7.1), and
 * the SDP fragments carried in H.248 Local/Remote descriptors (digest 4).
 *
 * Pure functions: no I/O, no logging, no global state. Thread-safe as long as
 * two threads do not share one su_home_t.
 *
 * ---------------------------------------------------------------- memory
 * Every function that allocates takes a `su_home_t *home` (Sofia-SIP
 * <sofia-sip/su_alloc.h>). Everything it returns (model structs, their
 * strings and arrays, printed text) is allocated in that home and lives until
 * the home is destroyed (su_home_unref() for a home from su_home_new(),
 * su_home_deinit() for one embedded with SU_HOME_INIT/su_home_init()). Never
 * free() or su_free() a single returned object: destroy the home. The
 * easiest rule: one home per call leg (the ALG) or per H.248 command (the
 * AGW); create it, parse/rewrite/print into it, destroy it when done.
 *
 * Input models are never modified and never linked into outputs: outputs
 * copy what they need, so an input's home may be destroyed right after the
 * call -- EXCEPT a sdpdc_plan_t, which points into the offer it was made
 * from: keep that offer's home alive as long as the plan (the simplest way:
 * parse the offer and make the plan in the same home).
 *
 * Model structs built by a caller (e.g. wicsim building an offer) may point
 * to any memory the caller keeps valid during the call; this library never
 * frees or modifies them.
 *
 * ---------------------------------------------------------------- errors
 * Functions return 0 on success or a negative errno-style value:
 *   -EINVAL   the SDP is malformed or violates a rule listed below;
 *   -ENOTSUP  well-formed but refused by policy (md5/md2 fingerprint,
 *             setup:holdconn, nothing we can anchor, ...);
 *   -EPROTO   an answer that does not fit its offer/plan;
 *   -ENOMEM   allocation failed.
 * When `err` is not NULL it is filled on every failure with a typed code
 * (enum sdpdc_errcode) and a one-line human reason fit for a SIP Warning
 * header text (ASCII, no double quote, no CR/LF), e.g.
 * "no fingerprint on DC m-line 0". The ALG answers 488 for -EINVAL,
 * -ENOTSUP and -EPROTO, 500 for -ENOMEM. `err` is left untouched on success.
 *
 * ---------------------------------------------------------------- text
 * Parsers accept CRLF or LF line ends. Printers emit CRLF. All printed text
 * is NUL-terminated.
 */
#ifndef WG_SDP_DC_H
#define WG_SDP_DC_H

#include <stddef.h>
#include <stdint.h>
#include <sofia-sip/su_alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ errors */

enum sdpdc_errcode {
  SDPDC_E_NONE = 0,
  SDPDC_E_NOMEM,           /* allocation failed */
  SDPDC_E_SYNTAX,          /* Sofia's sdp_parse rejected the text, or a line is unreadable */
  SDPDC_E_ADDRESS,         /* bad/missing c= (no c= at media or session level, bad family) */
  SDPDC_E_PORT,            /* bad m= port, bad a=sctp-port */
  SDPDC_E_PROTO,           /* proto/fmt not as required (e.g. DC m-line without webrtc-datachannel) */
  SDPDC_E_FINGERPRINT,     /* missing or malformed a=fingerprint (not upper-case hex pairs) */
  SDPDC_E_HASH,            /* fingerprint hash md2/md5 (refused) or unknown */
  SDPDC_E_SETUP,           /* bad a=setup / a=dcsa setup value, or holdconn (refused) */
  SDPDC_E_CONNECTION,      /* bad a=connection value */
  SDPDC_E_MMS,             /* bad a=max-message-size */
  SDPDC_E_TLS_ID,          /* bad a=tls-id */
  SDPDC_E_ICE,             /* bad ICE attribute (candidate syntax, ufrag/pwd) */
  SDPDC_E_DCMAP,           /* malformed a=dcmap (options, quoting, escapes) */
  SDPDC_E_DCMAP_ID,        /* dcmap stream id out of range 0..65534 or duplicated */
  SDPDC_E_DCMAP_PR,        /* both max-retr and max-time */
  SDPDC_E_DCSA,            /* malformed a=dcsa or dcsa for an id without dcmap */
  SDPDC_E_MSRP,            /* MSRP line without path / accept-types, bad max-size */
  SDPDC_E_CEMA,            /* MSRP answer without a=msrp-cema (we anchor only with CEMA) */
  SDPDC_E_NOTHING,         /* no MSRP data channel / MSRP line we can anchor */
  SDPDC_E_MISMATCH,        /* answer does not fit the offer/plan (m-line count, types) */
  SDPDC_E_ARG,             /* bad argument from the caller (NULL, count mismatch) */
  SDPDC_E_TOO_LARGE,       /* the text is longer than SDPDC_MAX_TEXT */
};

/* The longest SDP text (whole SDP or H.248 fragment) the parsers accept, in
 * bytes. A data-channel offer of a browser is 1-5 KiB; this bounds what one
 * hostile SIP or H.248 message can make us parse and copy. */
#define SDPDC_MAX_TEXT 32768

typedef struct sdpdc_error {
  int code;          /* enum sdpdc_errcode */
  char reason[160];  /* for a SIP Warning header; see the top of this file */
} sdpdc_error_t;

/* Short constant name of a code ("fingerprint", "dcmap-id", ...). Never NULL. */
const char *sdpdc_errcode_name(int code);

/* ================================================================ model */

/* What kind of media line this is. */
typedef enum sdpdc_kind {
  SDPDC_KIND_OTHER = 0, /* anything else (audio, video, unknown); kept as raw lines */
  SDPDC_KIND_DC,        /* m=application <port> UDP/DTLS/SCTP|TCP/DTLS/SCTP webrtc-datachannel */
  SDPDC_KIND_MSRP,      /* m=message <port> TCP/MSRP|TCP/TLS/MSRP|TCP <fmt> */
} sdpdc_kind_t;

typedef enum sdpdc_proto {
  SDPDC_PROTO_OTHER = 0,
  SDPDC_PROTO_UDP_DTLS_SCTP, /* "UDP/DTLS/SCTP" */
  SDPDC_PROTO_TCP_DTLS_SCTP, /* "TCP/DTLS/SCTP" */
  SDPDC_PROTO_TCP_MSRP,      /* "TCP/MSRP" */
  SDPDC_PROTO_TCP_TLS_MSRP,  /* "TCP/TLS/MSRP" */
  SDPDC_PROTO_TCP,           /* "TCP" (H.248 T2 fragments: "m=message $ TCP -") */
} sdpdc_proto_t;

/* "UDP/DTLS/SCTP" ... ; "" for OTHER. */
const char *sdpdc_proto_name(sdpdc_proto_t proto);

typedef enum sdpdc_setup {
  SDPDC_SETUP_NONE = 0, /* attribute absent */
  SDPDC_SETUP_ACTIVE,
  SDPDC_SETUP_PASSIVE,
  SDPDC_SETUP_ACTPASS,
  SDPDC_SETUP_HOLDCONN, /* parsed, but every rewrite refuses it (-ENOTSUP, SDPDC_E_SETUP) */
} sdpdc_setup_t;

/* "active" "passive" "actpass" "holdconn"; NULL for NONE. */
const char *sdpdc_setup_name(sdpdc_setup_t s);

typedef enum sdpdc_connection {
  SDPDC_CONNECTION_NONE = 0,
  SDPDC_CONNECTION_NEW,
  SDPDC_CONNECTION_EXISTING,
} sdpdc_connection_t;

/* Which values of a media line were "$" (H.248 CHOOSE: "the gateway picks
 * it"). Set by sdpdc_frag_parse; read by the printers (a set bit prints "$"
 * instead of the value). */
enum sdpdc_choose {
  SDPDC_CHOOSE_ADDR = 1u << 0,        /* c=IN IP4 $ */
  SDPDC_CHOOSE_PORT = 1u << 1,        /* m=... $ ... */
  SDPDC_CHOOSE_SCTP_PORT = 1u << 2,   /* a=sctp-port:$ */
  SDPDC_CHOOSE_MMS = 1u << 3,         /* a=max-message-size:$ */
  SDPDC_CHOOSE_FINGERPRINT = 1u << 4, /* a=fingerprint:$ */
  SDPDC_CHOOSE_ICE_UFRAG = 1u << 5,   /* a=ice-ufrag:$   (PROPOSED, digest 4 step 11) */
  SDPDC_CHOOSE_ICE_PWD = 1u << 6,     /* a=ice-pwd:$     (PROPOSED) */
  SDPDC_CHOOSE_TLS_ID = 1u << 7,      /* a=tls-id:$      (PROPOSED) */
};

/* One a=<name>[:<value>] line. value is NULL for a flag attribute
 * ("a=msrp-cema"), "" for "a=name:". */
typedef struct sdpdc_attr {
  const char *name;
  const char *value;
} sdpdc_attr_t;

/* RFC 8122 fingerprint. hash is lower-case ("sha-256"), value is the
 * upper-case hex pairs joined by ':' exactly as received.
 * Parsing refuses md2/md5 (-ENOTSUP, SDPDC_E_HASH) and lower-case hex
 * (-EINVAL, SDPDC_E_FINGERPRINT); accepted hashes: sha-1, sha-224, sha-256,
 * sha-384, sha-512 (others: -ENOTSUP, SDPDC_E_HASH). The number of hex pairs
 * must match the hash (20/28/32/48/64). */
typedef struct sdpdc_fingerprint {
  const char *hash;
  const char *value;
} sdpdc_fingerprint_t;

/* RFC 8445 a=candidate. Extensions after "typ <type>" (raddr, rport,
 * generation, ufrag, network-id, ...) are kept verbatim in `extensions`
 * (NULL if none). transport is as written ("UDP", "udp", "TCP"). */
typedef struct sdpdc_candidate {
  const char *foundation;
  unsigned component;   /* 1..256 */
  const char *transport;
  uint32_t priority;
  const char *address;  /* IP literal or (mDNS) host name, as written */
  unsigned port;        /* 0..65535 */
  const char *type;     /* "host" "srflx" "prflx" "relay" */
  const char *extensions;
} sdpdc_candidate_t;

/* RFC 8864 a=dcmap plus the a=dcsa lines of the same stream id. */
typedef struct sdpdc_dcmap {
  unsigned id;               /* SCTP stream id, 0..65534 */
  const char *subprotocol;   /* unquoted, %-escapes decoded; NULL if absent */
  const char *label;         /* unquoted, %-escapes decoded; NULL if absent */
  int ordered;               /* 1 (the default) or 0 */
  int has_max_retr;          /* max-retr and max-time are mutually exclusive */
  uint32_t max_retr;
  int has_max_time;
  uint32_t max_time;         /* ms */
  int has_priority;
  uint32_t priority;
  sdpdc_attr_t *dcsa;        /* embedded attributes of a=dcsa:<id> lines, in order */
  size_t n_dcsa;
} sdpdc_dcmap_t;

/* One m= line with everything this library understands about it. Fields
 * that do not apply to the kind are zero/NULL. Strings/arrays are owned by
 * the home that produced the struct (see the top of this file). */
typedef struct sdpdc_media {
  sdpdc_kind_t kind;
  unsigned index;            /* position of the m= line in its session, from 0 */
  const char *media;         /* "application", "message", "audio", ... */
  unsigned port;             /* 0 = rejected/disabled */
  sdpdc_proto_t proto;
  const char *proto_name;    /* as written */
  const char *fmt;           /* the fmt list as written, e.g. "webrtc-datachannel", "*", "-" */
  unsigned choose;           /* enum sdpdc_choose bits */

  /* c= that applies: the media-level one, else the session-level one. */
  int family;                /* 4, 6, or 0 when no c= (an error for DC/MSRP lines outside fragments) */
  const char *address;       /* as written ("$" never appears here: see choose) */
  int address_from_session;  /* 1 if inherited from the session-level c= */

  sdpdc_setup_t setup;       /* media-level a=setup */
  sdpdc_connection_t connection;
  const char *mid;           /* a=mid, NULL if absent */

  /* ---- DC (also used by H.248 T1 fragments) ---- */
  int has_sctp_port;
  unsigned sctp_port;        /* a=sctp-port, 5000 when absent (1..65535) */
  int has_max_message_size;
  uint64_t max_message_size; /* a=max-message-size, 65536 when absent; 0 kept as 0 ("no limit", UNVERIFIED) */
  sdpdc_fingerprint_t *fingerprints; /* media-level ones, else the session-level ones */
  size_t n_fingerprints;
  int fingerprints_from_session;
  const char *tls_id;        /* a=tls-id (RFC 8842), NULL if absent */
  const char *ice_ufrag;     /* media-level, else session-level; NULL if absent */
  const char *ice_pwd;
  const char *ice_options;   /* e.g. "trickle"; media-level, else session-level */
  int ice_lite;              /* a=ice-lite at session or media level */
  sdpdc_candidate_t *candidates;
  size_t n_candidates;
  int end_of_candidates;
  sdpdc_dcmap_t *dcmaps;     /* in the order of the a=dcmap lines */
  size_t n_dcmaps;

  /* ---- MSRP ---- */
  const char *path;          /* a=path, byte-exact (space-separated URI list) */
  const char *accept_types;
  const char *accept_wrapped_types;
  int has_max_size;
  uint64_t max_size;
  int msrp_cema;             /* a=msrp-cema present */

  /* Every media-level a= line, in order, as written (including the ones
   * decoded above). Use sdpdc_attr_get() on it. */
  sdpdc_attr_t *attrs;
  size_t n_attrs;
} sdpdc_media_t;

/* A whole session description. */
typedef struct sdpdc_session {
  /* o= line fields, as written; NULL/0 in fragments without o=. */
  const char *o_username;
  const char *o_sess_id;
  const char *o_sess_version;
  const char *o_address;
  const char *subject;       /* s= */
  int family;                /* session-level c=: 4, 6, or 0 if absent */
  const char *address;
  unsigned choose;           /* SDPDC_CHOOSE_ADDR if the session c= was "$" */
  int ice_lite;              /* session-level a=ice-lite */
  sdpdc_attr_t *attrs;       /* session-level a= lines, in order, as written */
  size_t n_attrs;
  sdpdc_media_t *media;      /* every m= line, in order (media[i].index == i) */
  size_t n_media;
} sdpdc_session_t;

/* ================================================================ parse */

/* Parse a complete SDP body (v=, o=, s=, t= required, as Sofia's sdp_parse
 * with sdp_f_mode_manual wants) into *out, allocated in home.
 * Validation: each DC and MSRP m-line (port != 0) is checked against the
 * rules in this header: c= present (media or session), fingerprint present
 * on DC lines and valid, hash not md2/md5, setup value known, dcmap ids
 * 0..65534 and unique per m-line, max-retr/max-time exclusive, dcsa ids
 * have a dcmap on the same m-line, sctp-port 1..65535, MSRP lines have path
 * and accept-types. On DC/MSRP lines with port 0 the attribute value rules
 * still apply but nothing is required (no c=, fingerprint, path needed);
 * OTHER lines (audio, ...) are never checked beyond syntax. setup:holdconn
 * is parsed (rewrites refuse it). Every line must be "<letter>=..." and m=
 * lines RFC 4566 tokens (checked before Sofia, which hangs on some bad m=
 * lines); CRLF, LF or lone CR line ends; blank lines ignored.
 * Errors: -EINVAL (syntax or rule, err says which), -ENOTSUP (md2/md5 or
 * unknown hash), -EMSGSIZE+SDPDC_E_TOO_LARGE for a text longer than
 * SDPDC_MAX_TEXT, -ENOMEM, -EINVAL+SDPDC_E_ARG for NULL arguments. */
int sdpdc_parse(su_home_t *home, const char *text, size_t len, sdpdc_session_t **out,
                sdpdc_error_t *err);

/* Parse an SDP fragment as carried in an H.248 Local/Remote descriptor
 * (digest 4): "v=0", o=/s=/t= optional (defaults are added before Sofia
 * parses), "$" allowed for the c= address, the m= port and the values of
 * a=sctp-port, a=max-message-size, a=fingerprint, a=ice-ufrag, a=ice-pwd,
 * a=tls-id (recorded in media->choose / session->choose, the field itself
 * left zero/NULL). Rule checks are those of sdpdc_parse except that nothing
 * is mandatory (a fragment may omit c=, fingerprint, path, ...). Surrounding
 * blank lines and leading spaces on lines are ignored (H.248 indentation).
 * Errors: as sdpdc_parse. */
int sdpdc_frag_parse(su_home_t *home, const char *text, size_t len, sdpdc_session_t **out,
                     sdpdc_error_t *err);

/* ================================================================ helpers */

/* Value of the first attribute `name` (case-insensitive) of the media line
 * (media-level a= lines only); "" for a flag attribute; NULL if absent. */
const char *sdpdc_attr_get(const sdpdc_media_t *m, const char *name);
/* Same on the session-level lines. */
const char *sdpdc_session_attr_get(const sdpdc_session_t *s, const char *name);
/* Number of media-level attributes called `name`. */
size_t sdpdc_attr_count(const sdpdc_media_t *m, const char *name);
/* The dcmap with stream id `id` on m, or NULL. */
const sdpdc_dcmap_t *sdpdc_dcmap_find(const sdpdc_media_t *m, unsigned id);
/* Value of the first dcsa-embedded attribute `name` of a channel; "" for a
 * flag; NULL if absent. */
const char *sdpdc_dcsa_get(const sdpdc_dcmap_t *d, const char *name);
/* The n-th (from 0) media line of kind `kind`, or NULL. */
const sdpdc_media_t *sdpdc_media_nth(const sdpdc_session_t *s, sdpdc_kind_t kind, size_t n);

/* Is this channel one we anchor as MSRP? subprotocol "MSRP"
 * (case-insensitive), ordered, neither max-retr nor max-time. */
int sdpdc_dcmap_is_msrp(const sdpdc_dcmap_t *d);

/* ================================================================ print */

/* Print a whole session (v=, o=, s=, t=, then session c= and attributes,
 * then each m-line) with Sofia's sdp_print (sdp_f_mode_manual). Missing o=
 * fields default to "- 0 0 IN IP4|6 <address or 0.0.0.0>", missing s= to "-".
 * For DC and MSRP lines the known fields are printed in a canonical order
 * (see doc/sdp.md), then `attrs` entries not covered by known fields; OTHER
 * lines print their attrs only. `choose` bits are ignored here.
 * *out is allocated in home. Errors: -ENOMEM, -EINVAL (SDPDC_E_ARG: NULL,
 * or a value Sofia cannot print). */
int sdpdc_print(su_home_t *home, const sdpdc_session_t *s, char **out, sdpdc_error_t *err);

/* Print one media line as an H.248 SDP fragment: "v=0", "c=IN IP4|IP6
 * <addr>|$", "m=<media> <port>|$ <proto> <fmt>", then the attributes in the
 * canonical order, "$" wherever the matching choose bit is set (no o=/s=/t=,
 * as in the digest's examples). m->ice_lite prints a media-level a=ice-lite
 * (PROPOSED, digest 4 step 11). Used by the AGW for its replies (s04, s13).
 * Errors: -ENOMEM, -EINVAL (SDPDC_E_ARG). */
int sdpdc_frag_print(su_home_t *home, const sdpdc_media_t *m, char **out, sdpdc_error_t *err);

/* ================================================================ DTLS role */

/* digest 2.3: the answer role for an offered media-level a=setup, and
 * whether the AGW is then the DTLS client (=> the ALG sends Est_DTLS):
 *   actpass -> active, AGW client (the figure);  passive -> active, client;
 *   active -> passive, AGW server;  NONE -> treated as actpass (RFC 8842 says
 *   the offerer MUST send it; JSEP always does) -> active, client;
 *   holdconn -> -ENOTSUP (SDPDC_E_SETUP "setup:holdconn not supported").
 * agw_is_client may be NULL. */
int sdpdc_dtls_answer_role(sdpdc_setup_t offered, sdpdc_setup_t *answer, int *agw_is_client,
                           sdpdc_error_t *err);

/* Re-INVITE (digest 2.3, 7.4; PROPOSED): does the re-offered DC m-line
 * `now` keep the DTLS association of the earlier `prev` (1) or ask for a
 * new one (0)? Both with a=tls-id: same value keeps. Only one with tls-id:
 * new. Neither: a=connection:new asks for new; otherwise the same
 * fingerprints (hash and value, in order) keep. NULL -> 0. */
int sdpdc_dc_same_association(const sdpdc_media_t *prev, const sdpdc_media_t *now);

/* ================================================================ offer plan */

/* One anchored MSRP channel: WIC data channel <-> IMS m=message line. */
typedef struct sdpdc_chan {
  size_t dc_media;           /* index of the DC m-line in the DC-side session */
  size_t dc_slot;            /* index of the DC m-line among the plan's DC lines (t1 index) */
  unsigned stream_id;        /* dcmap id = SCTP stream id = H.248 sctp/sctpid */
  unsigned h248_stream;      /* H.248 stream on T1 and T2 for it: 2, 3, ... per DC m-line */
  size_t msrp_media;         /* index of the m=message line in the IMS-side session */
  const sdpdc_dcmap_t *dcmap;       /* WIC-originated: the offered channel (points into the offer);
                                     * mirror: NULL, or for a channel kept by a re-offer the WIC's
                                     * last dcmap of it (its label is kept) */
  const sdpdc_media_t *msrp_offer;  /* WIC-terminated: the IMS m=message line (points into the offer) */
} sdpdc_chan_t;

/* One DC m-line of the plan (one SCTP association = one T1). */
typedef struct sdpdc_dcline {
  size_t dc_media;           /* index of the m-line in the DC-side session */
  const sdpdc_media_t *offer;       /* WIC-originated: the WIC's DC m-line; NULL in the mirror */
  sdpdc_setup_t answer_setup;       /* our media-level a=setup towards the WIC */
  int agw_dtls_client;       /* 1: include Est_DTLS (Signals) in the T1 Add (or Modify in the mirror) */
  size_t first_chan, n_chans;       /* its channels: plan->chans[first_chan .. +n_chans) */
  /* Re-offer plans only (sdpdc_reoffer_diff / sdpdc_mirror_rediff; 0 in a
   * first plan): 1 = the DTLS/SCTP association of the previous negotiation is
   * kept (no new T1 stream 1, no Est_DTLS even if agw_dtls_client; the answer
   * role answer_setup is the previous one, and the mirror re-offer prints
   * a=setup:<answer_setup> a=connection:existing instead of actpass/new). */
  int existing;
} sdpdc_dcline_t;

/* The rewrite plan: what was anchored and where, so that the answer can be
 * rebuilt. Made by sdpdc_plan_offer (WIC-originated) or sdpdc_mirror_plan
 * (WIC-terminated); allocated in the caller's home; points into the offer
 * (keep the offer's home alive, see the top of this file). */
typedef struct sdpdc_plan {
  int mirror;                        /* 0: WIC-originated (figure), 1: WIC-terminated */
  const sdpdc_session_t *offer;      /* the offer the plan was made from */
  sdpdc_dcline_t *dclines;           /* anchored DC m-lines (one T1 each) */
  size_t n_dclines;
  sdpdc_chan_t *chans;               /* anchored channels (one T2 each), by dcline then dcmap order */
  size_t n_chans;
  /* WIC-originated only: the m-lines of the offer the answer rejects (port 0):
   * OTHER lines, DC lines with no anchorable channel, port-0 lines. */
  size_t n_rejected;
  /* Number of m-lines of the IMS-side offer made from this plan: 0 in a
   * first plan (then it is n_chans: one m=message per channel, in order);
   * in a re-offer plan it counts the kept positions, the port-0 ones of
   * removed channels and the appended ones (chans[i].msrp_media is then the
   * position, not i). sdpdc_step14_answer honours it. */
  size_t n_ims_media;
} sdpdc_plan_t;

/* Step 1 -> plan (WIC-originated). Validates the offer beyond parsing:
 * every DC line with port != 0 is checked (setup not holdconn, fingerprint
 * present); a channel is anchored if sdpdc_dcmap_is_msrp() and its dcsa
 * carries path and accept-types and a setup other than holdconn (absent =
 * actpass); other channels are left out of the answer (RFC 8864 rejection);
 * a DC line without anchored channels and every OTHER line are rejected
 * (port 0 in the answer, never sent to IMS). DTLS answer role per line from
 * sdpdc_dtls_answer_role.
 * Errors: -ENOTSUP SDPDC_E_NOTHING "no MSRP data channel to anchor" when
 * nothing is anchored; -ENOTSUP SDPDC_E_SETUP for holdconn; -EINVAL for a
 * dcsa setup value that is not a role; -ENOMEM; SDPDC_E_ARG. */
int sdpdc_plan_offer(su_home_t *home, const sdpdc_session_t *wic_offer, sdpdc_plan_t **out,
                     sdpdc_error_t *err);

/* Session-level identity (o=, s=) of the SDP we generate for one leg. Give
 * real values: sess_id fixed for the leg, sess_version incremented on each
 * new SDP of the leg (re-INVITE). NULL pointer or NULL fields get defaults.
 * The o= address is the first anchored line's address. */
typedef struct sdpdc_origin {
  const char *username;      /* default "-" */
  const char *sess_id;       /* default "1" */
  const char *sess_version;  /* default "1" */
  const char *subject;       /* default "-" */
} sdpdc_origin_t;

/* ================================================================ step 5 */

/* Step 5: build the IMS offer (step 6). t2_local[i] is the parsed Local SDP
 * of the T2 reply for plan->chans[i] (n_t2 == plan->n_chans): only its
 * family, address and port are used (c=<IP2o>, m=message <P2o>).
 * Output, one m=message line per channel, in plan order:
 *   m=message <P2o> TCP/MSRP *  /  c=IN IP4|IP6 <IP2o>  /
 *   a=setup:<the channel's dcsa setup, actpass if absent>  /  a=msrp-cema  /
 *   every other dcsa attribute of the channel, in order, unchanged (path
 *   byte-exact). Nothing of ICE/DTLS/SCTP/dcmap goes to IMS.
 * origin may be NULL. *out (SDP text) is allocated in home; *out_session
 * (may be NULL) gets the model that was printed, allocated in home but
 * sharing strings with the plan, its offer and the Local replies: use it
 * only while those live. (Same for every rewrite below.)
 * Errors: -EINVAL SDPDC_E_ARG (count mismatch, NULL), -EINVAL SDPDC_E_ADDRESS
 * / SDPDC_E_PORT (T2 local without address/port), -ENOMEM. */
int sdpdc_step5_offer(su_home_t *home, const sdpdc_plan_t *plan,
                      const sdpdc_session_t *const *t2_local, size_t n_t2,
                      const sdpdc_origin_t *origin, char **out,
                      sdpdc_session_t **out_session, sdpdc_error_t *err);

/* ================================================================ step 14 */

/* Step 14: build the answer to the WIC (step 15) from the IMS answer
 * (step 7, parsed) and t1_local[j], the parsed Local SDP of the T1 reply for
 * plan->dclines[j] (n_t1 == plan->n_dclines).
 * Output: the same m-lines as the WIC offer, in order. Rejected lines:
 * port 0, same media/proto/fmt, no attributes. Each anchored DC line:
 *   m=application <P2a> <offered proto> webrtc-datachannel / c=<IP2a> /
 *   a=mid (echoed) / a=ice-ufrag, a=ice-pwd, a=candidate (from T1 local, if
 *   the offer had ICE) / a=fingerprint (T1's) / a=setup:<plan role> /
 *   a=connection:new (existing if the offer said existing: the ALG keeps the
 *   association, digest 2.3/7.4) / a=tls-id (T1's, if the offer had one) /
 *   a=sctp-port, a=max-message-size (T1's) / then per accepted channel:
 *   a=dcmap (as offered) / a=dcsa:<id> setup:<IMS answer setup, active if
 *   absent> / a=dcsa:<id> <each other IMS answer attribute except setup,
 *   connection, msrp-cema, in order; path byte-exact>.
 *   Session level: a=ice-lite if T1's Local says so; a=group:BUNDLE <mid>
 *   if the offer had a BUNDLE group and exactly one DC line is accepted.
 * An IMS m=message line with port 0 removes its channel; a DC line left
 * without channels gets port 0. With a re-offer plan (n_ims_media != 0) the
 * IMS answer has n_ims_media lines, channel i's is at chans[i].msrp_media,
 * and a position without a channel must be answered with port 0 (-EPROTO
 * SDPDC_E_MISMATCH otherwise).
 * Errors: -EPROTO SDPDC_E_MISMATCH (IMS answer m-line count/kind differs
 * from the step-5 offer), -EPROTO SDPDC_E_CEMA (accepted line without
 * a=msrp-cema), -EINVAL SDPDC_E_MSRP (accepted line without path),
 * -ENOTSUP SDPDC_E_SETUP (holdconn, or a role not allowed by RFC 4145 for
 * the offered one), -ENOTSUP SDPDC_E_NOTHING (every channel refused),
 * -EINVAL SDPDC_E_FINGERPRINT/ADDRESS/PORT (T1 local incomplete),
 * SDPDC_E_ARG, -ENOMEM. */
int sdpdc_step14_answer(su_home_t *home, const sdpdc_plan_t *plan,
                        const sdpdc_session_t *ims_answer,
                        const sdpdc_session_t *const *t1_local, size_t n_t1,
                        const sdpdc_origin_t *origin, char **out,
                        sdpdc_session_t **out_session, sdpdc_error_t *err);

/* ================================================================ mirror (digest 7.1, PROPOSED) */

/* IMS offer (TCP/MSRP) -> plan for a WIC-terminated call. Every m=message
 * TCP/MSRP line (port != 0, with path, accept-types, a=msrp-cema) becomes
 * one channel; all of them go into ONE DC m-line (one T1). Stream ids: odd
 * numbers from 1 up (the AGW offers actpass, a JSEP WIC answers active, so
 * the AGW is the DTLS server, which uses odd ids -- digest 5.1/6.4), skipping
 * ids in `used_ids` (n_used, may be 0; e.g. ids of an earlier offer on a
 * re-INVITE). Other lines are rejected (port 0 in the IMS answer).
 * Errors: -ENOTSUP SDPDC_E_NOTHING, -ENOTSUP SDPDC_E_CEMA (no
 * a=msrp-cema), -ENOTSUP SDPDC_E_SETUP (holdconn), -EINVAL SDPDC_E_MSRP,
 * SDPDC_E_ARG, -ENOMEM. */
int sdpdc_mirror_plan(su_home_t *home, const sdpdc_session_t *ims_offer,
                      const unsigned *used_ids, size_t n_used, sdpdc_plan_t **out,
                      sdpdc_error_t *err);

/* The DC offer to the WIC from the mirror plan and T1's Local reply (one
 * T1: n_t1 == plan->n_dclines == 1): session a=ice-lite (if T1 says so),
 * m=application <P> UDP/DTLS/SCTP webrtc-datachannel / c= / a=mid:0 / ICE /
 * a=fingerprint / a=setup:actpass / a=connection:new (a re-offer plan of
 * sdpdc_mirror_rediff: a=setup:<dclines[0].answer_setup> /
 * a=connection:existing) / a=sctp-port /
 * a=max-message-size / per channel: a=dcmap:<id> label="msrp" (a kept
 * channel with chan->dcmap: the WIC's label);subprotocol="MSRP";ordered=true,
 * a=dcsa:<id> setup:<the IMS endpoint's role once answered: passive if it offered passive, else active (we answer
 * actpass/active with passive: the AGW listens)>, a=dcsa:<id> <each other
 * IMS attribute except setup/connection/msrp-cema/mid, in order>.
 * Errors: SDPDC_E_ARG, -EINVAL SDPDC_E_FINGERPRINT/ADDRESS/PORT, -ENOMEM. */
int sdpdc_mirror_offer(su_home_t *home, const sdpdc_plan_t *plan,
                       const sdpdc_session_t *const *t1_local, size_t n_t1,
                       const sdpdc_origin_t *origin, char **out,
                       sdpdc_session_t **out_session, sdpdc_error_t *err);

/* The WIC's DC answer -> the IMS answer. t2_local[i] as in step 5, per
 * plan->chans[i]. Checks the WIC answer: one DC line, a=setup active or
 * passive (*agw_is_client = 1 when the WIC answered passive: Modify T1 with
 * Est_DTLS), fingerprint valid. A channel whose dcmap is missing in the WIC
 * answer is refused (port 0). Output per IMS offer m-line: accepted ->
 * m=message <P2> TCP/MSRP * / c=<T2 addr> / a=setup:<passive if the IMS
 * offered actpass, active or nothing; active if it offered passive (the AGW
 * must connect: "Establish TCP" is UNVERIFIED, digest 7.1)> / a=msrp-cema /
 * each WIC dcsa attribute except setup, in order (path byte-exact);
 * refused/rejected -> port 0.
 * Errors: -EPROTO SDPDC_E_MISMATCH, -ENOTSUP SDPDC_E_SETUP, -EINVAL
 * SDPDC_E_FINGERPRINT, -ENOTSUP SDPDC_E_NOTHING, SDPDC_E_ARG, -ENOMEM.
 * agw_is_client may be NULL. */
int sdpdc_mirror_answer(su_home_t *home, const sdpdc_plan_t *plan,
                        const sdpdc_session_t *wic_answer,
                        const sdpdc_session_t *const *t2_local, size_t n_t2,
                        const sdpdc_origin_t *origin, int *agw_is_client, char **out,
                        sdpdc_session_t **out_session, sdpdc_error_t *err);

/* ================================================================ re-offers (digest 7.4, PROPOSED) */

/* Effective direction of a line or channel (RFC 3264 sec 5.1, 8.4:
 * a=sendrecv|sendonly|recvonly|inactive; absent = sendrecv). */
typedef enum sdpdc_dir {
  SDPDC_DIR_SENDRECV = 0,
  SDPDC_DIR_SENDONLY,
  SDPDC_DIR_RECVONLY,
  SDPDC_DIR_INACTIVE,
} sdpdc_dir_t;

/* "sendrecv" "sendonly" "recvonly" "inactive". Never NULL. */
const char *sdpdc_dir_name(sdpdc_dir_t d);

/* Direction of media line m of session s: its media-level attribute, else
 * the session-level one, else sendrecv. */
sdpdc_dir_t sdpdc_media_dir(const sdpdc_session_t *s, const sdpdc_media_t *m);

/* What happened to one DC m-line (one SCTP association, one T1). */
typedef enum sdpdc_line_change {
  SDPDC_LINE_KEEP = 0,  /* same DTLS/SCTP association (maybe with channel changes) */
  SDPDC_LINE_RESTART,   /* new DTLS association on the same m-line: see `restart` bits */
  SDPDC_LINE_ADDED,     /* a DC line anchored now that was not before (new m-line, or
                           a port-0/unanchored one brought back): a new T1 */
  SDPDC_LINE_REMOVED,   /* port 0 now, or no anchorable channel left: Subtract T1 */
} sdpdc_line_change_t;

/* Why a line restarts (bits; several may be set). */
enum sdpdc_restart {
  SDPDC_RESTART_FINGERPRINT = 1u << 0, /* fingerprint set changed (with or without connection:new) */
  SDPDC_RESTART_TLS_ID = 1u << 1,      /* tls-id changed, appeared or disappeared */
  SDPDC_RESTART_ROLE = 1u << 2,        /* the WIC asks for the other DTLS role (active<->passive) */
  SDPDC_RESTART_TRANSPORT = 1u << 3,   /* c= address or m= port changed and there is no tls-id
                                          on both offers (RFC 5763 legacy rule; UNVERIFIED) */
  SDPDC_RESTART_SCTP_PORT = 1u << 4,   /* a=sctp-port changed: new SCTP association (RFC 8841) */
};

/* Changes on a kept line that need a T1 Modify (Remote) but no new association. */
enum sdpdc_line_modify {
  SDPDC_MODIFY_ICE = 1u << 0,       /* ice-ufrag/ice-pwd changed: ICE restart */
  SDPDC_MODIFY_MMS = 1u << 1,       /* a=max-message-size changed */
  SDPDC_MODIFY_TRANSPORT = 1u << 2, /* address/port changed, same tls-id on both (RFC 8842) */
};

/* What happened to one channel (stream id) of a line. */
typedef enum sdpdc_chan_change {
  SDPDC_CHAN_KEEP = 0,
  SDPDC_CHAN_ADDED,     /* new stream id (or a line ADDED): new H.248 stream on T1 and T2 */
  SDPDC_CHAN_REMOVED,   /* dcmap gone / no longer anchorable / line REMOVED: stream reset
                           (RFC 8831), H.248 stream subtracted, IMS m=message port 0 */
  SDPDC_CHAN_CHANGED,   /* same stream id, some attribute in `what` changed */
} sdpdc_chan_change_t;

/* What changed on a CHANGED channel (bits). */
enum sdpdc_chan_what {
  SDPDC_WHAT_PATH = 1u << 0,         /* dcsa path (MSRP a=path) */
  SDPDC_WHAT_ACCEPT_TYPES = 1u << 1, /* dcsa accept-types / accept-wrapped-types */
  SDPDC_WHAT_SETUP = 1u << 2,        /* dcsa setup (MSRP TCP role) */
  SDPDC_WHAT_OTHER = 1u << 3,        /* any other dcsa (or MSRP line) attribute */
  SDPDC_WHAT_DCMAP = 1u << 4,        /* dcmap label/priority changed (subprotocol, ordered,
                                        reliability changes make it REMOVED or not anchorable) */
  SDPDC_WHAT_DIR = 1u << 5,          /* effective direction changed: hold or resume */
};

typedef struct sdpdc_chan_diff {
  sdpdc_chan_change_t change;
  unsigned what;               /* SDPDC_WHAT_* (CHANGED only; 0 otherwise) */
  unsigned stream_id;          /* dcmap id (mirror: allocated for ADDED) */
  sdpdc_dir_t prev_dir, dir;   /* effective direction before / now (line dir, a dcsa
                                  direction overrides it; mirror: the m=message line's) */
  int hold;                    /* dir went from sendrecv to something else */
  int resume;                  /* dir went back to sendrecv */
  const sdpdc_dcmap_t *prev, *now;      /* WIC-originated: previous / new dcmap (NULL if none) */
  const sdpdc_media_t *msrp_prev, *msrp_now; /* mirror: previous / new IMS m=message line */
  size_t prev_chan;            /* index in the previous plan's chans, SIZE_MAX for ADDED */
  size_t new_chan;             /* index in the new plan's chans, SIZE_MAX for REMOVED */
} sdpdc_chan_diff_t;

typedef struct sdpdc_line_diff {
  size_t media;                /* m-line index in the DC offer (the same before and now) */
  sdpdc_line_change_t change;
  unsigned restart;            /* SDPDC_RESTART_* (RESTART only) */
  unsigned modify;             /* SDPDC_MODIFY_* (KEEP only) */
  sdpdc_dir_t prev_dir, dir;   /* the line's direction before / now */
  int connection_new;          /* the new offer says a=connection:new (reported even on KEEP) */
  const sdpdc_media_t *prev, *now;  /* previous / new DC m-line (NULL when absent;
                                       mirror: NULL) */
  size_t prev_slot;            /* index in the previous plan's dclines, SIZE_MAX if none */
  size_t new_slot;             /* index in the new plan's dclines, SIZE_MAX if REMOVED */
  sdpdc_chan_diff_t *chans;    /* every channel anchored before or now, previous order
                                  first, then the added ones */
  size_t n_chans;
} sdpdc_line_diff_t;

typedef struct sdpdc_diff {
  int unchanged;               /* 1: a session refresh: no line or channel changed, no
                                  direction change, nothing to Modify -- the ALG can skip
                                  the AGW entirely (and re-send the previous SDP) */
  sdpdc_line_diff_t *lines;    /* WIC-originated: one per DC m-line anchored before or now;
                                  mirror: exactly one (the DC line towards the WIC) */
  size_t n_lines;
  size_t n_added, n_removed, n_changed; /* channel counts over all lines */
  size_t n_restarted;          /* lines RESTART */
} sdpdc_diff_t;

/* WIC-originated call, a re-offer from the WIC (re-INVITE/UPDATE): compare
 * the new DC offer `now` with the previous negotiation: `prev_plan` (the
 * plan of the previous offer, first or re-offer plan; its offer must still
 * be alive) and `prev_answer` (the answer sent to the WIC for it, parsed or
 * the out_session of sdpdc_step14_answer; NULL = every planned channel was
 * accepted). Rules (doc/sdp.md "Re-offers"):
 *  - m-lines are matched by position (RFC 3264 sec 8); fewer m-lines than
 *    before -> -EPROTO SDPDC_E_MISMATCH.
 *  - a DC line: same association unless a restart trigger is met; tls-id on
 *    both: tls-id decides (same = keep, even with a new address/port or
 *    a=connection:new), a changed fingerprint or role still restarts; tls-id
 *    on neither: a changed fingerprint, role, address/port or sctp-port
 *    restarts; a=connection:new alone (same fingerprint, address, port) does
 *    NOT (UNVERIFIED, see doc) but is reported in connection_new.
 *  - channels are matched by stream id on the same line; anchorable as in
 *    sdpdc_plan_offer.
 * On success *diff and *new_plan (a plan of `now`, usable by
 * sdpdc_reoffer_ims and sdpdc_reanswer_wic; kept channels keep their
 * h248_stream and IMS position msrp_media, added ones get the next free
 * h248 stream of their line and a position appended after the previous IMS
 * m-lines) are allocated in home; both point into `now` and the previous
 * plan/answer. new_plan has n_chans == 0 when every channel is removed.
 * Errors: -EPROTO SDPDC_E_MISMATCH, -ENOTSUP SDPDC_E_SETUP (holdconn),
 * -EINVAL SDPDC_E_FINGERPRINT/ADDRESS/SETUP, SDPDC_E_ARG (NULL, a mirror
 * plan), -ENOMEM. */
int sdpdc_reoffer_diff(su_home_t *home, const sdpdc_plan_t *prev_plan,
                       const sdpdc_session_t *prev_answer, const sdpdc_session_t *now,
                       sdpdc_diff_t **diff, sdpdc_plan_t **new_plan, sdpdc_error_t *err);

/* The IMS-side re-offer for a WIC re-offer (reuses the step-5 line
 * builder). prev_ims is the previous IMS-side offer (step 5's or the
 * previous re-offer's out_session, or parsed); new_plan from
 * sdpdc_reoffer_diff. t2_local[i] per new_plan->chans[i] as in step 5, but
 * NULL allowed for a channel that existed before (its address and port are
 * taken from its prev_ims line). Output: position p < prev_ims->n_media:
 * kept channel -> its line rebuilt from the new dcsa (changed attributes
 * go to IMS), removed or unused -> port 0 with the previous media/proto/fmt;
 * then one appended m=message per added channel. The DC line direction
 * (sendonly/recvonly/inactive) is put on each of its channels' lines unless
 * the channel's dcsa carries its own.
 * Errors: as sdpdc_step5_offer, -EPROTO SDPDC_E_MISMATCH (prev_ims does not
 * fit the plan), -EINVAL SDPDC_E_ARG (NULL t2_local for an added channel). */
int sdpdc_reoffer_ims(su_home_t *home, const sdpdc_plan_t *new_plan,
                      const sdpdc_session_t *prev_ims,
                      const sdpdc_session_t *const *t2_local, size_t n_t2,
                      const sdpdc_origin_t *origin, char **out,
                      sdpdc_session_t **out_session, sdpdc_error_t *err);

/* The re-answer to the WIC: sdpdc_step14_answer on the re-offer plan (the
 * IMS answer has new_plan->n_ims_media lines; removed dcmap lines are
 * dropped, added ones present), plus the answer direction on each DC line
 * whose offer had one (sendonly -> recvonly, recvonly -> sendonly,
 * inactive -> inactive). t1_local[j] per new_plan->dclines[j]: for a kept
 * line give the previous T1 Local. Errors: as sdpdc_step14_answer. */
int sdpdc_reanswer_wic(su_home_t *home, const sdpdc_plan_t *new_plan,
                       const sdpdc_session_t *ims_answer,
                       const sdpdc_session_t *const *t1_local, size_t n_t1,
                       const sdpdc_origin_t *origin, char **out,
                       sdpdc_session_t **out_session, sdpdc_error_t *err);

/* WIC-terminated call, a re-offer from IMS: compare the new IMS offer `now`
 * with `prev_plan` (a mirror plan, first or re-offer; its offer alive) and
 * `prev_wic_answer` (the WIC's answer to our DC offer; NULL = every channel
 * was accepted). Per m=message position: anchorable before and now -> KEEP
 * or CHANGED (same stream id); anchorable now only (added line, or a port-0
 * one reused) -> ADDED with a new stream id; before only (port 0, line no
 * longer anchorable) -> REMOVED. New ids follow the parity of the AGW's
 * DTLS role (agw_dtls_client: even from 0, else odd from 1 -- RFC 8832
 * sec 6 rule as used by sdpdc_mirror_plan) and never equal an id of the
 * previous plan nor one of used_ids[0..n_used) (e.g. the WIC's DCEP ids).
 * The one line diff is KEEP (the IMS side cannot restart DTLS) or REMOVED
 * when nothing is left. *new_plan is a mirror plan of `now` with
 * dclines[0].existing = 1 and answer_setup = the AGW's current role
 * (active if agw_dtls_client, else passive); a kept channel's dcmap is the
 * previous plan's, else the WIC answer's dcmap of it (so its label is
 * kept; added channels have none): sdpdc_mirror_offer prints the
 * WIC-side re-offer from it (a=setup:<that role>, a=connection:existing,
 * removed dcmaps absent, added ones present) and sdpdc_mirror_answer the
 * IMS re-answer (removed and unused positions port 0).
 * Errors: -EPROTO SDPDC_E_MISMATCH (fewer m-lines), -ENOTSUP SDPDC_E_SETUP
 * (holdconn), -ENOTSUP SDPDC_E_DCMAP_ID (no free id), SDPDC_E_ARG, -ENOMEM. */
int sdpdc_mirror_rediff(su_home_t *home, const sdpdc_plan_t *prev_plan,
                        const sdpdc_session_t *prev_wic_answer, const sdpdc_session_t *now,
                        int agw_dtls_client, const unsigned *used_ids, size_t n_used,
                        sdpdc_diff_t **diff, sdpdc_plan_t **new_plan, sdpdc_error_t *err);

/* ================================================================ H.248 fragments */

/* All fragment builders print "v=0", "c=IN IP4|IP6 <a>|$", the m= line and
 * the listed attributes, CRLF ended, no o=/s=/t= (digest 4). *out in home.
 * family is 4 or 6. Errors: -EINVAL SDPDC_E_ARG, -ENOMEM. */

/* Step 2 T2 Local (and mirror step 2): "c=IN IP4 $", "m=message $ TCP -". */
int sdpdc_h248_t2_local_request(su_home_t *home, int family, char **out, sdpdc_error_t *err);

/* Step 8 T2 Remote from an IMS m=message line (the answer's, or in the
 * mirror the offer's): "c=IN IP4 <addr>", "m=message <port> TCP -", and, if
 * with_setup, "a=setup:<role of the IMS side>" (PROPOSED: tells the AGW
 * whether to listen -- remote active -- or connect -- remote passive; the
 * digest's s08 example has no a=setup). A remote without a=setup prints
 * active (RFC 4145 default); actpass (a mirror IMS offer, which we always
 * answer passive) prints active. */
int sdpdc_h248_t2_remote(su_home_t *home, const sdpdc_media_t *ims_msrp, int with_setup,
                         char **out, sdpdc_error_t *err);

/* Step 11 T1 Local request: c=$, "m=application $ <proto> webrtc-datachannel",
 * a=sctp-port:$, a=max-message-size:$, a=fingerprint:$, and if ice:
 * a=ice-ufrag:$, a=ice-pwd:$, a=ice-lite (PROPOSED). proto is
 * SDPDC_PROTO_UDP_DTLS_SCTP or SDPDC_PROTO_TCP_DTLS_SCTP. */
int sdpdc_h248_t1_local_request(su_home_t *home, int family, sdpdc_proto_t proto, int ice,
                                char **out, sdpdc_error_t *err);

/* Step 11 T1 Remote from the WIC's DC m-line: c=, m=application <port>
 * <proto> webrtc-datachannel, a=sctp-port, a=max-message-size,
 * a=fingerprint (every one), and if ice and the line has them:
 * a=ice-ufrag, a=ice-pwd (PROPOSED); a=tls-id if present (PROPOSED).
 * Errors also: -EINVAL SDPDC_E_ADDRESS/FINGERPRINT if the line lacks them. */
int sdpdc_h248_t1_remote(su_home_t *home, const sdpdc_media_t *wic_dc, int ice, char **out,
                         sdpdc_error_t *err);

/* Readers: sdpdc_frag_parse() then the first m-line: media[0]. The AGW's
 * replies (s04, s13) are printed with sdpdc_frag_print() from a filled
 * sdpdc_media_t (choose = 0). */

#ifdef __cplusplus
}
#endif

#endif /* WG_SDP_DC_H */
