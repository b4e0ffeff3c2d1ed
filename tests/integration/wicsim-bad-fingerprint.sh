#!/usr/bin/env bash
# wicsim-bad-fingerprint.sh -- scenarios/bad-fingerprint.scn through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario bad-fingerprint
