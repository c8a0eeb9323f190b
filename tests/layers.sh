#!/bin/sh
# The libraries layered one way, the tools apart from each other: every
# '#include "..."' of a folder resolved to the folder it comes from, and
# checked against what that folder may use (docs/design.md draws it).
#   bpf/          bpf/ only
#   lib/common/   itself, bpf/dns.h
#   lib/engine/   lib/common, itself, bpf/ pure headers (dns, dnscookie,
#                 dnsname); no map layouts, no libbpf
#   lib/maps/     lib/common, lib/engine, itself, bpf/, libbpf
#   tools         lib/*, bpf/, their own folder; never another tool's
# Prints one line per breach and a summary; exit 1 on any.
set -u
cd "$(dirname "$0")/.." || exit 1
bad=0
checked=0

# The folder holding header h included from folder d: d itself first,
# then the include path (lib/common, lib/engine, lib/maps, bpf).
where() {
	for dir in "$1" lib/common lib/engine lib/maps bpf; do
		if [ -f "$dir/$2" ]; then
			echo "$dir"
			return
		fi
	done
	echo "?"
}

allowed() { # folder, header's folder, header
	case "$1:$2" in
	"$2:$2") return 0 ;;
	bpf:*) return 1 ;;
	lib/common:bpf) [ "$3" = dns.h ] ;;
	lib/common:*) return 1 ;;
	lib/engine:lib/common) return 0 ;;
	lib/engine:bpf)
		case "$3" in dns.h | dnscookie.h | dnsname.h) return 0 ;; esac
		return 1
		;;
	lib/engine:*) return 1 ;;
	lib/maps:lib/common | lib/maps:lib/engine | lib/maps:bpf) return 0 ;;
	lib/maps:*) return 1 ;;
	*:lib/common | *:lib/engine | *:lib/maps | *:bpf) return 0 ;;
	esac
	return 1
}

for d in bpf lib/common lib/engine lib/maps zonec loader userspace health; do
	for f in "$d"/*.c "$d"/*.h; do
		[ -f "$f" ] || continue
		for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			case "$h" in *.skel.h) continue ;; esac
			from=$(where "$d" "$h")
			checked=$((checked + 1))
			if ! allowed "$d" "$from" "$h"; then
				echo "layers: $f includes $from/$h"
				bad=$((bad + 1))
			fi
		done
		if [ "$d" = lib/engine ] || [ "$d" = lib/common ]; then
			if grep -q '^#include <\(bpf\|xdp\)/' "$f"; then
				echo "layers: $f includes libbpf or libxdp"
				bad=$((bad + 1))
			fi
		fi
	done
done
echo "layers: $checked includes checked, $bad breach(es)"
[ "$bad" = 0 ]
