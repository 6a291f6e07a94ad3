#!/bin/bash
# SPDX-License-Identifier: MIT
# The test-service scripts themselves: start, use and stop each service in a
# private dir (tests/services/selftest.sh prints ok/not ok lines).
exec "$(dirname "$0")/../services/selftest.sh"
