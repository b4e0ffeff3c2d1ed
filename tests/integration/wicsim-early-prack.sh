#!/usr/bin/env bash
# wicsim-early-prack.sh -- scenarios/early-prack.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario early-prack
