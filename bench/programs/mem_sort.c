/* Memory, stack: fill a 64-entry u32 array on the stack from xorshift32, insertion-sort it, fold it in; n rounds. */
#include "bench.h"

#define N 64

BENCH_ENTRY(mem_sort)
{
	u32 a[N];
	u32 x = (u32)in->seed | 1;
	u64 acc = 0, n = in->n;

	for (u64 r = 0; r < n; r++) {
		for (int i = 0; i < N; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			a[i] = x;
		}
		for (int i = 1; i < N; i++) {
			u32 v = a[i];
			int j = i - 1;
			while (j >= 0 && a[j] > v) {
				a[j + 1] = a[j];
				j--;
			}
			a[j + 1] = v;
		}
		for (int i = 0; i < N; i++)
			acc = acc * 31 + a[i];
	}
	return acc;
}
