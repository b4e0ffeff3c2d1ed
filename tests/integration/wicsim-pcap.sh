#!/usr/bin/env bash
# wicsim-pcap.sh -- the figure scenario's capture (wicsim's own, merged with
# the co-started wicgated's H.248) opens in tshark with the WIC's key log:
# SIP, MEGACO, STUN, DTLS, SCTP (decrypted), MSRP, and no malformed packet.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed (apt-get install tshark)"
P=$WG_TEST_TMP/figure.pcap
K=$WG_TEST_TMP/figure.keys
# UE-B's SIP on UDP 19948, a port Wireshark gives to KDP: the command wicsim
# prints must still show SIP there (CI once drew a free port like that)
run_scenario figure --pcap "$P" --keylog "$K" --ueb-port 19948
[ -s "$P" ] || fail "no capture written"
[ -s "$K" ] || fail "no key log written"
grep -q '^CLIENT_RANDOM ' "$K" || fail "the key log has no CLIENT_RANDOM line"
V=$WG_TEST_TMP/figure.txt
# the command wicsim prints ("open it: tshark ... -V") is the one checked:
# scenarios/wicsim-dissectors.lua adds SCTP inside DTLS and MSRP inside
# data-channel messages (Wireshark 4.0 has neither)
TS=$(sed -n 's/^  open it: \(tshark .*\) -V$/\1/p' "$WG_TEST_TMP/figure.out")
[ -n "$TS" ] || fail "wicsim printed no 'open it: tshark ...' command"
case "$TS" in *"-r $P"*) ;; *) fail "the printed command does not read $P: $TS" ;; esac
note "tshark command: $TS"
$TS -V >"$V" 2>"$WG_TEST_TMP/tshark.err" ||
  { cat "$WG_TEST_TMP/tshark.err"; fail "tshark cannot read the capture"; }
PROTOS=$($TS -T fields -e frame.protocols 2>/dev/null | tr ':' '\n' | sort -u | tr '\n' ' ')
note "protocols: $PROTOS"
for p in sip sdp megaco stun dtls sctp msrp; do
  echo " $PROTOS " | grep -q " $p " || fail "tshark does not decode $p in the capture"
done
# every packet on UE-B's KDP port is SIP
$TS -Y 'udp.port == 19948' -T fields -e frame.number 2>/dev/null | grep -q . ||
  fail "no packet on UE-B's SIP port 19948 in the capture"
if $TS -Y 'udp.port == 19948 && !sip' -T fields -e frame.protocols 2>/dev/null | grep .; then
  fail "packets on UE-B's SIP port 19948 not decoded as SIP"
fi
# the decrypted association carries data-channel data (PPID 53 or 51)
$TS -Y '(sctp.data_payload_proto_id == 53 || sctp.data_payload_proto_id == 51) && msrp' \
  -T fields -e frame.number 2>/dev/null | grep -q . ||
  fail "no decrypted SCTP DATA with a WebRTC PPID carrying MSRP"
# without the key log the association stays encrypted: the keys are what decrypt it
tshark -X lua_script:$S/scenarios/wicsim-dissectors.lua -r "$P" -T fields -e frame.protocols \
  2>/dev/null | grep -q sctp && fail "SCTP decoded without the key log?"
# the figure's SIP and H.248 are all there
grep -q 'Request-Line: INVITE' "$V" || fail "no INVITE"
grep -q 'Status-Line: SIP/2.0 200 OK' "$V" || fail "no 200 OK"
for cmd in Add Modify Subtract; do
  grep -q "Command: $cmd\$" "$V" || fail "no H.248 $cmd in the capture"
done
# no malformed packet and no error-level expert info (H.248 SDP indentation
# before "}" is a known Note-level "invalid SDP line" and is allowed)
if grep -q '\[Malformed Packet\|Severity level: Error' "$V"; then
  grep -n -B8 'Malformed Packet\|Severity level: Error' "$V" | head -60
  fail "tshark reports malformed packets or errors"
fi
exit 0
