# alg-ws-tls.py -- wss:// (TLS with a configured certificate), the
# connection limit and alg.registrar = sip:URI on a real wicgated (role alg),
# with raw-socket WebSocket clients (alg-ws-lib.py) and UDP SIP UAs
# (alg-lib.py) as the registrar and UE-B.
#
#  1. configuration: wss-listen without alg.tls-cert / alg.tls-key, or with a
#     file that is not PEM -> exit 2 naming the key;
#  2. wss: the page over https and the WebSocket handshake over TLS;
#  3. REGISTER over wss is forwarded to alg.registrar with our Path (";ob"
#     for an outbound client, RFC 5626) and the client's own Via (WSS); the
#     registrar's 200 comes back; the binding it confirms is used: an INVITE
#     for the AOR, and one for the Contact with the Path as Route, reach the
#     client over its TLS connection;
#  4. alg.ws-max-connections: the connection beyond gets 503 (ws) or is
#     closed (wss); after one closes, a new one is accepted;
#  5. alg.ws-ping-interval: a client that answers pings stays, a silent one
#     is closed with 1001.
import importlib, os, re, shutil, socket, subprocess, sys, time


sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
L = importlib.import_module("alg-lib")
W = L.load_lib("alg-ws-lib.py")

if not shutil.which("openssl"):
    L.skip("openssl (Debian package openssl) is not installed")
cert = os.path.join(L.TMP, "cert.pem")
key = os.path.join(L.TMP, "key.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1"], capture_output=True, text=True)
L.check(r.returncode == 0, "openssl req: %s" % r.stderr)
exe = os.path.join(L.B, "wicgated")

# ------------------------------------------------------------ 1. config errors
for extra, keyname in ((["--set", "alg.wss-listen=127.0.0.1:1"], "alg.tls-cert"),
                       (["--set", "alg.wss-listen=127.0.0.1:1", "--set", "alg.tls-cert=" + cert],
                        "alg.tls-key"),
                       (["--set", "alg.wss-listen=127.0.0.1:1", "--set", "alg.tls-cert=" + key,
                         "--set", "alg.tls-key=" + key], "alg.tls-cert"),
                       (["--set", "alg.wss-listen=127.0.0.1:1", "--set", "alg.tls-cert=" + cert,
                         "--set", "alg.tls-key=" + cert], "alg.tls-key"),
                       (["--set", "alg.registrar=registrar.example.com"], "alg.registrar")):
    r = subprocess.run([exe, "--role", "alg", "--check"] + extra, capture_output=True, text=True,
                       timeout=30)
    L.check(r.returncode == 2 and keyname in r.stderr,
            "%s: exit %s, %r (expected 2 naming %s)" % (extra, r.returncode, r.stderr, keyname))
L.note("configuration errors ok")

sip = L.free_port_both()
reg_port = L.free_port_both()
ueb_port = L.free_port_both()
wsport = L.free_port("tcp")
wssport = L.free_port("tcp")
root = os.path.join(L.TMP, "www")
os.makedirs(root)
with open(os.path.join(root, "index.html"), "w") as f:
    f.write("<!doctype html><title>tls</title>\n")

d = L.Daemon("wicgated", [
    "--role", "alg", "--sip-listen", "127.0.0.1:%d" % sip,
    "--next-hop", "sip:127.0.0.1:%d" % ueb_port,
    "--h248-listen", "127.0.0.1:%d" % L.free_port(), "--agw", "127.0.0.1:%d" % L.free_port(),
    "--ws-listen", "127.0.0.1:%d" % wsport, "--http-root", root,
    "--set", "alg.wss-listen=127.0.0.1:%d" % wssport, "--set", "alg.tls-cert=" + cert,
    "--set", "alg.tls-key=" + key, "--set", "alg.registrar=sip:127.0.0.1:%d" % reg_port,
    "--set", "alg.ws-max-connections=3", "--log-level", "debug"],
    ready_pattern=r"SIP on 127\.0\.0\.1:%d" % sip)
L.check(re.search(r"SIP over WebSocket at wss://127\.0\.0\.1:%d/ .*demo page at https://127\.0\.0\.1:%d/"
                  % (wssport, wssport), d.text()), "no start line for wss:// and https://")
L.check("forwarded to sip:127.0.0.1:%d" % reg_port in d.text(), "registrar mode not logged")

# ------------------------------------------------------------ 2. wss
st, h, body = W.http_get(wssport, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", tls=True)
L.check(st == 200 and b"<title>tls</title>" in body, "https GET /: %s" % st)
ws = W.WS(wssport, tls=True)
L.check(ws.ok, "wss handshake: %s %s" % (ws.status, ws.headers))

# ------------------------------------------------------------ 3. REGISTER forwarded
registrar = L.UA("registrar", ("127.0.0.1", sip), port=reg_port)
ueb = L.UA("ue-b", ("127.0.0.1", sip), port=ueb_port)
ua = W.WsUA(L, ws, user="bob", transport="WSS")
ua.register(300, contact_params=';reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000000000001>"')
reg = registrar.recv_request("REGISTER")
paths = reg.hdrs("path")
L.check(len(paths) == 1 and re.search(r"<sip:127\.0\.0\.1:%d;transport=tcp;lr;ob>" % sip, paths[0]),
        "Path: %s" % paths)
vias = reg.hdrs("via")
L.check(len(vias) == 2 and vias[1].startswith(ua.reg_via), "the registrar sees Vias %s" % vias)
contact = reg.hdr("contact")
registrar.reply(reg, 200, "OK", extra="Contact: %s;expires=300\r\n" % contact.split(";expires")[0])
r = ua.recv_final("REGISTER")
L.check(r.status == 200 and ua.contact_uri() in (r.hdr("contact") or ""), "REGISTER 200: %s" % r.raw)
L.check(len(r.hdrs("via")) == 1 and r.hdrs("via")[0].startswith(ua.reg_via), "200 Via: %s" % r.hdrs("via"))
d.wait_log(r"registrar sip:127\.0\.0\.1:%d: sip:bob@example\.com -> " % reg_port, what="binding recorded")

# the S-CSCF's way: R-URI = the Contact, Route = the Path
ueb.invite(ua.contact_uri(), L.audio_offer(40010), to="<sip:bob@example.com>",
           extra="Route: %s\r\n" % paths[0])
inv = ua.recv(lambda m: m.method == "INVITE", what="INVITE along the Path")
L.check(inv.ruri.startswith(ua.contact_uri()), "R-URI %s" % inv.ruri)
L.check(inv.hdrs("via")[0].startswith("SIP/2.0/WSS "), "the ALG's Via to a wss client: %s" % inv.hdrs("via"))
L.check(not inv.hdrs("route"), "our Route was not removed: %s" % inv.hdrs("route"))
ua.reply(inv, 603, "Decline")
r = ueb.recv_final("INVITE")
L.check(r.status == 603, "UE-B: %s" % r.start)
ueb.ack_non2xx(r, ua.contact_uri())
# the AOR itself (retargeted to the binding the registrar confirmed)
ueb.invite("sip:bob@example.com", L.audio_offer(40012), to="<sip:bob@example.com>")
inv = ua.recv(lambda m: m.method == "INVITE", what="INVITE for the AOR")
L.check(inv.ruri.startswith(ua.contact_uri()), "AOR R-URI %s" % inv.ruri)
ua.reply(inv, 486, "Busy Here")
r = ueb.recv_final("INVITE")
L.check(r.status == 486, "UE-B: %s" % r.start)
ueb.ack_non2xx(r, "sip:bob@example.com")
L.note("REGISTER forwarded with Path, bindings used ok")

# large messages both ways over TLS (partial TLS records, the stream
# splitter): a 30000-byte body to UE-B and a 30000-byte body back, byte-exact
big = "".join("a=x-pad:%05d %s\r\n" % (i, "z" * 50) for i in range(500))
big = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + big
ua.invite("sip:ue-b@ims.example.invalid", big)
binv = ueb.recv_request("INVITE")
L.check(binv.body == big, "large INVITE body at UE-B: %d bytes, want %d" % (len(binv.body), len(big)))
big2 = big.replace("x-pad", "y-pad")
ueb.reply(binv, 200, "OK", big2)
bok = ua.recv_final("INVITE")
L.check(bok.status == 200 and bok.body == big2, "large 200 body over wss: %d bytes" % len(bok.body))
ua.ack_2xx(bok)
ueb.recv_request("ACK")
ua.cseq += 1
ua.bye()
bb = ueb.recv_request("BYE")
ueb.reply(bb, 200, "OK")
L.check(ua.recv_final("BYE").status == 200, "BYE over wss")
L.note("large messages over wss ok")

# ------------------------------------------------------------ 4. connection limit
a = W.WS(wsport)
b = W.WS(wsport)
L.check(a.ok and b.ok, "connections 2 and 3 refused")
st, h, body = W.http_get(wsport, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
L.check(st == 503 and h.get("retry-after") and int(h.get("content-length", -1)) == len(body),
        "4th connection (ws): %s %s %r" % (st, h, body))
try:
    c = W.WS(wssport, tls=True)
    L.check(not c.ok, "4th connection (wss) accepted")
except (OSError, ConnectionError) as e:
    L.note("4th wss connection closed: %s" % e)
d.wait_log(r"refused, alg\.ws-max-connections \(3\) reached", what="limit logged")
a.close()
L.check(a.wait_close() == 1000, "close: %s" % a.close_code)
L.check(a.eof(), "closed connection left open")
a.sock.close()
e = L.wait_until(lambda: (lambda x: x if x.ok else None)(W.WS(wsport)), what="a connection after one closed")
L.note("connection limit ok")

rc = d.stop()
L.check(rc == 0, "wicgated exit %s" % rc)
L.check("AddressSanitizer" not in d.text(), "sanitizer report")

# ------------------------------------------------------------ 5. liveness pings
# alg.ws-ping-interval=2: a client that answers the pings stays up, one
# that answers nothing is closed with 1001
sip2 = L.free_port_both()
ws2port = L.free_port("tcp")
d2 = L.Daemon("wicgated-ping", [
    "--role", "alg", "--sip-listen", "127.0.0.1:%d" % sip2,
    "--h248-listen", "127.0.0.1:%d" % L.free_port(), "--agw", "127.0.0.1:%d" % L.free_port(),
    "--ws-listen", "127.0.0.1:%d" % ws2port, "--set", "alg.ws-ping-interval=2"],
    ready_pattern=r"SIP on 127\.0\.0\.1:%d" % sip2)
alive = W.WS(ws2port)
dead = W.WS(ws2port)
L.check(alive.ok and dead.ok, "handshakes")
# serve both: the live one answers its pings (recv_msg), the dead one never does
code = None
end = time.time() + L.WAIT
while code is None and time.time() < end:
    alive.recv_msg(0.05)
    code = dead.wait_close_silent(0.05)
L.check(code == 1001 and "ping" in (dead.close_reason or ""),
        "a silent client: close %s %r" % (code, dead.close_reason))
L.check(getattr(dead, "pings", 0) >= 1, "the silent client got no ping before the close")
L.wait_until(lambda: alive.recv_msg(0.05) is None and getattr(alive, "pings", 0) >= 2,
             what="two pings answered by the live client")
ua = W.WsUA(L, alive, user="carol")
ua.register(600)
r = ua.recv_final("REGISTER")
L.check(r.status == 200, "the live client after the pings: %s" % r.start)
rc = d2.stop()
L.check(rc == 0, "wicgated (ping) exit %s" % rc)
L.note("liveness pings ok")
print("alg-ws-tls: all checks passed")
