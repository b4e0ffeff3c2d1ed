# wicsim-lib.sh -- run one shipped scenario through wicsim with a freshly
# started wicgated on free loopback ports (source it, then call run_scenario).
. "$top_srcdir/tests/lib.sh"

run_scenario() {
  local name=$1; shift
  [ -x "$B/wicsim" ] || fail "wicsim is not built"
  [ -x "$B/wicgated" ] || fail "wicgated is not built"
  local out=$WG_TEST_TMP/$name.out
  "$B/wicsim" run "$S/scenarios/$name.scn" --with-daemon --no-color \
      --junit "$WG_TEST_TMP/$name.xml" "$@" >"$out" 2>&1
  local rc=$?
  cat "$out"
  [ $rc -eq 0 ] || fail "wicsim run $name.scn exited $rc"
  # the verdicts must be there and say PASS; no step may have failed
  grep -q -- "-- PASS\$" "$out" || fail "no PASS summary for $name"
  grep -q '^FAIL ' "$out" && fail "a step failed in $name"
  grep -q 'failures="0"' "$WG_TEST_TMP/$name.xml" || fail "JUnit shows failures for $name"
  return 0
}
