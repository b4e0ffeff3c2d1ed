#!/usr/bin/env bash
# wicsim-early-forked.sh -- scenarios/early-forked.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario early-forked
