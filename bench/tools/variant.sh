#!/bin/bash
# variant.sh NAME [EDIT.py]: build a variant of the working tree for A/B
# runs (bench/tools/README.md). Copies the tree (uncommitted changes
# included, build/ and .git/ left out) to /tmp/xdpdns-variant-NAME/src,
# runs EDIT.py there if given (a Python script that edits the copy), and
# builds xdp-bench into /tmp/xdpdns-variant-NAME/build; prints that path,
# the BUILD to give ab.py.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: variant.sh NAME [EDIT.py]" >&2
	exit 2
fi
name=$1
case $name in
*[!A-Za-z0-9_-]*) echo "variant.sh: NAME: letters, digits, - and _ only" >&2; exit 2 ;;
esac
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
edit=${2:+$(readlink -f "$2")}
dir=/tmp/xdpdns-variant-$name
rm -rf "$dir"
mkdir -p "$dir/src"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$dir/src" -xf -
if [ -n "$edit" ]; then
	(cd "$dir/src" && python3 "$edit")
fi
make -s -C "$dir/src" -j"$(nproc)" BUILD="$dir/build" \
	"$dir/build/bench/xdp-bench" "$dir/build/bpf/restore.bpf.o" >/dev/null
echo "$dir/build"
