#!/bin/sh
# Run every fuzz target for SECONDS (default 10) from the committed seeds.
#   tests/fuzz/run.sh [SECONDS]
# The corpus grows in build/fuzz/corpus-NAME between runs; crashes are
# written to build/fuzz/ and fail the run.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/${BUILD:-build}/fuzz"
secs=${1:-10}
pass=0
fail=0
for name in fuzz_zone fuzz_query fuzz_serve; do
	seeds="$ROOT/tests/fuzz/seeds/${name#fuzz_}"
	# The server's handler takes queries: the query seeds.
	[ "$name" = fuzz_serve ] && seeds="$ROOT/tests/fuzz/seeds/query"
	corpus="$B/corpus-$name"
	mkdir -p "$corpus"
	if "$B/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$B/" "$corpus" "$seeds" >"$B/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$B/$name.log" | tail -1)
		echo "fuzz $name: ${runs:-ran} in ${secs}s, no crash"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz $name: see $B/$name.log"
		tail -30 "$B/$name.log"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail = 0 ]
