#!/usr/bin/env python3
"""bench/p5-wire.py FIELDS TIMES SIP UEB ALG_H AGW_H -- where P5's INVITE -> 200
goes: splits each call's interval, measured by wicsim (--times), into the
parts seen on the loopback wire (a dumpcap capture read by tshark into
FIELDS: time, udp src port, udp dst port, SIP Call-ID, method, status,
CSeq method, H.248 transaction id).

  wicsim WIC  : INVITE mark -> INVITE on the wire, and 200 on the wire -> the
                WIC's 200 mark (wicsim's own loop: sending and reading)
  wicgated IN : INVITE into wicgated -> INVITE out to UE-B (ALG + Add T2)
  UE-B        : INVITE out -> 200 back (wicsim playing UE-B)
  wicgated OUT: 200 in -> 200 out to the WIC (ALG + Modify T2 + Add T1)
  AGW H.248   : per transaction, request from the ALG -> reply (the AGW
                thread, inside the two wicgated parts)
Prints p50/p99/max (ms) of each. Calls are paired by Call-ID
("wicsim-<call>-...", the call number of the --times file)."""
import sys


def pct(a, p):
    if not a:
        return float("nan")
    a = sorted(a)
    i = max(1, min(len(a), -(-len(a) * p // 100)))
    return a[int(i) - 1]


def main():
    fields, times, sip, ueb, alg_h, agw_h = sys.argv[1:7]
    sip, ueb, alg_h, agw_h = int(sip), int(ueb), int(alg_h), int(agw_h)
    measured = {}
    for line in open(times):
        if line.startswith("#"):
            continue
        w = line.split()
        if len(w) >= 5 and w[1] == "ok" and w[3] != "0" and w[4] != "0":
            measured[w[0]] = (int(w[4]) - int(w[3])) / 1000.0
    ev = {}          # (call, what) -> first wire time (s)
    h248_req, h248_rep = {}, {}
    for line in open(fields):
        f = line.rstrip("\n").split("\t")
        if len(f) < 8 or not f[0]:
            continue
        t = float(f[0])
        src = int(f[1] or 0)
        dst = int(f[2] or 0)
        callid, method, status, cseqm, tid = f[3], f[4], f[5], f[6], f[7]
        if tid:
            for x in tid.split(","):
                if src == alg_h and dst == agw_h:
                    h248_req.setdefault(x, t)
                elif src == agw_h and dst == alg_h:
                    h248_rep.setdefault(x, t)
            continue
        if not callid.startswith("wicsim-"):
            continue
        call = callid.split("-")[1]
        what = None
        if method == "INVITE" and dst == sip:
            what = "inv_in"
        elif method == "INVITE" and dst == ueb:
            what = "inv_out"
        elif status == "200" and cseqm == "INVITE" and src == ueb:
            what = "ok_in"
        elif status == "200" and cseqm == "INVITE" and src == sip:
            what = "ok_out"
        if what and (call, what) not in ev:
            ev[(call, what)] = t
    parts = {k: [] for k in ("wic", "gin", "ueb", "gout", "agw")}
    n = 0
    for call, m in measured.items():
        try:
            a, b, c, d = (ev[(call, k)] for k in ("inv_in", "inv_out", "ok_in", "ok_out"))
        except KeyError:
            continue
        n += 1
        parts["gin"].append((b - a) * 1000)
        parts["ueb"].append((c - b) * 1000)
        parts["gout"].append((d - c) * 1000)
        parts["wic"].append(m - (d - a) * 1000)
    for x, t in h248_req.items():
        if x in h248_rep and h248_rep[x] >= t:
            parts["agw"].append((h248_rep[x] - t) * 1000)
    allm = list(measured.values())
    print("INVITE -> 200 at the WIC, split on the wire (%d of %d calls paired by Call-ID)" % (n, len(allm)))
    print("  %-48s %8s %8s %8s" % ("ms", "p50", "p99", "max"))
    rows = [("measured by wicsim (INVITE -> 200 at the WIC)", allm),
            ("wicsim WIC: mark -> wire and wire -> mark", parts["wic"]),
            ("wicgated: INVITE in -> out (ALG + Add T2)", parts["gin"]),
            ("UE-B (wicsim): INVITE -> 200", parts["ueb"]),
            ("wicgated: 200 in -> out (ALG + Modify + Add)", parts["gout"]),
            ("AGW: H.248 request -> reply (%d transactions)" % len(parts["agw"]), parts["agw"])]
    for name, a in rows:
        print("  %-48s %8.1f %8.1f %8.1f" % (name, pct(a, 50), pct(a, 99), max(a) if a else float("nan")))


if __name__ == "__main__":
    main()
