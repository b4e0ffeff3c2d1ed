# browser-lib.sh -- shared by the browser tests (issue 12, doc/demo.md): a real
# browser (headless Debian Chromium, driven by playwright-core through
# browser-chat.js) as the WIC, on the demo page a wicgated serves, with
# wicsim playing only UE-B. Source it from a test script; it re-executes the
# script in a network namespace of its own when it can.
. "$top_srcdir/tests/lib.sh"
[ -x "$B/wicsim" ] || fail "wicsim is not built"
[ -x "$B/wicgated" ] || fail "wicgated is not built"
CHROMIUM=${WG_CHROMIUM:-/usr/bin/chromium}
WWW=$S/daemon/www
[ -x "$CHROMIUM" ] || skip "$CHROMIUM is not installed (./quickstart installs Debian's chromium)"
command -v node >/dev/null || skip "node is not installed (./quickstart installs nodejs)"
[ -f "$WWW/node_modules/playwright-core/package.json" ] && [ -f "$WWW/node_modules/jssip/dist/jssip.min.js" ] ||
  skip "$WWW/node_modules is not installed (./quickstart runs npm ci there)"

# Everything runs in a network namespace of its own with only lo (unshare
# -n): no packet can leave the machine, ports cannot collide with other
# tests, and Chromium's only ICE candidate is 127.0.0.1. Without the right
# to make one (not root), the test runs in the machine's namespace: Chromium
# then also offers the other interfaces' addresses, still answered locally.
if [ -z "${WG_BROWSER_NETNS:-}" ] && unshare -n true 2>/dev/null; then
  WG_BROWSER_NETNS=1 exec unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$0"
fi
if [ -n "${WG_BROWSER_NETNS:-}" ]; then
  note "in a network namespace of its own: $(ip -br addr | tr -s ' ' | tr '\n' ';')"
else
  note "in the machine's network namespace (unshare -n was refused)"
fi

D=$WG_TEST_TMP/daemon
SHOTS=$WG_TEST_TMP/shots
mkdir -p "$D" "$SHOTS"

# keep_artefacts NAME: on exit, screenshots, the page's console, wicgated's
# log and capture and UE-B's ladders go to $B/test-artefacts/NAME.
keep_artefacts() {
  ART=$B/test-artefacts/$1
  trap 'rm -rf "$ART" && mkdir -p "$ART" && cp -r "$SHOTS"/. "$D"/. "$ART"/ 2>/dev/null; cp "$WG_TEST_TMP"/*.out "$ART"/ 2>/dev/null; note "artefacts in $ART"' EXIT
}

# start_wicgated: role both, the page and SIP over WebSocket on $ws (HTTP;
# with tls=1 HTTPS and wss:// with a certificate made here), SIP/UDP on
# $sip, next hop UE-B on $ueb. Sets pid and scheme.
start_wicgated() {
  start_daemon start_wicgated_once "$D/stderr"
  note "wicgated pid $pid: $scheme://127.0.0.1:$ws/ (page + SIP over WebSocket), UDP SIP $sip, next hop UE-B 127.0.0.1:$ueb"
}

start_wicgated_once() {
  sip=$(free_port udp) ws=$(free_port tcp) ueb=$(free_port udp) agw=$(free_port udp) alg=$(free_port udp)
  local base=$((20000 + ($$ % 60) * 200 + 100))
  local listen=(--set "alg.ws-listen=127.0.0.1:$ws")
  scheme=http
  if [ -n "${tls:-}" ]; then
    command -v openssl >/dev/null || skip "openssl is not installed (./quickstart installs it)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
      -keyout "$WG_TEST_TMP/key.pem" -out "$WG_TEST_TMP/cert.pem" 2>"$WG_TEST_TMP/openssl.err" ||
      { cat "$WG_TEST_TMP/openssl.err"; fail "openssl req failed"; }
    listen=(--set "alg.wss-listen=127.0.0.1:$ws" --set "alg.tls-cert=$WG_TEST_TMP/cert.pem"
      --set "alg.tls-key=$WG_TEST_TMP/key.pem")
    scheme=https
  fi
  "$B/wicgated" --role both --sip-listen "127.0.0.1:$sip" --next-hop "sip:127.0.0.1:$ueb" \
    "${listen[@]}" --set "alg.http-root=$WWW" \
    --set "agw.h248-listen=127.0.0.1:$agw" --set "alg.h248-listen=127.0.0.1:$alg" \
    --set "alg.agw=127.0.0.1:$agw" --set "agw.mgc=127.0.0.1:$alg" \
    --set agw.access-address=127.0.0.1 --set agw.core-address=127.0.0.1 \
    --set "agw.access-ports=$base-$((base + 49))" --set "agw.core-ports=$((base + 50))-$((base + 99))" \
    --log-level debug --log-file "$D/wicgated.log" --pcap "$D/wicgated.pcap" \
    2>"$D/stderr" &
  pid=$!
}

# start_ueb SCN NAME: wicsim plays only UE-B (scenario SCN, output
# $WG_TEST_TMP/NAME.out); returns once it listens on $ueb. Sets ueb_pid.
start_ueb() {
  "$B/wicsim" check "$1" || fail "$1 does not parse"
  "$B/wicsim" run "$1" --target "127.0.0.1:$sip" --ueb-port "$ueb" --no-color \
    --junit "$WG_TEST_TMP/$2.xml" >"$WG_TEST_TMP/$2.out" 2>&1 &
  ueb_pid=$!
  ueb_listening() { ss -H -uln "sport = :$ueb" | grep -q .; }
  wait_for ueb_listening || { cat "$WG_TEST_TMP/$2.out"; fail "wicsim's UE-B does not listen on $ueb"; }
}

# check_ueb NAME: UE-B's run (started by start_ueb) ended and every step passed.
check_ueb() {
  wait "$ueb_pid"
  local rc=$?
  cat "$WG_TEST_TMP/$1.out"
  [ $rc -eq 0 ] || { tail -40 "$D/stderr"; fail "wicsim's UE-B ($1) failed (exit $rc)"; }
  grep -q -- "-- PASS\$" "$WG_TEST_TMP/$1.out" || fail "no PASS summary from UE-B ($1)"
  grep -q 'failures="0"' "$WG_TEST_TMP/$1.xml" || fail "UE-B's JUnit shows failures ($1)"
}

# drive FLOW [URL-QUERY]: browser-chat.js in a fresh Chromium profile on the
# page (WG_FLOW=FLOW; WG_CHAT_TEXT/WG_CHAT_REPLY from the caller's text/reply).
drive() {
  local q="target=sip:ue-b@127.0.0.1&uri=sip:wic-a@127.0.0.1${2:+&$2}"
  WG_FLOW=$1 WG_PAGE_URL="$scheme://127.0.0.1:$ws/?$q" WG_CHAT_TEXT=${text:-} WG_CHAT_REPLY=${reply:-} \
    WG_SHOTS=$SHOTS WG_PROFILE=$WG_TEST_TMP/chromium-profile-$1 WG_NODE_MODULES=$WWW/node_modules \
    WG_CHROMIUM=$CHROMIUM node "$S/tests/integration/browser-chat.js"
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "---- wicgated stderr (last 40 lines)"; tail -40 "$D/stderr"
    echo "---- the page's console"; tail -40 "$SHOTS/console.log" 2>/dev/null
    fail "the browser side failed (browser-chat.js $1 exited $rc)"
  fi
}
