# hostile-h248.py -- hostile H.248 against a real wicgated:
#   1. role both (the ALG and the real AGW on loopback UDP), a DC call up.
#      A rogue socket, claiming the AGW's (or the MGC's) mId, sends the AGW
#      Subtract (wildcard and the call's context), Add, Modify and a
#      ServiceChange Forced, and sends the ALG a ServiceChange Restart and
#      Notify tlsfail / bearer-released for the call. Every transaction is
#      answered with an Error (504 from the AGW, 403 from the ALG), and
#      nothing changed: the ALG's next context audit of the call succeeds,
#      no BYE is sent, and the WIC's BYE later releases the call with a
#      Subtract the AGW executes (the context was still there).
#   2. role agw, the test as its MGC: oversized messages from the MGC (12
#      transactions, an Add whose Local SDP is 40 KiB, 64000 bytes of
#      garbage) each get an H.248 error (413 / 474 / 4xx); after 50 rounds
#      the AGW's RSS grew by less than 16 MiB (in an ASan build, where RSS
#      is meaningless, LeakSanitizer at exit instead) and it still answers
#      an audit; every daemon exits 0 on SIGTERM.
#   3. role alg, the test as its registered AGW: 12 transactions in one
#      message -> 413, 63000 bytes of garbage -> a 4xx error; the ALG then
#      still answers the AGW's ServiceChange.
import importlib, os, re, socket, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
L = importlib.import_module("alg-lib")

sip = L.free_port_both()
ueb = L.UA("ue-b", ("127.0.0.1", sip))
wic = L.UA("wic-a", ("127.0.0.1", sip))
dc, dcport = L.silent_udp()
RURI = "sip:ue-b@ims.example.invalid"

d = L.start_both([
    "--set", "alg.audit-interval=1",
    "--set", "agw.dtls-timeout=120", "--set", "agw.consent-timeout=120",
    "--log-level", "debug"], ueb.port, sip=sip, own_media_ports=True)
h248_alg, h248_agw = d.h248_alg, d.h248_agw

rogue = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rogue.bind(("127.0.0.1", 0))


def h248_blocks(text, who, direction):
    """Texts of the H.248 messages the daemon logged (who: alg|agw,
    direction: to|from)."""
    return re.findall(r"debug\s+%s\s+H\.248 %s [^\n]*\n(.*?)\n\n" % (who, direction), text, re.S)


def ask(port, body, tid, mid):
    """Send one transaction from the rogue socket; return the reply text."""
    rogue.sendto(("MEGACO/3 %s\r\nTransaction = %d {\r\n%s\r\n}\r\n" % (mid, tid, body)).encode(),
                 ("127.0.0.1", port))
    rogue.settimeout(L.WAIT)
    while True:
        try:
            data = rogue.recv(65535).decode(errors="replace")
        except socket.timeout:
            L.fail("no answer to rogue transaction %d" % tid)
        if re.search(r"\b(Reply|P)\s*=\s*%d\b" % tid, data):
            return data


# ---------------------------------------------------------- 1. a call up
wic.invite(RURI, L.figure_offer(dcport))
inv = ueb.recv_request("INVITE")
ueb.reply(inv, 200, "OK", L.ims_answer(L.free_port("tcp")))
ok = wic.recv_status(200)
wic.ack_2xx(ok)
ueb.recv_request("ACK")
m = re.search(r"ctx=(\d+) step=13\] T1 (\S+) created", d.text())
L.check(m, "no 'T1 ... created' in the log")
ctx, t1 = int(m.group(1)), m.group(2)
m = re.search(r"T2 (\S+) configured", d.text())
L.check(m, "no 'T2 ... configured' in the log")
t2 = m.group(1)
L.note("call up: context %d, T1 %s, T2 %s" % (ctx, t1, t2))

mark = len(d.text())
mgc_mid = "[127.0.0.1]:%d" % h248_alg
agw_mid = "[127.0.0.1]:%d" % h248_agw
to_agw = [
    "Context = * { Subtract = * }",
    "Context = %d { Subtract = %s }" % (ctx, t2),
    "Context = %d { Modify = %s { Media { Stream = 2 { LocalControl { Mode = Inactive } } } } }" % (ctx, t2),
    "Context = $ { Add = $ { Media { Stream = 2 { LocalControl { Mode = Inactive }, "
    "Local { \r\nv=0\r\nc=IN IP4 $\r\nm=message $ TCP -\r\n } } } } }",
    "Context = - { ServiceChange = ROOT { Services { Method = Forced, "
    "Reason = \"905 Termination taken out of service\" } } }",
]
to_alg = [
    "Context = - { ServiceChange = ROOT { Services { Method = Restart, Reason = \"901 Cold Boot\", "
    "Profile = ims_iq/1 } } }",
    "Context = %d { Notify = %s { ObservedEvents = 2 { 20240611T10302512:tlsbsc/tlsfail "
    "{ Stream = 1 } } } }" % (ctx, t1),
    "Context = %d { Notify = %s { ObservedEvents = 2 { 20240611T10302512:ipnwr/rel "
    "{ Stream = 2 } } } }" % (ctx, t2),
]
tid = 70001
for body in to_agw:
    r = ask(h248_agw, body, tid, mgc_mid)
    L.check(re.search(r"Error\s*=\s*504\b", r), "AGW answered rogue %r with:\n%s" % (body, r))
    tid += 1
for body in to_alg:
    r = ask(h248_alg, body, tid, agw_mid)
    L.check(re.search(r"Error\s*=\s*403\b", r), "ALG answered rogue %r with:\n%s" % (body, r))
    tid += 1
L.note("rogue: %d requests to the AGW answered 504, %d to the ALG answered 403" % (len(to_agw), len(to_alg)))
after_rogue = len(d.text())


def audit_ok():
    for b in h248_blocks(d.text()[after_rogue:], "agw", "to"):
        if re.search(r"Context\s*=\s*%d\b" % ctx, b) and "AuditValue" in b and "Error" not in b:
            return True
    return False


# nothing changed: the ALG's context audit after the attack finds the call
L.wait_until(audit_ok, what="a successful context audit of the call after the rogue messages")
L.check(d.p.poll() is None, "wicgated died")
log = d.text()[mark:]
L.check(log.count("not the MGC we registered with") >= len(to_agw),
        "the AGW did not log every refused rogue transaction")
L.check(log.count("which is not in alg.agw: refused") >= len(to_alg),
        "the ALG did not log every refused rogue transaction")
# (log records only: the rogue texts themselves are in the debug log)
changed = [l for l in log.splitlines()
           if re.match(r"\d{4}-\S+\s+(info|notice|warn|error)\s", l) and
           re.search(r"releas|out of service|AGW restarted|Subtract", l)]
L.check(not changed, "the attack changed the call state:\n" + "\n".join(changed))
wic.nothing(lambda m: m.method == "BYE", 0.3)
ueb.nothing(lambda m: m.method == "BYE", 0.3)

# the call is released by its own BYE; the AGW executes the Subtract
mark = len(d.text())
wic.bye()
b = ueb.recv_request("BYE")
ueb.reply(b, 200, "OK")
wic.recv_status(200, "BYE")


def subtract_done():
    for b in h248_blocks(d.text()[mark:], "agw", "to"):
        if re.search(r"Context\s*=\s*%d\b" % ctx, b) and "Subtract" in b:
            return b
    return None


b = L.wait_until(subtract_done, what="the AGW's Subtract reply")
L.check("Error" not in b, "the call's context was gone before its BYE:\n" + b)
L.note("1 ok: rogue H.248 refused, the call and its context unchanged until its BYE")
rc = d.stop()
L.check(rc == 0, "wicgated exit status %s" % rc)

# ---------------------------------------------------------- 2. oversized from the MGC
mgc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mgc.bind(("127.0.0.1", 0))
mgc_port = mgc.getsockname()[1]


def answer_service_change(what):
    """As the AGW's MGC: wait for its ServiceChange (else fail naming what)
    and reply to it."""
    while True:
        try:
            data, addr = mgc.recvfrom(65535)
        except socket.timeout:
            L.fail(what)
        text = data.decode(errors="replace")
        m = re.search(r"Transaction\s*=\s*(\d+)", text)
        if m and "ServiceChange" in text:
            mgc.sendto(("MEGACO/3 [127.0.0.1]:%d\r\nReply = %s { Context = - { ServiceChange = ROOT } }\r\n"
                        % (mgc_port, m.group(1))).encode(), addr)
            return


agw_port = L.free_port()
g = L.Daemon("agw", ["--role", "agw", "--agw-listen", "127.0.0.1:%d" % agw_port,
                     "--mgc", "127.0.0.1:%d" % mgc_port, "--log-level", "info"], wait_ready=False)
mgc.settimeout(L.WAIT)
answer_service_change("the AGW did not register")
MID = "MEGACO/3 [127.0.0.1]:%d\r\n" % mgc_port


def mgc_ask(text, tid):
    mgc.sendto(text.encode(), ("127.0.0.1", agw_port))
    while True:
        try:
            data = mgc.recv(65535).decode(errors="replace")
        except socket.timeout:
            L.fail("the AGW did not answer an oversized message (%d bytes, tid %s)" % (len(text), tid))
        # (the AGW's own TransactionResponseAck / requests are skipped)
        if tid is None and "Error" in data:
            return data
        if tid is not None and (re.search(r"\b(Reply|P)\s*=\s*%d\b" % tid, data) or
                                ("Reply" not in data and "Error" in data)):
            return data


def too_many(tid):
    return MID + "".join("Transaction = %d { Context = - { AuditValue = ROOT } }\r\n" % (tid + i)
                         for i in range(12))


def big_local(tid):
    pad = "".join("a=x-pad%d:%s\r\n" % (i, "b" * 60) for i in range(560))
    return MID + ("Transaction = %d { Context = $ { Add = $ { Media { Stream = 2 { "
                  "LocalControl { Mode = Inactive }, Local {\r\nv=0\r\nc=IN IP4 $\r\n"
                  "m=message $ TCP -\r\n%s} } } } } }\r\n" % (tid, pad))


def garbage():
    return MID + "Transaction = 5 { " + "{" * 63000 + "\r\n"


def round_(tid):
    r1 = mgc_ask(too_many(tid), tid)
    L.check(re.search(r"Error\s*=\s*413\b", r1), "12 transactions: %s" % r1[:300])
    r2 = mgc_ask(big_local(tid + 100), tid + 100)
    L.check(re.search(r"Error\s*=\s*474\b", r2) and "too large" in r2, "40 KiB Local: %s" % r2[:300])
    r3 = mgc_ask(garbage(), None)
    L.check(re.search(r"Error\s*=\s*4\d\d\b", r3), "64000 bytes of garbage: %s" % r3[:300])
    return r1, r2, r3


r1, r2, r3 = round_(1000)
L.note("oversized H.248 from the MGC: 12 transactions -> %s; 40 KiB Local -> %s; garbage -> %s" % (
    re.search(r"Error\s*=\s*\d+[^\n]*", r1).group(0), re.search(r"Error\s*=\s*\d+[^\n]*", r2).group(0),
    re.search(r"Error\s*=\s*\d+[^\n]*", r3).group(0)))
with open("/proc/%d/status" % g.p.pid) as f:
    before = int(re.search(r"VmRSS:\s*(\d+)", f.read()).group(1))
for i in range(50):
    round_(2000 + 1000 * i)
with open("/proc/%d/status" % g.p.pid) as f:
    after = int(re.search(r"VmRSS:\s*(\d+)", f.read()).group(1))
L.check(L.asan(g.p.pid) or after - before < 16 * 1024, "AGW RSS grew by %d KiB after 50 rounds" % (after - before))
r = mgc_ask(MID + "Transaction = 99 { Context = - { AuditValue = ROOT } }\r\n", 99)
L.check("Error" not in r and "AuditValue" in r, "audit after the oversized messages: %s" % r[:300])
L.check(g.p.poll() is None, "the AGW died")
L.note("2 ok: oversized H.248 rejected with errors; RSS %d -> %d KiB after 50 rounds; audit answered"
       % (before, after))
# SIGTERM: the AGW says ServiceChange Graceful to its MGC (answered here)
g.p.send_signal(__import__("signal").SIGTERM)
answer_service_change("no ServiceChange Graceful from the stopping AGW")
rc = g.stop()
L.check(rc == 0, "AGW exit status %s" % rc)

# ---------------------------------------------------------- 3. oversized from the AGW
h248 = L.free_port()
fake = L.FakeAGW(h248, register=False)
a = L.Daemon("alg", ["--role", "alg", "--sip-listen", "127.0.0.1:%d" % L.free_port_both(),
                     "--h248-listen", "127.0.0.1:%d" % h248, "--agw", "127.0.0.1:%d" % fake.port,
                     "--set", "alg.audit-interval=0", "--log-level", "info"], wait_ready=False)
L.wait_until(lambda: "MGC on" in a.text(), what="ALG started")
fake.register()
fake.serve(lambda t: "Reply" in t, what="ServiceChange reply")
a.wait_log("wicgated: ready")


def agw_ask(text, tid):
    fake.send(text)
    end = time.time() + L.WAIT
    while time.time() < end:
        t = fake._read(max(0.0, end - time.time()))
        if t is None:
            break
        if "Error" in t and (tid is None or "Reply" not in t) or \
                (tid is not None and re.search(r"\bReply\s*=\s*%d\b" % tid, t)):
            return t  # (the ALG's own acks and audits are skipped)
    L.fail("the ALG did not answer an oversized message from its AGW (tid %s)" % tid)


AMID = "MEGACO/3 %s\n" % fake.mid
for i in range(20):
    tid = 90000 + 100 * i
    r = agw_ask(AMID + "".join("Transaction = %d { Context = 1 { Notify = ip/1/access/1 { ObservedEvents = 2 "
                               "{ 20240611T10302512:tlsbsc/tlsfail { Stream = 1 } } } } }\n" % (tid + k)
                               for k in range(12)), tid)
    L.check(re.search(r"Error\s*=\s*413\b", r), "ALG, 12 transactions: %s" % r[:300])
    r = agw_ask(AMID + "Transaction = 5 { " + "{" * 63000 + "\n", None)
    L.check(re.search(r"Error\s*=\s*4\d\d\b", r), "ALG, 63000 bytes of garbage: %s" % r[:300])
tid = fake.register()
r = fake.serve(lambda t: re.search(r"\bReply\s*=\s*%d\b" % tid, t),
               what="ServiceChange reply after the oversized messages")
L.check("Error" not in r, "ServiceChange after the oversized messages: %s" % r[:300])
L.check(a.p.poll() is None, "the ALG died")
L.note("3 ok: oversized H.248 from the registered AGW: 413 / 4xx; the ALG still answers its ServiceChange")
rc = a.stop()
L.check(rc == 0, "ALG exit status %s" % rc)
print("ok - hostile H.248: unregistered senders refused, oversized messages rejected")
