#!/usr/bin/env bash
# wicsim-reinvite-remove-channel.sh -- scenarios/reinvite-remove-channel.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-remove-channel
