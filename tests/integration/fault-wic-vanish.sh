#!/usr/bin/env bash
# fault-wic-vanish.sh -- the WIC vanishes after the answer: once the call is
# up, every datagram of its UDP leg is dropped (fault-proxy.py's relay, on
# SIGUSR1). Promise: the AGW's ICE consent freshness times out
# (agw.consent-timeout, 2 s here) and the ALG releases the call on both sides
# (BYE to the WIC and to UE-B, within 5 s).
. "$top_srcdir/tests/integration/fault-lib.sh"
AGW_EXTRA=(--set agw.consent-timeout=2)
start_split --media
wicsim_target "$S/tests/integration/fault-mid-call.scn" >"$T/mid.out" 2>&1 &
W=$!
wait_log "$T/agw.log" "TCP accepted from" || { kill $W; cat "$T/mid.out"; show_logs; fail "the call never came up"; }
grep -q '^relay ' "$T/proxy.log" || fail "the WIC's media does not go through the relay"
kill -USR1 $PROXY_PID
note "the WIC's UDP leg is now silent"
wait $W; rc=$?
grep -E '^(PASS|FAIL|NOT RUN).*(BYE|200)' "$T/mid.out"
[ $rc -eq 0 ] || { cat "$T/mid.out"; show_logs; fail "the call was not released after the WIC vanished"; }
grep -q "consent-lost" "$T/agw.log" || { show_logs; fail "the release was not caused by the consent timeout"; }
grep "consent-lost" "$T/agw.log" | tail -1
exit 0
