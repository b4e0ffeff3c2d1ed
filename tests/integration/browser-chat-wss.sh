#!/usr/bin/env bash
# browser-chat-wss.sh -- browser-chat.sh with TLS: wicgated serves the page on
# https:// and SIP over secure WebSocket (alg.wss-listen, alg.tls-cert,
# alg.tls-key; a certificate the test makes with openssl, which the headless
# Chromium is told to accept); the page's default WebSocket URL is wss://.
tls=1
. "$top_srcdir/tests/integration/browser-chat.sh"
