/* SPDX-License-Identifier: MIT */
#include "daemon/lib/sample.h"

#include <math.h>

bool sample_weyl(int64_t n, double rate)
{
	const double phi = 0.6180339887498949; /* (sqrt(5) - 1) / 2 */
	double x = (double)n * phi;

	if (rate >= 1)
		return true;
	if (rate <= 0)
		return false;
	return x - floor(x) < rate;
}
