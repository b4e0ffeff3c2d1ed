#!/usr/bin/env bash
# wicsim-load.sh -- load mode: several figure calls, some at the same time,
# through one co-started wicgated; every call succeeds and the report has
# the counts and the three latency lines.
. "$top_srcdir/tests/lib.sh"
[ -x "$B/wicsim" ] || fail "wicsim is not built"
[ -x "$B/wicgated" ] || fail "wicgated is not built"
out=$WG_TEST_TMP/load.out
"$B/wicsim" load "$S/scenarios/figure.scn" --with-daemon --rate 20 --calls 6 --concurrency 3 \
    --json >"$WG_TEST_TMP/load.json" 2>"$out"
rc=$?
cat "$out"
[ $rc -eq 0 ] || fail "wicsim load exited $rc"
grep -q "6 calls attempted, 6 succeeded, 0 failed" "$out" || fail "not every call succeeded"
for l in "INVITE -> 200" "200 -> channel open" "INVITE -> first MSRP delivered"; do
  grep -q "$l .*(6)" "$out" || fail "no latency line \"$l\" over 6 calls"
done
grep -q "throughput:" "$out" || fail "no throughput line"
python3 - "$WG_TEST_TMP/load.json" <<'PY' || fail "bad JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["attempted"] == 6 and j["succeeded"] == 6 and j["failed"] == 0, j
assert j["latency_ms"]["invite_to_200"]["n"] == 6, j
PY
exit 0
