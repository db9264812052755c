/* Branches: the total number of Collatz steps of seed, seed+1, ..., seed+n-1 (seed >= 1). */
#include "bench.h"

BENCH_ENTRY(br_collatz)
{
	u64 total = 0, n = in->n, seed = in->seed;

	for (u64 i = 0; i < n; i++) {
		u64 x = seed + i;
		while (x > 1) {
			if (x & 1)
				x = 3 * x + 1;
			else
				x >>= 1;
			total++;
		}
	}
	return total;
}
