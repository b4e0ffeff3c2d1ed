#!/usr/bin/env bash
# browser-errors.sh -- issue 12: the demo page in a real browser (as in
# browser-chat.sh) shows what goes wrong and what the other side does:
#   1. no WebSocket server at its URL: "WebSocket ... failed or closed";
#   2. UE-B rejects the call (browser-reject.scn): "call failed: 486 Busy
#      Here", and Call is usable again;
#   3. UE-B sends a message, then hangs up (browser-hangup.scn): the page
#      shows the message, "call ended by the other side", the chat closes,
#      and no error line.
# Screenshots in $top_builddir/test-artefacts/browser-errors/.
. "$top_srcdir/tests/integration/browser-lib.sh"
keep_artefacts browser-errors

start_wicgated

note "1. no WebSocket server"
drive bad-ws "ws=ws://127.0.0.1:$(free_port tcp)/"

note "2. UE-B rejects the call"
start_ueb "$S/tests/integration/browser-reject.scn" reject
drive rejected
check_ueb reject

note "3. UE-B hangs up"
HSCN=$S/tests/integration/browser-hangup.scn
reply=$(sed -n 's/^UE-B send MSRP text="\(.*\)"$/\1/p' "$HSCN")
[ -n "$reply" ] || fail "no message text in $HSCN"
start_ueb "$HSCN" hangup
drive remote-hangup
check_ueb hangup

kill -0 "$pid" 2>/dev/null || fail "wicgated died"
echo "PASS: the page showed the WebSocket failure, the 486 and UE-B's hang-up"
