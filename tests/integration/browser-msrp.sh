#!/usr/bin/env bash
# browser-msrp.sh -- the demo page's MSRP framing (daemon/www/msrp.js) under
# Node's test runner (tests/integration/browser-msrp.js). Skipped without node.
. "$top_srcdir/tests/lib.sh"
command -v node >/dev/null || skip "node is not installed (./quickstart installs nodejs)"
exec node --test "$S/tests/integration/browser-msrp.js"
