#!/usr/bin/env bash
# wicsim-large-messages.sh -- scenarios/large-messages.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario large-messages
