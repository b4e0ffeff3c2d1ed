#!/usr/bin/env bash
# wicsim-session-timer.sh -- scenarios/session-timer.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario session-timer
