#!/bin/sh
# Builds the verifier oracle loader (dev-only) against the system libbpf.
set -e
cd "$(dirname "$0")"
# The binary goes outside the work tree (it is not committed).
cc -O2 -Wall -o "${OUT:-/tmp/verifier-oracle-load}" oracle-load.c -lbpf
echo "${OUT:-/tmp/verifier-oracle-load}"
