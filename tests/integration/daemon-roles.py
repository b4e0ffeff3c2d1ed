# daemon-roles.py -- wicgated split in two processes (--role alg and --role
# agw, H.248 over loopback UDP) with the real gateway:
#   1. no AGW running: a DC call gets 503 + Retry-After + Warning at once;
#   2. the AGW starts and registers: the ALG says "ready"; a call goes
#      through (steps 1..15) with the real AGW;
#   3. the AGW process dies and restarts mid-call: its ServiceChange Restart
#      makes the ALG release the call (BYE to both sides);
#   4. DTLS failure: the WIC never answers the AGW's DTLS; the AGW's
#      tlsbsc/tlsfail Notify makes the ALG send BYE both ways;
#   5. SIGTERM to the ALG with a call up: BYE both ways, exit status 0;
#   and a WIC-terminated call (mirror, digest 7.1) through the real AGW.
import importlib, os, re, signal, socket, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
L = importlib.import_module("alg-lib")

sip = L.free_port_both()
h248_alg = L.free_port()
h248_agw = L.free_port()
ueb = L.UA("ue-b", ("127.0.0.1", sip))
wic = L.UA("wic-a", ("127.0.0.1", sip))
# the WIC's DC port: bound, never answers (no ICMP, no DTLS)
dc, dcport = L.silent_udp()
RURI = "sip:ue-b@ims.example.invalid"

alg = L.Daemon("alg", [
    "--role", "alg", "--sip-listen", "127.0.0.1:%d" % sip,
    "--next-hop", "sip:127.0.0.1:%d" % ueb.port, "--h248-listen", "127.0.0.1:%d" % h248_alg,
    "--agw", "127.0.0.1:%d" % h248_agw, "--set", "alg.audit-interval=1",
    "--set", "alg.retry-after=9", "--log-level", "debug"], wait_ready=False)
alg.wait_log(r"SIP on 127\.0\.0\.1:%d" % sip)

# ---------------------------------------------------------- 1. no AGW
wic.invite(RURI, L.figure_offer(dcport))
r = wic.recv_final()
L.check(r.status == 503 and (r.hdr("retry-after") or "").startswith("9") and r.hdr("warning"),
        "no AGW: %s Retry-After %s Warning %s" % (r.status, r.hdr("retry-after"), r.hdr("warning")))
wic.ack_error(r)
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
L.note("1 ok: no AGW -> 503 (%s)" % r.hdr("warning"))


def start_agw(name, extra=()):
    return L.Daemon(name, ["--role", "agw", "--agw-listen", "127.0.0.1:%d" % h248_agw,
                           "--mgc", "127.0.0.1:%d" % h248_alg, "--log-level", "debug"] + list(extra),
                    ready_pattern="wicgated: ready")


def call_up():
    wic.invite(RURI, L.figure_offer(dcport))
    inv = ueb.recv_request("INVITE")
    ueb.reply(inv, 180, "Ringing")
    ueb.reply(inv, 200, "OK", L.ims_answer(L.free_port("tcp")))
    ok = wic.recv_status(200)
    wic.ack_2xx(ok)
    ueb.recv_request("ACK")
    return inv, ok


def bye_both(what):
    b1 = wic.recv_request("BYE", timeout=30)
    wic.reply(b1, 200, "OK")
    b2 = ueb.recv_request("BYE", timeout=5)
    ueb.reply(b2, 200, "OK")
    L.check(b1.hdr("call-id") == b2.hdr("call-id"), what + ": BYE Call-IDs differ")
    return b1, b2


# ---------------------------------------------------------- 2. AGW registers, a call
agw = start_agw("agw1")
alg.wait_log("wicgated: ready", what="ALG ready after the AGW registered")
inv, ok = call_up()
sess, media = L.sdp_media(ok.body)
L.check(media[0]["m"].startswith("application ") and "UDP/DTLS/SCTP" in media[0]["m"], "step 15 m=")
L.note("2 ok: AGW registered, call up: " + media[0]["m"])

# ---------------------------------------------------------- 2b. WIC-terminated call (mirror)
msrp = L.free_port("tcp")
ims_offer = ("v=0\no=- 77 1 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=message %d TCP/MSRP *\n"
             "c=IN IP4 127.0.0.1\na=setup:actpass\na=msrp-cema\n"
             "a=accept-types:message/cpim text/plain\na=path:msrp://127.0.0.1:%d/ims77;tcp\n") % (msrp, msrp)
ueb.invite("sip:wic-a@127.0.0.1:%d" % wic.port, ims_offer, to="<sip:wic-a@example.invalid>")
minv = wic.recv_request("INVITE")
sess, media = L.sdp_media(minv.body)
L.check(len(media) == 1 and "UDP/DTLS/SCTP webrtc-datachannel" in media[0]["m"], "mirror: DC offer to the WIC")
dcid = L.attr(media[0], "dcmap").split()[0]
wic.reply(minv, 200, "OK", L.mirror_dc_answer(dcport, dcid))
mok = ueb.recv_status(200)
sess, media = L.sdp_media(mok.body)
L.check(len(media) == 1 and media[0]["m"].endswith("TCP/MSRP *") and L.attr(media[0], "msrp-cema") == ""
        and L.attr(media[0], "path") == "msrp://wic-a.example.invalid:9/wicans;dc", "mirror: answer to IMS")
ueb.ack_2xx(mok)
wic.recv_request("ACK")
ueb.bye()
b = wic.recv_request("BYE")
wic.reply(b, 200, "OK")
ueb.recv_status(200, "BYE")
ueb.dialog = None
wic.dialog = None
L.note("2b ok: WIC-terminated call through the real AGW: " + media[0]["m"])

# ---------------------------------------------------------- 3. AGW restart mid-call
mark = len(alg.text())
agw.kill()
agw = start_agw("agw2")
bye_both("AGW restart")
# the restarted AGW's ServiceChange Restart is executed, not taken for a
# retransmission of the first one (within LONG-TIMER): its transaction ids
# start from a new, time-derived value. Depending on whether the context
# audit noticed the loss first, the ALG logs it as a restart or as the AGW
# coming back in service; either is the ServiceChange being executed.
L.wait_until(lambda: re.search(r"AGW restarted \(ServiceChange\)|in service \(ServiceChange\)",
                               alg.text()[mark:]), what="restart ServiceChange handled")
L.note("3 ok: AGW restart mid-call -> BYE both ways")

# ---------------------------------------------------------- 4. DTLS failure (real AGW)
agw.stop()
agw = start_agw("agw3", ["--set", "agw.dtls-timeout=1", "--set", "agw.consent-timeout=60"])
agw.wait_log("registered with the MGC")
inv, ok = call_up()
# the WIC's ICE check: the ICE-lite AGW then starts DTLS as client towards
# the WIC's DC port, which never answers -> DTLS timeout -> tlsfail Notify
sess, media = L.sdp_media(ok.body)
t1port = int(media[0]["m"].split()[1])
dc.sendto(L.stun_binding_request("x7Qf", L.attr(media[0], "ice-ufrag"), L.attr(media[0], "ice-pwd")),
          ("127.0.0.1", t1port))
dc.settimeout(10)
resp = dc.recv(2048)
L.check(resp[:2] == b"\x01\x01", "no STUN success response from the AGW: %r" % resp[:4])
bye_both("DTLS failure")
L.check(re.search(r"tlsbsc/tlsfail", alg.text()), "no tlsfail Notify in the ALG log")
L.note("4 ok: DTLS failure Notify from the real AGW -> BYE both ways")

# ---------------------------------------------------------- 5. SIGTERM with a call up
agw.stop()
agw = start_agw("agw4", ["--set", "agw.dtls-timeout=60", "--set", "agw.consent-timeout=60"])
agw.wait_log("registered with the MGC")
inv, ok = call_up()
alg.p.send_signal(signal.SIGTERM)
bye_both("graceful stop")
rc = alg.stop()
L.check(rc == 0, "ALG exit status %s" % rc)
L.check(re.search(r"graceful stop", alg.text()), "no graceful stop log")
rc = agw.stop()
L.check(rc == 0, "AGW exit status %s" % rc)
print("ok - wicgated split roles with the real AGW")
