#!/bin/sh
# Rebuilds the VM benchmark's BPF objects (bench/vm.ts, test/bench) from
# their C sources with clang; the .o files are committed so neither the
# bench nor the tests need clang. Usage: bench/programs/build.sh [CLANG]
set -eu
cd "$(dirname "$0")"
CLANG=${1:-${CLANG:-clang}}
for src in alu_xorshift alu_crc32 mem_sort mem_checksum br_collatz br_state call_chain call_helper div_gcd div_digits; do
	"$CLANG" -O2 -g -fdebug-prefix-map="$PWD"=. -target bpf -mcpu=v3 -Wall -Werror -c "$src.c" -o "$src.bpf.o"
done
