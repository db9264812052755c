/* 64-bit div/mod: the sum of the base-`arg` digits (arg from the input, so a real division) of n xorshift64 values. */
#include "bench.h"

BENCH_ENTRY(div_digits)
{
	u64 x = in->seed | 1, sum = 0, n = in->n, base = in->arg;

	if (base < 2)
		return 0;
	for (u64 i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (u64 v = x; v; v /= base)
			sum += v % base;
	}
	return sum;
}
