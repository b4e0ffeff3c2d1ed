#!/usr/bin/env bash
# wicsim-cancel.sh -- scenarios/cancel.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario cancel
