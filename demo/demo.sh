#!/bin/sh
# make demo: the answer engine on the embedded example zone.
#
# Compiles demo/example.zone, shows the compiled entries, and answers a
# handful of queries as xdpdns would send them: a hit, a CNAME, a wildcard,
# an NXDOMAIN, a NODATA, a referral below a zone cut, a name outside every
# zone. The XDP fast path, the loader and the server build on this; their
# parts of the demo come with them.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
Z="$ROOT/build/xdpdns-zonec"
ZONE="$ROOT/demo/example.zone"
OUT=$(mktemp /tmp/xdpdns-demo.XXXXXX.xdc)
trap 'rm -f "$OUT"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "check and compile $ZONE"
"$Z" check "$ZONE"
"$Z" compile -o "$OUT" "$ZONE"

step "what will be served (xdpdns-zonec dump, first entries)"
"$Z" dump "$OUT" | head -24

for q in "www.example.test A" "Shop.Example.Test AAAA" \
	"alice.users.example.test A" "nope.example.test A" \
	"www.example.test MX" "host.customer.example.test A" \
	"www.example.org A"; do
	set -- $q
	step "query $1 $2"
	"$Z" answer -n "$1" -t "$2" -e 1232 "$OUT"
done
