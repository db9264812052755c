/* ALU, 64-bit: an xorshift64 generator mixed into an accumulator with a multiply and a shift. */
#include "bench.h"

BENCH_ENTRY(alu_xorshift)
{
	u64 x = in->seed | 1, acc = 0, n = in->n;

	for (u64 i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += x * 0x2545F4914F6CDD1DULL;
		acc ^= acc >> 29;
	}
	return acc;
}
