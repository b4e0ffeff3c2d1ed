#!/usr/bin/env bash
# fault-ueb-reset.sh -- UE-B's MSRP TCP connection is reset (RST, made with
# `ss -K` on UE-B's socket) with the call up. Promise: the AGW reports the
# lost bearer and the ALG releases the call on both sides (BYE to the WIC
# and to UE-B, within 5 s); the daemons stay up and take the next call.
. "$top_srcdir/tests/integration/fault-lib.sh"
command -v ss >/dev/null || skip "ss (iproute2) is not installed"
start_split
wicsim_target "$S/tests/integration/fault-mid-call.scn" >"$T/mid.out" 2>&1 &
W=$!
wait_log "$T/agw.log" "TCP accepted from" || { kill $W; cat "$T/mid.out"; show_logs; fail "the call never came up"; }
P=$(sed -n 's/.*stream 2: TCP port \([0-9]*\) listening.*/\1/p' "$T/agw.log" | tail -1)
[ -n "$P" ] || fail "no T2 port in the AGW's log"
ss -K -tn state established dst "127.0.0.1:$P" | grep -q "127.0.0.1:$P" || fail "could not reset UE-B's connection to port $P"
note "UE-B's TCP connection to the AGW's port $P reset"
wait $W; rc=$?
grep -E '^(PASS|FAIL|NOT RUN).*(BYE|200)' "$T/mid.out"
[ $rc -eq 0 ] || { cat "$T/mid.out"; show_logs; fail "the call was not released on both sides after UE-B's TCP reset"; }
grep -E "TCP bearer gone" "$T/agw.log" | tail -1
kill -0 $ALG_PID && kill -0 $AGW_PID || fail "a daemon died"
wicsim_target "$S/tests/integration/fault-call.scn" >"$T/after.out" 2>&1 \
  || { cat "$T/after.out"; show_logs; fail "no next call after the reset"; }
exit 0
