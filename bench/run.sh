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

echo
echo "## XDP fast path: per-query cost (BPF_PROG_TEST_RUN)"
echo "The query is restored before every repetition by a wrapper program"
echo "that then tail-calls the program under test; the same wrapper with an"
echo "empty program is timed in interleaved batches and subtracted batch by"
echo "batch (cost = median of the differences; best = fastest batch of each)."
echo "The wrapper sets the frame back to the query's length on every run (a"
echo "zero change after the empty program), so shrinking a reply back is in"
echo "both figures and drops out. The calibration row is what growing the"
echo "frame for a reply costs."
if [ "$(id -u)" != 0 ]; then
	echo "(skipped: needs root for BPF; so are the sections below)"
	exit 0
fi
azone=$(mktemp /tmp/xdpdns-bench-a-XXXXXX)
trap 'rm -f "$azone"' EXIT
/usr/bin/python3 bench/gen_zone.py "${BENCH_A_RECORDS:-100000}" "$azone" \
	bench.example. a-only
"${BUILD:-build}/bench/xdp-bench" "${BUILD:-build}/bpf/restore.bpf.o" \
	--json "$res/$stamp-$host-xdp.json" \
	--memory "$azone" bench.example. "${BENCH_A_RECORDS:-100000}"

echo
echo "## Live zone update (xdpdns-zonec apply), ${BENCH_RECORDS:-1000000} records"
/usr/bin/python3 bench/apply_bench.py --records "${BENCH_RECORDS:-1000000}" \
	--json "$res/$stamp-$host-apply.json"

echo
echo "## Servers alone (no XDP): xdpdns-server, knotd, NSD"
/usr/bin/python3 bench/server_bench.py --records "${BENCH_RECORDS:-1000000}" \
	--json "$res/$stamp-$host-server.json"

echo
echo "## Side by side on one veth pair: xdpdns, knotd, NSD"
echo "One single-queue veth pair between two namespaces made for the run;"
echo "the same zone (${BENCH_SIDE_RECORDS:-100000} records) and query mix"
echo "(A, AAAA and MX hits, NXDOMAIN, referrals, with and without EDNS,"
echo "IPv4 and IPv6 for xdp-livegen; kxdpgun and dnsperf ask over IPv4,"
echo "dnsperf without EDNS); one server after the other. qps: the highest"
echo "offered rate with at least 99% of the replies correct (xdp-livegen"
echo "checks each reply's bytes, kxdpgun and dnsperf count replies by rcode:"
echo "see bench/side_by_side.py)."
/usr/bin/python3 bench/side_by_side.py --json "$res/$stamp-$host-side.json" \
	--png "$res/$stamp-$host-side.png"
