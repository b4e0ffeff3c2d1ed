# hostile-sip.py -- hostile SIP input against a real wicgated (role both: the
# ALG and the real AGW, H.248 on loopback UDP), with small SIP UAs:
#   1. an INVITE flood above capacity (alg.max-calls=2, one call up): every
#      INVITE beyond capacity gets 503 + Retry-After + Warning, exactly one
#      reaches UE-B, and the call being served is unaffected (no BYE; its
#      own BYE later goes through and releases its AGW context);
#   2. an SDP body larger than SDPDC_MAX_TEXT (32 KiB) in a DC offer: 488 +
#      Warning naming the size, nothing forwarded, no H.248 sent;
#   3. a DC offer with more data channels than a call may have: 488 + Warning;
#   4. a SIP message over TCP larger than the ALG's limit (1 MiB): a 4xx/5xx
#      rejection (Sofia-SIP's nta answers 413), nothing forwarded;
#   5. memory stays bounded: 2 and 4 repeated 20 times grow the daemon's RSS
#      by less than 16 MiB (each oversized TCP message is 1.5 MiB); in an
#      ASan build (RSS meaningless there) LeakSanitizer at exit holds it;
#   6. the daemon keeps serving: a new call goes through and is released.
import importlib, os, re, socket, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
L = importlib.import_module("alg-lib")

sip = L.free_port_both()
ueb = L.UA("ue-b", ("127.0.0.1", sip))
wic = L.UA("wic-a", ("127.0.0.1", sip))
flood = L.UA("flood", ("127.0.0.1", sip))
# the WIC's DC port: bound, silent (the AGW waits for ICE; timers set long)
dc, dcport = L.silent_udp()
RURI = "sip:ue-b@ims.example.invalid"

d = L.start_both([
    "--set", "alg.max-calls=2", "--set", "alg.retry-after=5",
    "--set", "agw.dtls-timeout=120", "--set", "agw.consent-timeout=120",
    "--log-level", "debug"], ueb.port, sip=sip, own_media_ports=True)
h248_alg, h248_agw = d.h248_alg, d.h248_agw


def rss_kib():
    with open("/proc/%d/status" % d.p.pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    L.fail("no VmRSS for the daemon")


def call_up(ua):
    ua.invite(RURI, L.figure_offer(dcport))
    inv = ueb.recv_request("INVITE")
    ueb.reply(inv, 200, "OK", L.ims_answer(L.free_port("tcp")))
    ok = ua.recv_status(200)
    ua.ack_2xx(ok)
    ueb.recv_request("ACK")
    return inv, ok


def hang_up(ua):
    mark = len(d.text())
    ua.bye()
    b = ueb.recv_request("BYE")
    ueb.reply(b, 200, "OK")
    ua.recv_status(200, "BYE")
    ua.dialog = None
    ueb.dialog = None
    # the ALG releases the call's AGW context
    L.wait_until(lambda: "Subtract" in d.text()[mark:], what="Subtract after the BYE")


def count_h248_adds():
    return d.text().count("Add T2 (channel")


# ---------------------------------------------------------- 1. INVITE flood
inv_a, ok_a = call_up(wic)
L.note("call A up")
N = 40
cids = []
for i in range(N):
    flood.invite(RURI, L.figure_offer(dcport))
    cids.append(flood.call_id)
finals = {}
got_invite = None
end = time.time() + 30
while len(finals) < N and time.time() < end:
    m = flood._read(0.05)
    if m is not None and m.status is not None and m.status >= 200:
        finals.setdefault(m.hdr("call-id"), m)
        if m.status >= 300:
            flood.ack_non2xx(m, RURI)
    if got_invite is None:
        r, _, _ = __import__("select").select([ueb.sock], [], [], 0)
        if r:
            x = ueb._read(0)
            if x and x.method == "INVITE":
                got_invite = x
                ueb.reply(x, 486, "Busy Here")
            elif x:
                ueb.inbox.append(x)
L.check(got_invite is not None, "flood: no INVITE reached UE-B (one call of capacity was free)")
L.check(len(finals) == N, "flood: %d of %d INVITEs got a final response" % (len(finals), N))
n503 = [m for m in finals.values() if m.status == 503]
L.check(len(n503) == N - 1, "flood: %d x 503, expected %d (statuses %s)" % (
    len(n503), N - 1, sorted(set(m.status for m in finals.values()))))
for m in n503:
    L.check((m.hdr("retry-after") or "").startswith("5"), "503 without Retry-After: 5: %s" % m.raw[:400])
    L.check(m.hdr("warning") and "too many calls" in m.hdr("warning"), "503 without Warning: %s" % m.raw[:400])
L.check(finals[got_invite.hdr("call-id")].status == 486, "the forwarded flood INVITE: %s" %
        finals[got_invite.hdr("call-id")].status)
ueb.recv_request("ACK")
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
# the served call is unaffected: no BYE, and its own BYE releases it
L.check(not [m for m in wic.inbox + ueb.inbox if m.method == "BYE"], "a BYE during the flood")
hang_up(wic)
L.note("1 ok: INVITE flood: %d x 503 Retry-After: 5 + Warning, 1 forwarded, call A unaffected" % len(n503))


# ---------------------------------------------------------- 2..5. oversized
def big_sdp():
    pad = "".join("a=x-pad%d:%s\n" % (i, "b" * 60) for i in range(560))
    return L.figure_offer(dcport) + pad


def oversized_sdp():
    sdp = big_sdp()
    L.check(len(sdp) > 32768, "the big SDP is only %d bytes" % len(sdp))
    adds = count_h248_adds()
    wic.invite(RURI, sdp)
    r = wic.recv_final()
    wic.ack_error(r)
    L.check(r.status == 488 and "too large" in (r.hdr("warning") or ""),
            "oversized SDP: %s Warning %s" % (r.status, r.hdr("warning")))
    L.check(count_h248_adds() == adds, "oversized SDP: an Add was sent")
    return r


def oversized_tcp():
    t = socket.create_connection(("127.0.0.1", sip))
    body = "v=0\r\n" + "a=x:" + "y" * (1536 * 1024) + "\r\n"
    head = ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK%08x\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:big@example.invalid>;tag=b1\r\nTo: <%s>\r\n"
            "Call-ID: big-%08x@example.invalid\r\nCSeq: 1 INVITE\r\nContact: <sip:big@127.0.0.1>\r\n"
            "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n") % (
                RURI, t.getsockname()[1], os.getpid() ^ int(time.time() * 1000) & 0xffffffff, RURI,
                int(time.time() * 1e6) & 0xffffffff, len(body))
    try:
        t.sendall(head.encode() + body.encode())
    except OSError:
        pass  # the ALG may close the connection before reading it all
    t.settimeout(L.WAIT)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            x = t.recv(4096)
            if not x:
                break
            data += x
    except OSError:
        pass
    t.close()
    first = data.split(b"\r\n", 1)[0].decode(errors="replace")
    m = re.match(r"SIP/2.0 (\d{3})", first)
    L.check(m and 400 <= int(m.group(1)) < 600, "oversized SIP over TCP: got %r" % first)
    return first


r = oversized_sdp()
L.note("2 ok: oversized SDP (%d bytes) -> 488 Warning: %s" % (len(big_sdp()), r.hdr("warning")))

many = L.figure_offer(dcport) + "".join(
    'a=dcmap:%d label="m%d";subprotocol="MSRP";ordered=true\na=dcsa:%d accept-types:text/plain\n'
    'a=dcsa:%d path:msrp://wic-a.example.invalid:9/c%d;dc\n' % (2 * i + 3, i, 2 * i + 3, 2 * i + 3, i)
    for i in range(20))
wic.invite(RURI, many)
r = wic.recv_final()
wic.ack_error(r)
L.check(r.status == 488 and "too many" in (r.hdr("warning") or ""),
        "21 channels: %s Warning %s" % (r.status, r.hdr("warning")))
L.note("3 ok: 21 data channels -> 488 Warning: %s" % r.hdr("warning"))

first = oversized_tcp()
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
L.note("4 ok: 1.5 MiB SIP message over TCP -> %s" % first)

before = rss_kib()
for i in range(20):
    oversized_sdp()
    oversized_tcp()
after = rss_kib()
L.check(L.asan(d.p.pid) or after - before < 16 * 1024, "RSS grew by %d KiB after 20 oversized SDP + 20 oversized "
        "SIP messages (30 MiB sent)" % (after - before))
L.check(d.p.poll() is None, "wicgated died")
ueb.nothing(lambda m: m.method == "INVITE", 0.3)
L.note("5 ok: RSS %d -> %d KiB after 20 x (40 KiB SDP + 1.5 MiB SIP)" % (before, after))

# ---------------------------------------------------------- 6. still serving
call_up(wic)
hang_up(wic)
L.note("6 ok: a new call goes through and is released")
rc = d.stop()
L.check(rc == 0, "wicgated exit status %s" % rc)
print("ok - hostile SIP input: flood, oversized SDP and SIP, bounded memory")
