#!/usr/bin/env bash
# fault-wic-loss.sh -- 5 % loss and 5 % reordering, both ways, on the WIC's
# UDP leg (ICE, DTLS, SCTP between the WIC and the AGW's T1 port, through the
# relay of fault-proxy.py). Promise: the call is set up and every MSRP
# message is delivered once, in order and whole, both ways: the scenario
# expects the messages one by one by their distinct sizes (a lost, repeated
# or reordered message fails the expect in its place), then nothing more.
. "$top_srcdir/tests/integration/fault-lib.sh"
start_split --media --media-loss 5 --media-reorder 5 --seed "${WG_FAULT_SEED:-5}"
relay_call "$S/tests/integration/fault-call.scn" "under 5 % loss + reordering"
d=$(grep -c '^media drop' "$T/proxy.log"); h=$(grep -c '^media hold' "$T/proxy.log")
note "media datagrams dropped: $d, reordered: $h"
[ $((d + h)) -ge 1 ] || fail "the relay neither dropped nor reordered anything: the test proves nothing"
# the AGW relayed each MSRP message (8 SEND + 3 responses one way, 3 + 8 the
# other) exactly once. How many of them it held until the relay started
# depends on timing (UE-B's first SENDs can beat the AGW's association: see
# fault-ueb-early.sh); the totals do not.
wait_log "$T/agw.log" "relay on stream 2 stopped" || fail "the AGW never reported its relay counts"
grep -q "relay on stream 2 stopped (11 msgs DC->TCP, 11 TCP->DC;" "$T/agw.log" \
  || fail "the AGW relayed a different number of MSRP messages: $(grep 'relay on stream' "$T/agw.log")"
exit 0
