#!/usr/bin/env bash
# wicsim-reinvite-refresh-ims.sh -- scenarios/reinvite-refresh-ims.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-refresh-ims
