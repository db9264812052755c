/*
 * Shim for the VM benchmark programs (bench/vm.ts): the same C compiles as a
 * BPF object (clang -target bpf, see build.sh) and natively (gcc, built by
 * the bench into a temporary folder with native.c) so the bench can compare
 * the engines with the CPU running the same source directly.
 *
 * Every program is one entry taking a pointer to struct bench_in (r1 in BPF;
 * uBPF passes it as its `mem`) and returning a u64 that the bench checks
 * against a TypeScript model of the same algorithm (bench/vm-programs.ts).
 */
#ifndef BENCH_H
#define BENCH_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define BENCH_BUF 4096

struct bench_in {
	u64 n;    /* iterations (the bench's scale) */
	u64 seed; /* start value of the program's generator */
	u64 arg;  /* program specific: the base of div_digits */
	u64 len;  /* bytes of buf that mem_checksum reads */
	u8 buf[BENCH_BUF];
};

#define NOINLINE static __attribute__((noinline))

#ifdef __bpf__
#define BENCH_ENTRY(name) __attribute__((section("socket"), used)) u64 name(struct bench_in *in)
/* Helper 8 (Linux's bpf_get_smp_processor_id); btfsnoop's null env and the bench's uBPF harness answer 0. */
static long (*bench_cpu)(void) = (void *)8;
#else
#define BENCH_ENTRY(name) u64 name(struct bench_in *in)
/* Defined in native.c, a separate translation unit, so the call stays a call. */
long bench_cpu(void);
#endif

#endif
