#!/usr/bin/env bash
# wicsim-wic-terminated.sh -- scenarios/wic-terminated.scn (the WIC as callee,
# digest 7.1 mirror flow) through a co-started wicgated.
. "$top_srcdir/tests/integration/wicsim-lib.sh"
run_scenario wic-terminated
