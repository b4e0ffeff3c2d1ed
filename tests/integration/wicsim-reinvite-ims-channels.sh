#!/usr/bin/env bash
# wicsim-reinvite-ims-channels.sh -- scenarios/reinvite-ims-channels.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-ims-channels
