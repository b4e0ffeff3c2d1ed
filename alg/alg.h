/* alg.h -- the one public header of libwgalg: the eP-CSCF (IMS-ALG) of
 * TS 23.334 figure 6.2.10.x.2.1. A stateful SIP proxy (Sofia-SIP nta) that
 * is also the H.248 MGC of one or more eIMS-AGWs.
 *
 * Calls: an INVITE with a WebRTC data-channel offer (UDP/DTLS/SCTP
 * webrtc-datachannel, MSRP channels by dcmap/dcsa) walks the figure's steps
 * 1-15; an INVITE from alg.next-hop with a TCP/MSRP offer (a=msrp-cema) is a
 * WIC-terminated call (digest 7.1, the mirror); anything else is proxied
 * untouched. WICs may also be browsers over SIP over WebSocket (alg.ws-listen,
 * RFC 7118), with the demo page served on the same port.
 *
 * Threading: alg_create() may run on any thread; alg_run() creates Sofia's
 * su_root in the CALLING thread and runs it there until the ALG stops, so
 * every SIP and H.248 event of the ALG happens on that one thread.
 * alg_stop() is the only function that may be called from another thread
 * (or after alg_run() returned). alg_destroy() after alg_run() returned.
 *
 * Ownership: the caller owns the config (it must outlive the alg_t) and the
 * pcap handle passed to alg_set_capture() (it must outlive alg_run()).
 * alg_destroy() frees everything the ALG allocated.
 *
 * Configuration keys (all optional; see doc/wicgated.conf.md):
 *   alg.sip-listen      HOST:PORT   SIP over UDP and TCP (127.0.0.1:5060)
 *   alg.sip-transports  udp,tcp     which transports to listen on (udp,tcp)
 *   alg.next-hop        sip:URI     where initial requests go (the IMS core);
 *                                   unset: by Request-URI
 *   alg.record-route    bool        add Record-Route (yes)
 *   alg.h248-listen     HOST:PORT   MGC's own H.248 UDP socket (127.0.0.1:2945)
 *   alg.mid             text        MGC mId in H.248 headers ([ip]:port of h248-listen)
 *   alg.agw             list        AGWs, "HOST:PORT[,HOST:PORT...]" (127.0.0.1:2944)
 *   alg.h248-timeout    ms          give up on an AGW transaction (4000)
 *   alg.audit-interval  s           AuditValue ROOT on each AGW (10; 0 = off)
 *   alg.max-calls       n           calls with a data channel at a time (1000)
 *   alg.agw-max-calls   n           per AGW (500)
 *   alg.retry-after     s           Retry-After in overload 503s (10)
 *   alg.timer-c         s           proxy Timer C for INVITE (180)
 *   alg.release-timeout ms          graceful stop: wait for releases (3000)
 *   alg.h248-long-timer ms          H.248 LONG-TIMER: how long a request id from an
 *                                   AGW is remembered as answered (30000)
 *   alg.ws-listen       HOST:PORT   SIP over WebSocket (ws://, RFC 7118) and the
 *                                   static files (http://) on one port (unset: off)
 *   alg.wss-listen      HOST:PORT   the same over TLS (wss://, https://)
 *   alg.tls-cert        file        PEM certificate for wss-listen (required with it)
 *   alg.tls-key         file        PEM private key for wss-listen (required with it)
 *   alg.http-root       dir         static files served on those ports (unset: 404)
 *   alg.registrar       builtin|URI REGISTER from WebSocket clients: the built-in
 *                                   test registrar, or forwarded with Path (builtin)
 *   alg.ws-max-connections n        WebSocket/HTTP connections at a time (100)
 *   alg.ws-max-message  bytes       largest WebSocket message; larger: close 1009 (65536)
 *   alg.ws-ping-interval s          idle WebSocket -> ping; silent for 2x -> close (30; 0 off)
 */
#ifndef WG_ALG_H
#define WG_ALG_H

#include <stddef.h>
#include "common/common.h"

typedef struct alg alg_t;

/* Called on the ALG thread when the ALG can take calls (its SIP transports
 * are bound and at least one AGW has registered or answered an audit).
 * sip/h248 are "HOST:PORT" texts of the bound SIP and H.248 addresses.
 * Called once per run. */
typedef void (*alg_ready_cb)(void *arg, const char *sip, const char *h248);

/* Called on the ALG thread once its SIP and H.248 sockets are bound, before
 * any AGW is known to be in service. wicgated --role both starts the AGW
 * thread only then, so that the AGW's first ServiceChange finds the MGC
 * listening. Call before alg_run(). */
typedef void (*alg_bound_cb)(void *arg);
void alg_set_bound_cb(alg_t *alg, alg_bound_cb cb, void *arg);

/* Reads and checks the alg.* keys. Binds nothing yet (alg_run does).
 * Returns 0 and *out, or -EINVAL (bad key value, err says which) / -ENOMEM. */
int alg_create(alg_t **out, const wg_config_t *cfg, char *err, size_t errlen);

/* Record every SIP message and H.248 datagram the ALG sends or receives.
 * NULL turns it off. Call before alg_run(). */
void alg_set_capture(alg_t *alg, wg_pcap_t *pcap);
/* Whether that capture includes the H.248 datagrams (default yes). wicgated
 * --role both turns it off: the AGW records the same datagrams on its side,
 * and each should appear in the pcap once. Call before alg_run(). */
void alg_set_capture_h248(alg_t *alg, int record);

/* Readiness callback (see alg_ready_cb). Call before alg_run(). */
void alg_set_ready_cb(alg_t *alg, alg_ready_cb cb, void *arg);

/* Creates the su_root, binds the SIP and H.248 sockets and runs until
 * alg_stop(). Returns 0 after a stop, or a negative errno when it could not
 * start (e.g. -EADDRINUSE); the reason is logged. */
int alg_run(alg_t *alg);

/* Thread-safe, also from a signal-driven thread. graceful=1: refuse new
 * calls (503), release existing ones (BYE/CANCEL both sides, Subtract),
 * send ServiceChange Forced to the AGWs, then stop (bounded by
 * alg.release-timeout). graceful=0: stop at once. Calling it before
 * alg_run() makes alg_run() return at once. */
void alg_stop(alg_t *alg, int graceful);

/* Frees the ALG. Not while alg_run() is running. NULL is fine. */
void alg_destroy(alg_t *alg);

/* NULL-terminated list of the config keys the ALG reads (for
 * wg_config_first_unknown). */
const char *const *alg_config_keys(void);

/* Number of calls the ALG holds now (any thread; approximate). */
unsigned alg_call_count(const alg_t *alg);

#endif /* WG_ALG_H */
