/* Calls, bpf-to-bpf: a loop calling a chain of three non-inlined functions (four calls per iteration). */
#include "bench.h"

NOINLINE u64 mix3(u64 a, u64 b)
{
	return (a ^ (b >> 3)) * 0x9E3779B97F4A7C15ULL + b;
}

NOINLINE u64 mix2(u64 a, u64 b)
{
	return mix3(a + 1, b ^ a) ^ (a >> 7);
}

NOINLINE u64 mix1(u64 a, u64 b, u64 c)
{
	return mix2(a, b + c) + mix3(c, a);
}

BENCH_ENTRY(call_chain)
{
	u64 acc = in->seed, n = in->n;

	for (u64 i = 0; i < n; i++)
		acc = mix1(acc, i, acc >> 17);
	return acc;
}
