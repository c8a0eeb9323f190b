#!/bin/sh
# The whole test suite, as 'make test' runs it: unit tests under
# ASan/UBSan, golden tests of the compiler, a short fuzz run, and the
# end-to-end tests (pytest). Each runner prints its own summary line; the
# last lines repeat them.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B="$ROOT/${BUILD:-build}"
cd "$ROOT" || exit 1
summary=""
status=0

note() {
	summary="$summary
$1"
}

# Unit tests: cmocka prints a summary per binary.
u_pass=0
u_fail=0
for t in "$B"/tests/test_*; do
	if "$t"; then u_pass=$((u_pass + 1)); else u_fail=$((u_fail + 1)); fi
done
note "unit (cmocka, ASan+UBSan): $u_pass binaries passed, $u_fail failed"
[ $u_fail = 0 ] || status=1

out=$(sh tests/layers.sh) || status=1
echo "$out"
note "$(echo "$out" | tail -1)"

out=$(tests/golden.sh) || status=1
echo "$out"
note "$(echo "$out" | tail -1)"

out=$(tests/fuzz/run.sh "${FUZZ_SECONDS:-10}") || status=1
echo "$out"
note "$(echo "$out" | tail -1)"

/usr/bin/python3 -m pytest -q -rs -p no:cacheprovider tests/e2e \
	2>&1 | tee "$B/pytest.log"
rc=$(tail -1 "$B/pytest.log" | grep -q -E 'failed|error' && echo 1 || echo 0)
[ "$rc" = 0 ] || status=1
note "pytest: $(tail -1 "$B/pytest.log" | sed 's/=//g; s/^ *//; s/ *$//')"

echo
echo "== summary =="
echo "$summary" | sed '/^$/d'
exit $status
