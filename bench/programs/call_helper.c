/* Calls, helper: a loop calling helper 8 (get_smp_processor_id, 0 in every engine the bench runs) and mixing its answer in. */
#include "bench.h"

BENCH_ENTRY(call_helper)
{
	u64 acc = in->seed, n = in->n;

	for (u64 i = 0; i < n; i++) {
		acc += (u64)bench_cpu() + 1;
		acc = acc * 2862933555777941757ULL + i;
	}
	return acc;
}
