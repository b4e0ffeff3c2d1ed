#!/usr/bin/env bash
# wicsim-gateway-unreachable.sh -- scenarios/gateway-unreachable.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario gateway-unreachable
