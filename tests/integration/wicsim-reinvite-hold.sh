#!/usr/bin/env bash
# wicsim-reinvite-hold.sh -- scenarios/reinvite-hold.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-hold
