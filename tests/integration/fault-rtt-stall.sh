#!/usr/bin/env bash
# fault-rtt-stall.sh -- the usrsctp retransmission stall of doc/reliability.md,
# made deterministic. The relay holds the AGW's SCTP packets to the WIC for
# 4 s from the first one on, so both ends take about 4 s as their first RTT
# sample (usrsctp measures the INIT-ACK from the first INIT), then drops the
# first DATA packet of the one MSRP SEND each way; nothing is sent after it.
# Promise: the lost message is still delivered within the scenario's 10 s,
# once, in both directions -- usrsctp 0.9.5 alone retransmits it only after
# about 3 x 4 s (its T3-rtx expiries mark nothing younger than the unclamped
# SRTT + 4 RTTVAR); agw/media re-measures the RTT with heartbeats (sctp.c,
# rtt_check) and the AGW logs that at notice level.
. "$top_srcdir/tests/integration/fault-lib.sh"
start_split --media --media-hold-g2w-app 4 --media-drop-big 1000
relay_call "$S/tests/integration/fault-rtt-stall.scn" \
  "an expect MSRP SEND that times out: the lost DATA chunk was not retransmitted in time"
# the faults took place (else the test proves nothing)
grep -q '^media stall released' "$T/proxy.log" || fail "the relay never held the AGW's set-up packets"
grep -q '^media drop-big w2g' "$T/proxy.log" || fail "the relay dropped no DATA packet of the WIC's SEND"
grep -q '^media drop-big g2w' "$T/proxy.log" || fail "the relay dropped no DATA packet of UE-B's SEND"
grep -q 'SCTP RTT estimate inflated' "$T/agw.log" \
  || fail "the AGW did not report re-measuring its inflated RTT estimate"
note "$(grep -o 'SCTP RTT estimate inflated.*' "$T/agw.log" | head -1)"
exit 0
