#!/usr/bin/env bash
# wicsim-ueb-hangup.sh -- scenarios/ueb-hangup.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario ueb-hangup
