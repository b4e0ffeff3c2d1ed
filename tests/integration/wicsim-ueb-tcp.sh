#!/usr/bin/env bash
# wicsim-ueb-tcp.sh -- scenarios/ueb-tcp.scn (SIP over TCP to UE-B) through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario ueb-tcp
