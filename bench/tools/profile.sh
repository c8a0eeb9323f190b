#!/bin/bash
# profile.sh [-s SECONDS] [-b BUILD] CASE: where the XDP program spends its
# time on one row of xdp-bench (bench/tools/README.md). Runs BUILD's
# xdp-bench --case CASE in a loop, samples every CPU with perf's cpu-clock
# (the machines we run on have no hardware counters), and maps the samples
# that fall in the program to its JITed instructions and source lines.
# Writes into a new directory under /tmp, and prints the busiest lines:
#   annotated.txt  every instruction: samples, offset, code, source line
#   lines.txt      samples by source line
# Needs root, perf (linux-perf) and objdump (binutils).
set -euo pipefail
secs=10
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
build=$top/build
while getopts "s:b:" o; do
	case $o in
	s) secs=$OPTARG ;;
	b) build=$(readlink -f "$OPTARG") ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 1 ]; then
	echo "usage: profile.sh [-s SECONDS] [-b BUILD] CASE" >&2
	exit 2
fi
case $secs in '' | *[!0-9]*) echo "profile.sh: -s: whole seconds" >&2; exit 2 ;; esac
for t in perf objdump; do
	command -v $t >/dev/null || { echo "profile.sh: $t is not installed" >&2; exit 1; }
done
bench=$build/bench/xdp-bench
jitinfo=$build/bench/xdp-jitinfo
for f in "$bench" "$jitinfo" "$build/bpf/restore.bpf.o"; do
	[ -e "$f" ] || { echo "profile.sh: no $f: build it first" >&2; exit 1; }
done
out=$(mktemp -d /tmp/xdpdns-profile-XXXXXX)

# The load: runs of xdp-bench back to back, bounded by time.
(
	stop=$((SECONDS + secs + 4))
	while [ $SECONDS -lt $stop ]; do
		"$bench" "$build/bpf/restore.bpf.o" --case "$1" >/dev/null 2>&1 || exit
	done
) &
load=$!
trap 'kill $load 2>/dev/null || true' EXIT
sleep 2
id=$(bpftool prog show | awk '/ name xdpdns_xdp / { sub(":", "", $1); print $1; exit }')
if [ -z "$id" ]; then
	echo "profile.sh: the program is not loaded (does CASE match a row?)" >&2
	exit 1
fi
"$jitinfo" "$id" "$out/jit.bin" >"$out/lineinfo.txt"
objdump -D -b binary -m i386:x86-64 "$out/jit.bin" >"$out/jit.s"
perf record -q -e cpu-clock -F 20000 -a -o "$out/perf.data" -- sleep "$secs" 2>/dev/null
wait $load || true
perf script -i "$out/perf.data" -F ip,sym,symoff 2>/dev/null |
	awk '/xdpdns_xdp/ { sub(/.*\+0x/, "", $2); print $2 }' >"$out/offsets.txt"
python3 "$(dirname "$0")/annotate.py" "$out"
echo "profile.sh: $out"
