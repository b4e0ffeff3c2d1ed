# alg-calls.py -- the ALG's call handling and release paths, with wicgated in
# role alg, a scriptable fake AGW (H.248 over UDP) and two small SIP UAs
# (WIC and UE-B) on loopback. Each case checks what every side receives:
#   non-DC call proxied untouched (no H.248); the figure's call with the fake
#   AGW; BYE from the WIC; BYE from UE-B; CANCEL before the answer; 486 from
#   UE-B; DTLS failure Notify -> BYE both ways; AGW restart mid-call (calls
#   released); AGW error on Add T2 -> 503 + Warning; AGW error on Add T1
#   after the IMS answered -> error to the WIC, ACK + BYE to the IMS side;
#   malformed DC SDP -> 488 + Warning; overload -> 503 + Retry-After;
#   AGW silent -> 503 within alg.h248-timeout; bearer-released Notify (a BYE crossing the
#   release -> 200, not forwarded); early
#   answer (183 + SDP); session refresh re-INVITE (no H.248); glare 491; AGW error in a
#   re-offer -> 500; unusable re-offer -> 488; Max-Forwards 0 -> 483;
#   SIGTERM with a ringing call -> 503 to the WIC and CANCEL to UE-B.
import importlib.util, os, re, sys, time

spec = importlib.util.spec_from_file_location(
    "alglib", os.path.join(os.path.dirname(os.path.abspath(__file__)), "alg-lib.py"))
L = importlib.util.module_from_spec(spec)
spec.loader.exec_module(L)

sip = L.free_port_both()
ueb = L.UA("ue-b", ("127.0.0.1", sip))
wic = L.UA("wic-a", ("127.0.0.1", sip))
TIMEOUT_MS = 1500
d, agw = L.start_alg_fake_agw(sip, ueb, [
    "--set", "alg.h248-timeout=%d" % TIMEOUT_MS, "--set", "alg.audit-interval=0",
    "--set", "alg.max-calls=1", "--set", "alg.retry-after=7"])

RURI = "sip:ue-b@ims.example.invalid"


def is_add_t2(t):
    return re.search(r"Add\s*=\s*\$", t) and "m=message $ TCP -" in t


def is_add_t1(t):
    return re.search(r"Add\s*=\s*\$", t) and "webrtc-datachannel" in t


def is_modify(t):
    return re.search(r"Modify\s*=", t)


def is_subtract(t):
    return re.search(r"Subtract\s*=", t)


def offer_and_forward():
    """Steps 1..6: returns the INVITE UE-B received."""
    wic.invite(RURI, L.figure_offer(wic.port + 1))
    agw.serve(is_add_t2, what="Add T2 (step 2)")
    inv = ueb.recv_request("INVITE")
    return inv


def answer(inv, status=200):
    """Steps 7..15: UE-B answers; returns the response the WIC gets."""
    ueb.reply(inv, 180, "Ringing")
    ueb.reply(inv, status, "OK", L.ims_answer(ueb.port + 1))
    agw.serve(is_modify, what="Modify T2 (step 8)")
    agw.serve(is_add_t1, what="Add T1 (step 11)")
    resp = wic.recv_status(status)
    return resp


def established():
    inv = offer_and_forward()
    ok = answer(inv)
    wic.ack_2xx(ok)
    ueb.recv_request("ACK")
    return inv, ok


def subtract_seen():
    return agw.serve(is_subtract, what="Subtract (release)")


def calls_zero():
    d.wait_log(r"Subtract done", what="Subtract done")


n_sub = 0


def expect_released():
    global n_sub
    t = subtract_seen()
    n_sub += 1
    L.wait_until(lambda: len(re.findall("Subtract done", d.text())) >= n_sub, what="Subtract done")
    return t


# ---------------------------------------------------------- 1. no DC: untouched
wic.invite(RURI, L.audio_offer(wic.port + 1))
inv = ueb.recv_request("INVITE")
L.check(inv.body.replace("\r\n", "\n") == L.audio_offer(wic.port + 1), "non-DC SDP changed:\n" + inv.body)
L.check(inv.hdr("max-forwards") == "69", "Max-Forwards")
ueb.reply(inv, 200, "OK", L.audio_offer(ueb.port + 1))
ok = wic.recv_status(200)
L.check(ok.body.replace("\r\n", "\n") == L.audio_offer(ueb.port + 1), "non-DC answer changed")
L.check(len(ok.hdrs("via")) == 1, "Via not stripped")
wic.ack_2xx(ok)
ack = ueb.recv_request("ACK")
L.check(not any(a for a in ack.hdrs("route") if ":%d" % sip in a), "our Route left in the ACK")
wic.bye()
bye = ueb.recv_request("BYE")
ueb.reply(bye, 200, "OK")
wic.recv_status(200, "BYE")
L.check(not any(is_add_t2(t) for t in agw.received), "H.248 for a non-DC call")
L.check(not [r for r in bye.hdrs("route") if ":%d" % sip in r], "our Route left in the BYE")
L.note("1 ok: non-DC call proxied untouched")

# ---------------------------------------------------------- 1b. Max-Forwards 0 -> 483
wic.invite(RURI, L.figure_offer(wic.port + 1), max_forwards=0)
r = wic.recv_final()
L.check(r.status == 483, "Max-Forwards 0: %s" % r.status)
wic.ack_error(r)
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
L.note("1b ok: Max-Forwards 0 -> 483")

# ---------------------------------------------------------- 1c. from the IMS side: by Request-URI
ueb.invite("sip:wic-a@127.0.0.1:%d" % wic.port, L.audio_offer(ueb.port + 1),
           to="<sip:wic-a@example.invalid>")
inv = wic.recv_request("INVITE")
L.check(inv.body.replace("\r\n", "\n") == L.audio_offer(ueb.port + 1), "IMS-originated SDP changed")
wic.reply(inv, 200, "OK", L.audio_offer(wic.port + 1))
ok = ueb.recv_status(200)
ueb.ack_2xx(ok)
wic.recv_request("ACK")
ueb.bye()
bye = wic.recv_request("BYE")
wic.reply(bye, 200, "OK")
ueb.recv_status(200, "BYE")
ueb.dialog = None
L.note("1c ok: a call from the next hop goes by its Request-URI (not back to the next hop)")

# ---------------------------------------------------------- 1d. WIC-terminated (mirror, digest 7.1)
ims_offer = ("v=0\no=- 77 1 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=message %d TCP/MSRP *\n"
             "c=IN IP4 127.0.0.1\na=setup:actpass\na=msrp-cema\na=accept-types:message/cpim text/plain\n"
             "a=path:msrp://127.0.0.1:%d/ims77;tcp\n") % (ueb.port + 3, ueb.port + 3)
ueb.invite("sip:wic-a@127.0.0.1:%d" % wic.port, ims_offer, to="<sip:wic-a@example.invalid>")
t2m = agw.serve(is_add_t2, what="mirror Add T2")
L.check("m=message %d TCP" % (ueb.port + 3) in t2m and re.search(r"Mode\s*=\s*SendReceive", t2m),
        "mirror Add T2 has the IMS Remote: %s" % t2m)
t1m = agw.serve(is_add_t1, what="mirror Add T1")
L.check("tlsbsc/tlsfail" in t1m and "tlsest" not in t1m and "Remote" not in t1m,
        "mirror Add T1: tlsfail armed, no Est_DTLS, no Remote: %s" % t1m)
inv = wic.recv_request("INVITE")
sess, media = L.sdp_media(inv.body)
L.check(len(media) == 1 and "UDP/DTLS/SCTP webrtc-datachannel" in media[0]["m"], "mirror offer m=: %s" % inv.body)
L.check(L.attr(media[0], "setup") == "actpass" and L.attr(media[0], "fingerprint"), "mirror offer setup/fingerprint")
dcid = L.attr(media[0], "dcmap").split()[0]
L.check("subprotocol=\"MSRP\"" in L.attr(media[0], "dcmap"), "mirror dcmap")
L.check("%s path:msrp://127.0.0.1:%d/ims77;tcp" % (dcid, ueb.port + 3) in L.attrs(media[0], "dcsa"), "mirror dcsa path")
wic_ans = ("v=0\no=- 5 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
           "m=application %d UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 127.0.0.1\n"
           "a=ice-ufrag:wAns\na=ice-pwd:0123456789abcdef01234567\n"
           "a=fingerprint:%s\na=setup:active\na=sctp-port:5000\na=max-message-size:262144\n"
           "a=dcmap:%s label=\"msrp\";subprotocol=\"MSRP\";ordered=true\na=dcsa:%s setup:passive\n"
           "a=dcsa:%s accept-types:message/cpim text/plain\n"
           "a=dcsa:%s path:msrp://wic-a.example.invalid:9/wicans;dc\n") % (
    wic.port + 1, L.FP_WIC, dcid, dcid, dcid, dcid)
wic.reply(inv, 200, "OK", wic_ans)
mt1 = agw.serve(is_modify, what="mirror Modify T1")
L.check("ip/1/access/" in mt1 and re.escape(L.FP_WIC)[:20] and L.FP_WIC in mt1 and "tlsest" not in mt1,
        "mirror Modify T1 with the WIC's Remote (WIC active: AGW is DTLS server): %s" % mt1)
ok = ueb.recv_status(200)
sess, media = L.sdp_media(ok.body)
L.check(len(media) == 1 and media[0]["m"].endswith("TCP/MSRP *"), "mirror answer to IMS m=: %s" % ok.body)
L.check(L.attr(media[0], "setup") == "passive" and L.attr(media[0], "msrp-cema") == "", "mirror answer setup/cema")
L.check(L.attr(media[0], "path") == "msrp://wic-a.example.invalid:9/wicans;dc", "mirror answer path")
ueb.ack_2xx(ok)
wic.recv_request("ACK")
ueb.bye()
bye = wic.recv_request("BYE")
wic.reply(bye, 200, "OK")
ueb.recv_status(200, "BYE")
ueb.dialog = None
t = expect_released()
L.check("ip/1/access/" in t and "ip/2/core/" in t, "mirror Subtract: %s" % t)
L.note("1d ok: WIC-terminated call (mirror): T2 reserved+configured, T1, DC offer to the WIC, "
       "Modify T1, TCP/MSRP answer to IMS, Subtract")

# ---------------------------------------------------------- 2. figure + BYE from the WIC
inv, ok = established()
sess, media = L.sdp_media(inv.body)
L.check(re.match(r"message 4\d{4} TCP/MSRP \*$", media[0]["m"]), "step 6 m=: %s" % media[0]["m"])
L.check(L.attr(media[0], "path") == "msrp://wic-a.example.invalid:9/iau39soe2843z;dc", "step 6 path")
sess, media = L.sdp_media(ok.body)
L.check(media[0]["m"] == "application 41000 UDP/DTLS/SCTP webrtc-datachannel", "step 15 m=")
L.check("1 path:msrp://127.0.0.1:%d/9di4eae923wzd;tcp" % (ueb.port + 1) in L.attrs(media[0], "dcsa"),
        "step 15 path")
wic.bye()
bye = ueb.recv_request("BYE")
ueb.reply(bye, 200, "OK")
wic.recv_status(200, "BYE")
t = expect_released()
L.check("ip/1/access/" in t and "ip/2/core/" in t, "Subtract of T1 and T2: %s" % t)
L.note("2 ok: figure with the fake AGW, BYE from the WIC -> Subtract")

# ---------------------------------------------------------- 2b. two MSRP channels on one association
two = L.figure_offer(wic.port + 1) + ('a=dcmap:3 label="file";subprotocol="MSRP";ordered=true\n'
                                     'a=dcsa:3 setup:actpass\n'
                                     'a=dcsa:3 accept-types:message/cpim\n'
                                     'a=dcsa:3 path:msrp://wic-a.example.invalid:9/second;dc\n')
wic.invite(RURI, two)
agw.serve(is_add_t2, what="Add T2 #1")
t2b = agw.serve(lambda t: re.search(r"Add\s*=\s*\$", t) and "m=message $ TCP -" in t, what="Add T2 #2")
L.check(re.search(r"Context\s*=\s*\d+", t2b) and re.search(r"Stream\s*=\s*3", t2b),
        "second T2: into the same context, stream 3: %s" % t2b)
inv = ueb.recv_request("INVITE")
sess, media = L.sdp_media(inv.body)
L.check(len(media) == 2 and all(m["m"].endswith("TCP/MSRP *") for m in media), "two m=message lines")
L.check(media[0]["m"].split()[1] != media[1]["m"].split()[1], "both T2 ports equal")
L.check(L.attr(media[1], "path") == "msrp://wic-a.example.invalid:9/second;dc", "second path")
ans = L.ims_answer(ueb.port + 1) + ("m=message %d TCP/MSRP *\nc=IN IP4 127.0.0.1\na=setup:active\n"
                                   "a=msrp-cema\na=accept-types:message/cpim\n"
                                   "a=path:msrp://127.0.0.1:%d/two;tcp\n") % (ueb.port + 2, ueb.port + 2)
ueb.reply(inv, 200, "OK", ans)
mod = agw.serve(is_modify, what="Modify T2s")
L.check(len(re.findall(r"Modify\s*=", mod)) == 2, "one Modify per T2 in one transaction: %s" % mod)
t1 = agw.serve(is_add_t1, what="Add T1")
for pat in (r'mgrp/groupse\s*=\s*\[\s*"SCTP 2 3"\s*\]', r"mgrp/strdeagg\s*=\s*\[\s*2\s*,\s*3\s*\]",
            r"Stream\s*=\s*2\s*\{[^}]*sctp/sctpid\s*=\s*1\b", r"Stream\s*=\s*3\s*\{[^}]*sctp/sctpid\s*=\s*3\b"):
    L.check(re.search(pat, t1), "two-channel T1 lacks %s:\n%s" % (pat, t1))
ok = wic.recv_status(200)
sess, media = L.sdp_media(ok.body)
L.check(len(media) == 1 and len(L.attrs(media[0], "dcmap")) == 2, "WIC answer: one DC line, two dcmaps")
L.check("3 path:msrp://127.0.0.1:%d/two;tcp" % (ueb.port + 2) in L.attrs(media[0], "dcsa"), "second dcsa path")
wic.ack_2xx(ok)
ueb.recv_request("ACK")
wic.bye()
bye = ueb.recv_request("BYE")
ueb.reply(bye, 200, "OK")
wic.recv_status(200, "BYE")
t = expect_released()
L.check(len(re.findall(r"Subtract\s*=\s*ip/", t)) == 3, "Subtract of T1 and both T2: %s" % t)
L.note("2b ok: two MSRP channels: two T2, one T1 with groupse SCTP 2 3, Subtract of all three")

# ---------------------------------------------------------- 3. BYE from UE-B
inv, ok = established()
ueb.cseq = 100
ueb.bye()
bye = wic.recv_request("BYE")
wic.reply(bye, 200, "OK")
ueb.recv_status(200, "BYE")
expect_released()
L.note("3 ok: BYE from UE-B -> Subtract")

# ---------------------------------------------------------- 4. CANCEL before the answer
inv = offer_and_forward()
ueb.reply(inv, 180, "Ringing")
wic.recv_status(180)
wic.cancel()
wic.recv_status(200, "CANCEL")
can = ueb.recv_request("CANCEL")
ueb.reply(can, 200, "OK")
ueb.reply(inv, 487, "Request Terminated")
r = wic.recv_final()
L.check(r.status == 487, "WIC got %s after CANCEL" % r.status)
wic.ack_error(r)
expect_released()
L.note("4 ok: CANCEL before the answer -> 487, Subtract")

# ---------------------------------------------------------- 5. 486 from UE-B
inv = offer_and_forward()
ueb.reply(inv, 486, "Busy Here")
r = wic.recv_final()
L.check(r.status == 486, "WIC got %s, not 486" % r.status)
wic.ack_error(r)
expect_released()
L.note("5 ok: 486 from UE-B relayed, Subtract")

# ---------------------------------------------------------- 6. DTLS failure Notify
inv, ok = established()
ctx = max(agw.contexts)
t1 = [x for x in agw.contexts[ctx] if "access" in x][0]
agw.notify(ctx, t1)
b1 = wic.recv_request("BYE")
wic.reply(b1, 200, "OK")
b2 = ueb.recv_request("BYE")
ueb.reply(b2, 200, "OK")
L.check(b1.hdr("call-id") == b2.hdr("call-id") == inv.hdr("call-id"), "BYE Call-IDs")
L.check(b1.tag("from") == ueb.tag and b1.tag("to") == wic.tag, "BYE to the WIC: tags")
L.check(b2.tag("from") == wic.tag and b2.tag("to") == ueb.tag, "BYE to UE-B: tags")
expect_released()
L.check(re.search(r"step=17\b.*DTLS", d.text()), "no step-17 log line for the DTLS failure")
L.note("6 ok: tlsfail Notify -> BYE both ways, Subtract")

# ---------------------------------------------------------- 6b. lost bearer Notify
inv, ok = established()
ctx = max(agw.contexts)
t2 = [x for x in agw.contexts[ctx] if "core" in x][0]
agw.notify(ctx, t2, event="ipnwr/rel", stream=2)
b1 = wic.recv_request("BYE")
wic.reply(b1, 200, "OK")
b2 = ueb.recv_request("BYE")
ueb.reply(b2, 200, "OK")
expect_released()
# UE-B's own BYE crossed the ALG's: answered 200 by the ALG, never forwarded
# (the WIC already had the ALG's BYE)
ueb.cseq = 300
ueb.bye()
r = ueb.recv_final("BYE")
L.check(r.status == 200, "a BYE crossing the ALG's release got %s, not 200" % r.status)
wic.nothing(lambda m: m.method == "BYE")
L.note("6b ok: bearer-released Notify -> BYE both ways, Subtract; UE-B's crossing BYE -> 200, "
       "not forwarded")

# ---------------------------------------------------------- 7. AGW restart mid-call
inv, ok = established()
agw.contexts.clear()
agw.register("Restart", "901 Cold Boot")
b1 = wic.recv_request("BYE")
wic.reply(b1, 200, "OK")
b2 = ueb.recv_request("BYE")
ueb.reply(b2, 200, "OK")
L.check(re.search(r"restarted", d.text()), "no log of the AGW restart")
L.note("7 ok: AGW restart mid-call -> BYE both ways")

# ---------------------------------------------------------- 7b. early answer (183 with SDP), then 200
inv = offer_and_forward()
ueb.reply(inv, 183, "Session Progress", L.ims_answer(ueb.port + 1))
agw.serve(is_modify, what="Modify T2 (step 8)")
agw.serve(is_add_t1, what="Add T1 (step 11)")
r183 = wic.recv_status(183)
ueb.reply(inv, 200, "OK", L.ims_answer(ueb.port + 1))
ok = wic.recv_status(200)
for r in (r183, ok):
    sess, media = L.sdp_media(r.body)
    L.check(len(media) == 1 and "UDP/DTLS/SCTP webrtc-datachannel" in media[0]["m"],
            "%d: not the DC answer: %s" % (r.status, r.body))
L.check(L.sdp_media(r183.body)[1] == L.sdp_media(ok.body)[1], "183 and 200 answers differ")
wic.ack_2xx(ok)
ueb.recv_request("ACK")
n_mod = len([t for t in agw.received if is_modify(t)])
L.note("7b ok: 183 with SDP answered early (steps 8-15 once), 200 carries the same DC answer")

# ---------------------------------------------------------- 7c. session refresh re-INVITE
# the same offer again: forwarded with the previous IMS offer (same o= version),
# no H.248 at all, the answer rebuilt from the stored state
n_h248 = len(agw.received)
first_ims = L.sdp_media(inv.body)[1]
wic.cseq += 1
wic._in_dialog("INVITE", wic.cseq, L.figure_offer(wic.port + 1).replace("\n", "\r\n"),
               "Contact: %s\r\n" % wic.contact())
reinv = ueb.recv_request("INVITE")
L.check(L.sdp_media(reinv.body)[1] == first_ims, "refresh: the IMS re-offer differs from the "
        "step-6 offer:\n" + reinv.body)
L.check(re.search(r"^o=.* 1 IN IP", reinv.body, re.M), "refresh: o= version changed:\n" + reinv.body)
ueb.reply(reinv, 200, "OK", L.ims_answer(ueb.port + 1))
r = wic.recv_final()
L.check(r.status == 200, "refresh re-INVITE: %s" % r.status)
L.check(L.sdp_media(r.body)[1] == L.sdp_media(ok.body)[1], "refresh: the re-answer differs from "
        "the step-15 answer:\n" + r.body)
wic._in_dialog("ACK", wic.cseq)
ueb.recv_request("ACK")
L.check(len(agw.received) == n_h248, "H.248 for a session refresh: %s" % agw.received[n_h248:])
L.note("7c ok: session refresh re-INVITE forwarded, answer rebuilt, no H.248")

# ---------------------------------------------------------- 7c2. glare: 491 (RFC 3261 14.1)
# a second re-offer while one is in progress gets 491 and never reaches UE-B;
# the first one completes
wic.cseq += 1
first = wic.cseq
wic._in_dialog("INVITE", first, L.figure_offer(wic.port + 1).replace("\n", "\r\n"),
               "Contact: %s\r\n" % wic.contact())
reinv = ueb.recv_request("INVITE")
wic.cseq += 1
wic._in_dialog("INVITE", wic.cseq, L.figure_offer(wic.port + 1).replace("\n", "\r\n"),
               "Contact: %s\r\n" % wic.contact())
r = wic.recv(lambda m: m.status and m.status >= 300, what="491 to the second re-offer")
L.check(r.status == 491 and r.hdr("warning"), "glare: %s %s" % (r.status, r.hdr("warning")))
wic.ack_non2xx(r, wic.dialog["target"])
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
ueb.reply(reinv, 200, "OK", L.ims_answer(ueb.port + 1))
r = wic.recv_final()
L.check(r.status == 200 and r.cseq()[0] == first, "first re-offer: %s %s" %
        (r.status, r.hdr("cseq")))
wic._in_dialog("ACK", first)
ueb.recv_request("ACK")
L.check(len(agw.received) == n_h248, "H.248 for refreshes: %s" % agw.received[n_h248:])
L.note("7c2 ok: a re-offer while another is in progress -> 491 with Warning, the first completes")

# ---------------------------------------------------------- 7c3. AGW error in a re-offer
# a re-offer adding a channel whose Add T2 fails: 500 + Warning to the WIC,
# nothing reaches UE-B, the call stays (the BYE below releases it)
agw.errors["addT2"] = '510 { "Insufficient resources" }'
two_re = L.figure_offer(wic.port + 1) + ('a=dcmap:3 label="file";subprotocol="MSRP";ordered=true\n'
                                        'a=dcsa:3 setup:actpass\n'
                                        'a=dcsa:3 accept-types:message/cpim\n'
                                        'a=dcsa:3 path:msrp://wic-a.example.invalid:9/second;dc\n')
wic.cseq += 1
wic._in_dialog("INVITE", wic.cseq, two_re.replace("\n", "\r\n"), "Contact: %s\r\n" % wic.contact())
agw.serve(is_add_t2, what="Add T2 for the added channel")
r = wic.recv_final()
L.check(r.status == 500 and "Insufficient" in (r.hdr("warning") or "") and r.hdr("retry-after"),
        "AGW error in a re-offer: %s %s" % (r.status, r.hdr("warning")))
wic.ack_non2xx(r, wic.dialog["target"])
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
del agw.errors["addT2"]
L.note("7c3 ok: AGW error in a re-offer -> 500 + Warning + Retry-After, nothing to UE-B, call kept")

# ---------------------------------------------------------- 7d. re-offer errors keep the session
# a re-offer that cannot be anchored (no MSRP channel left) -> 488 + Warning,
# nothing reaches UE-B, no H.248, and the call still works (BYE releases it)
n_h248 = len(agw.received)
bad = L.figure_offer(wic.port + 1).replace('subprotocol="MSRP"', 'subprotocol="chat"')
wic.cseq += 1
wic._in_dialog("INVITE", wic.cseq, bad.replace("\n", "\r\n"))
r = wic.recv_final()
L.check(r.status == 488 and r.hdr("warning"), "bad re-offer: %s %s" % (r.status, r.hdr("warning")))
wic.ack_non2xx(r, wic.dialog["target"])
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
L.check(len(agw.received) == n_h248, "H.248 for a refused re-offer")
# the session is still there: a lost bearer ends it; the ALG's own BYE to
# UE-B goes above every CSeq the WIC used, re-offers included
ctx = max(agw.contexts)
t2 = [x for x in agw.contexts[ctx] if "core" in x][0]
agw.notify(ctx, t2, event="ipnwr/rel", stream=2)
b1 = wic.recv_request("BYE")
wic.reply(b1, 200, "OK")
bye = ueb.recv_request("BYE")
ueb.reply(bye, 200, "OK")
L.check(bye.cseq()[0] > wic.cseq, "the ALG's BYE CSeq %s is not above the WIC's %d" %
        (bye.hdr("cseq"), wic.cseq))
expect_released()
L.note("7d ok: unusable re-offer -> 488 with Warning (%s), session kept, the ALG's BYE above the re-offers' CSeq" %
       r.hdr("warning"))

# ---------------------------------------------------------- 8. Add T2 error -> 503 + Warning
agw.errors["addT2"] = '510 { "Insufficient resources" }'
wic.invite(RURI, L.figure_offer(wic.port + 1))
agw.serve(is_add_t2, what="Add T2")
r = wic.recv_final()
L.check(r.status == 503 and r.hdr("warning") and "510" in r.hdr("warning"),
        "Add T2 error: %s %s" % (r.status, r.hdr("warning")))
wic.ack_error(r)
ueb.nothing(lambda m: m.method == "INVITE", 0.5)
del agw.errors["addT2"]
L.note("8 ok: AGW error on Add T2 -> 503 with Warning, nothing to IMS")

# ---------------------------------------------------------- 9. Add T1 error after the IMS 200
agw.errors["addT1"] = '510 { "no UDP port available" }'
inv = offer_and_forward()
ueb.reply(inv, 200, "OK", L.ims_answer(ueb.port + 1))
agw.serve(is_modify, what="Modify T2")
agw.serve(is_add_t1, what="Add T1")
r = wic.recv_final()
L.check(r.status == 503 and "no UDP port" in (r.hdr("warning") or ""), "Add T1 error: %s %s" % (r.status, r.hdr("warning")))
wic.ack_error(r)
ack = ueb.recv_request("ACK")
bye = ueb.recv_request("BYE")
ueb.reply(bye, 200, "OK")
expect_released()
del agw.errors["addT1"]
L.note("9 ok: AGW error on Add T1 -> 503 to the WIC, ACK + BYE to UE-B, Subtract")

# ---------------------------------------------------------- 10. malformed DC SDP -> 488
bad = L.figure_offer(wic.port + 1).replace("a=fingerprint:" + L.FP_WIC + "\n", "")
wic.invite(RURI, bad)
r = wic.recv_final()
L.check(r.status == 488 and r.hdr("warning") and "fingerprint" in r.hdr("warning"),
        "malformed SDP: %s %s" % (r.status, r.hdr("warning")))
wic.ack_error(r)
L.note("10 ok: malformed DC offer -> 488 with Warning: %s" % r.hdr("warning"))

# ---------------------------------------------------------- 11. overload (max-calls 1)
inv = offer_and_forward()
wic2 = L.UA("wic-b", ("127.0.0.1", sip))
wic2.invite(RURI, L.figure_offer(wic2.port + 1))
r = wic2.recv_final()
L.check(r.status == 503 and r.hdr("retry-after") and r.hdr("retry-after").startswith("7"),
        "overload: %s Retry-After %s" % (r.status, r.hdr("retry-after")))
wic2.ack_error(r)
ueb.reply(inv, 486, "Busy Here")
wic.ack_error(wic.recv_final())
expect_released()
L.note("11 ok: overload -> 503 Retry-After: 7")

# ---------------------------------------------------------- 12. AGW silent -> 503 in time
agw.silent = True
t0 = time.time()
wic.invite(RURI, L.figure_offer(wic.port + 1))
r = wic.recv_final(timeout=TIMEOUT_MS / 1000.0 + 5)
el = time.time() - t0
L.check(r.status == 503, "silent AGW: %s" % r.status)
L.check(el < TIMEOUT_MS / 1000.0 + 3, "503 after %.1fs with alg.h248-timeout=%dms" % (el, TIMEOUT_MS))
wic.ack_error(r)
L.note("12 ok: AGW silent -> 503 after %.1fs" % el)

# ---------------------------------------------------------- 13. graceful stop, call ringing
agw.silent = False
agw.serve_for(0.2)
inv = offer_and_forward()
ueb.reply(inv, 180, "Ringing")
wic.recv_status(180)
d.p.send_signal(15)
r = wic.recv_final()
L.check(r.status == 503 and r.hdr("retry-after"), "graceful stop: WIC got %s" % r.status)
wic.ack_error(r)
can = ueb.recv_request("CANCEL")
ueb.reply(can, 200, "OK")
ueb.reply(inv, 487, "Request Terminated")
agw.serve(is_subtract, what="Subtract at stop")
rc = d.stop()
L.check(rc == 0, "wicgated exit status %s" % rc)
L.note("13 ok: SIGTERM with a ringing call: 503 to the WIC, CANCEL to UE-B, Subtract, exit 0")
print("ok - alg call handling and release paths")
