#!/usr/bin/env bash
# wicsim-two-channels.sh -- scenarios/two-channels.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario two-channels
