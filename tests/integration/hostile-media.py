# hostile-media.py -- hostile media-plane input against a real wicgated (role
# both, the real AGW). The WICs are tests/integration/media-peer (libwgmedia:
# ICE controlling, DTLS, SCTP, the negotiated channel 1, echoing every
# message); UE-B is a TCP socket speaking MSRP. Two calls:
#   call 1: the WIC offers actpass (the AGW is the DTLS client);
#   call 2: the WIC offers active (the AGW is the DTLS server).
# Before each WIC starts ICE, an attacker socket sends the AGW's T1 port
#   - an ICE check with the right USERNAME and USE-CANDIDATE but a bad
#     MESSAGE-INTEGRITY: answered 401 (STUN error response, ERROR-CODE 401);
#   - a DTLS ClientHello (the attacker did not pass ICE).
# Then the real WIC's ICE + DTLS + SCTP succeed, and the attacker never gets
# anything else (no DTLS record, no STUN success, no consent check): it was
# not latched, its ClientHello was dropped. More ClientHellos and DTLS
# garbage from the attacker during the call change nothing: MSRP still
# flows UE-B -> AGW -> WIC -> (echo) -> AGW -> UE-B, byte-exact.
# Then, on call 2's TCP leg:
#   - an MSRP SEND larger than the WIC's max-message-size: 413 on TCP
#     (RFC 4975 7.2), the connection stays and the next SEND is echoed;
#   - MSRP framing garbage (a SEND whose header is malformed): the AGW
#     answers 400 (its transaction id and paths were readable) and closes
#     the connection; the ALG releases call 2 (BYE both sides);
#   call 1 is unaffected: no BYE, its MSRP still echoes.
import importlib, os, re, select, socket, struct, subprocess, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
L = importlib.import_module("alg-lib")

PEER = os.path.join(L.B, "tests", "integration", "media-peer")
if not os.path.exists(PEER):
    L.fail("media-peer is not built (make check builds it)")

sip = L.free_port_both()
ueb = L.UA("ue-b", ("127.0.0.1", sip))
RURI = "sip:ue-b@ims.example.invalid"
d = L.start_both(["--log-level", "debug"], ueb.port, sip=sip, own_media_ports=True)


# ------------------------------------------------------------- helpers
class Peer:
    def __init__(self, name, role):
        self.name = name
        self.p = subprocess.Popen([PEER, role, "controlling"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.lines = []
        self.buf = ""
        self.fd = self.p.stdout.fileno()
        f = self.expect(r"^LOCAL ")
        _, port, self.ufrag, self.pwd, fp = f.split(" ", 4)
        self.port = int(port)
        self.fp = fp

    def expect(self, rx, timeout=L.WAIT):
        end = time.time() + timeout
        for ln in self.lines:
            if re.search(rx, ln):
                return ln
        while time.time() < end:
            # raw reads: a buffered readline() could hide lines from select()
            r, _, _ = select.select([self.fd], [], [], max(0.0, end - time.time()))
            if not r:
                break
            chunk = os.read(self.fd, 65536).decode(errors="replace")
            if not chunk:
                break
            self.buf += chunk
            while "\n" in self.buf:
                ln, self.buf = self.buf.split("\n", 1)
                self.lines.append(ln)
                if re.match(r"(FAIL|ERROR|LOST|CONSENT)", ln):
                    L.fail("%s: %s" % (self.name, ln))
            for ln in self.lines[-50:]:
                if re.search(rx, ln):
                    return ln
        L.fail("%s: no %r within %ss; got %s" % (self.name, rx, timeout, self.lines))

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()


def offer(peer, setup):
    return ("v=0\no=- 42 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
            "m=application %(p)d UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 127.0.0.1\n"
            "a=ice-ufrag:%(u)s\na=ice-pwd:%(w)s\n"
            "a=candidate:1 1 UDP 2122260223 127.0.0.1 %(p)d typ host\n"
            "a=fingerprint:%(f)s\na=setup:%(s)s\na=sctp-port:5000\na=max-message-size:65536\n"
            "a=dcmap:1 label=\"msrp\";subprotocol=\"MSRP\";ordered=true\n"
            "a=dcsa:1 accept-types:message/cpim text/plain\n"
            "a=dcsa:1 path:msrp://wic.example.invalid:9/%(u)s;dc\n") % {
                "p": peer.port, "u": peer.ufrag, "w": peer.pwd, "f": peer.fp, "s": setup}


def client_hello():
    """A DTLS 1.2 ClientHello record (RFC 6347), as any DTLS client sends."""
    suites = [0xc02b, 0xc02f, 0xc00a, 0xc014]
    exts = struct.pack("!HHHH", 0x000a, 4, 2, 0x0017)          # supported_groups: secp256r1
    exts += struct.pack("!HH", 0x000b, 2) + b"\x01\x00"          # ec_point_formats: uncompressed
    exts += struct.pack("!HHHHH", 0x000d, 6, 4, 0x0403, 0x0804)  # signature_algorithms
    body = struct.pack("!H", 0xfefd) + os.urandom(32) + b"\x00" + b"\x00"
    body += struct.pack("!H", 2 * len(suites)) + b"".join(struct.pack("!H", s) for s in suites)
    body += b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    n = len(body)
    hs = bytes([1]) + n.to_bytes(3, "big") + struct.pack("!H", 0) + (0).to_bytes(3, "big") + \
        n.to_bytes(3, "big") + body
    return bytes([22]) + struct.pack("!H", 0xfeff) + b"\x00\x00" + b"\x00" * 6 + \
        struct.pack("!H", len(hs)) + hs


def stun_error_code(data):
    """(type, ERROR-CODE) of a STUN message."""
    if len(data) < 20:
        return None, None
    t, n = struct.unpack("!HH", data[:4])
    i, code = 20, None
    while i + 4 <= 20 + n and i + 4 <= len(data):
        at, al = struct.unpack("!HH", data[i:i + 4])
        if at == 0x0009 and al >= 4:
            code = data[i + 6] * 100 + data[i + 7]
        i += 4 + al + (4 - al % 4) % 4
    return t, code


class Call:
    def __init__(self, name, setup, role):
        self.name = name
        self.wic = L.UA("wic-" + name, ("127.0.0.1", sip))
        self.peer = Peer("wic-" + name, role)
        self.wic.invite(RURI, offer(self.peer, setup))
        inv = ueb.recv_request("INVITE")
        self.cid = inv.hdr("call-id")
        _, media = L.sdp_media(inv.body)
        self.t2 = ("127.0.0.1", int(media[0]["m"].split()[1]))
        ueb.reply(inv, 200, "OK", L.ims_answer(L.free_port("tcp")))
        self.inv = inv
        ok = self.wic.recv_status(200)
        self.wic.ack_2xx(ok)
        ueb.recv_request("ACK")
        self.ueb_dialog = ueb.dialog
        _, media = L.sdp_media(ok.body)
        m = media[0]
        self.t1 = int(m["m"].split()[1])
        self.agw_ufrag, self.agw_pwd = L.attr(m, "ice-ufrag"), L.attr(m, "ice-pwd")
        self.agw_fp = L.attr(m, "fingerprint")
        self.tcp = None

    def start(self):
        self.peer.send("REMOTE %s %s %s 127.0.0.1 %d" % (self.agw_ufrag, self.agw_pwd,
                                                          self.agw_fp.replace(" ", "/"), self.t1))
        self.peer.expect(r"^DTLS$")
        self.peer.expect(r"^SCTP$")
        self.peer.expect(r"^OPEN 1 ")

    def connect(self):
        self.tcp = socket.create_connection(self.t2)
        self.tcp.settimeout(L.WAIT)
        self.rx = b""

    def read_until(self, pred, what):
        end = time.time() + L.WAIT
        while time.time() < end:
            v = pred(self.rx)
            if v:
                return v
            try:
                x = self.tcp.recv(65536)
            except socket.timeout:
                break
            if not x:
                v = pred(self.rx)
                if v:
                    return v
                L.fail("%s: the AGW closed UE-B's connection before %s" % (self.name, what))
            self.rx += x
        L.fail("%s: no %s on UE-B's TCP connection" % (self.name, what))

    def msrp_round_trip(self, tag, size=200):
        tid = "t%s%d" % (tag, int(time.time() * 1000) % 100000)
        body = (tag * size)[:size].encode()
        msg = ("MSRP %s SEND\r\nTo-Path: msrp://wic.example.invalid:9/%s;dc\r\n"
               "From-Path: msrp://127.0.0.1:9/ueb;tcp\r\nMessage-ID: %s\r\nByte-Range: 1-%d/%d\r\n"
               "Failure-Report: no\r\nContent-Type: text/plain\r\n\r\n" % (
                   tid, self.peer.ufrag, tid, size, size)).encode() + body + \
            ("\r\n-------%s$\r\n" % tid).encode()
        self.tcp.sendall(msg)
        self.peer.expect(r"^RX 1 \d+ %d " % len(msg))
        self.read_until(lambda rx: msg in rx, "echo of SEND " + tid)
        self.rx = self.rx[self.rx.index(msg) + len(msg):]


def attack(call, extra_hello=True):
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    a.settimeout(L.WAIT)
    # an ICE check as the WIC would send it, with a wrong password
    a.sendto(L.stun_binding_request(call.peer.ufrag, call.agw_ufrag, "wrong-password-0123456789"),
             ("127.0.0.1", call.t1))
    data = a.recv(2048)
    t, code = stun_error_code(data)
    L.check(t == 0x0111 and code == 401, "%s: bad MESSAGE-INTEGRITY answered type %s code %s" % (
        call.name, t and hex(t), code))
    # a DTLS ClientHello from an address that did not pass ICE
    a.sendto(client_hello(), ("127.0.0.1", call.t1))
    return a


def no_more(a, what):
    """Everything the attacker got besides its 401 (read without waiting:
    the AGW would have answered before the real WIC's handshake, which we
    saw complete)."""
    a.setblocking(False)
    got = []
    while True:
        try:
            got.append(a.recv(65535))
        except BlockingIOError:
            break
    L.check(not got, "%s: the attacker received %d datagram(s), first bytes %r" % (
        what, len(got), [g[:4] for g in got]))


# ------------------------------------------------------------- call 1
c1 = Call("one", "actpass", "server")
a1 = attack(c1)
c1.start()
no_more(a1, "call 1 (AGW DTLS client)")
L.note("call 1: 401 to the bad MESSAGE-INTEGRITY, attacker's ClientHello dropped, real DTLS up")
c2 = Call("two", "active", "client")
a2 = attack(c2)
c2.start()
no_more(a2, "call 2 (AGW DTLS server)")
L.note("call 2: 401 to the bad MESSAGE-INTEGRITY, attacker's ClientHello dropped, real DTLS up")

# more from the attacker during the calls: ClientHellos and DTLS garbage
for a, c in ((a1, c1), (a2, c2)):
    a.sendto(client_hello(), ("127.0.0.1", c.t1))
    a.sendto(bytes([23, 0xfe, 0xfd]) + os.urandom(60), ("127.0.0.1", c.t1))
c1.connect()
c2.connect()
c1.msrp_round_trip("a")
c2.msrp_round_trip("b")
no_more(a1, "call 1 after the attack")
no_more(a2, "call 2 after the attack")
L.note("1 ok: STUN with a bad MESSAGE-INTEGRITY -> 401, no latch; DTLS from outside ICE dropped; "
       "MSRP flows on both calls")

# ------------------------------------------------------------- oversized MSRP
big = 70000  # the WIC accepts 65536 (its a=max-message-size)
tid = "big%d" % os.getpid()
msg = ("MSRP %s SEND\r\nTo-Path: msrp://wic.example.invalid:9/%s;dc\r\n"
       "From-Path: msrp://127.0.0.1:9/ueb;tcp\r\nMessage-ID: %s\r\nByte-Range: 1-%d/%d\r\n"
       "Content-Type: text/plain\r\n\r\n" % (tid, c2.peer.ufrag, tid, big, big)).encode() + \
    b"x" * big + ("\r\n-------%s$\r\n" % tid).encode()
c2.tcp.sendall(msg)
resp = c2.read_until(lambda rx: re.search(rb"MSRP %s 413[^\r]*\r\n" % tid.encode(), rx), "413 for " + tid)
c2.msrp_round_trip("c")
L.note("2 ok: MSRP SEND of %d bytes -> %s; the connection stays" % (big, resp.group(0).strip().decode()))

# ------------------------------------------------------------- framing garbage
tid = "bad%d" % os.getpid()
c2.tcp.sendall(("MSRP %s SEND\r\nTo-Path: msrp://wic.example.invalid:9/%s;dc\r\n"
                "From-Path: msrp://127.0.0.1:9/ueb;tcp\r\nthis is not a header\r\n\r\nhello\r\n"
                "-------%s$\r\n" % (tid, c2.peer.ufrag, tid)).encode())
end = time.time() + L.WAIT
closed = False
while time.time() < end:
    try:
        x = c2.tcp.recv(65536)
    except (socket.timeout, ConnectionResetError):
        closed = True
        break
    if not x:
        closed = True
        break
    c2.rx += x
L.check(closed, "call 2: the AGW did not close UE-B's connection after framing garbage")
m = re.search(rb"MSRP %s 400[^\r]*\r\nTo-Path: msrp://127.0.0.1:9/ueb;tcp\r\n"
              rb"From-Path: msrp://wic.example.invalid:9/[^\r]*\r\n-------%s\$\r\n" % (tid.encode(), tid.encode()),
              c2.rx)
L.check(m, "call 2: no MSRP 400 before the close; got %r" % c2.rx[-300:])
# the ALG releases call 2 (bearer lost) on both sides
b = c2.wic.recv_request("BYE")
c2.wic.reply(b, 200, "OK")
b = ueb.recv_request("BYE")
L.check(b.hdr("call-id") == c2.cid, "UE-B got a BYE for another call: %s" % b.hdr("call-id"))
ueb.reply(b, 200, "OK")
# call 1 unaffected
c1.msrp_round_trip("d")
L.check(not [m for m in c1.wic.inbox if m.method == "BYE"], "call 1 got a BYE")
L.check(not [m for m in ueb.inbox if m.method == "BYE" and m.hdr("call-id") == c1.cid], "UE-B got a BYE for call 1")
L.note("3 ok: MSRP framing garbage -> 400 and the connection closed; call 2 released; call 1 unaffected")

# call 1 ends normally
ueb.dialog = c1.ueb_dialog
c1.wic.bye()
b = ueb.recv_request("BYE")
L.check(b.hdr("call-id") == c1.cid, "BYE for call 1 expected")
ueb.reply(b, 200, "OK")
c1.wic.recv_status(200, "BYE")
for c in (c1, c2):
    c.peer.send("QUIT")
    c.peer.p.wait(timeout=L.WAIT)
rc = d.stop()
L.check(rc == 0, "wicgated exit status %s" % rc)
print("ok - hostile media input: STUN integrity, DTLS outside ICE, oversized MSRP, MSRP framing garbage")
