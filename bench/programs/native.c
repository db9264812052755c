/*
 * Native harness of the VM benchmark (bench/vm.ts): the bench builds it with
 * gcc -O2 together with one program's C source (-DBENCH_FN=<name>) into a
 * temporary folder, when gcc is present. Usage: native INPUT RUNS
 * INPUT is the struct bench_in bytes the bench wrote; prints "r0 best_ns":
 * the program's return value and the best thread CPU time of RUNS runs
 * (after one warm-up run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"

#ifndef BENCH_FN
#error "build with -DBENCH_FN=<program name>"
#endif

u64 BENCH_FN(struct bench_in *in);

/* The helper the call_helper program calls (helper 8 in BPF): a real call, answering 0 as the VMs do. */
__attribute__((noinline)) long bench_cpu(void)
{
	__asm__ volatile("");
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static struct bench_in in;
	u64 (*volatile fn)(struct bench_in *) = BENCH_FN;
	FILE *f;
	long runs;
	long long best = -1;
	u64 r0 = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s INPUT RUNS\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fread(&in, 1, sizeof(in), f) != sizeof(in)) {
		fprintf(stderr, "%s: cannot read %zu bytes of input\n", argv[1], sizeof(in));
		return 2;
	}
	fclose(f);
	runs = strtol(argv[2], NULL, 10);
	for (long i = 0; i <= runs; i++) {
		long long t0 = now_ns();
		u64 r = fn(&in);
		long long dt = now_ns() - t0;

		if (i > 0 && r != r0) {
			fprintf(stderr, "r0 changed between runs: %llu then %llu\n", r0, r);
			return 1;
		}
		r0 = r;
		if (i > 0 && (best < 0 || dt < best))
			best = dt;
	}
	printf("%llu %lld\n", r0, best);
	return 0;
}
