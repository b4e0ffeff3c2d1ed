#!/usr/bin/env bash
# wicsim-reinvite-mirror-channels.sh -- scenarios/reinvite-mirror-channels.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-mirror-channels
