/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_SAMPLE_H
#define DRAFTD_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

/* Whether item n (a row id) is in a sample of share rate (0..1): the
 * fractional part of n * (sqrt(5)-1)/2 is below rate. A Weyl sequence: over
 * consecutive ids the count is within one of rate * n, and a test can
 * recompute which were picked. The store samples automatic replies for
 * post-send review with it (daemon/promotion/). Thread-safe. */
bool sample_weyl(int64_t n, double rate);

#endif
