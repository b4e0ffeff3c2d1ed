#!/usr/bin/env bash
# wicsim-reinvite-refresh.sh -- scenarios/reinvite-refresh.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-refresh
