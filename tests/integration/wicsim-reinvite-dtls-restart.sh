#!/usr/bin/env bash
# wicsim-reinvite-dtls-restart.sh -- scenarios/reinvite-dtls-restart.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario reinvite-dtls-restart
