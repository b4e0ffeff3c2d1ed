#!/usr/bin/env bash
# fault-h248-loss.sh -- 20 % of the H.248 datagrams between the ALG and the
# AGW (two wicgated processes) are lost, both ways. Promise: every call
# still completes or fails cleanly (wicsim accounts for each, the daemons
# stay up, every context the AGW created is deleted in the end -- one whose
# Add reply was lost every time by the ALG's sweep of orphaned contexts), and no
# H.248 command is executed twice: each Add transaction that reached the
# AGW (once or several times, retransmitted) created exactly one
# termination.
. "$top_srcdir/tests/integration/fault-lib.sh"
CALLS=6
# audits every 2 s: a context whose Add reply was lost every time belongs to
# no call, and the ALG's sweep (two looks > alg.h248-timeout apart) deletes it
ALG_EXTRA=(--set alg.audit-interval=2)
start_split --h248-loss 20 --seed "${WG_FAULT_SEED:-11}"
WICSIM_MODE=load wicsim_target "$S/tests/integration/fault-call.scn" \
    --rate 5 --calls $CALLS --concurrency 2 >"$T/load.out" 2>&1
rc=$?
cat "$T/load.out" | tail -15
[ $rc -le 1 ] || { show_logs; fail "wicsim load: exit $rc (setup error)"; }
line=$(grep -oE '[0-9]+ calls attempted, [0-9]+ succeeded, [0-9]+ failed' "$T/load.out") \
  || { show_logs; fail "no load summary"; }
read -r att _ _ ok _ bad _ <<<"$(echo "$line" | tr -d ,)"
note "$line"
[ "$att" -eq $CALLS ] && [ $((ok + bad)) -eq $CALLS ] || fail "calls not all accounted for: $line"
[ "$ok" -ge 1 ] || { show_logs; fail "no call at all completed under 20 % loss"; }
kill -0 $ALG_PID 2>/dev/null || fail "the ALG died"
kill -0 $AGW_PID 2>/dev/null || fail "the AGW died"
drops=$(grep -c ' drop ' "$T/proxy.log")
note "$drops H.248 datagrams dropped of $(wc -l <"$T/proxy.log")"
[ "$drops" -ge 1 ] || fail "the proxy dropped nothing: the test proves nothing"

# no double execution
check_once() {
  python3 - "$T/proxy.log" "$T/agw.log" <<'PY'
import re, sys
adds = {l.split()[3] for l in open(sys.argv[1]) if l.startswith("a2g deliver T ") and l.split()[4] == "Add"}
log = open(sys.argv[2]).read()
created = re.findall(r"\[ctx=(\d+) step=\d+\] Add (\S+): .* termination created", log)
refused = re.findall(r"Add refused", log)
terms = [t for _, t in created]
assert len(set(terms)) == len(terms), "a termination id was created twice: %s" % terms
assert len(created) + len(refused) == len(adds), \
    "%d Add transactions reached the AGW, %d executed (%d created, %d refused)" % (
        len(adds), len(created) + len(refused), len(created), len(refused))
ctxs = {c for c, _ in created}
gone = set(re.findall(r"context (\d+) deleted", log))
left = ctxs - gone
assert not left, "contexts never deleted: %s" % sorted(left)
print("# %d Add transactions reached the AGW, each executed once; %d contexts, all deleted" % (len(adds), len(ctxs)))
PY
}
# the last Subtracts may still be retransmitted, an orphan's sweep can take
# a few audits under the loss: wait until they are done (45 s at most)
for i in 1 2 3; do wait_for check_once && break; done
check_once >/dev/null 2>&1 || { check_once; show_logs; fail "H.248 executed twice, or a context left behind"; }
check_once
exit 0
