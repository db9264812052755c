/* Memory, input buffer: a Fletcher-style byte-wise checksum over in->buf[0..len), n passes. */
#include "bench.h"

BENCH_ENTRY(mem_checksum)
{
	u32 a = (u32)in->seed, b = 0;
	u64 n = in->n, len = in->len;
	const u8 *p = in->buf;

	if (len > BENCH_BUF)
		len = BENCH_BUF;
	for (u64 r = 0; r < n; r++) {
		for (u64 i = 0; i < len; i++) {
			a += p[i];
			b += a;
		}
	}
	return ((u64)b << 32) | a;
}
