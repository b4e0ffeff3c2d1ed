# lib.sh -- helpers for shell integration tests (source it).
# Every test runs under tests/run-test: $WG_TEST_TMP is a private scratch dir,
# and everything started in the test's session is killed when it ends.
set -u
: "${top_builddir:?run under make check}" "${top_srcdir:?run under make check}"
B=$top_builddir
S=$top_srcdir

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "# $*"; }

# free_port [udp|tcp]: a port free for UDP and TCP on 127.0.0.1 below the
# kernel's ephemeral range (low_port() in alg-lib.py): an ephemeral port seen
# free here can be taken by any process's port-0 bind or outgoing socket
# before the test binds it (a CI run lost the AGW's H.248 port that way).
# Never the same port twice in a test ($WG_TEST_TMP/ports.drawn). The
# argument is kept for the callers' readability.
free_port() { python3 "$S/tests/integration/alg-lib.py" low-port --drawn "$WG_TEST_TMP/ports.drawn"; }

# wait_for CMD...: retries CMD until it succeeds, up to 15 s (readiness, not timing).
wait_for() {
  local i
  for i in $(seq 1 150); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# wait_log FILE PATTERN: waits until FILE contains PATTERN (15 s at most).
wait_log() { wait_for grep -q -- "$2" "$1"; }

# wait_ready FILE PID: waits until wicgated PID has written its ready line
# to FILE (its stderr); returns 1 at once if it exits instead (15 s at most).
# Not wait_log "ready": "address already in use" contains "ready".
wait_ready() {
  local i
  for i in $(seq 1 150); do
    grep -q '^wicgated: ready' "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_daemon FN STDERR: FN starts wicgated on new free ports (sets pid,
# its stderr to STDERR); run again, three times at most, while wicgated
# stops with "address already in use" (a port taken between check and bind).
start_daemon() {
  local attempt
  for attempt in 1 2 3; do
    "$1"
    wait_ready "$2" "$pid" && return 0
    cat "$2"
    grep -q "already in use" "$2" || fail "wicgated did not get ready"
    note "a port was taken before wicgated bound it: again on new ports"
    wait "$pid"
  done
  fail "wicgated did not get ready: its ports were taken three times"
}
