/*
 * uBPF harness of the VM benchmark (bench/vm.ts): our own driver, built by the
 * bench into a temporary folder against a uBPF build named by BENCH_UBPF
 * (uBPF itself is never part of this repository). It loads raw bytecode (the
 * program as btfsnoop's loader relocated it, written by the bench) and times
 * uBPF's interpreter (ubpf_exec) or its JIT (ubpf_compile) in-process.
 *
 *   ubpf-harness run   interp|jit PROG.bin INPUT RUNS  -> "r0 best_ns"
 *       best thread CPU time of RUNS runs on INPUT (after one warm-up run);
 *   ubpf-harness fixed interp|jit PROG.bin COUNT       -> "r0 ns_per_run"
 *       the best of 5 batches of COUNT runs with no input (mem NULL, 0 bytes).
 *
 * Helper 8 (get_smp_processor_id) answers 0, as btfsnoop's null environment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ubpf.h>

static uint64_t cpu_id(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(2);
	}
	buf = malloc(size ? size : 1);
	if (!buf || fread(buf, 1, size, f) != (size_t)size) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(2);
	}
	fclose(f);
	*len = size;
	return buf;
}

int main(int argc, char **argv)
{
	struct ubpf_vm *vm;
	ubpf_jit_fn jitted = NULL;
	char *err = NULL;
	size_t code_len, mem_len = 0;
	void *code, *mem = NULL;
	int jit, fixed;
	long count;
	uint64_t r0 = 0;
	long long best = -1;

	if (argc < 5 || (strcmp(argv[1], "run") && strcmp(argv[1], "fixed")) || (strcmp(argv[2], "interp") && strcmp(argv[2], "jit")) ||
	    (!strcmp(argv[1], "run") && argc != 6) || (!strcmp(argv[1], "fixed") && argc != 5)) {
		fprintf(stderr, "usage: %s run interp|jit PROG.bin INPUT RUNS | fixed interp|jit PROG.bin COUNT\n", argv[0]);
		return 2;
	}
	fixed = !strcmp(argv[1], "fixed");
	jit = !strcmp(argv[2], "jit");
	code = read_file(argv[3], &code_len);
	if (!fixed)
		mem = read_file(argv[4], &mem_len);
	count = strtol(argv[fixed ? 4 : 5], NULL, 10);

	vm = ubpf_create();
	if (!vm || ubpf_register(vm, 8, "bpf_get_smp_processor_id", cpu_id)) {
		fprintf(stderr, "ubpf: cannot create the VM or register helper 8\n");
		return 1;
	}
	if (ubpf_load(vm, code, (uint32_t)code_len, &err) < 0) {
		fprintf(stderr, "ubpf_load: %s\n", err);
		return 1;
	}
	if (jit && !(jitted = ubpf_compile(vm, &err))) {
		fprintf(stderr, "ubpf_compile: %s\n", err);
		return 1;
	}

	if (fixed) {
		for (int batch = 0; batch <= 5; batch++) {
			long long t0 = now_ns();
			for (long i = 0; i < count; i++) {
				if (jitted)
					r0 = jitted(mem, mem_len);
				else if (ubpf_exec(vm, mem, mem_len, &r0) < 0) {
					fprintf(stderr, "ubpf_exec failed\n");
					return 1;
				}
			}
			long long dt = now_ns() - t0;
			if (batch > 0 && (best < 0 || dt < best))
				best = dt;
		}
		printf("%llu %.3f\n", (unsigned long long)r0, (double)best / count);
		return 0;
	}
	for (long i = 0; i <= count; i++) {
		uint64_t r;
		long long t0 = now_ns();

		if (jitted)
			r = jitted(mem, mem_len);
		else if (ubpf_exec(vm, mem, mem_len, &r) < 0) {
			fprintf(stderr, "ubpf_exec failed\n");
			return 1;
		}
		long long dt = now_ns() - t0;
		if (i > 0 && r != r0) {
			fprintf(stderr, "r0 changed between runs: %llu then %llu\n", (unsigned long long)r0, (unsigned long long)r);
			return 1;
		}
		r0 = r;
		if (i > 0 && (best < 0 || dt < best))
			best = dt;
	}
	printf("%llu %lld\n", (unsigned long long)r0, best);
	return 0;
}
