# bench/lib.sh -- helpers shared by the bench/ scripts (sourced, not run).
# Each script: BUILD (first argument or $BUILD, default ./build under the
# source tree) holds wicgated, wicsim, bench/bench-media; scratch files go
# to a fresh directory under ${TMPDIR:-/tmp}; every process a script starts
# is recorded and killed (by pid) when it exits.

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PIDS=()
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wg-bench.XXXXXX")

bench_cleanup() {
  local p
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${BENCH_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${BENCH_KEEP:-}" ] && echo "scratch kept in $BENCH_TMP" >&2 || rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_build_dir() {   # bench_build_dir [DIR]: sets BUILD, checks the programs
  BUILD=${1:-${BUILD:-$BENCH_TOP/build}}
  BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "bench: no build dir ${1:-$BUILD}" >&2; exit 2; }
}

bench_need() {        # bench_need FILE...: built programs that must exist
  local f
  for f; do
    [ -x "$BUILD/$f" ] || { echo "bench: $BUILD/$f is not built (make $f)" >&2; exit 2; }
  done
}

bench_free_port() {   # a free loopback port (UDP and TCP), not handed out twice
  python3 - "$@" <<'PY'
import socket, sys
for _ in range(200):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    t = socket.socket(); 
    try:
        t.bind(("127.0.0.1", p)); t.close(); s.close(); print(p); break
    except OSError:
        s.close(); t.close()
PY
}

bench_machine() {     # one line: date, cores, CPU, load
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($cpu), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_ratio() {       # bench_ratio A B -> A/B with 3 decimals (n/a when B is 0)
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.3f\n", a / b }'
}

bench_wait_ready() {  # bench_wait_ready LOGFILE PID: wait for "wicgated: ready"
  local i
  for i in $(seq 1 100); do
    grep -q 'wicgated: ready' "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "bench: wicgated exited:" >&2; cat "$1" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: wicgated not ready after 10 s" >&2; cat "$1" >&2; exit 1
}

# bench_start_wicgated NAME [--set k=v ...]: wicgated --role both on free
# loopback ports, log level warn, no pcap (unlike `wicsim --with-daemon`,
# which runs it at debug level with a pcap: too slow to measure). Sets
# WG_SIP (its SIP port), WG_UEB (UE-B's SIP port, its next hop), WG_ALG_H,
# WG_AGW_H (the ALG's and the AGW's H.248 ports), WG_PID.
bench_start_wicgated() {
  local name=$1; shift
  WG_SIP=$(bench_free_port); WG_UEB=$(bench_free_port)
  WG_ALG_H=$(bench_free_port); WG_AGW_H=$(bench_free_port)
  "$BUILD/wicgated" --sip-listen 127.0.0.1:$WG_SIP --next-hop sip:127.0.0.1:$WG_UEB \
    --h248-listen 127.0.0.1:$WG_ALG_H --agw 127.0.0.1:$WG_AGW_H --agw-listen 127.0.0.1:$WG_AGW_H \
    --mgc 127.0.0.1:$WG_ALG_H -l warn "$@" 2> "$BENCH_TMP/wicgated-$name.log" &
  WG_PID=$!; BENCH_PIDS+=($WG_PID)
  bench_wait_ready "$BENCH_TMP/wicgated-$name.log" $WG_PID
}

bench_stop() {        # bench_stop PID: TERM, wait up to BENCH_STOP_GRACE (10) s, then KILL
  # wicgated's graceful stop sends ServiceChange Graceful and waits ~6 s for
  # the MGC's reply when the MGC is gone (P4's scripted MGC has exited), so
  # 5 s was too short. A child that exited stays a zombie until waited for
  # (kill -0 still succeeds): check its state, and reap it quietly.
  local i st grace=${BENCH_STOP_GRACE:-10}
  kill "$1" 2>/dev/null || return 0
  for i in $(seq 1 $(( grace * 10 ))); do
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
    [ -z "$st" ] || [ "$st" = Z ] && break
    sleep 0.1
  done
  [ -n "$st" ] && [ "$st" != Z ] && { echo "bench: pid $1 still running after ${grace} s: KILL" >&2; kill -9 "$1" 2>/dev/null; }
  { wait "$1"; } 2>/dev/null
  return 0
}

bench_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# bench_warmup: one figure call through the wicgated of bench_start_wicgated
# before anything is measured, retried up to 5 times 1 s apart: "wicgated:
# ready" is printed before the ALG has the AGW's ServiceChange, so the first
# call of a run could get 503 "no media gateway" (P3's 64 KiB call failed so
# at 18:09); the warm-up also makes the first measured call not the first
# the daemon sees.
bench_warmup() {
  local i
  for i in 1 2 3 4 5; do
    "$BUILD/wicsim" run "$BENCH_TOP/scenarios/figure.scn" --target 127.0.0.1:$WG_SIP \
      --ueb-port $WG_UEB > "$BENCH_TMP/warmup.txt" 2>&1 && return 0
    sleep 1
  done
  echo "bench: the warm-up call through wicgated failed 5 times:" >&2
  tail -20 "$BENCH_TMP/warmup.txt" >&2
  return 1
}
