#!/usr/bin/env bash
# wicsim-reinvite-mirror-wic-channels.sh -- scenarios/reinvite-mirror-wic-channels.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-mirror-wic-channels
