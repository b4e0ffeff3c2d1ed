# fault-lib.sh -- helpers of the fault-injection tests (source it): an ALG
# and an AGW as two wicgated processes with tests/integration/fault-proxy.py
# between them (lossy H.248, optionally a lossy/reordering T1 relay).
. "$top_srcdir/tests/lib.sh"
[ -x "$B/wicgated" ] || fail "wicgated is not built"
[ -x "$B/wicsim" ] || fail "wicsim is not built"
T=$WG_TEST_TMP

# start_split PROXY_ARGS... -- sets SIP UEB ALG_PID AGW_PID PROXY_PID;
# logs in $T/alg.log $T/agw.log $T/proxy.log.
start_split() {
  SIP=$(free_port); UEB=$(free_port)
  local h_alg h_agw
  h_alg=$(free_port); h_agw=$(free_port)
  AGW_ADDR=127.0.0.1:$h_agw
  python3 "$S/tests/integration/fault-proxy.py" --alg 127.0.0.1:$h_alg --agw "$AGW_ADDR" \
      --ports-file "$T/proxy.ports" --log "$T/proxy.log" "$@" 2>"$T/proxy.err" &
  PROXY_PID=$!
  wait_for test -s "$T/proxy.ports" || fail "the proxy did not start: $(cat "$T/proxy.err")"
  read -r PA PB <"$T/proxy.ports"
  ALG_ARGS=(--role alg --sip-listen 127.0.0.1:$SIP --next-hop sip:127.0.0.1:$UEB
            --h248-listen 127.0.0.1:$h_alg --agw 127.0.0.1:$PA --log-level debug
            --log-file "$T/alg.log" ${ALG_EXTRA[@]+"${ALG_EXTRA[@]}"})
  # media ports of its own, below the ephemeral range: another wicgated on
  # the machine (a benchmark) can hold every port of the default ranges
  local acc core
  acc=$(python3 "$S/tests/integration/alg-lib.py" media-block)
  core=$(python3 "$S/tests/integration/alg-lib.py" media-block)
  [ "$core" != "$acc" ] || core=$(( acc >= 31800 ? acc - 200 : acc + 200 ))
  AGW_ARGS=(--role agw --agw-listen "$AGW_ADDR" --mgc 127.0.0.1:$PB --log-level debug
            --set agw.access-ports=$acc-$((acc + 199)) --set agw.core-ports=$core-$((core + 199))
            --log-file "$T/agw.log" ${AGW_EXTRA[@]+"${AGW_EXTRA[@]}"})
  ${WRAP:-} "$B/wicgated" "${ALG_ARGS[@]}" 2>"$T/alg.err" &
  ALG_PID=$!
  start_agw
  wait_log "$T/alg.err" "wicgated: ready" || fail "the ALG never became ready: $(tail -n 5 "$T/alg.err" "$T/alg.log")"
}

start_agw() {
  ${WRAP:-} "$B/wicgated" "${AGW_ARGS[@]}" 2>>"$T/agw.err" &
  AGW_PID=$!
}

# wicsim_target SCN [ARGS...] -- runs the scenario against the ALG
wicsim_target() {
  local scn=$1; shift
  "$B/wicsim" "${WICSIM_MODE:-run}" "$scn" --target 127.0.0.1:$SIP --ueb-port $UEB --no-color "$@"
}

# relay_call SCN WHY -- runs SCN against the ALG with the WIC's media
# through the proxy's relay; fails (with the logs) unless it went through
# the relay and passed; WHY says what a failed run means. Output: $T/run.out.
relay_call() {
  wicsim_target "$1" >"$T/run.out" 2>&1
  local rc=$?
  tail -8 "$T/run.out"
  grep -q '^relay ' "$T/proxy.log" || fail "the WIC's media did not go through the relay"
  [ $rc -eq 0 ] || { grep -E '^FAIL' "$T/run.out"; show_logs; fail "wicsim exited $rc ($2)"; }
  grep -q -- "-- PASS\$" "$T/run.out" || fail "no PASS verdict"
}

show_logs() {
  local f
  for f in proxy.err alg.err agw.err; do [ -s "$T/$f" ] && { echo "---- $f"; tail -20 "$T/$f"; }; done
  for f in alg.log agw.log; do [ -s "$T/$f" ] && { echo "---- $f (warnings)"; grep -E ' (warn|error|WARN|ERROR)' "$T/$f" | tail -20; }; done
  return 0
}
