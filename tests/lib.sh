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

# free_port [udp|tcp]: a port on 127.0.0.1 that nothing is bound to now.
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
t = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, t)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

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
