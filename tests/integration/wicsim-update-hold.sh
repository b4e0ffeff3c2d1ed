#!/usr/bin/env bash
# wicsim-update-hold.sh -- scenarios/update-hold.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario update-hold
