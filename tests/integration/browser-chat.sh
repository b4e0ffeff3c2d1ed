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
. "$top_srcdir/tests/integration/browser-lib.sh"
keep_artefacts "browser-chat${tls:+-wss}"

SCN=$S/tests/integration/browser-chat.scn
# The two chat texts, written once: in the scenario, which checks them.
text=$(sed -n 's/^ *body "\(.*\)"$/\1/p' "$SCN")
reply=$(sed -n 's/^UE-B send MSRP text="\(.*\)"$/\1/p' "$SCN")
[ -n "$text" ] && [ -n "$reply" ] || fail "no message texts in $SCN"

start_wicgated
start_ueb "$SCN" ueb
drive chat
check_ueb ueb
kill -0 "$pid" 2>/dev/null || fail "wicgated died"
for s in 1-loaded 2-chat 3-ended; do
  [ -s "$SHOTS/$s.png" ] || fail "no screenshot $s.png"
done
over=ws; [ -n "${tls:-}" ] && over="wss (the page on https)"
echo "PASS: a browser registered over $over, called, sent a message UE-B got byte for byte, got the reply, hung up"
