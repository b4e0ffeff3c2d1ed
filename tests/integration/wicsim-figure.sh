#!/usr/bin/env bash
# wicsim-figure.sh -- scenarios/figure.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario figure
