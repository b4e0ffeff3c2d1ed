# alg-multi-agw.py -- one ALG, two (fake) AGWs: new calls are spread over the
# AGWs in service; an AGW that stops answering audits is declared lost and
# only its calls are released (BYE both ways); new calls then all go to the
# other one; an AGW full (alg.agw-max-calls) is skipped, and when all are
# full a call gets 503 + Retry-After. Also Timer C: an INVITE answered only
# with 180 is CANCELled downstream after alg.timer-c and the WIC gets 487.
import importlib.util, os, re, sys, time

spec = importlib.util.spec_from_file_location(
    "alglib", os.path.join(os.path.dirname(os.path.abspath(__file__)), "alg-lib.py"))
L = importlib.util.module_from_spec(spec)
spec.loader.exec_module(L)

sip = L.free_port_both()
h248 = L.free_port()
g1 = L.FakeAGW(h248, register=False)
g2 = L.FakeAGW(h248, register=False)
g2.next_ctx = 2001
ueb = L.UA("ue-b", ("127.0.0.1", sip))
RURI = "sip:ue-b@ims.example.invalid"

d = L.Daemon("wicgated", [
    "--role", "alg", "--sip-listen", "127.0.0.1:%d" % sip,
    "--next-hop", "sip:127.0.0.1:%d" % ueb.port, "--h248-listen", "127.0.0.1:%d" % h248,
    "--agw", "127.0.0.1:%d,127.0.0.1:%d" % (g1.port, g2.port),
    "--set", "alg.h248-timeout=1000", "--set", "alg.audit-interval=1",
    "--set", "alg.agw-max-calls=2", "--set", "alg.timer-c=1", "--log-level", "debug"],
    wait_ready=False)
L.wait_until(lambda: "MGC on" in d.text(), what="ALG started")
g1.register()
g1.serve(lambda t: "Reply" in t, what="ServiceChange reply (AGW 1)")
g2.register()
g2.serve(lambda t: "Reply" in t, what="ServiceChange reply (AGW 2)")
d.wait_log("wicgated: ready")


def add_t2(t):
    return re.search(r"Add\s*=\s*\$", t) and "m=message $ TCP -" in t


def add_t1(t):
    return re.search(r"Add\s*=\s*\$", t) and "webrtc-datachannel" in t


def serve_both(pred, what):
    """Serve both fake AGWs until one of them gets a message matching pred;
    returns (which, text)."""
    end = time.time() + L.WAIT
    while time.time() < end:
        for n, g in ((1, g1), (2, g2)):
            t = g._read(0.02)
            if t is None:
                continue
            g.received.append(t)
            g.handle(t)
            if pred(t):
                return n, t
    L.fail("no " + what)


def call(wic):
    wic.invite(RURI, L.figure_offer(wic.port + 1))
    which, _ = serve_both(add_t2, "Add T2")
    inv = ueb.recv_request("INVITE")
    ueb.reply(inv, 200, "OK", L.ims_answer(ueb.port + 1))
    serve_both(lambda t: re.search(r"Modify\s*=", t), "Modify")
    serve_both(add_t1, "Add T1")
    ok = wic.recv_status(200)
    wic.ack_2xx(ok)
    ueb.recv_request("ACK")
    return which


wics = [L.UA("wic-%d" % i, ("127.0.0.1", sip)) for i in range(5)]
where = [call(w) for w in wics[:4]]
L.check(sorted(where) == [1, 1, 2, 2], "4 calls over 2 AGWs: %s" % where)
L.note("spread ok: " + str(where))

# both AGWs are full (agw-max-calls 2): 503 + Retry-After
w = wics[4]
w.invite(RURI, L.figure_offer(w.port + 1))
r = w.recv_final()
L.check(r.status == 503 and r.hdr("retry-after") and "full" in (r.hdr("warning") or ""),
        "all AGWs full: %s %s" % (r.status, r.hdr("warning")))
w.ack_error(r)
L.note("all full -> 503 ok")

# AGW 1 goes silent: its audits time out -> its two calls get BYE both ways
g1.silent = True
byes = []
end = time.time() + 15
while len(byes) < 2 and time.time() < end:
    g2.serve_for(0.05)   # keep AGW 2 answering its audits
    for i, wu in enumerate(wics[:4]):
        if where[i] != 1 or i in byes:
            continue
        m = wu._read(0.01)
        if m is not None:
            wu.inbox.append(m)
        for k, m in enumerate(wu.inbox):
            if m.method == "BYE":
                wu.inbox.pop(k)
                wu.reply(m, 200, "OK")
                byes.append(i)
                break
L.check(len(byes) == 2, "calls on the lost AGW not released: %s" % byes)
for _ in range(2):
    b = ueb.recv_request("BYE")
    ueb.reply(b, 200, "OK")
for i, wu in enumerate(wics[:4]):
    if where[i] == 2:
        wu.nothing(lambda m: m.method == "BYE", 0.2)
L.check(re.search(r"AGW 127\.0\.0\.1:%d out of service" % g1.port, d.text()), "no log of the lost AGW")
L.note("lost AGW: its calls released, the others kept")

# end one call on AGW 2 (BYE from its WIC) to free a slot there
i2 = where.index(2)
wics[i2].bye()
b = ueb.recv_request("BYE")
ueb.reply(b, 200, "OK")
wics[i2].recv_status(200, "BYE")
g2.serve(lambda t: re.search(r"Subtract\s*=", t), what="Subtract on AGW 2")

# Timer C: the free slot is on AGW 2 (AGW 1 is out of service)
w = wics[4]
w.invite(RURI, L.figure_offer(w.port + 1))
which, _ = serve_both(add_t2, "Add T2")
L.check(which == 2, "new call went to the lost AGW")
inv = ueb.recv_request("INVITE")
ueb.reply(inv, 180, "Ringing")
w.recv_status(180)
end = time.time() + 10
can = None
while can is None and time.time() < end:
    g2.serve_for(0.05)
    for k, m in enumerate(ueb.inbox):
        if m.method == "CANCEL":
            can = ueb.inbox.pop(k)
            break
    if can is None:
        m = ueb._read(0.05)
        if m is not None:
            ueb.inbox.append(m)
L.check(can is not None, "Timer C: no CANCEL downstream")
ueb.reply(can, 200, "OK")
ueb.reply(inv, 487, "Request Terminated")
r = w.recv_final()
L.check(r.status == 487, "Timer C: WIC got %s" % r.status)
w.ack_error(r)
L.note("Timer C ok: CANCEL downstream, 487 to the WIC")
rc = d.stop()
L.check(rc == 0, "exit status %s" % rc)
print("ok - several AGWs, AGW loss, AGWs full, Timer C")
