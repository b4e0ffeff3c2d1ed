# alg-lib.py -- helpers for the ALG / wicgated integration tests (loaded by
# path from the alg-*.py and daemon-*.py tests; not a test itself).
#
#   Daemon      start wicgated (any role), wait for its "ready" line, stop it
#   UA          a tiny SIP user agent over UDP on 127.0.0.1 (WIC or UE-B)
#   FakeAGW     a scriptable H.248 MG over UDP on 127.0.0.1 (registers, answers
#               Add/Modify/Subtract, sends Notify, can go silent or restart)
#   sdp_*       SDP helpers; figure_offer() is the step-1 SDP of digest 5.7
#               with loopback addresses; ims_answer() is the step-7 SDP
#   h248_*      pcap reading (tshark) and h248tool checks
#
#   start_both  wicgated --role both on free ports (returns the Daemon)
#   load_lib    load another helper of this directory (alg-ws-lib.py)
#
# Everything listens on 127.0.0.1 only; timeouts are upper bounds for waits
# on events (never sleeps used as synchronisation).
#
# A test loads it with
#   sys.dont_write_bytecode = True  # no __pycache__ in the source tree
#   sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
#   L = importlib.import_module("alg-lib")
# and `python3 alg-lib.py low-port` prints low_port() (for the shell tests).
import importlib.util, os, re, select, signal, socket, subprocess, sys, time, random, shutil

B = os.environ.get("top_builddir", ".")
S = os.environ.get("top_srcdir", ".")
TMP = os.environ.get("WG_TEST_TMP", "/tmp")
WAIT = 15.0


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def note(msg):
    print("# " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)


def free_port(kind="udp"):
    """A free port for a daemon or peer to bind: low_port() (the kind does not
    matter, the port is free for both)."""
    return low_port()


def free_port_both():
    """A port free for UDP and TCP (SIP listens on both)."""
    return low_port()


_drawn = set()


def low_port(drawn=None):
    """A port free for UDP and TCP on 127.0.0.1 below the ephemeral range
    (32768-60999), so that no socket another process binds to port 0 can
    take it before a daemon or wicsim binds it (seen under load: "cannot
    bind UE-B's SIP port"); from 10000-14999: apart from wicsim's own free
    ports (15000-19999) and the tests' AGW media ranges (media_block(),
    20000-31999), where other tests' AGWs bind ports all the time. Never one
    it returned before in this process (a port drawn is not bound at once),
    nor one in `drawn` (a set, updated)."""
    drawn = _drawn if drawn is None else drawn
    for _ in range(200):
        p = random.randint(10000, 14999)
        if p in drawn:
            continue
        try:
            for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, t)
                s.bind(("127.0.0.1", p))
                s.close()
        except OSError:
            continue
        drawn.add(p)
        return p
    fail("no free port below the ephemeral range")


def silent_udp():
    """A bound UDP socket on 127.0.0.1 that never answers (a WIC's DC port:
    no ICMP, no DTLS). Returns (socket, port); keep the socket open."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def load_lib(file):
    """Load another helper of tests/integration by file name (e.g.
    "alg-ws-lib.py") and return it as a module."""
    spec = importlib.util.spec_from_file_location(
        file[:-3].replace("-", "_"), os.path.join(os.path.dirname(os.path.abspath(__file__)), file))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def asan(pid):
    """Is the process an ASan build? Its quarantine keeps freed memory, so
    RSS says nothing there; LeakSanitizer checks leaks at exit instead."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def wait_until(pred, timeout=WAIT, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    fail("timed out waiting for " + what)


# --------------------------------------------------------------- daemon

_started = []


def _kill_started():
    # tests/run-test kills the session anyway; this also covers manual runs
    for p in _started:
        if p.poll() is None:
            p.kill()


import atexit
atexit.register(_kill_started)


class Daemon:
    def __init__(self, name, args, wait_ready=True, ready_pattern="wicgated: ready"):
        self.name = name
        self.errf = os.path.join(TMP, name + ".stderr")
        self.logf = os.path.join(TMP, name + ".log")
        exe = os.path.join(B, "wicgated")
        if not os.path.exists(exe):
            fail("no wicgated in " + B)
        self.args = [exe] + args
        note("start: " + " ".join(self.args))
        self.err = open(self.errf, "w")
        self.p = subprocess.Popen(self.args, stdout=self.err, stderr=self.err)
        _started.append(self.p)
        if wait_ready:
            self.wait_log(ready_pattern, what=name + " ready")

    def text(self):
        try:
            with open(self.errf, errors="replace") as f:
                t = f.read()
        except OSError:
            t = ""
        return t

    def wait_log(self, pattern, timeout=WAIT, what=None):
        rx = re.compile(pattern)

        def pred():
            if self.p.poll() is not None and not rx.search(self.text()):
                fail("%s exited (%s) before %r:\n%s" % (self.name, self.p.returncode, pattern,
                                                        self.text()[-3000:]))
            return rx.search(self.text())
        return wait_until(pred, timeout, what or pattern)

    def stop(self, sig=signal.SIGTERM, timeout=WAIT):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                fail("%s did not stop after %s" % (self.name, sig))
        self.err.close()
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def media_block():
    """The first port of a block of 200 in 20000-31999 for an AGW media port
    range (below the ephemeral range, apart from low_port()'s): two tests
    share a block only by chance (1 in 60), and the AGW then skips the ports
    the other holds."""
    return 20000 + 200 * random.randint(0, 59)


def start_alg_fake_agw(sip, ueb, extra_args):
    """wicgated --role alg with SIP on `sip`, next hop UA `ueb`, and a FakeAGW
    as its only AGW, registered (ServiceChange answered, "ready" logged).
    Returns (daemon, fake AGW)."""
    h248 = free_port()
    agw = FakeAGW(h248, register=False)
    d = Daemon("wicgated", [
        "--role", "alg", "--sip-listen", "127.0.0.1:%d" % sip,
        "--next-hop", "sip:127.0.0.1:%d" % ueb.port,
        "--h248-listen", "127.0.0.1:%d" % h248, "--agw", "127.0.0.1:%d" % agw.port,
        "--log-level", "debug"] + extra_args, wait_ready=False)
    # registration: the ALG answers, then says it is ready
    wait_until(lambda: "MGC on" in d.text(), what="ALG started")
    agw.register()
    agw.serve(lambda t: "Reply" in t, what="ServiceChange reply")
    d.wait_log("wicgated: ready")
    return d, agw


def agw_port_args():
    """wicgated arguments giving the AGW media port ranges of its own (200
    ports each, below the ephemeral range): another wicgated on the machine
    (a benchmark) may hold every port of the default ranges."""
    a = media_block()
    c = media_block()
    while c == a:
        c = media_block()
    return ["--set", "agw.access-ports=%d-%d" % (a, a + 199),
            "--set", "agw.core-ports=%d-%d" % (c, c + 199)]


def start_both(extra_args, next_hop, sip=None, own_media_ports=False, name="wicgated", **kw):
    """Start wicgated --role both (the ALG and the real AGW in one process,
    H.248 between them on loopback UDP): SIP on `sip` (default: a free
    UDP+TCP port), the ALG's next hop sip:127.0.0.1:<next_hop>, free H.248
    ports; own_media_ports adds agw_port_args(); extra_args go last, kw to
    Daemon. Returns the Daemon with .sip, .h248_alg and .h248_agw set."""
    sip = sip or free_port_both()
    h248_alg, h248_agw = free_port(), free_port()
    args = ["--role", "both", "--sip-listen", "127.0.0.1:%d" % sip,
            "--next-hop", "sip:127.0.0.1:%d" % next_hop,
            "--h248-listen", "127.0.0.1:%d" % h248_alg, "--agw", "127.0.0.1:%d" % h248_agw,
            "--agw-listen", "127.0.0.1:%d" % h248_agw, "--mgc", "127.0.0.1:%d" % h248_alg]
    if own_media_ports:
        args += agw_port_args()
    d = Daemon(name, args + list(extra_args), **kw)
    d.sip, d.h248_alg, d.h248_agw = sip, h248_alg, h248_agw
    return d


# --------------------------------------------------------------- SIP

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
           "l": "content-length", "c": "content-type", "k": "supported"}


class SipMsg:
    def __init__(self, raw, addr=None):
        self.raw = raw
        self.addr = addr
        head, _, body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start = lines[0]
        self.headers = []
        for ln in lines[1:]:
            if ln[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + ln.strip())
                continue
            n, _, v = ln.partition(":")
            n = n.strip().lower()
            self.headers.append((COMPACT.get(n, n), v.strip()))
        self.body = body
        p = self.start.split(" ", 2)
        if p[0] == "SIP/2.0":
            self.status = int(p[1])
            self.method = None
        else:
            self.status = None
            self.method = p[0]
            self.ruri = p[1]

    def hdr(self, name):
        name = name.lower()
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def hdrs(self, name):
        name = name.lower()
        out = []
        for n, v in self.headers:
            if n == name:
                # split comma lists for Via/Route/Record-Route
                if n in ("via", "route", "record-route"):
                    out += [x.strip() for x in split_commas(v)]
                else:
                    out.append(v)
        return out

    def cseq(self):
        n, m = self.hdr("cseq").split()
        return int(n), m

    def tag(self, which):
        v = self.hdr(which) or ""
        m = re.search(r";\s*tag=([^;>\s]+)", v)
        return m.group(1) if m else None

    def __str__(self):
        return self.raw


def split_commas(v):
    out, cur, q, a = [], "", False, 0
    for ch in v:
        if ch == '"':
            q = not q
        elif ch == "<" and not q:
            a += 1
        elif ch == ">" and not q:
            a -= 1
        if ch == "," and not q and a == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return out


def uri_of(v):
    m = re.search(r"<([^>]+)>", v)
    return m.group(1) if m else v.split(";")[0].strip()


def hostport_of(uri):
    m = re.match(r"sips?:(?:[^@]+@)?([^;:>]+)(?::(\d+))?", uri)
    return m.group(1), int(m.group(2) or 5060)


def response_text(req, status, reason, to, contact, body=None, extra=""):
    """A response to req: its Vias, From, Call-ID and CSeq, the given To; for
    an INVITE its Record-Routes (1xx-2xx) and Contact <contact>; an SDP body."""
    vias = "".join("Via: %s\r\n" % v for v in req.hdrs("via"))
    rr = ""
    if req.method == "INVITE" and 100 < status < 300:
        rr = "".join("Record-Route: %s\r\n" % r for r in req.hdrs("record-route"))
    b, ct = "", ""
    if body is not None:
        b = body.replace("\n", "\r\n") if "\r\n" not in body else body
        ct = "Content-Type: application/sdp\r\n"
    ch = "Contact: %s\r\n" % contact if req.method == "INVITE" else ""
    return ("SIP/2.0 %d %s\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n%s%s%s%s"
            "Content-Length: %d\r\n\r\n%s") % (
        status, reason, vias, req.hdr("from"), to, req.hdr("call-id"), req.hdr("cseq"), rr,
        ch, extra, ct, len(b.encode()), b)


class UA:
    """A SIP UA on UDP 127.0.0.1:port. proxy = (host, port) of wicgated."""

    def __init__(self, name, proxy, port=None):
        self.name = name
        self.proxy = proxy
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port or 0))
        self.port = self.sock.getsockname()[1]
        self.inbox = []
        self.log = []           # every message received, in order
        self.tag = "%s%06d" % (name.replace("-", ""), random.randint(0, 999999))
        self.cseq = 0
        self.dialog = None

    def close(self):
        self.sock.close()

    def send(self, text, addr=None):
        self.sock.sendto(text.encode(), addr or self.proxy)

    def _read(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        data, addr = self.sock.recvfrom(65535)
        m = SipMsg(data.decode(errors="replace"), addr)
        self.log.append(m)
        return m

    def recv(self, pred=lambda m: True, timeout=WAIT, what="a SIP message"):
        for i, m in enumerate(self.inbox):
            if pred(m):
                return self.inbox.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            m = self._read(max(0.0, end - time.time()))
            if m is None:
                break
            if pred(m):
                return m
            self.inbox.append(m)
        fail("%s: no %s within %ss; got: %s" % (self.name, what, timeout,
                                               [x.start for x in self.inbox]))

    def recv_status(self, status, method=None, timeout=WAIT):
        return self.recv(lambda m: m.status == status and (method is None or m.cseq()[1] == method),
                         timeout, "%s response" % status)

    def recv_final(self, method="INVITE", timeout=WAIT):
        return self.recv(lambda m: m.status is not None and m.status >= 200 and m.cseq()[1] == method,
                         timeout, "final response to " + method)

    def recv_request(self, method, timeout=WAIT):
        return self.recv(lambda m: m.method == method, timeout, method)

    def nothing(self, pred, timeout=1.0):
        """Asserts no matching message arrives for timeout (used only after the
        event that would cause it has already been observed)."""
        end = time.time() + timeout
        while time.time() < end:
            m = self._read(max(0.0, end - time.time()))
            if m is None:
                return
            if pred(m):
                fail("%s: unexpected %s" % (self.name, m.start))
            self.inbox.append(m)

    def contact(self):
        return "<sip:%s@127.0.0.1:%d>" % (self.name, self.port)

    def via(self, branch):
        return "SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (self.port, branch)

    # ---- UAC
    def invite(self, ruri, sdp, to="<sip:ue-b@ims.example.invalid>", extra="", max_forwards=70):
        self.cseq += 1
        self.branch = "z9hG4bK" + "%08x" % random.getrandbits(32)
        self.call_id = "%08x@%s" % (random.getrandbits(32), self.name)
        self.inv_from = "<sip:%s@example.invalid>;tag=%s" % (self.name, self.tag)
        self.inv_to = to
        self.inv_cseq = self.cseq
        body = sdp.replace("\n", "\r\n") if "\r\n" not in sdp else sdp
        msg = ("INVITE %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: %d\r\nFrom: %s\r\nTo: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d INVITE\r\nContact: %s\r\n%s"
               "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s") % (
            ruri, self.via(self.branch), max_forwards, self.inv_from, to, self.call_id, self.cseq,
            self.contact(), extra, len(body.encode()), body)
        self.inv_ruri = ruri
        self.send(msg)
        self.invite_text = msg
        return msg

    def cancel(self):
        msg = ("CANCEL %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d CANCEL\r\nContent-Length: 0\r\n\r\n") % (
            self.inv_ruri, self.via(self.branch), self.inv_from, self.inv_to, self.call_id,
            self.inv_cseq)
        self.send(msg)

    def ack_error(self, resp):
        msg = ("ACK %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d ACK\r\nContent-Length: 0\r\n\r\n") % (
            self.inv_ruri, self.via(self.branch), self.inv_from, resp.hdr("to"), self.call_id,
            self.inv_cseq)
        self.send(msg)

    def ack_non2xx(self, resp, ruri):
        """ACK for an error response (same Via branch as the request)."""
        n, _ = resp.cseq()
        msg = ("ACK %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d ACK\r\nContent-Length: 0\r\n\r\n") % (
            ruri, resp.hdrs("via")[0], resp.hdr("from"), resp.hdr("to"), resp.hdr("call-id"), n)
        self.send(msg)

    def set_dialog_uac(self, resp):
        rr = resp.hdrs("record-route")
        self.dialog = {
            "local": self.inv_from, "remote": resp.hdr("to"), "call_id": self.call_id,
            "target": uri_of(resp.hdr("contact")), "route": list(reversed(rr)),
        }

    def ack_2xx(self, resp):
        self.set_dialog_uac(resp)
        d = self.dialog
        self._in_dialog("ACK", self.inv_cseq)

    def _in_dialog(self, method, cseq, body="", extra=""):
        d = self.dialog
        route = "".join("Route: %s\r\n" % r for r in d["route"])
        branch = "z9hG4bK" + "%08x" % random.getrandbits(32)
        msg = ("%s %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\n%sFrom: %s\r\nTo: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d %s\r\n%sContent-Length: %d\r\n\r\n%s") % (
            method, d["target"], self.via(branch), route, d["local"], d["remote"], d["call_id"],
            cseq, method, extra, len(body), body)
        # send to the first route entry (the proxy) or the target
        hp = hostport_of(uri_of(d["route"][0])) if d["route"] else hostport_of(d["target"])
        self.send(msg, hp)
        return msg

    def bye(self):
        self.cseq += 1
        return self._in_dialog("BYE", self.cseq)

    # ---- UAS
    def reply(self, req, status, reason, body=None, to_tag=True, extra=""):
        to = req.hdr("to")
        if to_tag and "tag=" not in to:
            to += ";tag=" + self.tag
        msg = response_text(req, status, reason, to, self.contact(), body, extra)
        top = req.hdrs("via")[0]
        m = re.search(r"SIP/2.0/\w+\s+([^;:\s]+):?(\d+)?", top)
        rport = re.search(r"rport=(\d+)", top)
        addr = (m.group(1), int(rport.group(1)) if rport else int(m.group(2) or 5060))
        recv = re.search(r"received=([^;]+)", top)
        if recv:
            addr = (recv.group(1), addr[1])
        self.send(msg, addr)
        if req.method == "INVITE" and status < 300 and status > 100:
            self.dialog = {
                "local": to, "remote": req.hdr("from"), "call_id": req.hdr("call-id"),
                "target": uri_of(req.hdr("contact")), "route": req.hdrs("record-route"),
            }
        return msg


# --------------------------------------------------------------- SDP

FP_WIC = ("sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:B2:6F:A5:"
          "BA:8C:7A:1B:2E:9F:1D:08")


def figure_offer(port, addr="127.0.0.1"):
    """Step 1 of digest 5.7 with the WIC's address on loopback."""
    return ("v=0\n"
            "o=- 4611731400430051336 2 IN IP4 %(a)s\n"
            "s=-\n"
            "t=0 0\n"
            "a=ice-options:trickle\n"
            "m=application %(p)d UDP/DTLS/SCTP webrtc-datachannel\n"
            "c=IN IP4 %(a)s\n"
            "a=mid:0\n"
            "a=ice-ufrag:x7Qf\n"
            "a=ice-pwd:0123456789abcdef01234567\n"
            "a=candidate:1 1 UDP 2122260223 %(a)s %(p)d typ host\n"
            "a=fingerprint:%(fp)s\n"
            "a=setup:actpass\n"
            "a=connection:new\n"
            "a=sctp-port:5000\n"
            "a=max-message-size:262144\n"
            "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\n"
            "a=dcsa:1 setup:actpass\n"
            "a=dcsa:1 accept-types:message/cpim text/plain\n"
            "a=dcsa:1 path:msrp://wic-a.example.invalid:9/iau39soe2843z;dc\n") % {
                "a": addr, "p": port, "fp": FP_WIC}


def ims_answer(port, addr="127.0.0.1"):
    """Step 7 of digest 5.7 on loopback."""
    return ("v=0\n"
            "o=- 2890844527 2890844527 IN IP4 %(a)s\n"
            "s=-\n"
            "t=0 0\n"
            "m=message %(p)d TCP/MSRP *\n"
            "c=IN IP4 %(a)s\n"
            "a=setup:active\n"
            "a=msrp-cema\n"
            "a=accept-types:message/cpim text/plain\n"
            "a=path:msrp://%(a)s:%(p)d/9di4eae923wzd;tcp\n") % {"a": addr, "p": port}


def mirror_dc_answer(port, dcid):
    """The WIC's answer to a mirror data-channel offer (a call from the
    IMS): channel dcid, DTLS active, on loopback port `port`."""
    return ("v=0\no=- 5 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
            "m=application %d UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 127.0.0.1\n"
            "a=ice-ufrag:wAns\na=ice-pwd:0123456789abcdef01234567\n"
            "a=fingerprint:%s\na=setup:active\na=sctp-port:5000\na=max-message-size:262144\n"
            "a=dcmap:%s label=\"msrp\";subprotocol=\"MSRP\";ordered=true\n"
            "a=dcsa:%s accept-types:message/cpim text/plain\n"
            "a=dcsa:%s path:msrp://wic-a.example.invalid:9/wicans;dc\n") % (port, FP_WIC, dcid,
                                                                           dcid, dcid)


def audio_offer(port):
    return ("v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
            "m=audio %d RTP/AVP 0\nc=IN IP4 127.0.0.1\na=rtpmap:0 PCMU/8000\n") % port


def sdp_media(body):
    """[(m-line, [a= values], c=)] per m-line, and the session lines."""
    sess, media = [], []
    for ln in body.replace("\r\n", "\n").split("\n"):
        if not ln:
            continue
        if ln.startswith("m="):
            media.append({"m": ln[2:], "a": [], "c": None})
        elif media:
            if ln.startswith("a="):
                media[-1]["a"].append(ln[2:])
            elif ln.startswith("c="):
                media[-1]["c"] = ln[2:]
        else:
            sess.append(ln)
    return sess, media


def attr(m, name):
    for a in m["a"]:
        n, _, v = a.partition(":")
        if n == name:
            return v if ":" in a else ""
    return None


def attrs(m, name):
    out = []
    for a in m["a"]:
        n, _, v = a.partition(":")
        if n == name:
            out.append(v)
    return out


# --------------------------------------------------------------- fake AGW

class FakeAGW:
    """An H.248 MG on UDP that answers the ALG like the real gateway would,
    but under the test's control. Messages are parsed just enough."""

    def __init__(self, mgc_port, port=None, register=True):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port or 0))
        self.port = self.sock.getsockname()[1]
        self.mgc = ("127.0.0.1", mgc_port)
        self.mid = "[127.0.0.1]:%d" % self.port
        self.next_ctx = 1001
        self.next_term = 17
        self.next_tid = 50001
        self.silent = False
        self.errors = {}         # command kind -> "510 text" to answer with
        self.lose = set()        # command kinds whose next reply is lost (executed, not sent)
        self.lost_tids = set()   # their transactions: retransmissions are not answered either
        self.received = []       # every message text received
        self.contexts = {}       # ctx -> [tids]
        if register:
            self.register()

    def close(self):
        self.sock.close()

    def send(self, text, addr=None):
        self.sock.sendto(text.replace("\n", "\r\n").encode(), addr or self.mgc)

    def register(self, method="Restart", reason="901 Cold Boot"):
        tid = self.next_tid
        self.next_tid += 1
        self.send("MEGACO/3 %s\nTransaction = %d {\n Context = - {\n  ServiceChange = ROOT "
                  "{ Services { Method = %s, Reason = \"%s\", Profile = ims_iq/1 } }\n }\n}\n"
                  % (self.mid, tid, method, reason))
        return tid

    def notify(self, ctx, term, event="tlsbsc/tlsfail", stream=1):
        tid = self.next_tid
        self.next_tid += 1
        self.send("MEGACO/3 %s\nTransaction = %d {\n Context = %d {\n  Notify = %s {\n"
                  "   ObservedEvents = 2 {\n    20240611T10302512:%s {Stream = %d}\n   }\n  }\n"
                  " }\n}\n" % (self.mid, tid, ctx, term, event, stream))
        return tid

    def _read(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        data, addr = self.sock.recvfrom(65535)
        return data.decode(errors="replace")

    def serve(self, until=lambda text: False, timeout=WAIT, what="H.248 message"):
        """Answer requests until until(text) is true for a received message
        (that message is answered too); returns it."""
        end = time.time() + timeout
        while time.time() < end:
            t = self._read(max(0.0, end - time.time()))
            if t is None:
                break
            self.received.append(t)
            self.handle(t)
            if until(t):
                return t
        fail("fake AGW: no %s within %ss" % (what, timeout))

    def serve_for(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            t = self._read(max(0.0, end - time.time()))
            if t is None:
                continue
            self.received.append(t)
            self.handle(t)

    def handle(self, t):
        if self.silent:
            return
        m = re.search(r"(?:Transaction|T)\s*=\s*(\d+)", t)
        if not m or re.search(r"TransactionResponseAck|\bK\s*\{", t):
            return
        tid = int(m.group(1))
        if re.search(r"\b(Reply|P)\s*=", t) and not re.search(r"\bTransaction\s*=", t):
            return
        if tid in self.lost_tids:
            return
        ctxm = re.search(r"Context\s*=\s*([$\-*\d]+)", t)
        ctx = ctxm.group(1) if ctxm else "-"
        out = []
        if re.search(r"\bAdd\s*=", t):
            kind = "addT1" if "webrtc-datachannel" in t else "addT2"
            if kind in self.lose:
                self.lose.discard(kind)
                self.lost_tids.add(tid)
            if kind in self.errors:
                out.append("Context = %s { Error = %s }" % (ctx if ctx != "$" else "-", self.errors[kind]))
            else:
                if ctx == "$":
                    ctx = str(self.next_ctx)
                    self.next_ctx += 1
                term = "ip/%d/%s/%d" % (1 if kind == "addT1" else 2,
                                         "access" if kind == "addT1" else "core", self.next_term)
                self.next_term += 1
                self.contexts.setdefault(int(ctx), []).append(term)
                if kind == "addT2":
                    local = "v=0\nc=IN IP4 127.0.0.1\nm=message %d TCP -\n" % (40000 + self.next_term % 1000)
                    sm = re.search(r"Stream\s*=\s*(\d+)", t)
                    sid = int(sm.group(1)) if sm else 2
                else:
                    local = ("v=0\nc=IN IP4 127.0.0.1\nm=application 41000 UDP/DTLS/SCTP "
                             "webrtc-datachannel\na=ice-lite\na=ice-ufrag:AGWu\n"
                             "a=ice-pwd:agwpasswordagwpassword00\n"
                             "a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:"
                             "04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2\n"
                             "a=sctp-port:5000\na=max-message-size:65536\n")
                    sid = 1
                out.append("Context = %s { Add = %s { Media { Stream = %d { Local {\n%s} } } } }"
                           % (ctx, term, sid, local))
        elif re.search(r"\bModify\s*=\s*([^\s{]+)", t):
            term = re.search(r"\bModify\s*=\s*([^\s{]+)", t).group(1)
            if "modT2" in self.errors:
                out.append("Context = %s { Error = %s }" % (ctx, self.errors["modT2"]))
            else:
                out.append("Context = %s { Modify = %s }" % (ctx, term))
        elif re.search(r"\bSubtract\s*=", t):
            terms = re.findall(r"\bSubtract\s*=\s*([^\s{,]+)", t)
            try:
                self.contexts.pop(int(ctx), None)
            except ValueError:
                pass
            out.append("Context = %s { %s }" % (ctx, ", ".join("Subtract = %s" % x for x in terms)))
        elif re.search(r"\bAuditValue\s*=", t) and ctx == "*":
            # H.248.1 7.2.5: the list of contexts, or the NULL context
            out += ["Context = %d { AuditValue = ROOT }" % c for c in sorted(self.contexts)] or \
                ["Context = - { AuditValue = ROOT }"]
        elif re.search(r"\bAuditValue\s*=", t):
            out.append("Context = - { AuditValue = ROOT }")
        elif re.search(r"\bServiceChange\s*=", t):
            out.append("Context = - { ServiceChange = ROOT }")
        else:
            return  # replies to our own requests
        if tid in self.lost_tids:
            return  # executed, the reply lost
        self.send("MEGACO/3 %s\nReply = %d {\n%s\n}\n" % (self.mid, tid, "\n".join(out)))


# --------------------------------------------------------------- H.248 on the wire

def tshark():
    return shutil.which("tshark")


def pcap_h248(pcap, ports):
    """Payloads (text) of every UDP datagram to/from one of ports, in order."""
    if not tshark():
        return None
    flt = " || ".join("udp.port==%d" % p for p in ports)
    r = subprocess.run([tshark(), "-r", pcap, "-Y", flt, "-T", "fields", "-e", "udp.srcport",
                        "-e", "udp.dstport", "-e", "udp.payload"],
                       capture_output=True, text=True, timeout=60)
    out = []
    for ln in r.stdout.splitlines():
        f = ln.split("\t")
        if len(f) < 3 or not f[2]:
            continue
        out.append((int(f[0]), int(f[1]), bytes.fromhex(f[2].replace(":", "")).decode(errors="replace")))
    return out


def pcap_megaco_decodes(pcap, ports):
    """tshark decodes every datagram as MEGACO (no malformed packets)."""
    if not tshark():
        return None
    args = [tshark(), "-r", pcap]
    for p in ports:
        args += ["-d", "udp.port==%d,megaco" % p]
    flt = " || ".join("udp.port==%d" % p for p in ports)
    # Note-level expert info is tolerated: tshark's SDP dissector notes the
    # indentation before the closing "}" of Local/Remote as an "invalid line"
    r = subprocess.run(args + ["-Y", "(%s) && (!megaco || _ws.expert.severity >= \"Warning\")" % flt],
                       capture_output=True, text=True, timeout=60)
    return r.stdout.strip()


def h248tool_ok(text):
    """Parse one message with h248tool (built by the h248 owner)."""
    exe = os.path.join(B, "h248tool")
    if not os.path.exists(exe):
        return None
    path = os.path.join(TMP, "h248msg.txt")
    with open(path, "w") as f:
        f.write(text)
    for args in ([exe, "parse", path], [exe, path]):
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        if r.returncode == 0:
            return True
        if "usage" not in (r.stderr + r.stdout).lower():
            return False
    return False


# --------------------------------------------------------------- STUN (ICE check)

def stun_binding_request(local_ufrag, remote_ufrag, remote_pwd, controlling=True):
    """An ICE connectivity check (RFC 8445 7.2.2) as the WIC sends it to the
    AGW's ICE-lite T1 port: USERNAME remote:local, PRIORITY, ICE-CONTROLLING,
    USE-CANDIDATE, MESSAGE-INTEGRITY (key = the AGW's ice-pwd), FINGERPRINT."""
    import hmac, hashlib, struct, zlib
    tid = os.urandom(12)

    def attr(t, v):
        pad = (4 - len(v) % 4) % 4
        return struct.pack("!HH", t, len(v)) + v + b"\0" * pad
    body = attr(0x0006, ("%s:%s" % (remote_ufrag, local_ufrag)).encode())
    body += attr(0x0024, struct.pack("!I", 1853824767))
    body += attr(0x802A if controlling else 0x8029, os.urandom(8))
    body += attr(0x0025, b"")
    hdr = lambda n: struct.pack("!HHI", 0x0001, n, 0x2112A442) + tid
    mi = hmac.new(remote_pwd.encode(), hdr(len(body) + 24) + body, hashlib.sha1).digest()
    body += attr(0x0008, mi)
    crc = (zlib.crc32(hdr(len(body) + 8) + body) ^ 0x5354554E) & 0xFFFFFFFF
    body += attr(0x8028, struct.pack("!I", crc))
    return hdr(len(body)) + body


if __name__ == "__main__":
    if sys.argv[1:2] == ["low-port"] and len(sys.argv) in (2, 4) and sys.argv[2:3] in ([], ["--drawn"]):
        # --drawn FILE: the ports drawn before (one per line), appended to
        if len(sys.argv) == 4:
            f = sys.argv[3]
            seen = set(int(x) for x in open(f).read().split()) if os.path.exists(f) else set()
            p = low_port(seen)
            with open(f, "a") as out:
                out.write("%d\n" % p)
            print(p)
        else:
            print(low_port())
    elif sys.argv[1:] == ["media-block"]:
        print(media_block())
    else:
        fail("usage: alg-lib.py low-port [--drawn FILE] | media-block")
