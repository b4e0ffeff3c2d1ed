# agw-ports.py -- the AGW's media port ranges shared with other programs:
# wicgated --role agw with 20-port access and core ranges, the test as its
# MGC. The test itself holds 19 ports of each range (TCP listeners on the
# core range, UDP sockets on the access range), as other programs on a lab
# machine may:
#   - an Add T2 (Local m=message $ TCP) still gets the one free core port,
#     and an Add T1 (Local UDP/DTLS/SCTP $) the one free access port;
#   - with every port of a range taken, the next Add gets H.248 Error 510
#     "Insufficient resources: no TCP port available" / "no UDP port
#     available", and the AGW keeps answering (an audit afterwards).
import importlib, os, re, socket, sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
L = importlib.import_module("alg-lib")

N = 20


def hold_range(kind, avoid=None):
    """A block of N ports (L.media_block) where the test can hold the first
    N - 1 (TCP listeners or UDP sockets, kept open) and the last is free
    now; another block when a port of it is in use. Returns (first, held)."""
    t = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    for _ in range(50):
        first = L.media_block()
        if first == avoid:
            continue
        held = []
        try:
            for p in range(first, first + N):
                s = socket.socket(socket.AF_INET, t)
                held.append(s)
                if t == socket.SOCK_STREAM:
                    # other tests' connections leave ports in TIME_WAIT
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", p))
                if t == socket.SOCK_STREAM:
                    s.listen(1)
        except OSError:
            for s in held:
                s.close()
            continue
        held.pop().close()  # the last one stays free for the AGW
        return first, held
    L.fail("no block of %d %s ports to hold" % (N, kind))


mgc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mgc.bind(("127.0.0.1", 0))
mgc.settimeout(L.WAIT)
mgc_port = mgc.getsockname()[1]
MID = "MEGACO/3 [127.0.0.1]:%d\r\n" % mgc_port
FP = ("sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:"
      "E9:26:33:E8:70:88:A2")

# the ports other programs hold: all but the last of each range
core, held_tcp = hold_range("tcp")
acc, held_udp = hold_range("udp", avoid=core)

agw_port = L.free_port()
g = L.Daemon("agw", ["--role", "agw", "--agw-listen", "127.0.0.1:%d" % agw_port,
                     "--mgc", "127.0.0.1:%d" % mgc_port, "--log-level", "info",
                     "--set", "agw.access-address=127.0.0.1", "--set", "agw.core-address=127.0.0.1",
                     "--set", "agw.access-ports=%d-%d" % (acc, acc + N - 1),
                     "--set", "agw.core-ports=%d-%d" % (core, core + N - 1)], wait_ready=False)


def recv_text(what):
    try:
        data, addr = mgc.recvfrom(65535)
    except socket.timeout:
        L.fail(what)
    return data.decode(errors="replace"), addr


def answer_service_change(what):
    """Wait for the AGW's ServiceChange (else fail naming what); reply to it."""
    while True:
        text, _ = recv_text(what)
        m = re.search(r"Transaction\s*=\s*(\d+)", text)
        if m and "ServiceChange" in text:
            mgc.sendto((MID + "Reply = %s { Context = - { ServiceChange = ROOT } }\r\n"
                        % m.group(1)).encode(), ("127.0.0.1", agw_port))
            return


answer_service_change("the AGW did not register")


def ask(body, tid):
    mgc.sendto((MID + body).encode(), ("127.0.0.1", agw_port))
    while True:
        text, _ = recv_text("no reply to transaction %d" % tid)
        if re.search(r"\b(Reply|P)\s*=\s*%d\b" % tid, text):
            return text


def add_t2(tid):
    return ("Transaction = %d { Context = $ { Add = $ { Media { Stream = 2 { "
            "LocalControl { Mode = Inactive }, Local {\r\nv=0\r\nc=IN IP4 $\r\n"
            "m=message $ TCP -\r\n} } } } } }\r\n" % tid)


def add_t1(tid, ctx):
    return ("Transaction = %d { Context = %s { Add = $ { Media { Stream = 1 { "
            "LocalControl { Mode = SendReceive }, Local {\r\nv=0\r\nc=IN IP4 $\r\n"
            "m=application $ UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:$\r\n"
            "a=max-message-size:$\r\na=fingerprint:$\r\n}, Remote {\r\nv=0\r\n"
            "c=IN IP4 127.0.0.1\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
            "a=sctp-port:5000\r\na=max-message-size:262144\r\na=ice-ufrag:wicu\r\n"
            "a=ice-pwd:wicpassword0123456789abcd\r\na=fingerprint:%s\r\n} }, Stream = 2 { "
            "LocalControl { Mode = SendReceive, sctp/sctpid = 1 } } } } } }\r\n" % (tid, ctx, FP))


def local_port(reply, media):
    m = re.search(r"m=%s (\d+) " % media, reply)
    L.check(m, "no m=%s port in the reply: %s" % (media, reply[:400]))
    return int(m.group(1))


# 1. TCP: the one free core port is found, whatever the pool tried first
r = ask(add_t2(101), 101)
L.check("Error" not in r, "Add T2 with one free core port: %s" % r[:400])
ctx = re.search(r"Context\s*=\s*(\d+)", r).group(1)
port = local_port(r, "message")
L.check(port == core + N - 1, "Add T2 got core port %d, the free one is %d" % (port, core + N - 1))
L.note("Add T2 with %d of %d core ports held elsewhere: got the free one, %d" % (N - 1, N, port))
r = ask(add_t2(102), 102)
L.check(re.search(r'Error\s*=\s*510\s*\{\s*"Insufficient resources: no TCP port available"', r),
        "Add T2 with every core port taken: %s" % r[:400])
L.note("Add T2 with every core port taken: 510 no TCP port available")

# 2. UDP: the same for T1's access port
r = ask(add_t1(103, ctx), 103)
L.check("Error" not in r, "Add T1 with one free access port: %s" % r[:400])
port = local_port(r, "application")
L.check(port == acc + N - 1, "Add T1 got access port %d, the free one is %d" % (port, acc + N - 1))
L.note("Add T1 with %d of %d access ports held elsewhere: got the free one, %d" % (N - 1, N, port))
r = ask(add_t1(104, ctx), 104)
L.check(re.search(r'Error\s*=\s*510\s*\{\s*"Insufficient resources: no UDP port available"', r),
        "Add T1 with every access port taken: %s" % r[:400])
L.note("Add T1 with every access port taken: 510 no UDP port available")

# 3. still serving: an audit, then the context is subtracted
r = ask("Transaction = 105 { Context = - { AuditValue = ROOT } }\r\n", 105)
L.check("Error" not in r, "audit after the 510s: %s" % r[:300])
r = ask("Transaction = 106 { Context = %s { Subtract = * } }\r\n" % ctx, 106)
L.check("Error" not in r, "Subtract of the context: %s" % r[:300])
L.check(g.p.poll() is None, "the AGW died")
g.p.send_signal(__import__("signal").SIGTERM)
answer_service_change("no ServiceChange Graceful from the stopping AGW")
rc = g.stop()
L.check(rc == 0, "AGW exit status %s" % rc)
L.note("ok: a shared port range serves while it has a free port; 510 when it has none")
