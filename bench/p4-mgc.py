#!/usr/bin/env python3
"""bench/p4-mgc.py -- a scripted H.248 MGC for P4 (memory per session).

Usage: p4-mgc.py MGC_PORT AGW_PORT PIDFILE STEPS
  STEPS: comma-separated session counts, e.g. 1000,5000,10000.

Waits for the AGW's ServiceChange Restart on 127.0.0.1:MGC_PORT and accepts it,
reads the AGW's RSS (baseline), then builds sessions as the ALG does for the
figure -- Add T2 (Context $, Local TCP $), Modify T2 (Remote, SendReceive),
Add T1 (Local $, Remote with the WIC's fingerprint, Stream 2 sctpid 1, DTLS
failure event armed) -- keeping up to 64 sessions in flight, and after each
step waits for the RSS to settle and prints one line:
  sessions RSS_KiB
Notifies from the AGW are answered. Sessions are left established and idle
(no WIC ever connects: the AGW holds the UDP port, the TCP listener, the DTLS
and SCTP state it created at Add T1). Exit 1 on any H.248 error reply.
"""
import re
import select
import socket
import sys
import time

mgc_port, agw_port, pidfile, steps = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
steps = [int(x) for x in steps.split(",")]
MID = "[127.0.0.1]:%d" % mgc_port
AGW = ("127.0.0.1", agw_port)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sock.bind(("127.0.0.1", mgc_port))
FP = ("sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:B2:6F:A5:BA:"
      "8C:7A:1B:2E:9F:1D:08")


def rss_kib():
    pid = open(pidfile).read().strip()
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def send(text):
    sock.sendto(("MEGACO/3 %s\n" % MID + text).encode(), AGW)


def add_t2(tid):
    return ("Transaction = %d {\n Context = $ {\n  Add = $ {\n   Media {\n    Stream = 2 {\n"
            "     LocalControl { Mode = Inactive },\n     Local {\nv=0\nc=IN IP4 $\nm=message $ TCP -\n"
            "     }\n    }\n   }\n  }\n }\n}\n" % tid)


def mod_t2(tid, ctx, term, i):
    return ("Transaction = %d {\n Context = %s {\n  Modify = %s {\n   Media {\n    Stream = 2 {\n"
            "     LocalControl { Mode = SendReceive },\n     Remote {\nv=0\nc=IN IP4 127.0.0.1\n"
            "m=message %d TCP -\na=setup:active\n     }\n    }\n   }\n  }\n }\n}\n"
            % (tid, ctx, term, 2000 + i % 60000))


def add_t1(tid, ctx, i):
    return ("Transaction = %d {\n Context = %s {\n  Add = $ {\n"
            "   Events = 2 { tlsbsc/tlsfail {Stream = 1} },\n   Media {\n"
            "    TerminationState { mgrp/groupse = [\"SCTP 2\"] },\n    Stream = 1 {\n"
            "     LocalControl { Mode = SendReceive, mgrp/strdeagg = [2] },\n     Local {\n"
            "v=0\nc=IN IP4 $\nm=application $ UDP/DTLS/SCTP webrtc-datachannel\na=sctp-port:$\n"
            "a=max-message-size:$\na=fingerprint:$\n     },\n     Remote {\nv=0\nc=IN IP4 127.0.0.1\n"
            "m=application %d UDP/DTLS/SCTP webrtc-datachannel\na=sctp-port:5000\n"
            "a=max-message-size:262144\na=ice-ufrag:wic%d\na=ice-pwd:wicpassword0123456789abcd\n"
            "a=fingerprint:%s\n     }\n    },\n    Stream = 2 {\n"
            "     LocalControl { Mode = SendReceive, sctp/sctpid = 1 }\n    }\n   }\n  }\n }\n}\n"
            % (tid, ctx, 3000 + i % 60000, i, FP))


RE_REPLY = re.compile(r"(?:Reply|P)\s*=\s*(\d+)")
RE_TRANS = re.compile(r"(?:Transaction|T)\s*=\s*(\d+)")
RE_CTX = re.compile(r"(?:Context|C)\s*=\s*(\d+)")
RE_ADD = re.compile(r"(?:Add|A)\s*=\s*([A-Za-z0-9/]+)")
RE_NOTIFY = re.compile(r"(?:Notify|N)\s*=", re.I)


def recv(timeout):
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return None
    data, _ = sock.recvfrom(65536)
    return data.decode(errors="replace")


# Registration
deadline = time.time() + 20
while True:
    m = recv(max(0.1, deadline - time.time()))
    if m is None:
        sys.exit("p4-mgc: no ServiceChange from the AGW within 20 s")
    t = RE_TRANS.search(m)
    if t and "ServiceChange" in m or (t and "SC" in m):
        send("Reply = %s { Context = - { ServiceChange = ROOT { Services { Version = 3 } } } }\n"
             % t.group(1))
        break
time.sleep(0.5)
print("0 %d" % rss_kib(), flush=True)

next_tid = 100000
pending = {}   # tid -> (session index, stage, ctx)
built = 0      # sessions complete
started = 0
WINDOW = 64
last_sent = {}


def start(i):
    global next_tid
    next_tid += 1
    pending[next_tid] = (i, 0, None)
    last_sent[next_tid] = (time.time(), add_t2(next_tid))
    send(last_sent[next_tid][1])


for target in steps:
    t0 = time.time()
    while built < target:
        while started < target and len(pending) < WINDOW:
            start(started)
            started += 1
        m = recv(2.0)
        if m is None:   # resend what is outstanding (UDP on a busy machine)
            for tid, (ts, txt) in list(last_sent.items()):
                if tid in pending:
                    send(txt)
            continue
        if RE_NOTIFY.search(m) and RE_TRANS.search(m):
            send("Reply = %s { Context = %s { Notify = %s } }\n" % (
                RE_TRANS.search(m).group(1), RE_CTX.search(m).group(1) if RE_CTX.search(m) else "-",
                (re.search(r"(?:Notify|N)\s*=\s*([A-Za-z0-9/]+)", m) or [None, "ROOT"])[1]))
            continue
        r = RE_REPLY.search(m)
        if not r:
            continue
        tid = int(r.group(1))
        if tid not in pending:
            continue
        if "Error" in m or "ER" in m.split():
            sys.exit("p4-mgc: error reply at %d sessions:\n%s" % (built, m))
        i, stage, ctx = pending.pop(tid)
        last_sent.pop(tid, None)
        if stage == 0:
            ctx = RE_CTX.search(m).group(1)
            term = RE_ADD.search(m).group(1)
            next_tid += 1
            pending[next_tid] = (i, 1, ctx)
            last_sent[next_tid] = (time.time(), mod_t2(next_tid, ctx, term, i))
        elif stage == 1:
            next_tid += 1
            pending[next_tid] = (i, 2, ctx)
            last_sent[next_tid] = (time.time(), add_t1(next_tid, ctx, i))
        else:
            built += 1
            continue
        send(last_sent[next_tid][1])
    secs = time.time() - t0
    time.sleep(1.0)   # let the AGW finish what the last replies started
    print("%d %d %.1f" % (built, rss_kib(), secs), flush=True)
