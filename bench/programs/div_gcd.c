/* 64-bit div/mod: the sum of gcd(a, b) by Euclid's remainders over n pairs of xorshift64 values. */
#include "bench.h"

BENCH_ENTRY(div_gcd)
{
	u64 x = in->seed | 1, total = 0, n = in->n;

	for (u64 i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u64 a = x;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u64 b = x >> (i & 31);
		while (b) {
			u64 t = a % b;
			a = b;
			b = t;
		}
		total += a;
	}
	return total;
}
