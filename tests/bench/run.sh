#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench` and `make bench-scale`: tests/bench/bench.py does the work
# (see its --help for the figures, the baselines and the BENCH_* sizes).
#   BUILD=build tests/bench/run.sh [--scale] [--only GROUP,...]
# Exit 0: every target met; 1: a target missed; 2: the bench could not run.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
exec /usr/bin/python3 -B tests/bench/bench.py "$@"
