#!/usr/bin/env bash
# wicsim-all-one-daemon.sh -- issue 9 "Done when", second bullet: ONE wicgated
# (role both, free loopback ports) takes every shipped scenario in turn
# (wicsim --target); afterwards the daemon holds no call state:
#   - its open file descriptors are back to the count taken after start-up
#     (apart from one-time library fds, see below);
#   - the AGW holds no context: asked with the H.248.1 7.2.5 audit
#     `Context = * { AuditValue = ROOT }` (h248tool send, from an address
#     allowed by agw.auditors) it answers one action, the NULL context;
#   - and in the daemon's H.248 capture every termination an Add reply
#     created was removed by a Subtract reply.
# Scenarios that need a daemon set up otherwise are skipped, with the reason.
. "$top_srcdir/tests/lib.sh"
[ -x "$B/wicsim" ] || fail "wicsim is not built"
[ -x "$B/wicgated" ] || fail "wicgated is not built"
[ -x "$B/h248tool" ] || fail "h248tool is not built"

declare -A special=(
  [gateway-unreachable]="needs an ALG with no AGW (daemon --role alg)"
  [ueb-tcp]="needs the next hop over TCP (daemon --next-hop ...;transport=tcp)"
)

D=$WG_TEST_TMP/daemon
mkdir -p "$D"
start() {
  sip=$(free_port udp) ueb=$(free_port udp) agw=$(free_port udp) alg=$(free_port udp)
  base=$((20000 + ($$ % 60) * 200))
  "$B/wicgated" --role both --sip-listen "127.0.0.1:$sip" --next-hop "sip:127.0.0.1:$ueb" \
    --set "agw.h248-listen=127.0.0.1:$agw" --set "alg.h248-listen=127.0.0.1:$alg" \
    --set "alg.agw=127.0.0.1:$agw" --set "agw.mgc=127.0.0.1:$alg" \
    --set agw.access-address=127.0.0.1 --set agw.core-address=127.0.0.1 \
    --set agw.auditors=127.0.0.1 \
    --set "agw.access-ports=$base-$((base + 99))" --set "agw.core-ports=$((base + 100))-$((base + 199))" \
    --log-level debug --log-file "$D/wicgated.log" --pcap "$D/wicgated.pcap" \
    2>"$D/stderr" &
  pid=$!
}
start_daemon start "$D/stderr"
fd_count() { ls "/proc/$pid/fd" | wc -l; }
fd_list() { for f in /proc/$pid/fd/*; do echo "${f##*/} -> $(readlink "$f")"; done | sort -n; }
# The AGW's live contexts, as an MGC asks (H.248.1 7.2.5: ContextID ALL,
# TerminationID Root): prints the reply, returns the number of contexts in
# "$WG_TEST_TMP/ctx.n".
printf 'MEGACO/3 [127.0.0.1]:9\nTransaction = 1 { Context = * { AuditValue = ROOT } }\n' \
  >"$WG_TEST_TMP/audit.h248"
# h248tool retransmits (Annex D.1) for up to 20 s: on a loaded 2-core CI
# machine (Chromium starting in a parallel test) 5 s once went unanswered.
h248_send() { "$B/h248tool" send --timeout 20000 "127.0.0.1:$agw" "$1"; }
daemon_state() {
  echo "# wicgated's stderr:"; sed 's/^/#   /' "$D/stderr"
  echo "# the last lines of its log:"; tail -20 "$D/wicgated.log" | sed 's/^/#   /'
}
audit_contexts() {
  h248_send "$WG_TEST_TMP/audit.h248" >"$WG_TEST_TMP/audit.out" 2>&1 ||
    { cat "$WG_TEST_TMP/audit.out"; daemon_state; fail "AuditValue of all contexts failed"; }
  grep -c -E '^ *Context = [0-9]+' "$WG_TEST_TMP/audit.out" >"$WG_TEST_TMP/ctx.n" || true
  grep -q -E '^ *Context = (-|[0-9]+)' "$WG_TEST_TMP/audit.out" ||
    { cat "$WG_TEST_TMP/audit.out"; fail "the audit reply names no context at all"; }
}
no_contexts() { audit_contexts && [ "$(cat "$WG_TEST_TMP/ctx.n")" = 0 ]; }
audit_contexts
[ "$(cat "$WG_TEST_TMP/ctx.n")" = 0 ] || { cat "$WG_TEST_TMP/audit.out"; fail "contexts before any call"; }
# an auditor may only audit: a Subtract from it is refused (504)
printf 'MEGACO/3 [127.0.0.1]:9\nTransaction = 2 { Context = * { Subtract = * } }\n' \
  >"$WG_TEST_TMP/sub.h248"
h248_send "$WG_TEST_TMP/sub.h248" >"$WG_TEST_TMP/sub.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 504 "$WG_TEST_TMP/sub.out" ||
  { cat "$WG_TEST_TMP/sub.out"; fail "a Subtract from the auditor was not refused with 504 (exit $rc)"; }
fds0=$(fd_count)
fd_list >"$WG_TEST_TMP/fds.start"
note "wicgated pid $pid ready: SIP 127.0.0.1:$sip, next hop UE-B 127.0.0.1:$ueb, $fds0 open fds"

ran=0
for f in "$S"/scenarios/*.scn; do
  name=$(basename "$f" .scn)
  if [ -n "${special[$name]:-}" ]; then
    note "skip $name: ${special[$name]}"
    continue
  fi
  out=$WG_TEST_TMP/$name.out
  "$B/wicsim" run "$f" --target "127.0.0.1:$sip" --ueb-port "$ueb" --no-color >"$out" 2>&1
  rc=$?
  cat "$out"
  kill -0 "$pid" 2>/dev/null || fail "wicgated died during $name"
  [ $rc -eq 0 ] || fail "wicsim run $name.scn --target exited $rc"
  grep -q -- "-- PASS\$" "$out" || fail "no PASS summary for $name"
  ran=$((ran + 1))
done
[ $ran -ge 20 ] || fail "only $ran scenarios ran"

# Call state is released asynchronously (BYE, Subtract, sockets closed):
# wait until the fd count is back (15 s at most), then compare. Library fds
# that live as long as the process and are opened on first use are not call
# state and may be new: libuv's per-loop EMFILE reserve (/dev/null, opened
# with the loop's first TCP handle, i.e. the first call's T2) and OpenSSL's
# /dev/urandom. Every other fd (sockets, pipes, files) must be the same.
lib_fd() { grep -v -E -- '-> /dev/(null|urandom)$'; }
fd_calls() { fd_list | lib_fd | wc -l; }
fds0c=$(lib_fd <"$WG_TEST_TMP/fds.start" | wc -l)
wait_for test "$(fd_calls)" -le "$fds0c" || true
fd_list >"$WG_TEST_TMP/fds.end"
fds1=$(fd_count)
note "after $ran scenarios: $fds1 open fds (start-up: $fds0)"
diff "$WG_TEST_TMP/fds.start" "$WG_TEST_TMP/fds.end" | sed 's/^/# fd diff: /'
newlib=$(comm -13 <(sort "$WG_TEST_TMP/fds.start") <(sort "$WG_TEST_TMP/fds.end") | grep -c -E -- '-> /dev/(null|urandom)$')
[ "$newlib" -le 2 ] || fail "$newlib new /dev/null|urandom fds: more than the libraries' one-time ones"
if ! diff <(lib_fd <"$WG_TEST_TMP/fds.start") <(lib_fd <"$WG_TEST_TMP/fds.end") >&2; then
  fail "wicgated holds other fds after the scenarios than after start-up (diff above)"
fi

# The AGW's own answer: no context left (released asynchronously: wait).
wait_for no_contexts || { cat "$WG_TEST_TMP/audit.out"; fail "the AGW still holds $(cat "$WG_TEST_TMP/ctx.n") context(s) after the scenarios"; }
sed 's/^/# audit: /' "$WG_TEST_TMP/audit.out"

# Every termination created by an Add reply is removed by a Subtract reply.
python3 - "$D/wicgated.pcap" "$agw" <<'PY' || fail "the AGW still holds call state (see above)"
import re, struct, sys
data = open(sys.argv[1], "rb").read()
agw_port = int(sys.argv[2])
magic = data[:4]
end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
link = struct.unpack(end + "I", data[20:24])[0]
off, replies = 24, []
while off + 16 <= len(data):
    _, _, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
    pkt = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    if link == 101:            # raw IP
        ip = pkt
    elif link == 228:          # IPv4
        ip = pkt
    else:
        continue
    if not ip or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    ihl = (ip[0] & 15) * 4
    sport = struct.unpack(">H", ip[ihl:ihl + 2])[0]
    if sport != agw_port:      # only what the AGW answered
        continue
    replies.append(ip[ihl + 8:].decode("latin-1"))
created, removed = set(), set()
for msg in replies:
    if not re.search(r"\bReply\s*=", msg):
        continue
    # "Context = N { Add = T ..., Subtract = T ... }" (one context per block)
    for ctx, body in re.findall(r"Context\s*=\s*(\d+)\s*\{(.*?)\n   \}", msg, re.S):
        for cmd, term in re.findall(r"\b(Add|Subtract)\s*=\s*([\w/$*]+)", body):
            (created if cmd == "Add" else removed).add((ctx, term))
        for _ in re.findall(r"\bSubtract\s*=\s*\*", body):
            removed |= {(c, t) for (c, t) in created if c == ctx}
left = sorted(created - removed)
ctxs = sorted({c for c, _ in created}, key=int)
print("# AGW: %d contexts, %d terminations created; %d not subtracted" %
      (len(ctxs), len(created), len(left)))
if not created:
    print("FAIL: no Add reply seen in the capture: nothing was checked"); sys.exit(1)
for c, t in left:
    print("FAIL: context %s termination %s was never subtracted" % (c, t))
sys.exit(1 if left else 0)
PY
kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "wicgated exited $rc after SIGTERM"
note "ok: $ran scenarios on one wicgated; the same fds as after start-up (+$newlib one-time library fd); AuditValue: zero contexts; every AGW termination subtracted"
