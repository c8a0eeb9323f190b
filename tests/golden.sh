#!/bin/sh
# Golden tests for the zone compiler.
#
#   tests/golden.sh [--update]
#
# tests/zones/TOPIC.zone (with its child zones, TOPIC's subdomains named
# CHILD.TOPIC.zone) must dump exactly as tests/zones/TOPIC.dump.
# tests/zones/bad/CASE.zone must be refused by 'xdpdns-zonec check' (exit 1)
# with exactly the messages in CASE.err; cases named ok-* must pass (exit 0)
# with the warnings in CASE.err. --update rewrites the expected files.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZONEC="$ROOT/${BUILD:-build}/xdpdns-zonec"
update=0
[ "${1:-}" = "--update" ] && update=1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # name expected actual
	if [ $update = 1 ]; then
		cp "$3" "$2"
		pass=$((pass + 1))
	elif cmp -s "$2" "$3"; then
		pass=$((pass + 1))
	else
		echo "FAIL golden $1"
		diff -u "$2" "$3" | head -40
		fail=$((fail + 1))
	fi
}

cd "$ROOT/tests/zones" || exit 1
for z in *.zone; do
	topic=${z%.zone}
	case "$topic" in *.*) continue ;; esac
	args=$z
	for c in *."$topic".zone; do
		[ -e "$c" ] && args="$args $c"
	done
	# shellcheck disable=SC2086
	if ! "$ZONEC" dump $args >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL golden $topic: dump failed"
		cat "$tmp/err"
		fail=$((fail + 1))
		continue
	fi
	check "$topic" "$topic.dump" "$tmp/out"
done

cd "$ROOT/tests/zones/bad" || exit 1
for z in *.zone; do
	name=${z%.zone}
	"$ZONEC" check -q "$z" >/dev/null 2>"$tmp/err"
	rc=$?
	want=1
	case "$name" in ok-*) want=0 ;; esac
	if [ $rc != $want ]; then
		echo "FAIL golden bad/$name: exit $rc, expected $want"
		cat "$tmp/err"
		fail=$((fail + 1))
		continue
	fi
	check "bad/$name" "$name.err" "$tmp/err"
done

echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
