#!/usr/bin/env bash
# wicsim-fail.sh -- the figure with one wrong expectation (the answer's DTLS
# role): the step fails with what it expected and the SDP that came, the
# rest is NOT RUN, wicsim exits 1, and the call is still released.
. "$top_srcdir/tests/lib.sh"
[ -x "$B/wicsim" ] || fail "wicsim is not built"
[ -x "$B/wicgated" ] || fail "wicgated is not built"
T=$WG_TEST_TMP
sed 's/^             sdp a=setup:active$/             sdp a=setup:passive/' \
  "$S/scenarios/figure.scn" >"$T/wrong.scn"
grep -q 'sdp a=setup:passive' "$T/wrong.scn" || fail "could not make the wrong scenario"
"$B/wicsim" run "$T/wrong.scn" --with-daemon --no-color --json >"$T/out.json" 2>"$T/out.txt"
rc=$?
cat "$T/out.txt"
[ $rc -eq 1 ] || fail "a failing scenario exited $rc, not 1"
grep -q '^FAIL    13-15 .*WIC  expect 200' "$T/out.txt" || fail "no FAIL line for steps 13-15"
grep -q 'expected an SDP line matching "a=setup:passive"' "$T/out.txt" ||
  fail "the failure does not say what was expected"
grep -q '^         a=setup:active' "$T/out.txt" || fail "the failure does not show the SDP that came"
grep -q '^NOT RUN 16-17 ' "$T/out.txt" || fail "the steps after it are not NOT RUN"
grep -q '^PASS    1 ' "$T/out.txt" || fail "step 1 should have passed"
# wicsim released the call it had set up: the WIC sent a BYE by itself
grep -q 'BYE (auto)' "$T/out.txt" || fail "no automatic BYE after the failure"
python3 - "$T/out.json" <<'PY' || fail "bad JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["result"] == "fail"
assert j["figure"]["15"] == "fail" and j["figure"]["1"] == "pass", j["figure"]
PY
exit 0
