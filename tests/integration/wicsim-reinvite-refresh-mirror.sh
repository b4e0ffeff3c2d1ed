#!/usr/bin/env bash
# wicsim-reinvite-refresh-mirror.sh -- scenarios/reinvite-refresh-mirror.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-refresh-mirror
