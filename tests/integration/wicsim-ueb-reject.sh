#!/usr/bin/env bash
# wicsim-ueb-reject.sh -- scenarios/ueb-reject.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario ueb-reject
