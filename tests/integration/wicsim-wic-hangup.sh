#!/usr/bin/env bash
# wicsim-wic-hangup.sh -- scenarios/wic-hangup.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario wic-hangup
