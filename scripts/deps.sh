#!/bin/sh
# Install the Debian packages xdpdns needs, if any are missing.
#
# Usage: scripts/deps.sh [build|demo|test|bench|all]
#
# Idempotent and quiet when everything is present. Needs root (apt-get) only
# when something is missing; otherwise it prints nothing and exits 0.
set -eu

build_pkgs="clang llvm make gcc pkg-config libbpf-dev libxdp-dev libelf-dev
libxxhash-dev libknot-dev nettle-dev bpftool linux-libc-dev iproute2"
test_pkgs="libcmocka-dev libclang-rt-14-dev knot knot-dnsutils nsd
python3-pytest python3-dnspython ethtool bind9-dnsutils bind9-utils ldnsutils dnsperf bird2
systemd strace util-linux"
bench_pkgs="python3-matplotlib"

demo_pkgs="bind9-dnsutils"

case "${1:-all}" in
build) want="$build_pkgs" ;;
demo) want="$build_pkgs $demo_pkgs" ;;
test) want="$build_pkgs $test_pkgs" ;;
bench | all) want="$build_pkgs $test_pkgs $bench_pkgs" ;;
*)
	echo "usage: $0 [build|demo|test|bench|all]" >&2
	exit 2
	;;
esac

# The system user xdpdns-server runs as when started as root ('make
# install' makes it, as a package's postinst would). The tests and the
# demo start the server as root, so they need it too.
ensure_user() {
	getent passwd xdpdns >/dev/null && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "xdpdns: no system user xdpdns; as root: useradd --system" \
			"--no-create-home --shell /usr/sbin/nologin xdpdns" >&2
		return 0 # the tests that need root skip without it
	fi
	echo "xdpdns: creating the system user xdpdns" >&2
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin xdpdns
}
case "${1:-all}" in
demo | test | bench | all) ensure_user ;;
esac

missing=""
for p in $want; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "xdpdns: missing Debian packages:$missing" >&2
	echo "xdpdns: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi

echo "xdpdns: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
