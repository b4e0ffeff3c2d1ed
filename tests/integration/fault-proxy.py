#!/usr/bin/env python3
# fault-proxy.py -- a lossy H.248 + T1 media relay for fault-injection tests
# (loopback only). The kernel here has no netem, so loss and reordering are
# made in user space, from a seeded random generator (reproducible).
#
#   ALG  <->  [A] proxy [B]  <->  AGW           (H.248 over UDP)
#   WIC  <->  [R] proxy [S]  <->  AGW T1 port   (ICE/DTLS/SCTP over UDP)
#
# The ALG is configured with --agw 127.0.0.1:A, the AGW with --mgc
# 127.0.0.1:B; the proxy binds A and B on free ports and writes "A B" to
# --ports-file once it is ready. Each H.248 datagram is dropped with
# probability --h248-loss. With --media, every AGW reply that carries an
# "m=application PORT" line gets that port (and the matching candidate
# lines) rewritten to a relay port R of the proxy, so the WIC's ICE, DTLS and
# SCTP go through the relay, where each datagram (both ways) is dropped with
# probability --media-loss or held back and sent after the next one
# (reordered) with probability --media-reorder.
#
# Targeted faults on the relay (fault-rtt-stall.sh), by the first byte of a
# DTLS record (23: application data, i.e. SCTP):
#   --media-hold-g2w-app S  holds the AGW's application-data datagrams to the
#       WIC for S seconds from the first one on, then sends them in order (a
#       path that stalls while the association is set up: both ends' first
#       SCTP RTT sample becomes about S);
#   --media-drop-big N      drops the first application-data datagram of at
#       least N bytes each way (the first DATA packet of a big message).
# SIGUSR1 makes the relay drop every datagram from then on (the WIC vanishes).
# --log FILE gets one line per H.248 datagram:
#   <dir> <deliver|drop> <kind> <id> <first command>
# dir: a2g (ALG to AGW) or g2a; kind: T (request), R (reply), K (ack), ?.
import argparse, random, re, select, socket, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--alg", required=True, help="the ALG's H.248 address HOST:PORT")
ap.add_argument("--agw", required=True, help="the AGW's H.248 address HOST:PORT")
ap.add_argument("--ports-file", required=True)
ap.add_argument("--h248-loss", type=float, default=0.0, help="percent")
ap.add_argument("--media", action="store_true")
ap.add_argument("--media-loss", type=float, default=0.0, help="percent")
ap.add_argument("--media-reorder", type=float, default=0.0, help="percent")
ap.add_argument("--media-hold-g2w-app", type=float, default=0.0, help="seconds")
ap.add_argument("--media-drop-big", type=int, default=0, help="bytes")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--log", default=None)
o = ap.parse_args()


def hp(s):
    h, p = s.rsplit(":", 1)
    return (h, int(p))


ALG, AGW = hp(o.alg), hp(o.agw)
rnd = random.Random(o.seed)
log = open(o.log, "a", buffering=1) if o.log else None


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return s


A, B = udp(), udp()
KIND = re.compile(rb"\b(Transaction|T|Reply|P|TransactionResponseAck|K|Pending|PN)\s*=\s*(\d+)")
CMD = re.compile(rb"\b(Add|A|Modify|MF|Subtract|S|Notify|N|ServiceChange|SC|AuditValue|AV|Move|MV)\s*=")
MLINE = re.compile(rb"m=application (\d{5}) ")


def describe(data):
    m = KIND.search(data)
    kind, tid = "?", "-"
    if m:
        k = m.group(1)
        kind = {b"Transaction": "T", b"T": "T", b"Reply": "R", b"P": "R",
                b"TransactionResponseAck": "K", b"K": "K"}.get(k, "N")
        tid = m.group(2).decode()
    c = CMD.search(data)
    cmd = c.group(1).decode() if c else "-"
    norm = {"A": "Add", "MF": "Modify", "S": "Subtract", "N": "Notify",
            "SC": "ServiceChange", "AV": "AuditValue", "MV": "Move"}
    return kind, tid, norm.get(cmd, cmd)


class Relay:
    """One T1 relay: R faces the WIC, S faces the AGW's access port."""

    def __init__(self, agw_port):
        self.agw = ("127.0.0.1", agw_port)
        self.r, self.s = udp(), udp()
        self.wic = None
        self.held = {}  # socket -> (data, dest, when)
        self.stall_from = None  # --media-hold-g2w-app: start of the stall
        self.stalled = []       # [(data, dest)] held by it
        self.big_dropped = set()  # sockets that dropped their big datagram

    def port(self):
        return self.r.getsockname()[1]


relays = {}      # AGW access port -> Relay
by_sock = {}     # socket -> Relay


def media_send(rel, sock, data, dest):
    app = len(data) > 0 and data[0] == 23
    if app and o.media_drop_big and len(data) >= o.media_drop_big and sock not in rel.big_dropped:
        rel.big_dropped.add(sock)
        if log:
            log.write("media drop-big %s %d\n" % ("g2w" if sock is rel.r else "w2g", len(data)))
        return
    if app and o.media_hold_g2w_app and sock is rel.r:
        now = time.monotonic()
        if rel.stall_from is None:
            rel.stall_from = now
            if log:
                log.write("media stall g2w %.1f s\n" % o.media_hold_g2w_app)
        if now - rel.stall_from < o.media_hold_g2w_app:
            rel.stalled.append((data, dest))
            return
    if o.media_loss and rnd.random() * 100 < o.media_loss:
        if log:
            log.write("media drop %d\n" % len(data))
        return
    held = rel.held.pop(sock, None)
    if held is None and o.media_reorder and rnd.random() * 100 < o.media_reorder:
        rel.held[sock] = (data, dest, time.monotonic())
        if log:
            log.write("media hold %d\n" % len(data))
        return
    sock.sendto(data, dest)
    if held:
        sock.sendto(held[0], held[1])


def rewrite(data):
    """Points the WIC at a relay for every m=application port in an AGW reply."""
    for m in set(MLINE.findall(data)):
        port = int(m)
        rel = relays.get(port)
        if rel is None:
            rel = Relay(port)
            relays[port] = rel
            by_sock[rel.r] = rel
            by_sock[rel.s] = rel
            if log:
                log.write("relay %d -> %d\n" % (rel.port(), port))
        new = b"%05d" % rel.port()
        data = data.replace(b"m=application " + m + b" ", b"m=application " + new + b" ")
        data = re.sub(rb"(a=candidate:[^\r\n]* )" + m + rb"( typ)", rb"\g<1>" + new + rb"\2", data)
    return data


def vanish(*_):
    o.media_loss = 100.0
    if log:
        log.write("media blackhole\n")


import signal
signal.signal(signal.SIGUSR1, vanish)

with open(o.ports_file + ".tmp", "w") as f:
    f.write("%d %d\n" % (A.getsockname()[1], B.getsockname()[1]))
import os
os.rename(o.ports_file + ".tmp", o.ports_file)

while True:
    socks = [A, B] + list(by_sock)
    try:
        r, _, _ = select.select(socks, [], [], 0.02)
    except InterruptedError:
        continue
    now = time.monotonic()
    # a held datagram is sent anyway after 30 ms (reordered, not lost)
    for rel in relays.values():
        if rel.stalled and now - rel.stall_from >= o.media_hold_g2w_app:
            if log:
                log.write("media stall released %d\n" % len(rel.stalled))
            for data, dest in rel.stalled:
                rel.r.sendto(data, dest)
            rel.stalled = []
        for sock, (data, dest, when) in list(rel.held.items()):
            if now - when > 0.03:
                del rel.held[sock]
                sock.sendto(data, dest)
    for s in r:
        try:
            data, src = s.recvfrom(65536)
        except OSError:
            continue
        if s is A or s is B:
            d = "a2g" if s is A else "g2a"
            kind, tid, cmd = describe(data)
            drop = o.h248_loss and rnd.random() * 100 < o.h248_loss
            if log:
                log.write("%s %s %s %s %s\n" % (d, "drop" if drop else "deliver", kind, tid, cmd))
            if drop:
                continue
            if s is A:
                B.sendto(data, AGW)
            else:
                if o.media:
                    data = rewrite(data)
                A.sendto(data, ALG)
            continue
        rel = by_sock[s]
        if s is rel.r:
            rel.wic = src
            media_send(rel, rel.s, data, rel.agw)
        elif rel.wic is not None:
            media_send(rel, rel.r, data, rel.wic)
