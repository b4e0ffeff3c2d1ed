/* agw.h -- the one public header of libwgagw: the eIMS-AGW as an H.248 MG.
 *
 * The gateway registers with one MGC (ServiceChange Restart over H.248 text
 * on UDP), executes the MGC's commands on contexts and terminations (Add,
 * Modify, Subtract, AuditValue, Notify replies, ServiceChange), and runs the
 * media plane of figure 6.2.10.x.2.1: T1 (access side, ICE-lite + DTLS +
 * SCTP + data channels on one UDP port) and T2 (IMS side, TCP/MSRP), with an
 * MSRP relay between H.248 stream N of T1 and stream N of T2.
 *
 * Threads: agw_run() runs the gateway's own libuv loop in the calling thread;
 * every other function except agw_stop() must be called from that same
 * thread, or before agw_run() / after it has returned. agw_stop() may be
 * called from any thread (it wakes the loop with a uv_async_t).
 *
 * Errors: functions returning int give 0 on success and a negative
 * errno-style value on failure (as libuv). Where an error text buffer is
 * passed, it receives a one-line reason naming the config key or the socket.
 *
 * Configuration keys (all under "agw."; see doc/agw.md for the full list):
 *   agw.h248-listen        local H.248 address:port     (127.0.0.1:2944)
 *   agw.mgc                MGC address:port to register (127.0.0.1:2945)
 *   agw.mid                our mId                      ("[<listen ip>]:<port>")
 *   agw.profile            ServiceChange profile        (ims_iq/1)
 *   agw.access-address     IP of T1 UDP ports           (127.0.0.1)
 *   agw.access-ports       T1 UDP port range lo-hi      (41000-41999)
 *   agw.core-address       IP of T2 TCP ports           (127.0.0.1)
 *   agw.core-ports         T2 TCP port range lo-hi      (40000-40999)
 *   agw.max-contexts       concurrent contexts          (1000)
 *   agw.max-terminations   terminations per context     (8)
 *   agw.consent-timeout    ICE consent timeout, s       (30)
 *   agw.dtls-timeout       DTLS handshake timeout, s    (20)
 *   agw.cert, agw.key      PEM files; default: ECDSA P-256 generated at start
 *   agw.notify-released-bearer  yes/no: Notify lost bearers even when the
 *                          MGC did not arm the event    (yes)
 *   agw.register-retry     first ServiceChange retry, ms (1000, doubling to 8 s)
 *   agw.max-message-size   a=max-message-size we offer  (65536)
 *   agw.sctp-port          a=sctp-port we offer         (5000)
 *   agw.sctp-streams       SCTP streams per association (1024; raised to the highest sctpid + 1)
 */
#ifndef WG_AGW_H
#define WG_AGW_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

typedef struct agw agw_t;

/* Create a gateway from cfg: validates every agw.* key (unknown agw.* keys
 * are an error), loads or generates the DTLS certificate, binds the H.248
 * UDP socket. Nothing is sent until agw_run(). cfg is read only during the
 * call (values are copied).
 * Returns 0 and *out, or: -EINVAL (bad config value; err names the key),
 * -EADDRINUSE / other -errno (cannot bind; err names the address),
 * -ENOMEM. On error *out is NULL. */
int agw_create(agw_t **out, const wg_config_t *cfg, char *err, size_t errlen);

/* Optional, before agw_run(): write every H.248 datagram, every T1 UDP
 * datagram and every T2 TCP segment to pcap, and DTLS secrets to keylog.
 * Either may be NULL. The caller keeps ownership and closes them after
 * agw_destroy(). */
void agw_set_capture(agw_t *agw, wg_pcap_t *pcap, wg_keylog_t *keylog);

/* Run the gateway's loop in the calling thread: send ServiceChange Restart
 * ("901 Cold Boot") to the MGC, retried with back-off until answered, then
 * serve commands. Returns 0 after agw_stop() (once the loop has drained), or
 * a negative errno-style value if the loop could not run. */
int agw_run(agw_t *agw);

/* Ask the loop to stop; thread-safe and idempotent. graceful != 0: send
 * ServiceChange (Method=Graceful, Reason "905 Termination taken out of
 * service") to the MGC and wait for its reply (bounded), release every
 * context, then leave; graceful == 0: ServiceChange Forced, no wait. */
void agw_stop(agw_t *agw, int graceful);

/* Free everything (contexts, sockets, certificate). Call after agw_run()
 * returned, or instead of it. NULL is accepted. */
void agw_destroy(agw_t *agw);

/* --- introspection (loop thread, or while the loop is not running) --- */

/* The bound H.248 address (useful when agw.h248-listen used port 0). */
int agw_h248_address(const agw_t *agw, struct sockaddr_storage *out);
/* Number of live contexts and terminations. */
size_t agw_context_count(const agw_t *agw);
size_t agw_termination_count(const agw_t *agw);
/* sha-256 fingerprint of our DTLS certificate, "sha-256 AB:CD:..". */
const char *agw_fingerprint(const agw_t *agw);

#endif /* WG_AGW_H */
