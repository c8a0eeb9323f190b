#!/bin/bash
# make demo: xdpdns on the embedded example zone, end to end.
#
# As root: makes a network namespace for a client and a veth pair to it
# (names unique to this run, addresses from 198.18.0.0/15 and
# 2001:db8::/32), attaches xdpdns to the node's end, applies
# demo/example.zone, starts xdpdns-server behind it, sends a handful of
# queries with dig and shows, from the counters before and after each,
# who answered it: the XDP program or the server. Everything it made is
# removed on exit, also on failure or Ctrl-C.
#
# Without root it shows what the answer engine answers, offline.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B="$ROOT/build"
L="$B/xdpdns-loader"
Z="$B/xdpdns-zonec"
S="$B/xdpdns-server"
ZONE="$ROOT/demo/example.zone"

step() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "make demo attaches XDP and makes a network namespace: that needs"
	echo "root. Showing the answer engine alone, offline, instead."
	for q in "www.example.test A" "Shop.Example.Test AAAA" \
		"alice.users.example.test A" "nope.example.test A" \
		"host.customer.example.test A" "www.example.org A"; do
		set -- $q
		step "query $1 $2"
		"$Z" answer -n "$1" -t "$2" -e 1232 "$ZONE"
	done
	exit 0
fi

tag=$(printf '%x' $(($$ & 0xffffff)))
NS="xdpdns-demo-$tag"
NODE="xdd$tag"
CLI="xdq$tag"
NODE4=198.18.0.2
CLIENT4=198.18.0.1
NODE6=2001:db8:0:1::2
CLIENT6=2001:db8:0:1::1
SERVER_PID=
made_ns= made_link= attached=
# The cookie secret the fast path and the server share. An installed node
# uses /var/lib/xdpdns/cookie-secret, made at the first start; the demo
# uses one of its own, removed with the rest.
SECRETS=$(mktemp -d /tmp/xdpdns-demo-XXXXXX)
SECRET="$SECRETS/cookie-secret"

cleanup() {
	set +e
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null &&
		wait "$SERVER_PID" 2>/dev/null
	[ -n "$attached" ] && "$L" detach --dev "$NODE" >/dev/null
	[ -n "$made_link" ] && ip link del "$NODE" 2>/dev/null
	[ -n "$made_ns" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$SECRETS"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "a client namespace $NS and a veth pair $NODE <-> $CLI"
ip netns add "$NS" && made_ns=1
ip link add "$NODE" type veth peer name "$CLI" && made_link=1
ip link set "$CLI" netns "$NS"
ip addr add "$NODE4/24" dev "$NODE"
ip -6 addr add "$NODE6/64" dev "$NODE" nodad
ip link set "$NODE" up
ip -n "$NS" addr add "$CLIENT4/24" dev "$CLI"
ip -n "$NS" -6 addr add "$CLIENT6/64" dev "$CLI" nodad
ip -n "$NS" link set "$CLI" up
ip -n "$NS" link set lo up
# On veth, XDP_TX frames reach the peer only if it has an XDP program.
ip -n "$NS" link set dev "$CLI" xdp obj "$B/bpf/xdp_pass.bpf.o" sec xdp
echo "node $NODE4 $NODE6, client $CLIENT4 $CLIENT6"

(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$SECRET" &&
	echo >>"$SECRET")

step "xdpdns-loader attach --dev $NODE --cookie-secret-file $SECRET"
"$L" attach --dev "$NODE" --memory 16 --cookie-secret-file "$SECRET" &&
	attached=1

step "xdpdns-zonec apply --dev $NODE demo/example.zone"
"$Z" apply --dev "$NODE" "$ZONE"

step "xdpdns-server on $NODE4 and $NODE6, port 53, behind the fast path" \
	"(as the user xdpdns)"
"$S" --listen "$NODE4" --listen "[$NODE6]" --workers 1 --nsid demo-node \
	--cookie-secret-file "$SECRET" "$ZONE" &
SERVER_PID=$!
for _ in $(seq 50); do
	if ip netns exec "$NS" dig +tcp +tries=1 +time=1 +short \
		@"$NODE4" example.test SOA >/dev/null 2>&1; then
		break
	fi
	sleep 0.1
done

snapshot() {
	"$L" stats --dev "$NODE" --all | awk 'NR > 1 { print $1, $2 }' | sort
}

ask() {
	local what=$1
	shift
	step "$what: dig $*"
	local before after
	before=$(snapshot)
	ip netns exec "$NS" dig +tries=1 +time=2 +norec "$@" |
		sed -n '/HEADER/p; /ANSWER SECTION/,/^$/p;
			/AUTHORITY SECTION/,/^$/p; /NSID/p; /SERVER:/p'
	after=$(snapshot)
	# Counters that moved (the link's own ARP, ND and MLD aside).
	local moved
	moved=$(join <(echo "$before") <(echo "$after") |
		awk '$3 != $2 && $1 != "pass_not_dns" && $1 != "pass_ipv6_ext" {
			printf "%s +%d ", $1, $3 - $2 }')
	case "$moved" in
	answer_*) echo "-> answered by the XDP program ($moved)" ;;
	pass_*) echo "-> passed by the XDP program, answered by" \
		"xdpdns-server ($moved)" ;;
	*) echo "-> counters: ${moved:-none moved}" ;;
	esac
}

ask "a hit" +nocookie @"$NODE4" www.example.test A
ask "a hit over IPv6" +nocookie @"$NODE6" www.example.test AAAA
ask "a name that does not exist" +nocookie @"$NODE4" nope.example.test A
ask "a referral to a child zone" +nocookie @"$NODE4" \
	host.customer.example.test A
ask "a wildcard" +nocookie @"$NODE4" alice.users.example.test A
ask "TCP (each segment of the connection counts once)" +tcp @"$NODE4" \
	www.example.test A
ask "a DNS cookie: answered in XDP, the server's cookie to the byte" \
	+cookie @"$NODE4" www.example.test A
ask "a query with an EDNS cookie and NSID, options the fast path leaves" \
	+cookie +nsid @"$NODE4" www.example.test A
ask "a name in no zone served here" +nocookie @"$NODE4" www.example.org A

step "xdpdns-loader stats --dev $NODE"
"$L" stats --dev "$NODE"
step "xdpdns-loader status --dev $NODE"
"$L" status --dev "$NODE"
step "cleaning up: server stopped, xdpdns detached, veth and namespace removed"
