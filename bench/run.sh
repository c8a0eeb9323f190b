#!/bin/sh
# make bench: performance figures, each against its peers in the same run.
# Prints Markdown tables and writes JSON under bench/results/, named by
# date and machine. Figures from one run on one machine: compare the ratios
# within a run, not absolute numbers across machines.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
stamp=$(date -u +%Y-%m-%dT%H%MZ)
host=$(hostname -s 2>/dev/null || echo host)
res="$ROOT/bench/results"
mkdir -p "$res"
echo "# xdpdns benchmarks, $stamp on $host"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo
echo "## Zone compile (1,000,000 records)"
/usr/bin/python3 bench/zone_bench.py --records "${BENCH_RECORDS:-1000000}" \
	--rounds "${BENCH_ROUNDS:-5}" --json "$res/$stamp-$host-zone.json"
