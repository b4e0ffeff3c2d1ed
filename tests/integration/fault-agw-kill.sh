#!/usr/bin/env bash
# fault-agw-kill.sh -- the AGW process is killed (SIGKILL) with a call up.
# Promise: the ALG notices by its audits and releases the call on both
# sides (BYE to the WIC and to UE-B) within two audit periods; the AGW,
# restarted, registers again (its ServiceChange Restart is answered) and
# the next call goes through it. (A restart mid-call, where the
# ServiceChange itself releases the calls, is tests/integration/daemon-roles.py.)
. "$top_srcdir/tests/integration/fault-lib.sh"
ALG_EXTRA=(--set alg.audit-interval=2 --set alg.h248-timeout=1000 --set alg.h248-long-timer=1500)
start_split
wicsim_target "$S/tests/integration/fault-mid-call.scn" >"$T/kill.out" 2>&1 &
W=$!
wait_log "$T/agw.log" "TCP accepted from" || { kill $W; cat "$T/kill.out"; show_logs; fail "the call never came up"; }
kill -KILL $AGW_PID
note "AGW killed with the call up"
wait $W; rc=$?
grep -E '^(PASS|FAIL|NOT RUN).*(BYE|200)' "$T/kill.out"
[ $rc -eq 0 ] || { cat "$T/kill.out"; show_logs; fail "the call was not released on both sides within two audit periods"; }
grep -q "AGW .*lost\|lost.*AGW\|no answer to the audit\|out of service" "$T/alg.log" && note "$(grep -m1 "lost\|out of service" "$T/alg.log" | cut -c1-160)"

# the AGW comes back: its ServiceChange Restart is answered, calls work again
start_agw
registered_twice() { [ "$(grep -c 'registered with the MGC' "$T/agw.log")" -ge 2 ]; }
wait_for registered_twice \
  || { show_logs; fail "the restarted AGW's ServiceChange was not answered"; }
kill -0 $ALG_PID || fail "the ALG died"
wicsim_target "$S/tests/integration/fault-call.scn" >"$T/after.out" 2>&1 \
  || { cat "$T/after.out"; show_logs; fail "no call through the restarted AGW"; }
tail -1 "$T/after.out"
exit 0
