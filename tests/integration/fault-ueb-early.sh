#!/usr/bin/env bash
# fault-ueb-early.sh -- UE-B connects to the AGW's MSRP port and sends three
# SENDs before it answers the INVITE (fault-ueb-early.scn), so the AGW must
# hold them until the WIC's data channel is up. Promise: they reach the WIC
# once, in order, before the WIC's own messages, and the AGW's relay counts
# include them: 11 MSRP messages each way (8 SENDs + 3 responses from the
# WIC, 3 SENDs + 8 responses from UE-B), 3 of the TCP->DC ones held. This is
# what fault-wic-loss.sh saw under CPU load, when UE-B's first SENDs came
# before the AGW's association was up, made certain here.
. "$top_srcdir/tests/integration/fault-lib.sh"
start_split
wicsim_target "$S/tests/integration/fault-ueb-early.scn" >"$T/run.out" 2>&1
rc=$?
tail -4 "$T/run.out"
[ $rc -eq 0 ] || { grep -E '^FAIL' "$T/run.out"; show_logs; fail "wicsim exited $rc"; }
grep -q -- "-- PASS\$" "$T/run.out" || fail "no PASS verdict"
wait_log "$T/agw.log" "relay on stream 2 stopped" || fail "the AGW never reported its relay counts"
line=$(grep "relay on stream 2 stopped" "$T/agw.log")
note "${line#*: }"
[ "$(grep -c "relay on stream 2 stopped" "$T/agw.log")" -eq 1 ] || fail "more than one relay on stream 2: $line"
grep -q "relay on stream 2 stopped (11 msgs DC->TCP, 11 TCP->DC; 0 and 3 of them held until it started)" \
  "$T/agw.log" || fail "the AGW counted a different number of MSRP messages: $line"
exit 0
