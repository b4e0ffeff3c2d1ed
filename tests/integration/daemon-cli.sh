# daemon-cli.sh -- wicgated's command line and config handling: --help,
# --version, usage and config errors (exit 2, naming the problem), --check,
# config file + --set precedence, SIGHUP reopening the log file, SIGTERM
# stopping with status 0. Runs the ALG alone (no AGW needed).
. "$top_srcdir/tests/lib.sh"
W=$B/wicgated
[ -x "$W" ] || fail "no $W"
T=$WG_TEST_TMP

# --help names every option the demo and wicsim rely on
"$W" --help >"$T/help" || fail "--help exit status"
for o in --config --set --role --sip-listen --next-hop --log-level --log-file --pcap --keylog \
         --help --version "wicgated: ready"; do
  grep -q -- "$o" "$T/help" || fail "--help does not mention $o"
done
"$W" --version | grep -q '^wicgated ' || fail "--version"

# usage errors: exit 2 with a reason
expect2() { # expect2 PATTERN ARGS...
  local pat=$1; shift
  "$W" "$@" >"$T/out" 2>&1; rc=$?
  [ $rc -eq 2 ] || fail "wicgated $* -> exit $rc (want 2): $(cat "$T/out")"
  grep -q -- "$pat" "$T/out" || fail "wicgated $*: no \"$pat\" in: $(cat "$T/out")"
}
expect2 "unrecognized\|invalid\|Usage" --no-such-option
expect2 "daemon.role" --role sideways
expect2 "unknown configuration key \"alg.bogus\"" --set alg.bogus=1
expect2 "KEY=VALUE" --set justakey
expect2 "alg.sip-listen" --role alg --sip-listen nowhere
expect2 "alg.next-hop" --role alg --next-hop http://127.0.0.1/
expect2 "daemon.log-level" --log-level loud
expect2 "$T/nofile" --config "$T/nofile"
printf '[alg]\nsip-listen = 127.0.0.1:5060\nthis line is wrong\n' >"$T/bad.conf"
expect2 "bad.conf:3" --config "$T/bad.conf"
expect2 "unexpected argument" --role alg extra

# --check with a file, and --set overriding the file
printf '[daemon]\nrole = alg\n[alg]\nmax-calls = 5\nh248-timeout = 3\n' >"$T/w.conf"
expect2 "alg.h248-timeout" --config "$T/w.conf" --check
"$W" --config "$T/w.conf" --set alg.h248-timeout=2000 --check >"$T/out" 2>&1 \
  || fail "--check with an override: $(cat "$T/out")"
grep -q "configuration ok" "$T/out" || fail "--check output"
# the example config shipped with the daemon is valid for the ALG
"$W" --config "$S/daemon/wicgated.conf" --role alg --check >"$T/out" 2>&1 \
  || fail "daemon/wicgated.conf: $(cat "$T/out")"

# run the ALG alone: log file, SIGHUP reopens it, SIGTERM stops with 0
sip=$(free_port udp); h248=$(free_port udp); agw=$(free_port udp)
"$W" --role alg --sip-listen 127.0.0.1:$sip --h248-listen 127.0.0.1:$h248 \
  --agw 127.0.0.1:$agw --log-file "$T/w.log" --set alg.audit-interval=0 2>"$T/err" &
pid=$!
wait_log "$T/w.log" "SIP on 127.0.0.1:$sip" || fail "no start line in the log: $(cat "$T/err")"
mv "$T/w.log" "$T/w.log.1"
kill -HUP $pid
wait_for test -s "$T/w.log" || fail "SIGHUP did not reopen the log file"
grep -q "SIGHUP" "$T/w.log" || fail "no SIGHUP line in the new log"
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "exit status $rc after SIGTERM: $(cat "$T/err")"
grep -q "stopped" "$T/w.log" || fail "no stop line"

# a port in use: a clear error and exit 1
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
open(sys.argv[2],"w").close(); time.sleep(30)' $sip "$T/bound" &
busy=$!
wait_for test -e "$T/bound" || fail "helper did not bind"
"$W" --role alg --sip-listen 127.0.0.1:$sip --h248-listen 127.0.0.1:$h248 \
  --agw 127.0.0.1:$agw --set alg.audit-interval=0 >"$T/out" 2>&1; rc=$?
kill $busy
[ $rc -eq 1 ] || fail "SIP port in use -> exit $rc (want 1)"
grep -q "127.0.0.1:$sip" "$T/out" || fail "the error does not name the address: $(cat "$T/out")"
echo "ok - wicgated command line, config, signals"
