#!/usr/bin/env bash
# wicsim-reinvite-rejected.sh -- scenarios/reinvite-rejected.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-rejected
