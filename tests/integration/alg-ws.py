# alg-ws.py -- SIP over WebSocket (RFC 7118 / RFC 6455) and the static files
# of the demo page, on a real wicgated (role both: the real ALG and the real
# AGW), with a raw-socket WebSocket client (tests/integration/alg-ws-lib.py)
# as the WIC and a small UDP SIP UA (alg-lib.py) as UE-B at alg.next-hop.
#
#  1. static files: Content-Type per extension, HEAD, 404, 405, traversal
#     ("..", %2e%2e, "//", a symlink out of the root) refused, absolute-form
#     400, oversized request 431;
#  2. handshake: good (Sec-WebSocket-Accept, subprotocol sip), refused
#     without subprotocol sip, with a bad key, with another version;
#  3. frames: unmasked -> close 1002, oversized -> close 1009, invalid
#     UTF-8 -> 1007, ping -> pong, a SIP message in three fragments;
#  4. REGISTER to the built-in registrar: 200 with the Contact and expires,
#     423 + Min-Expires, unregister with Expires 0; the response's Via is
#     the client's own (WS, same branch);
#  5. a full data-channel call: the WS client's step-1 INVITE -> H.248 with
#     the real AGW -> UE-B gets the TCP/MSRP offer and answers -> the DC
#     answer comes back over the WebSocket; ACK reaches UE-B; UE-B's BYE
#     reaches the WS client over its connection; the AGW context is released;
#  5b. UE-B calls the AOR with a TCP/MSRP offer: the data-channel offer
#     reaches the WS client over its connection, its answer goes back as
#     TCP/MSRP; the WS client hangs up;
#  6. an INVITE from UE-B to the registered AOR goes over the WebSocket
#     (connection-oriented routing); when the WebSocket closes, the call it
#     has up is released (BYE to UE-B, Subtract) and the registration is
#     gone: 480 with a Warning.
import importlib, os, re, socket, struct, sys, time


sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
L = importlib.import_module("alg-lib")
W = L.load_lib("alg-ws-lib.py")

ueb_port = L.free_port_both()
wsport = L.free_port("tcp")

# the document root: one file per Content-Type, a sub directory, a symlink out
root = os.path.join(L.TMP, "www")
os.makedirs(os.path.join(root, "sub"))
files = {
    "index.html": (b"<!doctype html><title>wicgate</title>\n", "text/html"),
    "app.js": (b"console.log('x');\n", "text/javascript"),
    "style.css": (b"body{}\n", "text/css"),
    "logo.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png"),
    "icon.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>\n", "image/svg+xml"),
    "config.json": (b'{"a":1}\n', "application/json"),
    "sub/index.html": (b"<p>sub</p>\n", "text/html"),
}
for name, (data, _) in files.items():
    with open(os.path.join(root, name), "wb") as f:
        f.write(data)
secret = os.path.join(L.TMP, "secret.txt")
with open(secret, "w") as f:
    f.write("do not serve\n")
os.symlink(secret, os.path.join(root, "leak.txt"))

d = L.start_both([
    "--ws-listen", "127.0.0.1:%d" % wsport, "--http-root", root,
    "--set", "alg.ws-max-message=8192", "--log-level", "debug"], ueb_port)
sip, h248_alg, h248_agw = d.sip, d.h248_alg, d.h248_agw
L.check(re.search(r"SIP over WebSocket at ws://127\.0\.0\.1:%d/ .*demo page at "
                  r"http://127\.0\.0\.1:%d/" % (wsport, wsport), d.text()),
        "no start line naming the ws:// and http:// URLs")
L.check("built-in TEST registrar" in d.text(), "the built-in registrar is not announced")

# ------------------------------------------------------------ 1. static files


def get(path, method="GET", extra=""):
    return W.http_get(wsport, "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (method, path, extra))


for name, (data, ctype) in files.items():
    st, h, body = get("/" + name)
    L.check(st == 200, "GET /%s: %s" % (name, st))
    L.check(h.get("content-type", "").startswith(ctype), "GET /%s: Content-Type %s" % (name, h))
    L.check(body == data and h.get("content-length") == str(len(data)), "GET /%s: body" % name)
st, h, body = get("/")
L.check(st == 200 and body == files["index.html"][0], "GET / is not index.html")
st, h, body = get("/sub/")
L.check(st == 200 and body == files["sub/index.html"][0], "GET /sub/ is not sub/index.html")
st, h, body = get("/app.js?v=3")
L.check(st == 200 and body == files["app.js"][0], "GET with a query string")
st, h, body = get("/index.html", "HEAD")
L.check(st == 200 and body == b"" and h.get("content-length") == str(len(files["index.html"][0])),
        "HEAD: %s %s %r" % (st, h, body))
st, h, body = get("/missing.html")
L.check(st == 404, "missing file: %s" % st)
st, h, body = get("/", "POST", "Content-Length: 0\r\n")
L.check(st == 405 and "GET" in h.get("allow", ""), "POST: %s %s" % (st, h))
for bad in ("/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/sub/../../secret.txt",
            "/sub/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "//etc/passwd",
            "/sub/..%5c..%5csecret.txt", "/leak.txt"):
    st, h, body = get(bad)
    L.check(st in (400, 403), "traversal %s: %s" % (bad, st))
    L.check(b"do not serve" not in body, "traversal %s served the file" % bad)
st, h, body = get("http://127.0.0.1/etc/passwd")
L.check(st == 400, "absolute-form: %s" % st)
st, h, body = get("/", "GET", "X-Pad: %s\r\n" % ("a" * 9000))
L.check(st == 431, "oversized request: %s" % st)
L.note("static files ok")

# ------------------------------------------------------------ 2. handshake
ws = W.WS(wsport)
L.check(ws.ok, "good handshake refused: %s %s" % (ws.status, ws.headers))
ws.close()
L.check(ws.wait_close() == 1000, "close handshake: %s" % ws.close_code)
ws = W.WS(wsport, path="/any/path?x=1", protocol="chat, sip")
L.check(ws.ok, "handshake with another path and a protocol list refused: %s" % ws.status)
ws.close()
ws = W.WS(wsport, protocol=None)
L.check(ws.status == 400, "no subprotocol: %s" % ws.status)
L.check(ws.eof(), "no subprotocol: connection left open")
ws = W.WS(wsport, protocol="chat")
L.check(ws.status == 400, "subprotocol chat: %s" % ws.status)
ws = W.WS(wsport, key="c2hvcnQ=")
L.check(ws.status == 400, "bad key: %s" % ws.status)
ws = W.WS(wsport, version="8")
L.check(ws.status == 426 and ws.headers.get("sec-websocket-version") == "13",
        "version 8: %s %s" % (ws.status, ws.headers))
L.note("handshake ok")

# ------------------------------------------------------------ 3. frames
ws = W.WS(wsport)
ws.send_frame(1, "OPTIONS sip:x SIP/2.0\r\n\r\n", mask=False)
L.check(ws.wait_close() == 1002, "unmasked frame: close %s" % ws.close_code)
L.check(ws.eof(), "unmasked frame: connection left open")

ws = W.WS(wsport)
ws.send_frame(2, b"x" * 9000)
L.check(ws.wait_close() == 1009, "oversized message: close %s" % ws.close_code)

ws = W.WS(wsport)
ws.send_frame(1, b"\xc3\x28 not utf-8")
L.check(ws.wait_close() == 1007, "invalid UTF-8: close %s" % ws.close_code)

ws = W.WS(wsport)
ws.send_frame(9, b"hello")
L.check(ws.recv_msg(2.0) is None and getattr(ws, "last_pong", None) == b"hello", "ping: no pong")

# a REGISTER in three fragments (text, continuation, continuation)
ua = W.WsUA(L, ws, user="frag")
text = ua.register(600).encode()

ua.recv_final("REGISTER")
ua.cseq += 1
msg = text.replace(b"CSeq: 1 REGISTER", b"CSeq: %d REGISTER" % ua.cseq)
ws.send_frame(1, msg[:10], fin=False)
ws.send_frame(0, msg[10:100], fin=False)
ws.send_frame(0, msg[100:], fin=True)
r = ua.recv_final("REGISTER")
L.check(r.status == 200 and r.cseq()[0] == ua.cseq, "fragmented REGISTER: %s" % r.start)

# a SIP message whose Content-Length lies is refused (one WS message = one SIP message)
ws.send_text("OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/WS a.invalid;branch=z9hG4bKx\r\n"
             "Content-Length: 50\r\n\r\nshort")
L.check(ws.wait_close() == 1007, "Content-Length mismatch: close %s" % ws.close_code)

# hostile bytes (seeded): as the HTTP request, and after a good handshake;
# the daemon answers or closes and keeps serving
import random as _r
rnd = _r.Random(12)
for i in range(40):
    raw = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000)))
    if i % 2:
        w = W.WS(wsport)
        L.check(w.ok, "handshake %d" % i)
        w.sock.sendall(raw)
        w.wait_close(5.0)
        w.sock.close()
    else:
        s_ = socket.create_connection(("127.0.0.1", wsport))
        s_.sendall(raw + (b"\r\n\r\n" if i % 4 == 0 else b""))
        s_.close()
st, h, body = get("/")
L.check(st == 200, "after hostile input: GET / %s" % st)
L.note("frames ok")

# ------------------------------------------------------------ 4. REGISTER
ws = W.WS(wsport)
ua = W.WsUA(L, ws, user="alice")
ua.register(600)
r = ua.recv_final("REGISTER")
L.check(r.status == 200, "REGISTER: %s" % r.start)
L.check(r.opcode == 1, "the response is not a text message")
vias = r.hdrs("via")
L.check(len(vias) == 1 and vias[0].startswith(ua.reg_via), "REGISTER response Via: %s (sent %s)"
        % (vias, ua.reg_via))
contacts = [c for c in r.hdrs("contact")]
L.check(len(contacts) == 1 and ua.contact_uri() in contacts[0] and "expires=600" in contacts[0],
        "REGISTER 200 Contact: %s" % contacts)
# too brief
ua.register(30)
r = ua.recv_final("REGISTER")
L.check(r.status == 423 and r.hdr("min-expires") == "60", "expires 30: %s %s" % (r.start, r.hdr("min-expires")))
# a second contact, then unregister it
ua2host = ua.host
ua.host = "%s2" % ua2host
ua.cuser = ua.cuser + "b"
ua.register(120)
r = ua.recv_final("REGISTER")
L.check(r.status == 200 and len(r.hdrs("contact")) == 2, "two bindings: %s" % r.hdrs("contact"))
L.check(any("expires=120" in c for c in r.hdrs("contact")), "second binding's expires")
ua.register(0)
r = ua.recv_final("REGISTER")
L.check(r.status == 200 and len(r.hdrs("contact")) == 1 and ua.contact_uri() not in r.hdr("contact"),
        "unregister: %s" % r.hdrs("contact"))
ua.host = ua2host
ua.cuser = ua.cuser[:-1]
L.note("REGISTER ok")

# ------------------------------------------------------------ 6a. INVITE to the AOR
ueb = L.UA("ue-b", ("127.0.0.1", sip), port=ueb_port)
ueb.invite("sip:alice@example.com", L.audio_offer(40000), to="<sip:alice@example.com>")
inv = ua.recv(lambda m: m.method == "INVITE", what="INVITE for the AOR")
L.check(inv.ruri.startswith(ua.contact_uri()), "INVITE to the AOR: R-URI %s" % inv.ruri)
L.check(inv.hdrs("via")[0].startswith("SIP/2.0/WS "), "the ALG's Via towards a WS client: %s"
        % inv.hdrs("via")[0])
ua.reply(inv, 486, "Busy Here")
r = ueb.recv_final("INVITE")
L.check(r.status == 486, "UE-B: %s" % r.start)
ueb.ack_non2xx(r, "sip:alice@example.com")
L.note("INVITE to a registered WS AOR ok")

# ------------------------------------------------------------ 5. DC call from the WS client
dc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dc.bind(("127.0.0.1", 0))
dcport = dc.getsockname()[1]
msrp = L.free_port("tcp")
ua.invite("sip:ue-b@ims.example.invalid", L.figure_offer(dcport))
inv6 = ueb.recv_request("INVITE")
sess, media = L.sdp_media(inv6.body)
L.check(len(media) == 1 and media[0]["m"].split()[2] == "TCP/MSRP", "step 6: %s" % media)
rr6 = inv6.hdrs("record-route")
L.check(len(rr6) == 2 and "<sip:127.0.0.1:%d;lr>" % sip in rr6[0] and
        "<sip:127.0.0.1:%d;transport=ws;lr>" % wsport in rr6[1],
        "Record-Route towards UE-B (RFC 7118 double record-routing): %s" % rr6)
v6 = inv6.hdrs("via")
L.check(len(v6) == 2 and v6[1].startswith(ua.inv_via), "UE-B: the WS client's Via is not its own "
        "(RFC 7118 WS transport): %s" % v6)
ueb.reply(inv6, 200, "OK", L.ims_answer(msrp))
ok = ua.recv_final("INVITE", timeout=20)
L.check(ok.status == 200, "the WS client got %s" % ok.start)
vias = ok.hdrs("via")
L.check(len(vias) == 1 and vias[0].startswith(ua.inv_via), "200 Via: %s" % vias)
sess, media = L.sdp_media(ok.body)
L.check(len(media) == 1, "step 15: %s" % media)
mm = media[0]["m"].split()
L.check(mm[0] == "application" and mm[2] == "UDP/DTLS/SCTP" and mm[3] == "webrtc-datachannel",
        "step 15 m=: %s" % media[0]["m"])
fp = L.attr(media[0], "fingerprint")
L.check(fp and fp.startswith("sha-256 ") and fp != L.FP_WIC, "step 15 fingerprint")
L.check(L.attr(media[0], "dcmap") == '1 label="msrp";subprotocol="MSRP";ordered=true',
        "step 15 dcmap: %s" % L.attr(media[0], "dcmap"))
ua.ack_2xx(ok)
ack = ueb.recv_request("ACK")
L.check(ack.hdr("call-id") == ua.inv_call_id, "ACK at UE-B")
# UE-B hangs up: its BYE reaches the WS client over its connection
ueb.bye()
bye = ua.recv(lambda m: m.method == "BYE", what="BYE from UE-B")
L.check(bye.ruri.startswith(ua.contact_uri()), "BYE R-URI: %s" % bye.ruri)
L.check(bye.hdr("call-id") == ua.inv_call_id, "BYE Call-ID")
ua.reply(bye, 200, "OK")
r = ueb.recv_status(200, "BYE")
d.wait_log(r"Subtract done: context released on the AGW", what="the call's context released")
L.note("data-channel call over WebSocket ok")

# ------------------------------------------------------------ 5b. DC call to the WS client
# UE-B calls the registered AOR with a TCP/MSRP offer: the mirror flow
# (digest 7.1) offers a data channel to the browser over its WebSocket, and
# the browser hangs up (its BYE goes out over the WebSocket, through the ALG)
msrp2 = L.free_port("tcp")
ims_offer = ("v=0\no=- 77 1 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=message %d TCP/MSRP *\n"
             "c=IN IP4 127.0.0.1\na=setup:actpass\na=msrp-cema\n"
             "a=accept-types:message/cpim text/plain\na=path:msrp://127.0.0.1:%d/ims77;tcp\n"
             ) % (msrp2, msrp2)
ueb.invite("sip:alice@example.com", ims_offer, to="<sip:alice@example.com>")
minv = ua.recv(lambda m: m.method == "INVITE", timeout=20, what="DC offer for the AOR")
L.check(minv.ruri.startswith(ua.contact_uri()), "mirror INVITE R-URI: %s" % minv.ruri)
sess, media = L.sdp_media(minv.body)
L.check(len(media) == 1 and "UDP/DTLS/SCTP webrtc-datachannel" in media[0]["m"],
        "mirror: no DC offer to the WS client: %s" % media)
rrm = minv.hdrs("record-route")
L.check(len(rrm) == 2 and "<sip:127.0.0.1:%d;transport=ws;lr>" % wsport in rrm[0] and
        "<sip:127.0.0.1:%d;lr>" % sip in rrm[1], "Record-Route towards the WS client: %s" % rrm)
dcid = L.attr(media[0], "dcmap").split()[0]
ua.reply(minv, 200, "OK", L.mirror_dc_answer(dcport, dcid))
mok = ueb.recv_status(200, "INVITE")
sess, media = L.sdp_media(mok.body)
L.check(len(media) == 1 and media[0]["m"].endswith("TCP/MSRP *") and
        L.attr(media[0], "path") == "msrp://wic-a.example.invalid:9/wicans;dc",
        "mirror: answer to UE-B: %s" % media)
ueb.ack_2xx(mok)
ack = ua.recv(lambda m: m.method == "ACK" and m.hdr("call-id") == minv.hdr("call-id"),
             what="ACK over the WebSocket")
mark = len(d.text())
ua.cseq += 1
ua.bye()
bye = ueb.recv_request("BYE")
L.check(bye.hdr("call-id") == minv.hdr("call-id"), "BYE from the WS client at UE-B")
L.check(any(v.startswith(ua.last_via) for v in bye.hdrs("via")), "the WS client's Via at UE-B: %s"
        % bye.hdrs("via"))
ueb.reply(bye, 200, "OK")
r = ua.recv_final("BYE")
L.check(r.status == 200 and r.hdrs("via")[0].startswith(ua.last_via), "200 to the WS client's BYE: %s"
        % r.raw)
L.wait_until(lambda: "Subtract done" in d.text()[mark:], what="the mirror call's context released")
L.note("data-channel call to the WS client (mirror) ok")

# ------------------------------------------------------------ 6b. close releases the bindings
# ... and the calls: a call is up when the WebSocket closes; UE-B gets a BYE
ua.invite("sip:ue-b@ims.example.invalid", L.figure_offer(dcport))
inv6 = ueb.recv_request("INVITE")
ueb.reply(inv6, 200, "OK", L.ims_answer(msrp))
ok = ua.recv_final("INVITE", timeout=20)
L.check(ok.status == 200, "third call: %s" % ok.start)
ua.ack_2xx(ok)
ueb.recv_request("ACK")
mark = len(d.text())
ws.close()
L.check(ws.wait_close() == 1000, "close: %s" % ws.close_code)
d.wait_log(r"sip:alice@example.com: bindings over ws #\d+ released", what="bindings released")
bye = ueb.recv_request("BYE")
L.check(bye.hdr("call-id") == ua.inv_call_id, "BYE to UE-B after the close: %s" % bye.raw)
ueb.reply(bye, 200, "OK")
L.wait_until(lambda: "Subtract done" in d.text()[mark:], what="the call's context released on close")
ueb.invite("sip:alice@example.com", L.audio_offer(40002), to="<sip:alice@example.com>")
r = ueb.recv_final("INVITE")
L.check(r.status == 480 and "WebSocket" in (r.hdr("warning") or ""),
        "INVITE after the close: %s %s" % (r.start, r.hdr("warning")))
ueb.ack_non2xx(r, "sip:alice@example.com")
# a Contact of the closed connection: 480 too (its transport=ws is unreachable)
ueb.invite(ua.contact_uri(), L.audio_offer(40004), to="<sip:alice@example.com>")
r = ueb.recv_final("INVITE")
L.check(r.status == 480 and "WebSocket" in (r.hdr("warning") or ""),
        "INVITE to a gone WS contact: %s %s" % (r.start, r.hdr("warning")))
L.note("close releases the registration ok")

# a stop says "going away" to the connected clients
ws = W.WS(wsport)
L.check(ws.ok, "handshake before the stop")
rc = d.stop()
L.check(rc == 0, "wicgated exit %s" % rc)
L.check(ws.wait_close(5.0) == 1001, "close code at the stop: %s" % ws.close_code)
L.check("ERROR" not in d.text() and "AddressSanitizer" not in d.text(), "errors in the log")
print("alg-ws: all checks passed")
