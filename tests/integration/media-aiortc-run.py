#!/usr/bin/env python3
"""media-aiortc-run.py -- interop of libwgmedia with aiortc (Debian python3-aiortc).

aiortc (ICE full agent, controlling; its own DTLS and pure-Python SCTP) offers
a data channel; the C helper media-peer (libwgmedia, ICE-lite like the
gateway) answers, once as DTLS client (a=setup:active) and once as DTLS
server (a=setup:passive). Both open the SDP-negotiated channel id 1; the
helper sends 10 messages (1 byte .. 60000 bytes) that aiortc checks byte for
byte; aiortc sends 10 messages (binary and text) that the helper reports
(length + sha-256) and echoes back, and aiortc checks the echoes.
Everything runs on 127.0.0.1.

Run: tests/integration/media-aiortc.sh (via `make check`), or directly:
  python3 tests/integration/media-aiortc-run.py <path to media-peer>
Exit 77 (SKIP) when aiortc cannot be imported.
"""
import asyncio
import hashlib
import os
import re
import sys

try:
    import aioice.ice
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
except ImportError as e:  # optional third-party stack
    print("SKIP: aiortc not importable: %s" % e)
    sys.exit(77)

# loopback only: aioice normally gathers every interface except loopback
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]

STEP_TIMEOUT = 60


def c2p(i):
    sizes = [1, 20, 100, 1000, 1200, 5000, 16384, 30000, 60000, 2]
    n = sizes[i % 10]
    head = ("c2p %d " % i).encode()
    n = max(n, len(head))
    body = bytes(ord("a") + (k * 7 + i) % 26 for k in range(len(head), n))
    return (head + body)[:n] if n >= len(head) else head


def p2c(i):
    if i % 3 == 0:
        return "text message %d: h\u00e9llo" % i  # PPID 51
    size = [1, 500, 1300, 9000, 40000, 65000][i % 6]
    return bytes((i * 31 + k) % 256 for k in range(size))  # PPID 53


async def readline(proc):
    line = await asyncio.wait_for(proc.stdout.readline(), STEP_TIMEOUT)
    if not line:
        raise RuntimeError("helper exited early")
    text = line.decode().rstrip("\n")
    print("# helper: %s" % text[:120])
    return text


async def run(helper, role):
    proc = await asyncio.create_subprocess_exec(
        helper, role, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    local = (await readline(proc)).split(" ")
    assert local[0] == "LOCAL", local
    port, ufrag, pwd = int(local[1]), local[2], local[3]
    fingerprint = " ".join(local[4:6])

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    ch = pc.createDataChannel("msrp", negotiated=True, id=1, protocol="MSRP")
    got = []
    opened = asyncio.Event()
    all_in = asyncio.Event()
    ch.on("open", lambda: opened.set())

    def on_message(m):
        got.append(m)
        if len(got) >= 20:
            all_in.set()
    ch.on("message", on_message)

    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    rufrag = re.search(r"a=ice-ufrag:(\S+)", offer).group(1)
    rpwd = re.search(r"a=ice-pwd:(\S+)", offer).group(1)
    fps = ["%s/%s" % (a, h) for a, h in re.findall(r"a=fingerprint:(\S+) (\S+)", offer)]
    assert fps, offer
    proc.stdin.write(("REMOTE %s %s %s\n" % (rufrag, rpwd, "|".join(fps))).encode())
    await proc.stdin.drain()

    answer = "\r\n".join([
        "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
        "a=ice-lite",
        "m=application %d UDP/DTLS/SCTP webrtc-datachannel" % port,
        "c=IN IP4 127.0.0.1", "a=mid:0",
        "a=ice-ufrag:%s" % ufrag, "a=ice-pwd:%s" % pwd,
        "a=fingerprint:%s" % fingerprint,
        "a=setup:%s" % ("active" if role == "client" else "passive"),
        "a=sctp-port:5000", "a=max-message-size:262144",
        "a=candidate:1 1 udp 2130706431 127.0.0.1 %d typ host" % port,
        "a=end-of-candidates", ""])
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    await asyncio.wait_for(opened.wait(), STEP_TIMEOUT)
    sent = [p2c(i) for i in range(10)]
    for m in sent:
        ch.send(m)

    # helper events: every message we sent is reported with its sha-256
    rx = []
    while len(rx) < len(sent):
        line = await readline(proc)
        if line.startswith(("FAIL", "LOST", "ERROR", "CONSENT")):
            raise RuntimeError("helper: " + line)
        if line.startswith("RX "):
            rx.append(line.split(" "))
    for m, r in zip(sent, rx):
        raw = m.encode() if isinstance(m, str) else m
        assert r[1] == "1", r
        assert r[2] == ("51" if isinstance(m, str) else "53"), (r, type(m))
        assert int(r[3]) == len(raw), (r, len(raw))
        assert r[4] == hashlib.sha256(raw).hexdigest(), r

    # our view: the helper's 10 messages, then the 10 echoes, in order
    await asyncio.wait_for(all_in.wait(), STEP_TIMEOUT)
    from_helper = [m for m in got if isinstance(m, bytes) and m.startswith(b"c2p ")]
    echoes = [m for m in got if not (isinstance(m, bytes) and m.startswith(b"c2p "))]
    assert from_helper == [c2p(i) for i in range(10)], [len(m) for m in from_helper]
    assert echoes == sent, "echoes differ"

    proc.stdin.write(b"QUIT\n")
    await proc.stdin.drain()
    rc = await asyncio.wait_for(proc.wait(), STEP_TIMEOUT)
    assert rc == 0, "helper exit %d" % rc
    await pc.close()
    print("ok - aiortc interop, libwgmedia as DTLS %s" % role)


def main():
    helper = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("top_builddir", "."), "tests", "integration", "media-peer")
    for role in ("client", "server"):
        asyncio.run(run(helper, role))


if __name__ == "__main__":
    main()
