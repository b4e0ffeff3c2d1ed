#!/usr/bin/env bash
# browser-chat.sh -- issue 12: a real browser as the WIC. Starts a wicgated
# (role both) that serves the demo page (daemon/www) and SIP over WebSocket on
# one loopback port, with wicsim's UE-B (tests/integration/browser-chat.scn,
# wicsim plays only UE-B) as its next hop; then headless Debian Chromium,
# driven by playwright-core (browser-chat.js), opens the page, registers,
# calls, sends a message that UE-B checks byte for byte, gets UE-B's reply
# and hangs up. Screenshots: $WG_TEST_TMP/shots, copied to
# $top_builddir/test-artefacts/browser-chat/.
# Needs /usr/bin/chromium and daemon/www/node_modules (./quickstart installs
# both); without them it is skipped (exit 77) and says why.
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
[ -n "${WG_BROWSER_NETNS:-}" ] && note "in a network namespace of its own: $(ip -br addr | tr -s ' ' | tr '\n' ';')" ||
  note "in the machine's network namespace (unshare -n was refused)"

SCN=$S/tests/integration/browser-chat.scn
"$B/wicsim" check "$SCN" || fail "browser-chat.scn does not parse"
# The two chat texts, written once: in the scenario, which checks them.
text=$(sed -n 's/^ *body "\(.*\)"$/\1/p' "$SCN")
reply=$(sed -n 's/^UE-B send MSRP text="\(.*\)"$/\1/p' "$SCN")
[ -n "$text" ] && [ -n "$reply" ] || fail "no message texts in $SCN"

sip=$(free_port udp)
ws=$(free_port tcp)
ueb=$(free_port udp)
agw=$(free_port udp)
alg=$(free_port udp)
base=$((20000 + ($$ % 60) * 200 + 100))
D=$WG_TEST_TMP/daemon
SHOTS=$WG_TEST_TMP/shots
mkdir -p "$D" "$SHOTS"
ART=$B/test-artefacts/browser-chat
keep_artefacts() {
  rm -rf "$ART" && mkdir -p "$ART" && cp -r "$SHOTS"/. "$D"/. "$ART"/ 2>/dev/null
  [ -f "$WG_TEST_TMP/ueb.out" ] && cp "$WG_TEST_TMP/ueb.out" "$ART/"
  note "artefacts in $ART"
}
trap keep_artefacts EXIT

"$B/wicgated" --role both --sip-listen "127.0.0.1:$sip" --next-hop "sip:127.0.0.1:$ueb" \
  --set "alg.ws-listen=127.0.0.1:$ws" --set "alg.http-root=$WWW" \
  --set "agw.h248-listen=127.0.0.1:$agw" --set "alg.h248-listen=127.0.0.1:$alg" \
  --set "alg.agw=127.0.0.1:$agw" --set "agw.mgc=127.0.0.1:$alg" \
  --set agw.access-address=127.0.0.1 --set agw.core-address=127.0.0.1 \
  --set "agw.access-ports=$base-$((base + 49))" --set "agw.core-ports=$((base + 50))-$((base + 99))" \
  --log-level debug --log-file "$D/wicgated.log" --pcap "$D/wicgated.pcap" \
  2>"$D/stderr" &
pid=$!
wait_log "$D/stderr" "ready" || { cat "$D/stderr"; fail "wicgated did not get ready"; }
note "wicgated pid $pid: http://127.0.0.1:$ws/ (page + SIP over WebSocket), UDP SIP $sip, next hop UE-B 127.0.0.1:$ueb"

# UE-B: wicsim plays only UE-B; it listens on $ueb before the browser calls.
"$B/wicsim" run "$SCN" --target "127.0.0.1:$sip" --ueb-port "$ueb" --no-color \
  --junit "$WG_TEST_TMP/ueb.xml" >"$WG_TEST_TMP/ueb.out" 2>&1 &
ueb_pid=$!
ueb_listening() { ss -H -uln "sport = :$ueb" | grep -q .; }
wait_for ueb_listening || { cat "$WG_TEST_TMP/ueb.out"; fail "wicsim's UE-B does not listen on $ueb"; }

url="http://127.0.0.1:$ws/?target=sip:ue-b@127.0.0.1&uri=sip:wic-a@127.0.0.1"
WG_PAGE_URL=$url WG_CHAT_TEXT=$text WG_CHAT_REPLY=$reply WG_SHOTS=$SHOTS \
  WG_PROFILE=$WG_TEST_TMP/chromium-profile WG_NODE_MODULES=$WWW/node_modules WG_CHROMIUM=$CHROMIUM \
  node "$S/tests/integration/browser-chat.js"
rc=$?
wait $ueb_pid
ueb_rc=$?
cat "$WG_TEST_TMP/ueb.out"
if [ $rc -ne 0 ] || [ $ueb_rc -ne 0 ]; then
  echo "---- wicgated stderr (last 40 lines)"; tail -40 "$D/stderr"
  echo "---- the page's console"; cat "$SHOTS/console.log" 2>/dev/null | tail -40
fi
[ $rc -eq 0 ] || fail "the browser side failed (browser-chat.js exited $rc)"
[ $ueb_rc -eq 0 ] || fail "wicsim's UE-B failed (exit $ueb_rc)"
grep -q -- "-- PASS\$" "$WG_TEST_TMP/ueb.out" || fail "no PASS summary from UE-B"
grep -q 'failures="0"' "$WG_TEST_TMP/ueb.xml" || fail "UE-B's JUnit shows failures"
kill -0 "$pid" 2>/dev/null || fail "wicgated died"
for s in 1-loaded 2-chat 3-ended; do
  [ -s "$SHOTS/$s.png" ] || fail "no screenshot $s.png"
done
echo "PASS: a browser registered, called, sent a message UE-B got byte for byte, got the reply, hung up"
