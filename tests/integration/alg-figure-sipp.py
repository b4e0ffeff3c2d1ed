# alg-figure-sipp.py -- figure 6.2.10.x.2.1 end to end through wicgated
# (role both: the real ALG and the real AGW in one process), with SIPp as
# WIC-A (step-1 INVITE) and SIPp as UE-B (step-7 TCP/MSRP answer).
# Asserts, attribute by attribute, the SDP UE-B receives (step 6) and the SDP
# the WIC receives (step 15), and the H.248 on the wire (--pcap) for steps
# 2, 8, 11 and the release; every H.248 message parses with h248tool.
import importlib.util, os, re, shutil, socket, subprocess, sys, time

spec = importlib.util.spec_from_file_location(
    "alglib", os.path.join(os.path.dirname(os.path.abspath(__file__)), "alg-lib.py"))
L = importlib.util.module_from_spec(spec)
spec.loader.exec_module(L)

if not shutil.which("sipp"):
    L.skip("sipp (Debian package sip-tester) is not installed")

sip = L.free_port_both()
h248_alg = L.free_port()
h248_agw = L.free_port()
ueb = L.free_port_both()
wic = L.free_port_both()
msrp = L.free_port("tcp")
# the WIC's DC port: held open (never answers) so the AGW's DTLS packets are
# not refused by ICMP while the call is up
dc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dc.bind(("127.0.0.1", 0))
dcport = dc.getsockname()[1]
pcap = os.path.join(L.TMP, "wicgated.pcap")

d = L.Daemon("wicgated", [
    "--role", "both", "--sip-listen", "127.0.0.1:%d" % sip,
    "--next-hop", "sip:127.0.0.1:%d" % ueb,
    "--h248-listen", "127.0.0.1:%d" % h248_alg, "--agw", "127.0.0.1:%d" % h248_agw,
    "--agw-listen", "127.0.0.1:%d" % h248_agw, "--mgc", "127.0.0.1:%d" % h248_alg,
    "--pcap", pcap, "--log-level", "debug"])

sdir = os.path.join(L.S, "tests", "integration", "sipp")
common = ["-i", "127.0.0.1", "-m", "1", "-nostdin", "-trace_msg", "-timeout", "30s",
          "-timeout_error", "-max_recv_loops", "1000"]


def run_pair(tag, wic_transport):
    """SIPp UE-B (UDP) and SIPp WIC (over wic_transport) for one call;
    returns the message log paths."""
    uas_log = os.path.join(L.TMP, "ueb-%s.msg" % tag)
    uac_log = os.path.join(L.TMP, "wic-%s.msg" % tag)
    uas = subprocess.Popen(["sipp", "-sf", os.path.join(sdir, "ueb-uas.xml"), "-p", str(ueb),
                            "-key", "msrpport", str(msrp), "-message_file", uas_log] + common,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=L.TMP)
    L.wait_until(lambda: subprocess.run(["ss", "-Hlun", "sport = :%d" % ueb], capture_output=True,
                                        text=True).stdout.strip(), what="SIPp UE-B bound")
    uac = subprocess.run(["sipp", "-sf", os.path.join(sdir, "wic-uac.xml"), "-p", str(wic),
                          "-t", wic_transport, "-key", "dcport", str(dcport),
                          "-message_file", uac_log, "127.0.0.1:%d" % sip] + common,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=L.TMP, timeout=60)
    try:
        uas_rc = uas.wait(30)
    except subprocess.TimeoutExpired:
        uas.kill()
        uas_rc = -1
    if uac.returncode != 0 or uas_rc != 0:
        L.note(d.text()[-6000:])
        L.fail("%s: SIPp WIC rc=%s, UE-B rc=%s (%s %s)" % (tag, uac.returncode, uas_rc,
                                                          uac.stderr.decode()[-500:],
                                                          uas.stderr.read().decode()[-500:]))
    return uas_log, uac_log


def messages(path, direction):
    """SIP messages SIPp logged as sent/received."""
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return []
    out = []
    for chunk in re.split(r"\n-{20,}[^\n]*\n", "\n" + text):
        m = re.match(r"\s*(?:UDP|TCP) message (sent|received)[^\n]*\n\n?(.*)", chunk, re.S)
        if m and m.group(1) == direction:
            body = m.group(2).strip("\n")
            out.append(L.SipMsg(body.replace("\r\n", "\n").replace("\n", "\r\n")))
    return out


uas_log, uac_log = run_pair("udp", "u1")

# ---------------------------------------------------------------- step 6
inv = [m for m in messages(uas_log, "received") if m.method == "INVITE"]
L.check(len(inv) >= 1, "UE-B got no INVITE")
inv = inv[0]
L.check(inv.hdr("max-forwards") == "69", "Max-Forwards not decremented: %s" % inv.hdr("max-forwards"))
rr = inv.hdrs("record-route")
L.check(any("127.0.0.1:%d" % sip in r and ";lr" in r for r in rr), "no Record-Route of the ALG: %s" % rr)
sess, media = L.sdp_media(inv.body)
L.check(len(media) == 1, "step 6: %d m-lines" % len(media))
m6 = media[0]
mm = m6["m"].split()
L.check(mm[0] == "message" and mm[2] == "TCP/MSRP" and mm[3] == "*", "step 6 m=: %s" % m6["m"])
t2port = int(mm[1])
L.check(t2port > 0, "step 6 port")
L.check(m6["c"] == "IN IP4 127.0.0.1" or any(s == "c=IN IP4 127.0.0.1" for s in sess),
        "step 6 c=: %s" % m6["c"])
L.check(L.attr(m6, "setup") == "actpass", "step 6 a=setup")
L.check(L.attr(m6, "msrp-cema") == "", "step 6 a=msrp-cema")
L.check(L.attr(m6, "accept-types") == "message/cpim text/plain", "step 6 accept-types")
L.check(L.attr(m6, "path") == "msrp://wic-a.example.invalid:9/iau39soe2843z;dc", "step 6 path")
for gone in ("fingerprint", "sctp-port", "max-message-size", "dcmap", "dcsa", "ice-ufrag",
             "ice-pwd", "candidate", "connection", "mid"):
    L.check(L.attr(m6, gone) is None, "step 6 still has a=%s" % gone)
L.check(not any("ice-options" in s for s in sess), "step 6 kept a=ice-options")
L.note("step 6 ok: " + " | ".join([m6["m"]] + m6["a"]))

# ---------------------------------------------------------------- step 15
ok = [m for m in messages(uac_log, "received") if m.status == 200 and m.cseq()[1] == "INVITE"]
L.check(ok, "the WIC got no 200 to its INVITE")
ok = ok[0]
L.check(len(ok.hdrs("via")) == 1, "the ALG's Via was not stripped: %s" % ok.hdrs("via"))
sess, media = L.sdp_media(ok.body)
L.check(len(media) == 1, "step 15: %d m-lines" % len(media))
m15 = media[0]
mm = m15["m"].split()
L.check(mm[0] == "application" and mm[2] == "UDP/DTLS/SCTP" and mm[3] == "webrtc-datachannel",
        "step 15 m=: %s" % m15["m"])
t1port = int(mm[1])
L.check(t1port > 0 and t1port != dcport, "step 15 port")
L.check((m15["c"] or "").startswith("IN IP4 127.0.0.1"), "step 15 c=: %s" % m15["c"])
L.check(L.attr(m15, "setup") == "active", "step 15 a=setup:active")
L.check(L.attr(m15, "connection") == "new", "step 15 a=connection:new")
L.check(L.attr(m15, "mid") == "0", "step 15 a=mid")
fp = L.attr(m15, "fingerprint")
L.check(fp and fp.startswith("sha-256 ") and fp != L.FP_WIC, "step 15 fingerprint: %s" % fp)
L.check(L.attr(m15, "sctp-port") and L.attr(m15, "sctp-port").isdigit(), "step 15 sctp-port")
L.check(L.attr(m15, "max-message-size") and L.attr(m15, "max-message-size").isdigit(),
        "step 15 max-message-size")
L.check(L.attr(m15, "ice-ufrag") and L.attr(m15, "ice-ufrag") != "x7Qf", "step 15 ice-ufrag")
L.check(L.attr(m15, "ice-pwd"), "step 15 ice-pwd")
L.check(any("ice-lite" in s for s in sess) or L.attr(m15, "ice-lite") == "", "step 15 ice-lite")
L.check(L.attr(m15, "dcmap") == '1 label="msrp";subprotocol="MSRP";ordered=true',
        "step 15 dcmap: %s" % L.attr(m15, "dcmap"))
dcsa = L.attrs(m15, "dcsa")
L.check("1 setup:active" in dcsa, "step 15 dcsa setup: %s" % dcsa)
L.check("1 accept-types:message/cpim text/plain" in dcsa, "step 15 dcsa accept-types")
L.check("1 path:msrp://127.0.0.1:%d/9di4eae923wzd;tcp" % msrp in dcsa, "step 15 dcsa path: %s" % dcsa)
L.check(L.attr(m15, "msrp-cema") is None, "step 15 leaks a=msrp-cema")
L.note("step 15 ok: " + " | ".join([m15["m"]] + m15["a"]))

# BYE reached UE-B through the proxy (loose routing) and was answered
bye = [m for m in messages(uas_log, "received") if m.method == "BYE"]
L.check(bye, "UE-B got no BYE")

# ---------------------------------------------------------------- WIC over TCP
d.wait_log(r"Subtract done", what="Subtract reply")
uas_log2, uac_log2 = run_pair("tcp", "t1")
ok2 = [m for m in messages(uac_log2, "received") if m.status == 200 and m.cseq()[1] == "INVITE"]
L.check(ok2, "TCP: the WIC got no 200")
L.check("UDP/DTLS/SCTP webrtc-datachannel" in ok2[0].body, "TCP: 200 without the DC answer")
inv2 = [m for m in messages(uas_log2, "received") if m.method == "INVITE"]
L.check(inv2 and "TCP/MSRP" in inv2[0].body, "TCP: UE-B got no TCP/MSRP offer")
L.note("WIC over TCP ok")

# ---------------------------------------------------------------- H.248
# the Subtract replies may be in flight when SIPp ends: wait for them
L.wait_until(lambda: len(re.findall("Subtract done", d.text())) >= 2, what="second Subtract reply")
rc = d.stop()
L.check(rc == 0, "wicgated exit status %s" % rc)
msgs = L.pcap_h248(pcap, [h248_alg])
if msgs is None:
    L.skip("tshark is not installed: H.248 on the wire not checked")
# role both: the ALG and the AGW share one pcap; each datagram is in it once
# (a real retransmission may repeat one; recording on both sides doubles all)
dups = [m for i, m in enumerate(msgs) if m in msgs[:i]]
L.check(2 * len(dups) < len(msgs),
        "H.248 datagrams recorded twice in the pcap: %d of %d" % (len(dups), len(msgs)))
to_agw = [t for s, dport, t in msgs if dport == h248_agw]
from_agw = [t for s, dport, t in msgs if s == h248_agw]
reqs = [t for t in to_agw if re.search(r"^\s*Transaction\s*=", t, re.M)]
L.check(len(reqs) >= 4, "expected >= 4 H.248 requests, got %d" % len(reqs))
add_t2 = [t for t in reqs if re.search(r"Context\s*=\s*\$", t) and re.search(r"Add\s*=\s*\$", t)]
L.check(add_t2, "step 2: no Add with Context = $")
a = add_t2[0]
L.check(re.search(r"Stream\s*=\s*2", a) and re.search(r"Mode\s*=\s*Inactive", a), "step 2 stream/mode")
L.check("c=IN IP4 $" in a and "m=message $ TCP -" in a, "step 2 Local: %s" % a)
mod = [t for t in reqs if re.search(r"Modify\s*=", t)]
L.check(mod, "step 8: no Modify")
L.check(re.search(r"Mode\s*=\s*SendReceive", mod[0]) and
        ("m=message %d TCP" % msrp) in mod[0] and "c=IN IP4 127.0.0.1" in mod[0],
        "step 8 Remote/mode: %s" % mod[0])
add_t1 = [t for t in reqs if "webrtc-datachannel" in t and re.search(r"Add\s*=\s*\$", t)]
L.check(add_t1, "step 11: no Add T1")
a = add_t1[0]
for pat in (r"tlsbsc/tlsfail\s*\{\s*Stream\s*=\s*1\s*\}", r"tlsbsc/tlsest\s*\{\s*Stream\s*=\s*1\s*\}",
            r'mgrp/groupse\s*=\s*\[\s*"SCTP 2"\s*\]', r"mgrp/strdeagg\s*=\s*\[\s*2\s*\]",
            r"sctp/sctpid\s*=\s*1\b", r"a=fingerprint:\$", r"a=sctp-port:\$",
            r"m=application %d UDP/DTLS/SCTP webrtc-datachannel" % dcport,
            re.escape("a=fingerprint:" + L.FP_WIC), r"a=sctp-port:5000",
            r"a=max-message-size:262144"):
    L.check(re.search(pat, a), "step 11 lacks %s:\n%s" % (pat, a))
sub = [t for t in reqs if re.search(r"Subtract\s*=", t)]
L.check(sub, "release: no Subtract")
L.check(len(re.findall(r"Subtract\s*=\s*ip/", sub[0])) == 2 or re.search(r"Subtract\s*=\s*\*", sub[0]),
        "release does not subtract both terminations: %s" % sub[0])
replies = [t for t in from_agw if re.search(r"^\s*Reply\s*=", t, re.M)]
L.check(len(replies) >= 4, "AGW replies: %d" % len(replies))
ok_all = [L.h248tool_ok(t) for s, dport, t in msgs]
if None in ok_all:
    L.note("h248tool not built: parse check skipped")
else:
    bad = [t for (s, dp, t), good in zip(msgs, ok_all) if not good]
    L.check(not bad, "h248tool rejects:\n%s" % (bad[0] if bad else ""))
bad = L.pcap_megaco_decodes(pcap, [h248_alg, h248_agw])
L.check(not bad, "tshark does not decode as MEGACO: %s" % bad)
# SIP is in the capture too: the INVITE from the WIC and the one to UE-B
r = subprocess.run([L.tshark(), "-r", pcap, "-d", "udp.port==%d,sip" % sip, "-d", "tcp.port==%d,sip" % sip,
                    "-Y", "sip.Method == \"INVITE\"", "-T", "fields", "-e", "udp.dstport", "-e", "tcp.dstport"],
                   capture_output=True, text=True, timeout=60)
dsts = r.stdout.split()
L.check(str(sip) in dsts and str(ueb) in dsts, "pcap lacks the INVITEs in/out: %s" % dsts)
log = d.text()
for step in (1, 2, 4, 5, 6, 7, 8, 10, 11, 13, 14, 15):
    L.check(re.search(r"step=%d\b" % step, log), "no log line for step %d" % step)
print("ok - figure 6.2.10.x.2.1 through wicgated (SIPp WIC and UE-B)")
