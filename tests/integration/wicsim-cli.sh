#!/usr/bin/env bash
# wicsim-cli.sh -- wicsim without a gateway: scenario errors name file and
# line (exit 2); a step that gets nothing fails with what it expected (exit
# 1); --json and --junit are well-formed and say the same.
. "$top_srcdir/tests/lib.sh"
[ -x "$B/wicsim" ] || fail "wicsim is not built"
T=$WG_TEST_TMP

# every shipped scenario parses
"$B/wicsim" check "$S"/scenarios/*.scn || fail "a shipped scenario does not parse"

# a bad scenario: exit 2, FILE:LINE: reason
printf 'name "bad"\nWIC send INVITE\nWIC expect 200 timeout=soon\n' >"$T/bad.scn"
"$B/wicsim" run "$T/bad.scn" --target 127.0.0.1:9 >"$T/bad.out" 2>&1
rc=$?
cat "$T/bad.out"
[ $rc -eq 2 ] || fail "a bad scenario exited $rc, not 2"
grep -q "bad.scn:3: timeout=soon" "$T/bad.out" || fail "the error does not name line 3"

# usage errors: exit 2
"$B/wicsim" run >/dev/null 2>&1; [ $? -eq 2 ] || fail "no FILE: not exit 2"
"$B/wicsim" frobnicate x >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command: not exit 2"
"$B/wicsim" run "$T/bad.scn" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no target: not exit 2"

# setup errors: a taken UE-B SIP port (TCP or UDP) and an unwritable --pcap
# exit 2 with a message naming the problem (these aborted in uv_close once;
# 134 = SIGABRT)
for proto in tcp udp; do
  port=$(free_port $proto)
  python3 -c "
import socket,time
kind=socket.SOCK_STREAM if '$proto'=='tcp' else socket.SOCK_DGRAM
s=socket.socket(socket.AF_INET,kind); s.bind(('127.0.0.1',$port))
if kind==socket.SOCK_STREAM: s.listen(1)
print('holding',flush=True); time.sleep(60)" >"$T/hold-$proto.out" &
  holder=$!
  wait_log "$T/hold-$proto.out" holding || fail "the $proto port holder did not start"
  "$B/wicsim" run "$S/scenarios/figure.scn" --target 127.0.0.1:9 --ueb-port $port \
      >"$T/taken-$proto.out" 2>&1
  rc=$?
  kill $holder; wait $holder 2>/dev/null
  cat "$T/taken-$proto.out"
  [ $rc -eq 2 ] || fail "UE-B port taken ($proto) exited $rc, not 2"
  grep -q "^wicsim: cannot bind UE-B's SIP port $port (--ueb-port) on 127.0.0.1: Address already in use\$" \
      "$T/taken-$proto.out" || fail "the error does not name the taken UE-B port ($proto)"
  grep -q "Assertion\|Aborted" "$T/taken-$proto.out" && fail "wicsim aborted ($proto)"
done
"$B/wicsim" run "$S/scenarios/figure.scn" --target 127.0.0.1:9 --pcap "$T/no/such/dir/x.pcap" \
    >"$T/pcap.out" 2>&1
rc=$?
cat "$T/pcap.out"
[ $rc -eq 2 ] || fail "an unwritable --pcap exited $rc, not 2"
grep -q "^wicsim: $T/no/such/dir/x.pcap: cannot write pcap: No such file or directory\$" \
    "$T/pcap.out" || fail "the error does not name the --pcap file"

# a target that never answers (a bound UDP socket that reads nothing):
# step 2 waits for UE-B's INVITE and fails with what it expected
port=$(free_port udp)
python3 -c "
import socket,time,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',$port))
print('bound',flush=True); time.sleep(60)" >"$T/sink.out" &
wait_log "$T/sink.out" bound || fail "the sink did not start"
cat >"$T/silent.scn" <<'SCN'
name "nobody answers"
sdp o
  v=0
  m=application ${wic.port} UDP/DTLS/SCTP webrtc-datachannel
  c=IN IP4 ${wic.ip}
  a=fingerprint:${wic.fingerprint}
end
step 1   WIC  send INVITE sdp=o
step 5-6 UE-B expect INVITE timeout=700ms
         WIC  expect 200
SCN
"$B/wicsim" run "$T/silent.scn" --target 127.0.0.1:$port --no-color \
    --json --junit "$T/j.xml" >"$T/silent.json" 2>"$T/silent.err"
rc=$?
cat "$T/silent.err"
[ $rc -eq 1 ] || fail "a failing step exited $rc, not 1"
grep -q "^FAIL .*UE-B expect INVITE" "$T/silent.err" || fail "no FAIL line for the step"
grep -q "expected UE-B INVITE within 0.7 s; got nothing" "$T/silent.err" ||
  fail "the failure does not say what was expected"
grep -q "^NOT RUN .*WIC  expect 200" "$T/silent.err" || fail "the next step is not marked NOT RUN"
grep -q -- "-- FAIL\$" "$T/silent.err" || fail "no FAIL summary"
python3 - "$T/silent.json" "$T/j.xml" <<'PY' || fail "JSON or JUnit wrong"
import json, sys, xml.etree.ElementTree as ET
j = json.load(open(sys.argv[1]))
assert j["result"] == "fail", j["result"]
v = [s["verdict"] for s in j["steps"]]
assert v == ["pass", "fail", "notrun"], v
assert j["figure"]["1"] == "pass" and j["figure"]["5"] == "fail", j["figure"]
assert "expected UE-B INVITE" in j["steps"][1]["message"]
assert any(r["label"].startswith("INVITE") for r in j["ladder"])
t = ET.parse(sys.argv[2]).getroot().find("testsuite")
assert t.get("tests") == "3" and t.get("failures") == "2", t.attrib
PY
exit 0
