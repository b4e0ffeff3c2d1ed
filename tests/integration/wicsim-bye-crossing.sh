#!/usr/bin/env bash
# wicsim-bye-crossing.sh -- scenarios/bye-crossing.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario bye-crossing
