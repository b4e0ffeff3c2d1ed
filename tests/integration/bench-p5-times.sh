#!/usr/bin/env bash
# bench-p5-times.sh -- the P5 latency scenario as a smoke test (no timing is
# asserted): bench/p5-latency.scn passes `wicsim check`; `wicsim load
# --times` through a co-started wicgated writes one line per call whose
# marks are all set and in the order of the call (start <= INVITE <= 200 at
# the WIC <= channel open <= first MSRP at UE-B <= done), and the report
# has the "200 -> first MSRP at UE-B" percentile line over every call.
. "$top_srcdir/tests/lib.sh"
[ -x "$B/wicsim" ] || fail "wicsim is not built"
[ -x "$B/wicgated" ] || fail "wicgated is not built"
"$B/wicsim" check "$S/bench/p5-latency.scn" || fail "bench/p5-latency.scn does not parse"
out=$WG_TEST_TMP/load.out
times=$WG_TEST_TMP/times.txt
"$B/wicsim" load "$S/bench/p5-latency.scn" --with-daemon --rate 10 --calls 4 --concurrency 2 \
    --times "$times" >"$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 0 ] || fail "wicsim load exited $rc"
grep -q "4 calls attempted, 4 succeeded, 0 failed" "$out" || fail "not every call succeeded"
grep -q "200 -> first MSRP at UE-B .*(4)" "$out" || fail "no '200 -> first MSRP at UE-B' line over 4 calls"
cat "$times"
python3 - "$times" <<'PY' || fail "bad --times file"
import sys
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
assert len(rows) == 4, rows
assert sorted(int(r[0]) for r in rows) == [1, 2, 3, 4], rows
for r in rows:
    assert r[1] == "ok", r
    start, invite, answered, channel, first, ueb, done = map(int, r[2:9])
    assert 0 < start <= invite <= answered <= channel <= ueb <= done, r
    assert first == ueb, r   # in this scenario the first MSRP request is the WIC's, at UE-B
PY
# a file that cannot be written is a clear error, not a crash
"$B/wicsim" load "$S/bench/p5-latency.scn" --target 127.0.0.1:9 --rate 1 --calls 1 \
    --concurrency 1 --times "$WG_TEST_TMP/no/such/dir/t.txt" >"$WG_TEST_TMP/bad.out" 2>&1
rc=$?
cat "$WG_TEST_TMP/bad.out"
[ $rc -eq 2 ] || fail "--times into a missing folder exited $rc, expected 2"
grep -q -- "--times .*no/such/dir" "$WG_TEST_TMP/bad.out" || fail "the error does not name the --times file"
exit 0
