# alg-ws-lib.py -- a small RFC 6455 WebSocket client on raw sockets (no
# library: the tests need to send what a library would refuse to, e.g.
# unmasked frames, bad keys) and a SIP UA over it (RFC 7118). Loaded by path
# from tests/integration/alg-ws*.py; not a test itself.
import base64, hashlib, os, random, re, select, socket, ssl, struct, time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Closed(Exception):
    pass


def http_get(port, raw, tls=False, timeout=10.0):
    """Sends raw request bytes, returns (status, headers dict, body bytes)
    of the response (read to EOF: the server closes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    s.sendall(raw if isinstance(raw, bytes) else raw.encode())
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    st = int(lines[0].split()[1]) if lines[0].startswith("HTTP/1.") else 0
    hdrs = {}
    for ln in lines[1:]:
        n, _, v = ln.partition(":")
        hdrs[n.strip().lower()] = v.strip()
    return st, hdrs, body


class WS:
    """One client connection. After the constructor, .status and .headers
    hold the handshake response; .ok is True when it is a good 101."""

    def __init__(self, port, protocol="sip", key=None, version="13", path="/", tls=False,
                 extra="", timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(self.sock)
        self.key = key if key is not None else base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n"
               % (path, port, self.key, version))
        if protocol is not None:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        req += extra + "\r\n"
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            b = self._recv_some(timeout)
            if not b:
                break
            self.buf += b
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/1.1") else 0
        self.headers = {}
        for ln in lines[1:]:
            n, _, v = ln.partition(":")
            self.headers[n.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1((self.key + GUID).encode()).digest()).decode()
        self.ok = (self.status == 101 and self.headers.get("sec-websocket-accept") == want and
                   self.headers.get("sec-websocket-protocol") == "sip")
        self.close_code = None
        self.close_reason = None

    def _recv_some(self, timeout):
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return self.sock.recv(65536)
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        try:
            return self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return b""

    def send_frame(self, opcode, payload, fin=True, mask=True, rsv=0):
        if isinstance(payload, str):
            payload = payload.encode()
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            mk = os.urandom(4)
            payload = bytes(c ^ mk[i % 4] for i, c in enumerate(payload))
            hdr += mk
        self.sock.sendall(hdr + payload)

    def send_text(self, text):
        self.send_frame(1, text)

    def _frame(self, timeout):
        """(fin, opcode, payload) or None on timeout; raises Closed on EOF."""
        end = time.time() + timeout
        while True:
            if len(self.buf) >= 2:
                b0, b1 = self.buf[0], self.buf[1]
                n = b1 & 0x7F
                off = 2
                if n == 126:
                    if len(self.buf) >= 4:
                        n = struct.unpack("!H", self.buf[2:4])[0]
                    off = 4
                elif n == 127:
                    if len(self.buf) >= 10:
                        n = struct.unpack("!Q", self.buf[2:10])[0]
                    off = 10
                if b1 & 0x80:
                    raise AssertionError("server frame is masked")
                if len(self.buf) >= off and len(self.buf) >= off + n:
                    payload = self.buf[off:off + n]
                    self.buf = self.buf[off + n:]
                    return bool(b0 & 0x80), b0 & 0x0F, payload
            left = end - time.time()
            if left <= 0:
                return None
            b = self._recv_some(left)
            if b is None:
                return None
            if not b:
                raise Closed()
            self.buf += b

    def recv_msg(self, timeout=15.0):
        """Next data message (opcode, bytes), None on timeout. Close frames
        set .close_code/.close_reason and raise Closed; pings are answered."""
        end = time.time() + timeout
        parts, op = [], None
        while True:
            f = self._frame(max(0.0, end - time.time()))
            if f is None:
                return None
            fin, opcode, payload = f
            if opcode == 8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.close_reason = payload[2:].decode(errors="replace")
                raise Closed()
            if opcode == 9:
                self.pings = getattr(self, "pings", 0) + 1
                self.send_frame(10, payload)
                continue
            if opcode == 10:
                self.last_pong = payload
                continue
            if opcode != 0:
                op = opcode
            parts.append(payload)
            if fin:
                return op, b"".join(parts)

    def wait_close_silent(self, timeout=15.0):
        """Like wait_close, but pings are NOT answered (a dead client)."""
        end = time.time() + timeout
        while True:
            try:
                f = self._frame(max(0.0, end - time.time()))
            except Closed:
                return None
            if f is None:
                return None
            if f[1] == 9:
                self.pings = getattr(self, "pings", 0) + 1
            if f[1] == 8:
                p = f[2]
                self.close_code = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
                self.close_reason = p[2:].decode(errors="replace")
                return self.close_code

    def wait_close(self, timeout=15.0):
        """Reads until the server's close frame (returns its code) or EOF."""
        try:
            while True:
                if self.recv_msg(timeout) is None:
                    return None
        except Closed:
            return self.close_code

    def close(self, code=1000):
        try:
            self.send_frame(8, struct.pack("!H", code))
        except OSError:
            pass

    def eof(self, timeout=15.0):
        """True when the server closed the TCP connection."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                b = self._recv_some(max(0.0, end - time.time()))
            except OSError:
                return True
            if b is None:
                return False
            if not b:
                return True
        return False


class WsUA:
    """A SIP UA over one WebSocket connection, shaped like JsSIP: Via
    SIP/2.0/WS <random>.invalid, Contact sip:<user>@<random>.invalid;transport=ws."""

    def __init__(self, L, ws, user="alice", domain="example.com", transport="WS"):
        self.L = L
        self.ws = ws
        self.user = user
        self.domain = domain
        self.transport = transport
        self.host = "%08x.invalid" % random.getrandbits(32)
        self.cuser = "%08x" % random.getrandbits(32)
        self.tag = "%08x" % random.getrandbits(32)
        self.call_id = None
        self.cseq = 0
        self.inbox = []
        self.dialog = None

    def contact_uri(self):
        return "sip:%s@%s;transport=%s" % (self.cuser, self.host, self.transport.lower())

    def via(self, branch):
        return "SIP/2.0/%s %s;branch=%s" % (self.transport, self.host, branch)

    def branch(self):
        return "z9hG4bK" + "%08x" % random.getrandbits(32)

    def send(self, text):
        self.ws.send_text(text)

    def recv(self, pred=lambda m: True, timeout=15.0, what="a SIP message"):
        for i, m in enumerate(self.inbox):
            if pred(m):
                return self.inbox.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            r = self.ws.recv_msg(max(0.0, end - time.time()))
            if r is None:
                break
            m = self.L.SipMsg(r[1].decode(errors="replace"))
            m.opcode = r[0]
            if pred(m):
                return m
            self.inbox.append(m)
        self.L.fail("ws UA %s: no %s within %ss; got %s" % (self.user, what, timeout,
                                                          [x.start for x in self.inbox]))

    def recv_final(self, method, timeout=15.0):
        return self.recv(lambda m: m.status is not None and m.status >= 200 and m.cseq()[1] == method,
                         timeout, "final response to " + method)

    def register(self, expires=600, contact_params="", extra=""):
        self.cseq += 1
        self.reg_branch = self.branch()
        self.reg_via = self.via(self.reg_branch)
        if not self.call_id:
            self.call_id = "%08x" % random.getrandbits(32)
        msg = ("REGISTER sip:%s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 69\r\n"
               "To: <sip:%s@%s>\r\nFrom: <sip:%s@%s>;tag=%s\r\nCall-ID: %s\r\nCSeq: %d REGISTER\r\n"
               "Contact: <%s>%s;expires=%d\r\nExpires: %d\r\n%sContent-Length: 0\r\n\r\n") % (
            self.domain, self.reg_via, self.user, self.domain, self.user, self.domain, self.tag,
            self.call_id, self.cseq, self.contact_uri(), contact_params, expires, expires, extra)
        self.send(msg)
        return msg

    def invite(self, ruri, sdp, to=None):
        self.cseq += 1
        self.inv_branch = self.branch()
        self.inv_via = self.via(self.inv_branch)
        self.inv_call_id = "%08x@%s" % (random.getrandbits(32), self.host)
        self.inv_from = "<sip:%s@%s>;tag=%s" % (self.user, self.domain, self.tag)
        self.inv_to = to or "<%s>" % ruri
        self.inv_cseq = self.cseq
        self.inv_ruri = ruri
        body = sdp.replace("\n", "\r\n") if "\r\n" not in sdp else sdp
        msg = ("INVITE %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 69\r\nTo: %s\r\nFrom: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d INVITE\r\nContact: <%s;ob>\r\n"
               "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s") % (
            ruri, self.inv_via, self.inv_to, self.inv_from, self.inv_call_id, self.cseq,
            self.contact_uri(), len(body.encode()), body)
        self.send(msg)
        return msg

    def ack_2xx(self, resp):
        rr = resp.hdrs("record-route")
        self.dialog = {"local": self.inv_from, "remote": resp.hdr("to"),
                       "call_id": self.inv_call_id, "target": self.L.uri_of(resp.hdr("contact")),
                       "route": list(reversed(rr))}
        self._in_dialog("ACK", self.inv_cseq)

    def _in_dialog(self, method, cseq):
        d = self.dialog
        route = "".join("Route: %s\r\n" % r for r in d["route"])
        self.last_via = self.via(self.branch())
        msg = ("%s %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 69\r\n%sTo: %s\r\nFrom: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n") % (
            method, d["target"], self.last_via, route, d["remote"], d["local"],
            d["call_id"], cseq, method)
        self.send(msg)
        return msg

    def bye(self):
        self.cseq += 1
        return self._in_dialog("BYE", self.cseq)

    def reply(self, req, status, reason, body=None, extra=""):
        to = req.hdr("to")
        if "tag=" not in to:
            to += ";tag=" + self.tag
        if req.method == "INVITE" and 100 < status < 300:
            # UAS dialog: route set = Record-Route in order
            self.dialog = {"local": to, "remote": req.hdr("from"), "call_id": req.hdr("call-id"),
                           "target": self.L.uri_of(req.hdr("contact")),
                           "route": req.hdrs("record-route")}
        msg = self.L.response_text(req, status, reason, to, "<%s>" % self.contact_uri(), body,
                                   extra)
        self.send(msg)
        return msg
