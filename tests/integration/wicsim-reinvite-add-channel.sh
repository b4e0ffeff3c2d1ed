#!/usr/bin/env bash
# wicsim-reinvite-add-channel.sh -- scenarios/reinvite-add-channel.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-add-channel
