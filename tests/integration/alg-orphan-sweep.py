# alg-orphan-sweep.py -- a context the AGW made for an Add whose reply was
# lost is not left behind: wicgated --role alg (alg.h248-timeout 1 s, audits
# every 1 s) with the test's fake AGW, which lists its contexts when asked
# (Context = * { AuditValue = ROOT }):
#   1. the fake AGW executes the first call's Add T2 (context 1001) but its
#      reply and every retransmitted answer are lost: the WIC gets 503, and
#      the ALG, finding context 1001 belonging to no call at two looks more
#      than alg.h248-timeout apart, sends Context = 1001 { Subtract = * };
#   2. a live call's context is listed at every sweep but never subtracted
#      (five audit periods); the WIC's BYE then subtracts it as usual.
import importlib.util, os, re, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
spec = importlib.util.spec_from_file_location(
    "alg_lib", os.path.join(os.path.dirname(os.path.abspath(__file__)), "alg-lib.py"))
L = importlib.util.module_from_spec(spec)
spec.loader.exec_module(L)

sip = L.free_port_both()
ueb = L.UA("ue-b", ("127.0.0.1", sip))
wic = L.UA("wic-a", ("127.0.0.1", sip))
d, agw = L.start_alg_fake_agw(sip, ueb, ["--set", "alg.h248-timeout=1000",
                                         "--set", "alg.audit-interval=1"])
RURI = "sip:ue-b@ims.example.invalid"


def subtract_of(ctx):
    return lambda t: re.search(r"Context\s*=\s*%d\s*\{\s*Subtract\s*=\s*\*" % ctx, t)


# ---------------------------------------------------------- 1. the lost Add reply
agw.lose.add("addT2")
wic.invite(RURI, L.figure_offer(wic.port + 1))
agw.serve(lambda t: re.search(r"Add\s*=\s*\$", t), what="Add T2")
r = wic.recv_final()
L.check(r.status == 503, "the call whose Add T2 went unanswered: %s" % r.status)
wic.ack_error(r)
L.check(1001 in agw.contexts, "the fake AGW did not execute the lost Add: %s" % agw.contexts)
L.note("1: Add T2 executed (context 1001), its reply lost: the WIC got 503")
t0 = time.time()
agw.serve(subtract_of(1001), timeout=15, what="Subtract of the orphaned context 1001")
L.check(1001 not in agw.contexts, "context 1001 still held")
L.check(re.search(r"context 1001 belongs to no call for [0-9.]+ s .*: Subtract", d.text()),
        "no notice of the orphan's Subtract in the log")
L.note("1 ok: orphaned context 1001 subtracted %.1f s after the 503" % (time.time() - t0))

# ---------------------------------------------------------- 2. a live call is never swept
wic.invite(RURI, L.figure_offer(wic.port + 1))
agw.serve(lambda t: re.search(r"Add\s*=\s*\$", t) and "m=message $ TCP -" in t, what="Add T2")
inv = ueb.recv_request("INVITE")
ueb.reply(inv, 200, "OK", L.ims_answer(ueb.port + 1))
agw.serve(lambda t: re.search(r"Add\s*=\s*\$", t) and "webrtc-datachannel" in t, what="Add T1")
ok = wic.recv_status(200)
wic.ack_2xx(ok)
ueb.recv_request("ACK")
live = sorted(agw.contexts)
L.check(len(live) == 1, "the live call's contexts: %s" % live)
n0 = len(agw.received)
agw.serve_for(5.0)
swept = [t for t in agw.received[n0:] if re.search(r"Subtract", t)]
lists = [t for t in agw.received[n0:] if re.search(r"Context\s*=\s*\*\s*\{\s*AuditValue", t)]
L.check(len(lists) >= 3, "%d context lists asked for in 5 s (audit every 1 s)" % len(lists))
L.check(not swept, "a live call's context was subtracted: %s" % swept[:1])
L.note("2: the live call's context %d listed by %d sweeps, never subtracted" % (live[0], len(lists)))
wic.bye()
bye = ueb.recv_request("BYE")
ueb.reply(bye, 200, "OK")
wic.recv_status(200, "BYE")
agw.serve(lambda t: re.search(r"Context\s*=\s*%d\s*\{\s*Subtract" % live[0], t),
          what="the BYE's Subtract")
L.check(not agw.contexts, "contexts left: %s" % agw.contexts)
rc = d.stop()
L.check(rc == 0, "wicgated exit status %s" % rc)
L.note("ok: an orphaned context is subtracted; a live call's never")
