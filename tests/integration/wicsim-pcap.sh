#!/usr/bin/env bash
# wicsim-pcap.sh -- the figure scenario's capture (wicsim's own, merged with
# the co-started wicgated's H.248) opens in tshark with the WIC's key log:
# SIP, MEGACO, STUN, DTLS, SCTP (decrypted), MSRP, and no malformed packet.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed (apt-get install tshark)"
P=$WG_TEST_TMP/figure.pcap
K=$WG_TEST_TMP/figure.keys
run_scenario figure --pcap "$P" --keylog "$K"
[ -s "$P" ] || fail "no capture written"
[ -s "$K" ] || fail "no key log written"
grep -q '^CLIENT_RANDOM ' "$K" || fail "the key log has no CLIENT_RANDOM line"
V=$WG_TEST_TMP/figure.txt
tshark -r "$P" -o "tls.keylog_file:$K" -V >"$V" 2>"$WG_TEST_TMP/tshark.err" ||
  { cat "$WG_TEST_TMP/tshark.err"; fail "tshark cannot read the capture"; }
PROTOS=$(tshark -r "$P" -o "tls.keylog_file:$K" -T fields -e frame.protocols 2>/dev/null | tr ':' '\n' | sort -u | tr '\n' ' ')
note "protocols: $PROTOS"
for p in sip megaco stun dtls sctp msrp; do
  echo " $PROTOS " | grep -q " $p " || fail "tshark does not decode $p in the capture"
done
# the decrypted association carries data-channel data (PPID 53 or 51)
tshark -r "$P" -o "tls.keylog_file:$K" -Y 'sctp.data_payload_proto_id == 53 || sctp.data_payload_proto_id == 51' \
  -T fields -e frame.number 2>/dev/null | grep -q . || fail "no decrypted SCTP DATA with a WebRTC PPID"
# the figure's SIP and H.248 are all there
grep -q 'Request-Line: INVITE' "$V" || fail "no INVITE"
grep -q 'Status-Line: SIP/2.0 200 OK' "$V" || fail "no 200 OK"
grep -qi 'Add' "$V" || fail "no H.248 Add"
if grep -q '_ws.malformed\|\[Malformed Packet' "$V"; then
  grep -n -B5 'Malformed' "$V" | head -40
  fail "tshark reports malformed packets"
fi
exit 0
