#!/usr/bin/env bash
# wicsim-forked-late-2xx.sh -- scenarios/forked-late-2xx.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario forked-late-2xx
