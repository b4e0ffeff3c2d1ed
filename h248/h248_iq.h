/* h248_iq.h -- every package / property / event / signal / statistic token of
 * the Iq profile (TS 29.334) that wicgate uses, in ONE place.
 *
 * Included by h248/h248.h; do not include it on its own.
 *
 * Where 29.334 / the ITU-T package Recommendation could not be read (see
 * ../shared/spec/iq-datachannel-digest.md §2.2), the token is marked
 * PROPOSED: it is this project's choice, following H.248 conventions, and can
 * be swapped here for the real value without touching any other file.
 * UNVERIFIED means the token is recalled from the standard but was not
 * checked against a readable source.
 *
 * Every property/event/signal on the wire is "package/item" (a bare item name
 * such as `strdeagg=[2]` is rejected by real H.248 decoders and by ours with
 * error 445). The H248_IQ_* full names below are what goes into
 * h248_prop_t.name / h248_event_t.name / h248_signal_t.name; the PKG and item
 * parts are given separately for callers that need them.
 */
#ifndef WG_H248_IQ_H
#define WG_H248_IQ_H

/* ---- DTLS session control: H.248.90 / H.248.93 (PROPOSED tokens) ---- */
#define H248_IQ_PKG_TLS        "tlsbsc"          /* PROPOSED: TLS basic session control package */
#define H248_IQ_SIG_TLS_EST    "tlsbsc/tlsest"   /* PROPOSED: signal Est_DTLS ("Establish (D)TLS
                                                  * session"); parameter Stream = 1 names the
                                                  * H.248 stream (the SCTP association) */
#define H248_IQ_EVT_TLS_FAIL   "tlsbsc/tlsfail"  /* PROPOSED: event Notify_DTLS_Est_failure; armed in
                                                  * Events = <rid> { tlsbsc/tlsfail {Stream = 1} },
                                                  * reported in ObservedEvents of a Notify */

/* ---- Media grouping: H.248.96 (PROPOSED package prefix, item names from the seed) ---- */
#define H248_IQ_PKG_GRP        "mgrp"            /* PROPOSED */
#define H248_IQ_PROP_GROUPSE   "mgrp/groupse"    /* TerminationState property: group semantics,
                                                  * value list e.g. ["SCTP 2"] (quoted strings) */
#define H248_IQ_PROP_STRDEAGG  "mgrp/strdeagg"   /* LocalControl of the aggregating stream (1):
                                                  * list of de-aggregated stream ids, e.g. [2] */

/* ---- SCTP: H.248.97 (PROPOSED package prefix, item name from the seed) ---- */
#define H248_IQ_PKG_SCTP       "sctp"            /* PROPOSED */
#define H248_IQ_PROP_SCTPID    "sctp/sctpid"     /* LocalControl of a data-channel stream: the SCTP
                                                  * stream id of the SDP-negotiated data channel */

/* ---- Termination heartbeat: H.248.36 Hanging Termination (package 0x0098, event 0x0001
 *      verified; text tokens UNVERIFIED) ---- */
#define H248_IQ_PKG_HANGTERM   "hangterm"        /* UNVERIFIED */
#define H248_IQ_EVT_THB        "hangterm/thb"    /* UNVERIFIED: "Notify termination heartbeat" */
#define H248_IQ_PAR_TIMERX     "timerx"          /* UNVERIFIED: heartbeat period parameter, seconds */

/* ---- IP realm: H.248.41 (tokens UNVERIFIED) ---- */
#define H248_IQ_PROP_REALM     "ipdc/realm"      /* UNVERIFIED: TerminationState, "access"/"core" */

/* ---- Network package statistics (H.248.1 Annex E.11 "nt"), for Subtract replies ---- */
#define H248_IQ_STAT_DURATION  "nt/dur"          /* duration the termination existed, ms */
#define H248_IQ_STAT_OCTETS_TX "nt/os"           /* octets sent */
#define H248_IQ_STAT_OCTETS_RX "nt/or"           /* octets received */

/* ---- Generic package (H.248.1 Annex E.1) ---- */
#define H248_IQ_EVT_CAUSE      "g/cause"         /* general failure cause event */

/* ---- Notify Released Bearer (23.334 "Notify Released Bearer"; token PROPOSED) ---- */
#define H248_IQ_EVT_RELEASED   "ipnwr/rel"       /* PROPOSED: bearer released (TCP closed, SCTP
                                                  * association lost, ICE consent expired) */

/* ---- ServiceChange ---- */
#define H248_IQ_PROFILE        "ims_iq/1"        /* UNVERIFIED: default ServiceChangeProfile; the
                                                  * applications make it configurable */
#define H248_IQ_VERSION        3                 /* H.248.1 version we speak (MEGACO/3) */

/* ---- Transport / profile limits ---- */
#define H248_IQ_PORT_TEXT      2944              /* H.248.1 Annex D: text encoding port */
#define H248_IQ_MAX_TRANS      10                /* TS 29.334: at most 10 transactions (requests,
                                                  * replies, pendings, acks) per message;
                                                  * more -> error 413 */

#endif /* WG_H248_IQ_H */
