#!/usr/bin/env bash
# wicsim-bearer-lost.sh -- scenarios/bearer-lost.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario bearer-lost
