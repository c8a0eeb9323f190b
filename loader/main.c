// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-loader: attach the xdpdns XDP program to an interface, pin its
 * maps, detach it, and show its state, counters and settings.
 */
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <xdp/libxdp.h>

#include "attached.h"
#include "cli.h"
#include "parse.h"
#include "pins.h"
#include "secret.h"
#include "dname.h"
#include "xdpdns.h"
#include "xdpdns.skel.h"
#include "xdpmaps.h"

#define EXIT_FAIL 1
#define BPFFS "/sys/fs/bpf"
#define DEFAULT_MEMORY_MIB 128
#define DEFAULT_RRL_TABLE 65536
/* Kernel memory of one rate-limit bucket (an array element). */
#define RRL_BUCKET_BYTES sizeof(struct xd_rrl_bucket)

static const char usage_main[] =
	"Usage: xdpdns-loader COMMAND [OPTIONS]\n"
	"\n"
	"Attach xdpdns, the XDP fast path of an authoritative DNS node, to a\n"
	"network interface, and watch it. Zones are loaded into it with\n"
	"'xdpdns-zonec apply'; until then it passes every packet.\n"
	"\n"
	"Commands:\n"
	"  attach  --dev IF [--mode native|generic] [--memory MIB]\n"
	"          [--cookie-secret-file FILE | --no-cookies]\n"
	"                         load the program on IF and pin its maps\n"
	"  detach  --dev IF       remove the program and everything pinned\n"
	"  status  [--dev IF]     what is attached where, zones and serials\n"
	"  stats   --dev IF [--json] [--interval S [--count N]]\n"
	"                         counters by reason, summed over CPUs\n"
	"  config  --dev IF get [KEY] | set KEY=VALUE...\n"
	"                         run-time settings (rate limiting, cookies),\n"
	"                         applied at once\n"
	"  exempt  --dev IF add|del PREFIX... | list\n"
	"                         prefixes rate limiting never limits\n"
	"  help    [COMMAND]      show help for a command\n"
	"\n"
	"Pins live under " XD_PIN_ROOT "/IF/ (bpffs is mounted at " BPFFS "\n"
	"when it is not). Needs root (CAP_BPF, CAP_NET_ADMIN).\n"
	"\n"
	"Exit status: 0 success, 1 failure (reason on standard error), 2 usage\n"
	"error.\n";

static const char usage_attach[] =
	"Usage: xdpdns-loader attach --dev IF [--mode native|generic]\n"
	"                            [--memory MIB] [--rrl-table N]\n"
	"                            [--cookie-secret-file FILE | --no-cookies]\n"
	"\n"
	"Load the xdpdns XDP program on interface IF through libxdp and pin\n"
	"its maps under " XD_PIN_ROOT "/IF/. It passes every packet until\n"
	"zones are applied ('xdpdns-zonec apply --dev IF ZONE...').\n"
	"\n"
	"libxdp attaches through its dispatcher, so that xdpdns runs beside\n"
	"other XDP programs and xdpdump can watch it, where the kernel allows\n"
	"extension programs; where it does not, xdpdns is attached alone and\n"
	"'status' says so.\n"
	"\n"
	"Options:\n"
	"  -d, --dev IF        the interface (required)\n"
	"  -m, --mode MODE     native (the driver runs it; the default) or\n"
	"                      generic (the kernel stack runs it: slower, any\n"
	"                      interface)\n"
	"  -R, --rrl-table N   buckets of the response rate limiter (default\n"
	"                      65536, 32 bytes each, rounded up to a power of\n"
	"                      two); a new bucket takes the place of the one\n"
	"                      idle longer of a pair\n"
	"  -M, --memory MIB    the maps' size, both zone generations together\n"
	"                      (default "
	"128"
	"); about 600 bytes a name, so\n"
	"                      128 MiB holds about 220,000 names. Zones that do\n"
	"                      not fit are refused by apply; re-attach larger.\n"
	"  -s, --cookie-secret-file FILE\n"
	"                      the secret of DNS server cookies (32 hex digits\n"
	"                      on one line, a file only root may read); it\n"
	"                      must exist. Default " XD_COOKIE_SECRET_DEFAULT
	",\n"
	"                      made with a random secret when missing, the\n"
	"                      file xdpdns-server reads by default: the XDP\n"
	"                      program and the server make the same cookies\n"
	"      --no-cookies    attach with cookies off (queries with a COOKIE\n"
	"                      option go to the server); 'config set\n"
	"                      cookie-secret-file=PATH cookies=on' turns\n"
	"                      them on later\n"
	"  -h, --help          this help\n"
	"\n"
	"Cookies are on from the start: a query carrying a COOKIE option is\n"
	"answered in XDP with a server cookie (RFC 7873, RFC 9018). The nodes\n"
	"of an anycast service need one secret: copy one secret file to every\n"
	"node (see 'help config').\n"
	"\n"
	"Attaching where xdpdns is already attached is an error (detach first).\n"
	"A failure part way detaches and removes whatever was made.\n";

static const char usage_detach[] =
	"Usage: xdpdns-loader detach --dev IF\n"
	"\n"
	"Remove the xdpdns program from IF (other XDP programs stay) and every\n"
	"pin under " XD_PIN_ROOT "/IF/. Queries then reach the kernel stack\n"
	"(xdpdns-server) directly. Pins left by a program that is no longer\n"
	"attached are removed too.\n"
	"\n"
	"Options:\n"
	"  -d, --dev IF        the interface (required)\n"
	"  -h, --help          this help\n";

static const char usage_status[] =
	"Usage: xdpdns-loader status [--dev IF]\n"
	"\n"
	"For every interface xdpdns is attached to (or IF alone): the program,\n"
	"its mode, whether it runs alone or behind the libxdp dispatcher, the\n"
	"generation served, each zone and its serial, the maps' capacity, and\n"
	"the totals answered, passed and dropped, and the state xdpdns-health\n"
	"last wrote for IF (announced, withdrawn, starting or stopped, since\n"
	"when and why; STALE when its process is gone; service addresses it\n"
	"failed to add or remove on a line of their own). Exit status 1 when\n"
	"IF has no xdpdns, or its pins no longer match an attached program.\n"
	"\n"
	"Options:\n"
	"  -d, --dev IF        only this interface\n"
	"  -h, --help          this help\n";

static const char usage_stats[] =
	"Usage: xdpdns-loader stats --dev IF [--json] [--interval S [--count N]]\n"
	"\n"
	"Every counter of the per-CPU map xd_stats, summed over CPUs, by\n"
	"reason: answer_* (replied in XDP), pass_* (handed to the kernel\n"
	"stack), drop_* (discarded). Each packet moves exactly one counter.\n"
	"The field names are read from the map's BTF, as bpftool prints them:\n"
	"  bpftool map dump pinned " XD_PIN_ROOT "/IF/xd_stats\n"
	"\n"
	"Options:\n"
	"  -d, --dev IF        the interface (required)\n"
	"  -j, --json          one JSON object per report\n"
	"  -i, --interval S    report every S seconds, with rates per second\n"
	"                      over the interval (until interrupted)\n"
	"  -c, --count N       with --interval: stop after N reports\n"
	"  -a, --all           also list counters that are zero\n"
	"  -h, --help          this help\n";

static const char usage_exempt[] =
	"Usage: xdpdns-loader exempt --dev IF add|del PREFIX...\n"
	"       xdpdns-loader exempt --dev IF list\n"
	"\n"
	"Client prefixes that response rate limiting never limits (monitoring,\n"
	"known resolvers): IPv4 or IPv6, with or without /LENGTH. Up to 1024.\n"
	"Applied to the next packet.\n"
	"\n"
	"Options:\n"
	"  -d, --dev IF        the interface (required)\n"
	"  -h, --help          this help\n";

static const char usage_config[] =
	"Usage: xdpdns-loader config --dev IF get [KEY]\n"
	"       xdpdns-loader config --dev IF set KEY=VALUE...\n"
	"\n"
	"Run-time settings of the program on IF, kept in its config map and\n"
	"applied to the next packet; nothing is reloaded. A set checks every\n"
	"KEY=VALUE before it writes any.\n"
	"\n"
	"Keys:\n"
	"  fast-path                 on | off. off passes every query to the\n"
	"                            kernel stack (counted as pass_disabled)\n"
	"Response rate limiting (RRL), as BIND does it: a bucket per client\n"
	"prefix and response (an answer's or a NODATA's name and type, a\n"
	"zone's NXDOMAIN, a delegation's referral) that earns RATE responses\n"
	"a second and may owe WINDOW seconds' worth; limited responses are\n"
	"dropped (drop_rrl), every SLIP-th sent as TC=1 without records\n"
	"(answer_slipped). On from attach, at BIND's advice for an\n"
	"authoritative server: 10 a second per prefix and response, errors\n"
	"10, passed queries 1000, window 15, slip 2. A real resolver stays\n"
	"under that, and what a slip costs it comes back over TCP; a spoofed\n"
	"source cannot make this node a reflector. A valid DNS cookie of ours\n"
	"and the exempt prefixes ('xdpdns-loader exempt') are never limited.\n"
	"  rrl                       on | off: every rate below to its default,\n"
	"                            or to 0 (nothing limited: only behind\n"
	"                            another limiter, or on a test bed)\n"
	"  rrl-responses-per-second  RATE for positive answers (10); also sets\n"
	"                            the four below (set them after it to\n"
	"                            differ)\n"
	"  rrl-nodata-per-second     RATE for NODATA\n"
	"  rrl-nxdomains-per-second  RATE for NXDOMAIN\n"
	"  rrl-referrals-per-second  RATE for referrals\n"
	"  rrl-errors-per-second     RATE for errors, per prefix: queries the\n"
	"                            program passes to xdpdns-server that it\n"
	"                            answers with an error (names in no zone,\n"
	"                            other classes, opcodes, EDNS versions);\n"
	"                            over it they are dropped, never slipped\n"
	"                            (drop_rrl_error)\n"
	"  rrl-passed-per-second     queries a prefix may pass to xdpdns-server\n"
	"                            a second (1000): misses, options, IP\n"
	"                            fragments, options and extension headers,\n"
	"                            all but TCP; over it they are dropped\n"
	"                            (drop_pass_limit)\n"
	"  rrl-window                seconds a bucket's debt can reach (15)\n"
	"  rrl-slip                  0 never, 1 always, N every N-th (2)\n"
	"  rrl-ipv4-prefix-length    bits of a client's IPv4 prefix (24)\n"
	"  rrl-ipv6-prefix-length    bits of a client's IPv6 prefix (56)\n"
	"  rrl-log-only              on: limit nothing, count what would be\n"
	"                            limited (seen_rrl_log_only)\n"
	"DNS cookies (RFC 7873, server cookies as RFC 9018): with cookies=on\n"
	"the program answers queries carrying a COOKIE option with a server\n"
	"cookie, the same bytes xdpdns-server gives with the same secret; a\n"
	"valid cookie of ours exempts the client from RRL.\n"
	"  cookies                   on | off (off: such queries go to the\n"
	"                            server); on since attach\n"
	"  cookie-secret-file        PATH: the secret is read from this file\n"
	"                            (32 hex digits on one line; a regular\n"
	"                            file of root's that group and others may\n"
	"                            not read: chmod 600) and written to the\n"
	"                            config map; the path is not kept. attach\n"
	"                            sets " XD_COOKIE_SECRET_DEFAULT ",\n"
	"                            which xdpdns-server reads by default. An\n"
	"                            anycast service copies one file to every\n"
	"                            node (same owner and mode), so that a\n"
	"                            client's cookie holds at all of them\n"
	"  cookie-secret-previous-file PATH | none: the secret before the\n"
	"                            last rotation, still accepted\n"
	"  cookie-secret, cookie-secret-previous\n"
	"                            read only: (set) or none. A secret is\n"
	"                            never given on the command line, which\n"
	"                            every user can read in /proc\n"
	"  clock                     sync: set the program's wall clock (for\n"
	"                            cookie timestamps) from this host's now\n"
	"Read only: edns-udp-size (1232), generation, zones-loaded.\n"
	"\n"
	"To tune the limits for a node's traffic, rrl-log-only=on for a day\n"
	"shows who would be limited (seen_rrl_log_only) without limiting;\n"
	"cookies are on from attach with the servers' secret.\n"
	"\n"
	"Options:\n"
	"  -d, --dev IF        the interface (required)\n"
	"  -h, --help          this help\n";

static const char *prog_name = "xdpdns-loader";

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static bool verbose;

__attribute__((format(printf, 2, 0))) static int
quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Failures are reported in our words; libbpf's own with -v. */
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

__attribute__((format(printf, 2, 0))) static int
quiet_xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* What a command wants once getopt is done. */
enum { NEED_DEV = 1, NO_ARGS = 2 };

/* A usage error unless --dev IF was given (NEED_DEV) and nothing follows
 * the options (NO_ARGS). */
static void check_rest(const char *usage, unsigned want, const char *dev,
		       int argc, char **argv)
{
	if ((want & NEED_DEV) && !dev)
		xd_usage_error(prog_name, usage, "%s", "--dev IF is required");
	if ((want & NO_ARGS) && optind < argc)
		xd_usage_error(prog_name, usage, "unexpected argument '%s'",
			       argv[optind]);
}

/* ---- bpffs and pins ------------------------------------------------- */

static int ensure_bpffs(void)
{
	struct statfs sf;

	if (statfs(BPFFS, &sf) == 0 && sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

/* Remove dir's entries (pins: plain files) and dir itself. */
static int remove_pins(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX + 300];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0)
			r = -errno;
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		r = -errno;
	rmdir(XD_PIN_ROOT); /* only when no other interface is served */
	return r;
}

static uint32_t prog_id_of(int fd)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

struct attached {
	bool attached, legacy;
	enum xdp_attach_mode mode;
	uint32_t id;
};

/* Is the program pinned in dir attached to ifindex, and how? */
static void attached_state(const char *dir, int ifindex, struct attached *a)
{
	char path[PATH_MAX + 8];

	memset(a, 0, sizeof(*a));
	snprintf(path, sizeof(path), "%s/prog", dir);
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	a->id = prog_id_of(fd);
	close(fd);
	if (ifindex <= 0)
		return;
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return;
	a->attached = xd_find_attached(mp, a->id, &a->legacy) != NULL;
	a->mode = xdp_multiprog__attach_mode(mp);
	xdp_multiprog__close(mp);
}

static const char *mode_name(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "generic";
	case XDP_MODE_HW:
		return "offload";
	default:
		return "unknown";
	}
}

/* ---- attach ---------------------------------------------------------- */

static int pin_fd(const char *dir, const char *name, int fd)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

/*
 * The cookie secret attach turns cookies on with: from file when given,
 * else from the default file, made when missing (the one xdpdns-server
 * reads by default, so that both make the same cookies). 0, or -1 having
 * said why.
 */
static int attach_secret(const char *file, uint8_t secret[XD_SECRET_LEN])
{
	char err[PATH_MAX + 256];
	bool made = false;
	int r = file ? xd_secret_read(file, secret, err, sizeof(err)) :
		       xd_secret_load_or_make(XD_COOKIE_SECRET_DEFAULT, secret,
					      &made, err, sizeof(err));

	if (r < 0) {
		fail("cookie secret: %s%s", err,
		     r == -ENOENT ?
			     " (only the default file, " XD_COOKIE_SECRET_DEFAULT
			     ", is made when missing)" :
			     "; or attach --no-cookies");
		return -1;
	}
	if (made)
		printf("made a new cookie secret in %s; the nodes of an "
		       "anycast service need the same: copy this file to every "
		       "node\n",
		       XD_COOKIE_SECRET_DEFAULT);
	return 0;
}

/* Cookies on with secret, in the config map xd_xdp_init() wrote. */
static int cookies_on(int config_fd, const uint8_t secret[XD_SECRET_LEN])
{
	struct xd_config c;
	uint32_t zero = 0;
	int r = 0;

	if (bpf_map_lookup_elem(config_fd, &zero, &c))
		return -errno;
	memcpy(c.cookie_secret, secret, XD_SECRET_LEN);
	c.cookie_flags |= XD_CK_ON;
	if (bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))
		r = -errno;
	explicit_bzero(&c, sizeof(c));
	return r;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "memory", required_argument, NULL, 'M' },
		{ "rrl-table", required_argument, NULL, 'R' },
		{ "cookie-secret-file", required_argument, NULL, 's' },
		{ "no-cookies", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dev = NULL, *secret_file = NULL;
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	unsigned long mib = DEFAULT_MEMORY_MIB, buckets = DEFAULT_RRL_TABLE;
	bool cookies = true;
	uint8_t secret[XD_SECRET_LEN];
	int c;

	while ((c = getopt_long(argc, argv, "d:m:M:R:s:vh", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			secret_file = optarg;
			break;
		case 'N':
			cookies = false;
			break;
		case 'R':
			if (xd_parse_number(optarg, 1024, 16u << 20, &buckets) <
			    0)
				xd_usage_error(
					prog_name, usage_attach,
					"--rrl-table wants 1024 to 16777216 "
					"buckets, not '%s'",
					optarg);
			while (buckets & (buckets - 1))
				buckets += buckets & -buckets;
			break;
		case 'd':
			dev = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "native"))
				mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic") ||
				 !strcmp(optarg, "skb"))
				mode = XDP_MODE_SKB;
			else
				xd_usage_error(prog_name, usage_attach,
					       "unknown mode '%s'", optarg);
			break;
		case 'M':
			if (xd_parse_number(optarg, 1, 65536, &mib) < 0)
				xd_usage_error(
					prog_name, usage_attach,
					"--memory wants MiB, 1 to 65536, "
					"not '%s'",
					optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_attach, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage_attach);
			return EXIT_USAGE;
		}
	}
	check_rest(usage_attach, NEED_DEV | NO_ARGS, dev, argc, argv);
	if (!cookies && secret_file)
		xd_usage_error(prog_name, usage_attach, "%s",
			       "--no-cookies and --cookie-secret-file exclude "
			       "each other");

	char dir[PATH_MAX];
	if (xd_pins_dir(dir, sizeof(dir), dev) < 0)
		return fail("'%s' is not an interface name", dev);
	int ifindex = (int)if_nametoindex(dev);
	if (!ifindex)
		return fail("no interface '%s'", dev);
	int r = ensure_bpffs();
	if (r < 0)
		return fail("cannot mount bpffs at %s: %s", BPFFS,
			    strerror(-r));
	if (access(dir, F_OK) == 0) {
		struct attached a;
		attached_state(dir, ifindex, &a);
		if (a.attached)
			return fail("xdpdns is already attached to %s (program "
				    "%u); detach it first",
				    dev, a.id);
		fprintf(stderr,
			"%s: removing stale pins of a program no longer "
			"attached to %s\n",
			prog_name, dev);
		if ((r = remove_pins(dir)) < 0)
			return fail("cannot remove %s: %s", dir, strerror(-r));
	}

	if (cookies && attach_secret(secret_file, secret) < 0)
		return EXIT_FAIL;

	struct xd_xdp_sizes sz;
	xd_xdp_sizes_budget((uint64_t)mib << 20, &sz);
	struct xdpdns *skel = xdpdns__open();
	if (!skel)
		return fail("cannot open the XDP program: %s", strerror(errno));
	struct xdp_program *xp = NULL;
	bool attached = false, made_dir = false;
	const char *what = NULL;
	int zones = -1;
	struct xdpdns *k = skel;
	if (bpf_map__set_max_entries(k->maps.xd_slots,
				     2 * sz.slots / XD_BUCKET) ||
	    bpf_map__set_max_entries(k->maps.xd_nodes, 2 * sz.nodes) ||
	    bpf_map__set_max_entries(k->maps.xd_names, 2 * sz.name_chunks) ||
	    bpf_map__set_max_entries(k->maps.xd_chunks, 2 * sz.chunks) ||
	    bpf_map__set_max_entries(k->maps.xd_tslots, 2 * sz.tslots) ||
	    bpf_map__set_max_entries(k->maps.xd_rrl, (uint32_t)buckets)) {
		what = "sizing the maps";
		r = -EINVAL;
		goto out;
	}
	xp = xdp_program__from_bpf_obj(k->obj, "xdp");
	if ((r = (int)libxdp_get_error(xp))) {
		xp = NULL;
		what = "preparing the program for libxdp";
		goto out;
	}
	r = xdp_program__attach(xp, ifindex, mode, 0);
	if (r) {
		what = mode == XDP_MODE_NATIVE ?
			       "attaching (native mode; the driver may not "
			       "support XDP: try --mode generic)" :
			       "attaching";
		goto out;
	}
	attached = true;

	/* Live now, passing everything until zones are applied. */
	struct xd_xdp_maps m = {
		.slots = bpf_map__fd(k->maps.xd_slots),
		.nodes = bpf_map__fd(k->maps.xd_nodes),
		.names = bpf_map__fd(k->maps.xd_names),
		.chunks = bpf_map__fd(k->maps.xd_chunks),
		.tslots = bpf_map__fd(k->maps.xd_tslots),
		.config = bpf_map__fd(k->maps.xd_config),
		.stats = bpf_map__fd(k->maps.xd_stats),
		.rrl = bpf_map__fd(k->maps.xd_rrl),
		.exempt = bpf_map__fd(k->maps.xd_rrl_exempt),
	};
	if ((r = xd_xdp_init(&m, &sz)) < 0 ||
	    (cookies && (r = cookies_on(m.config, secret)) < 0)) {
		what = "initialising the config map";
		goto out;
	}
	LIBBPF_OPTS(bpf_map_create_opts, zo, .map_flags = BPF_F_NO_PREALLOC);
	zones = bpf_map_create(BPF_MAP_TYPE_HASH, "xd_zones",
			       sizeof(struct xd_zone_key),
			       sizeof(struct xd_zone_val), XD_ZONES_MAX, &zo);
	if (zones < 0) {
		r = -errno;
		what = "creating the zone list";
		goto out;
	}
	if (mkdir(XD_PIN_ROOT, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		what = "creating " XD_PIN_ROOT;
		goto out;
	}
	if (mkdir(dir, 0700) < 0) {
		r = -errno;
		what = "creating the pin directory";
		goto out;
	}
	made_dir = true;
#define X(field, name, size)                            \
	if (!r && (r = pin_fd(dir, name, m.field)) < 0) \
		what = "pinning " name;
	r = 0;
	XD_PIN_MAPS
#undef X
	if (!r && (r = pin_fd(dir, "zones", zones)) < 0)
		what = "pinning the zone list";
	if (!r && (r = pin_fd(dir, "prog", xdp_program__fd(xp))) < 0)
		what = "pinning the program";
	if (r < 0)
		goto out;

	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	bool legacy = !libxdp_get_error(mp) && xdp_multiprog__is_legacy(mp);
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	printf("xdpdns attached to %s (%s mode, program %u%s), maps pinned "
	       "under %s\n"
	       "capacity: %u names, %lu MiB for two generations; every query "
	       "is passed until zones are applied\n"
	       "rate limiting: on (%u a second per prefix and response, %u "
	       "passed queries; 'config set rrl=off' turns it off); %lu "
	       "buckets, %.1f MiB\n"
	       "cookies: %s%s\n",
	       dev, mode_name(mode), xdp_program__id(xp),
	       legacy ? ", alone: this kernel does not let libxdp's "
			"dispatcher chain XDP programs" :
			", behind the libxdp dispatcher",
	       dir, sz.nodes, mib, XD_RRL_DEFAULT_RATE, XD_RRL_DEFAULT_PASSED,
	       buckets, (double)buckets * (double)RRL_BUCKET_BYTES / 1048576.0,
	       cookies ? "on, secret from " : "off (--no-cookies)",
	       !cookies	   ? "" :
	       secret_file ? secret_file :
			     XD_COOKIE_SECRET_DEFAULT);
out:
	if (r < 0) {
		fail("%s on %s failed: %s", what ? what : "attach", dev,
		     strerror(r < 0 ? -r : r));
		if (attached)
			xdp_program__detach(xp, ifindex, mode, 0);
		if (made_dir)
			remove_pins(dir);
	}
	if (zones >= 0)
		close(zones);
	xdp_program__close(xp);
	xdpdns__destroy(skel);
	explicit_bzero(secret, sizeof(secret));
	return r < 0 ? EXIT_FAIL : 0;
}

/* ---- detach ---------------------------------------------------------- */

/* The options of detach, status, config and exempt (--dev, -v, -h);
 * returns where their arguments start. */
static int dev_only(int argc, char **argv, const char *usage, unsigned want,
		    const char **dev)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	*dev = NULL;
	while ((c = getopt_long(argc, argv, "d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			*dev = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "\n%s", usage);
			exit(EXIT_USAGE);
		}
	}
	check_rest(usage, want, *dev, argc, argv);
	return optind;
}

static int cmd_detach(int argc, char **argv)
{
	const char *dev;

	dev_only(argc, argv, usage_detach, NEED_DEV | NO_ARGS, &dev);
	char dir[PATH_MAX];
	if (xd_pins_dir(dir, sizeof(dir), dev) < 0)
		return fail("'%s' is not an interface name", dev);
	if (access(dir, F_OK) < 0)
		return fail("xdpdns is not attached to %s (no pins in %s)", dev,
			    dir);
	int ifindex = (int)if_nametoindex(dev);
	struct attached a;
	attached_state(dir, ifindex, &a);
	if (a.attached) {
		struct xdp_multiprog *mp =
			xdp_multiprog__get_from_ifindex(ifindex);
		bool legacy;
		struct xdp_program *p =
			libxdp_get_error(mp) ?
				NULL :
				xd_find_attached(mp, a.id, &legacy);
		int r = !p ? -ENOENT :
			legacy ?
			     xdp_multiprog__detach(mp) :
			     xdp_program__detach(p, ifindex,
						 xdp_multiprog__attach_mode(mp),
						 0);
		if (!libxdp_get_error(mp))
			xdp_multiprog__close(mp);
		if (r)
			return fail("cannot detach from %s: %s (pins kept)",
				    dev, strerror(r < 0 ? -r : r));
	}
	int r = remove_pins(dir);
	if (r < 0)
		return fail("detached, but removing %s failed: %s", dir,
			    strerror(-r));
	printf("%s from %s; pins removed\n",
	       a.attached ? "xdpdns detached" : "xdpdns was no longer attached",
	       dev);
	return 0;
}

/* ---- the pins of a device -------------------------------------------- */

/* Open dev's pins (with the apply lock when lock); -1 when they cannot
 * be, having said why. */
static int open_pins(struct xd_pins *p, const char *dev, bool lock)
{
	const char *why = NULL;

	if (xd_pins_open(p, dev, lock, &why) == 0)
		return 0;
	fail("%s: %s", dev, why);
	return -1;
}

/* ---- counters --------------------------------------------------------- */

struct counters {
	int n;
	char names[64][48];
	uint64_t v[64];
};

static int read_counters(int fd, struct counters *c)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	struct btf *btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return -ENOENT;
	const struct btf_type *t = btf__type_by_id(btf, info.btf_value_type_id);
	if (!t || !btf_is_struct(t)) {
		btf__free(btf);
		return -EINVAL;
	}
	const struct btf_member *m = btf_members(t);
	c->n = btf_vlen(t) < 64 ? btf_vlen(t) : 64;
	for (int i = 0; i < c->n; i++)
		snprintf(c->names[i], sizeof(c->names[i]), "%s",
			 btf__name_by_offset(btf, m[i].name_off));
	btf__free(btf);

	int ncpu = libbpf_num_possible_cpus();
	size_t vs = (info.value_size + 7) & ~7u;
	if (ncpu <= 0 || (size_t)c->n * 8 > info.value_size)
		return -EINVAL;
	uint8_t *buf = calloc((size_t)ncpu, vs);
	uint32_t zero = 0;
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, buf)) {
		free(buf);
		return -errno;
	}
	memset(c->v, 0, sizeof(c->v));
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (int i = 0; i < c->n; i++) {
			uint64_t x;
			memcpy(&x, buf + (size_t)cpu * vs + 8 * (size_t)i, 8);
			c->v[i] += x;
		}
	free(buf);
	return 0;
}

static void totals(const struct counters *c, uint64_t *ans, uint64_t *pass,
		   uint64_t *drop)
{
	*ans = *pass = *drop = 0;
	for (int i = 0; i < c->n; i++) {
		if (!strncmp(c->names[i], "answer_", 7))
			*ans += c->v[i];
		else if (!strncmp(c->names[i], "pass_", 5))
			*pass += c->v[i];
		else if (!strncmp(c->names[i], "drop_", 5))
			*drop += c->v[i];
	}
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dev = NULL;
	bool json = false, all = false;
	double interval = 0;
	long count = 0;
	int c;

	while ((c = getopt_long(argc, argv, "d:ji:c:ah", opts, NULL)) != -1) {
		unsigned long n;
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'i':
			if (xd_parse_seconds(optarg, 0.1, 86400, &interval) < 0)
				xd_usage_error(
					prog_name, usage_stats,
					"--interval wants seconds, 0.1 to "
					"86400, not '%s'",
					optarg);
			break;
		case 'c':
			if (xd_parse_number(optarg, 1, LONG_MAX, &n) < 0)
				xd_usage_error(
					prog_name, usage_stats,
					"--count wants a positive number, "
					"not '%s'",
					optarg);
			count = (long)n;
			break;
		case 'h':
			fputs(usage_stats, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage_stats);
			return EXIT_USAGE;
		}
	}
	check_rest(usage_stats, NEED_DEV | NO_ARGS, dev, argc, argv);
	if (count && !interval)
		xd_usage_error(prog_name, usage_stats, "%s",
			       "--count needs --interval");

	struct xd_pins p;
	if (open_pins(&p, dev, false) < 0)
		return EXIT_FAIL;
	struct counters prev, cur;
	int r;
	if ((r = read_counters(p.maps.stats, &cur)) < 0) {
		xd_pins_close(&p);
		return fail("cannot read the counters of %s: %s", dev,
			    strerror(-r));
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	double t_prev = now(), t_cur = t_prev;
	for (long report = 0;; report++) {
		if (interval) {
			prev = cur;
			t_prev = t_cur;
			struct timespec ts = {
				.tv_sec = (time_t)interval,
				.tv_nsec = (long)((interval -
						   (double)(time_t)interval) *
						  1e9),
			};
			while (nanosleep(&ts, &ts) < 0 && !interrupted)
				;
			if (interrupted)
				break;
			t_cur = now();
			if ((r = read_counters(p.maps.stats, &cur)) < 0)
				break;
		}
		double dt = t_cur - t_prev;
		uint64_t a, pa, d;
		totals(&cur, &a, &pa, &d);
		if (json) {
			printf("{\"dev\": \"%s\", \"answered\": %llu, "
			       "\"passed\": %llu, \"dropped\": %llu, "
			       "\"counters\": {",
			       dev, (unsigned long long)a,
			       (unsigned long long)pa, (unsigned long long)d);
			for (int i = 0; i < cur.n; i++)
				printf("%s\"%s\": %llu", i ? ", " : "",
				       cur.names[i],
				       (unsigned long long)cur.v[i]);
			printf("}");
			if (interval) {
				printf(", \"interval_s\": %.3f, \"rates\": {",
				       dt);
				for (int i = 0; i < cur.n; i++)
					printf("%s\"%s\": %.1f", i ? ", " : "",
					       cur.names[i],
					       (double)(cur.v[i] - prev.v[i]) /
						       dt);
				printf("}");
			}
			printf("}\n");
		} else {
			printf("xdpdns on %s: answered %llu, passed %llu, "
			       "dropped %llu\n",
			       dev, (unsigned long long)a,
			       (unsigned long long)pa, (unsigned long long)d);
			for (int i = 0; i < cur.n; i++) {
				if (!all && !cur.v[i] &&
				    !(interval && cur.v[i] != prev.v[i]))
					continue;
				if (interval)
					printf("  %-20s %14llu %12.1f/s\n",
					       cur.names[i],
					       (unsigned long long)cur.v[i],
					       (double)(cur.v[i] - prev.v[i]) /
						       dt);
				else
					printf("  %-20s %14llu\n", cur.names[i],
					       (unsigned long long)cur.v[i]);
			}
		}
		fflush(stdout);
		if (!interval || (count && report + 1 >= count))
			break;
	}
	xd_pins_close(&p);
	return r < 0 ? fail("reading the counters of %s: %s", dev,
			    strerror(-r)) :
		       0;
}

/* ---- status ------------------------------------------------------------ */

/* The abuse-control settings, one line each, for status. */
static void print_abuse(const struct xd_config *c)
{
	const uint32_t *r = c->rrl_rate;
	bool on = false;

	for (int i = 0; i < XD_RRL_CLASSES; i++)
		on |= r[i] != 0;
	if (!on)
		printf("  rate limiting off");
	else
		printf("  rate limiting%s: answers %u/s, NODATA %u/s, NXDOMAIN "
		       "%u/s, referrals %u/s, errors %u/s, passed %u/s per /%u "
		       "and /%u; window %u s, slip %u",
		       c->rrl_log_only ? " (log only)" : "", r[XD_RRL_POSITIVE],
		       r[XD_RRL_NODATA], r[XD_RRL_NXDOMAIN], r[XD_RRL_REFERRAL],
		       r[XD_RRL_ERROR], r[XD_RRL_PASSED], c->rrl_v4_prefix,
		       c->rrl_v6_prefix, c->rrl_window, c->rrl_slip);
	printf("; %u buckets (%.1f MiB)\n", c->rrl_mask + 1,
	       (double)(c->rrl_mask + 1) * RRL_BUCKET_BYTES / 1048576.0);
	printf("  cookies %s\n",
	       !(c->cookie_flags & XD_CK_ON)	  ? "off" :
	       (c->cookie_flags & XD_CK_PREVIOUS) ? "on, previous secret "
						    "still accepted" :
						    "on");
}

/* What xdpdns-health last wrote for dev, on one line; nothing when it
 * does not run here. */
static void health_status(const char *dev)
{
	char path[PATH_MAX], line[512], state[32] = "?", reason[400] = "",
					routes[400] = "";
	long long since = 0, checked = 0;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/health-%s.state", XD_HEALTH_STATE_DIR,
		 dev);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "state=", 6))
			snprintf(state, sizeof(state), "%s", line + 6);
		else if (!strncmp(line, "reason=", 7))
			snprintf(reason, sizeof(reason), "%s", line + 7);
		else if (!strncmp(line, "routes=", 7))
			snprintf(routes, sizeof(routes), "%s", line + 7);
		else if (!strncmp(line, "since=", 6))
			since = atoll(line + 6);
		else if (!strncmp(line, "checked=", 8))
			checked = atoll(line + 8);
		else if (!strncmp(line, "pid=", 4))
			pid = atoi(line + 4);
	}
	fclose(f);
	char when[32] = "?";
	time_t t = (time_t)since;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	bool gone = strcmp(state, "stopped") && pid > 0 && kill(pid, 0) < 0 &&
		    errno == ESRCH;
	if (gone)
		printf("  health: STALE, xdpdns-health (pid %d) is gone; it "
		       "last said %s since %s: %s\n",
		       pid, state, when, reason);
	else
		printf("  health: %s since %s, last check %llds ago: %s\n",
		       state, when, (long long)time(NULL) - checked, reason);
	/* The addresses are not as the state says: said on its own line. */
	if (!strncmp(routes, "FAILED", 6))
		printf("  health: service addresses %s\n", routes);
}

static int status_of(const char *dev)
{
	struct xd_pins p;

	if (open_pins(&p, dev, false) < 0)
		return EXIT_FAIL;
	int ifindex = (int)if_nametoindex(dev);
	struct attached a;
	attached_state(p.dir, ifindex, &a);
	struct xd_config cfg;
	uint32_t zero = 0;
	int bad = !a.attached;
	if (bpf_map_lookup_elem(p.maps.config, &zero, &cfg))
		memset(&cfg, 0, sizeof(cfg));
	if (!ifindex)
		printf("%s: pins of a program whose interface is gone "
		       "(detach --dev %s removes them)\n",
		       dev, dev);
	else if (!a.attached)
		printf("%s: pinned program %u is NOT attached (detached by "
		       "another tool?); detach --dev %s removes the pins\n",
		       dev, a.id, dev);
	else
		printf("%s: attached, %s mode, program %u, %s\n", dev,
		       mode_name(a.mode), a.id,
		       a.legacy ? "alone (this kernel does not let libxdp "
				  "chain XDP programs)" :
				  "behind the libxdp dispatcher");
	struct xd_xdp_sizes sz = {
		.slots = cfg.slots,
		.nodes = cfg.nodes,
		.name_chunks = cfg.name_chunks,
		.chunks = cfg.chunks,
		.tslots = cfg.tslots,
	};
	printf("  fast path %s; %s; capacity %u names, %.0f MiB\n",
	       cfg.disabled ? "OFF (config fast-path=off)" : "on",
	       cfg.enabled ? "zones loaded" : "no zones loaded yet", cfg.nodes,
	       (double)xd_xdp_bytes(&sz) / 1048576.0);
	if (cfg.enabled)
		printf("  serving generation %u\n", cfg.generation & 1);
	print_abuse(&cfg);
	struct xd_zone_key key, next;
	void *prev = NULL;
	size_t nz = 0;
	while (!bpf_map_get_next_key(p.zones, prev, &next)) {
		struct xd_zone_val v;
		char text[XD_DNAME_STR_MAX];
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(p.zones, &key, &v))
			continue;
		if (xd_dname_check(key.name, sizeof(key.name)) < 0)
			snprintf(text, sizeof(text), "(bad name)");
		else
			xd_dname_str(key.name, text);
		printf("  zone %s serial %u\n", text, v.serial);
		nz++;
	}
	if (!nz)
		printf("  no zones\n");
	struct counters c;
	if (read_counters(p.maps.stats, &c) == 0) {
		uint64_t an, pa, dr;
		totals(&c, &an, &pa, &dr);
		printf("  answered %llu, passed %llu, dropped %llu\n",
		       (unsigned long long)an, (unsigned long long)pa,
		       (unsigned long long)dr);
	}
	health_status(dev);
	xd_pins_close(&p);
	return bad ? EXIT_FAIL : 0;
}

static int cmd_status(int argc, char **argv)
{
	const char *dev;

	dev_only(argc, argv, usage_status, NO_ARGS, &dev);
	if (dev)
		return status_of(dev);
	DIR *d = opendir(XD_PIN_ROOT);
	if (!d) {
		printf("xdpdns is not attached to any interface\n");
		return 0;
	}
	struct dirent *e;
	int r = 0, n = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (status_of(e->d_name))
			r = EXIT_FAIL;
		n++;
	}
	closedir(d);
	if (!n)
		printf("xdpdns is not attached to any interface\n");
	return r;
}

/* ---- config ------------------------------------------------------------ */

/* K_HEX16: a secret, shown as (set) or none, never set from its value;
 * K_FILE: set only, the secret read from the file it names. */
enum key_kind { K_U32, K_U8, K_ONOFF, K_HEX16, K_FILE, K_RO };

/* The run-time settings: where each lives in struct xd_config. */
static const struct key {
	const char *name;
	enum key_kind kind;
	size_t off;
	uint32_t min, max;
} keys[] = {
	{ "fast-path", K_ONOFF, offsetof(struct xd_config, disabled), 0, 1 },
	{ "rrl", K_ONOFF, offsetof(struct xd_config, rrl_rate), 0, 1 },
	{ "rrl-responses-per-second", K_U32,
	  offsetof(struct xd_config, rrl_rate[XD_RRL_POSITIVE]), 0, 1000000 },
	{ "rrl-nodata-per-second", K_U32,
	  offsetof(struct xd_config, rrl_rate[XD_RRL_NODATA]), 0, 1000000 },
	{ "rrl-nxdomains-per-second", K_U32,
	  offsetof(struct xd_config, rrl_rate[XD_RRL_NXDOMAIN]), 0, 1000000 },
	{ "rrl-referrals-per-second", K_U32,
	  offsetof(struct xd_config, rrl_rate[XD_RRL_REFERRAL]), 0, 1000000 },
	{ "rrl-errors-per-second", K_U32,
	  offsetof(struct xd_config, rrl_rate[XD_RRL_ERROR]), 0, 1000000 },
	{ "rrl-passed-per-second", K_U32,
	  offsetof(struct xd_config, rrl_rate[XD_RRL_PASSED]), 0, 1000000 },
	{ "rrl-window", K_U32, offsetof(struct xd_config, rrl_window), 1,
	  3600 },
	{ "rrl-slip", K_U32, offsetof(struct xd_config, rrl_slip), 0, 10 },
	{ "rrl-ipv4-prefix-length", K_U8,
	  offsetof(struct xd_config, rrl_v4_prefix), 0, 32 },
	{ "rrl-ipv6-prefix-length", K_U8,
	  offsetof(struct xd_config, rrl_v6_prefix), 0, 128 },
	{ "rrl-log-only", K_ONOFF, offsetof(struct xd_config, rrl_log_only), 0,
	  1 },
	{ "cookies", K_ONOFF, offsetof(struct xd_config, cookie_flags), 0, 1 },
	{ "cookie-secret", K_HEX16, offsetof(struct xd_config, cookie_secret),
	  0, 0 },
	{ "cookie-secret-previous", K_HEX16,
	  offsetof(struct xd_config, cookie_previous), 0, 0 },
	{ "cookie-secret-file", K_FILE,
	  offsetof(struct xd_config, cookie_secret), 0, 0 },
	{ "cookie-secret-previous-file", K_FILE,
	  offsetof(struct xd_config, cookie_previous), 0, 0 },
	{ "clock", K_RO, 0, 0, 0 },
	{ "edns-udp-size", K_RO, 0, 0, 0 },
	{ "generation", K_RO, 0, 0, 0 },
	{ "zones-loaded", K_RO, 0, 0, 0 },
};

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static void show_key(const struct key *k, const struct xd_config *c)
{
	const uint8_t *b = (const uint8_t *)c + k->off;
	uint32_t u;

	printf("%s=", k->name);
	if (!strcmp(k->name, "fast-path")) {
		printf("%s\n", c->disabled ? "off" : "on");
	} else if (!strcmp(k->name, "rrl")) {
		bool any = false;
		for (int i = 0; i < XD_RRL_CLASSES; i++)
			any |= c->rrl_rate[i] != 0;
		printf("%s\n", any ? "on" : "off");
	} else if (!strcmp(k->name, "cookies")) {
		printf("%s\n", (c->cookie_flags & XD_CK_ON) ? "on" : "off");
	} else if (!strcmp(k->name, "cookie-secret-previous")) {
		printf("%s\n",
		       (c->cookie_flags & XD_CK_PREVIOUS) ? "(set)" : "none");
	} else if (k->kind == K_HEX16) {
		bool set = false;
		for (int i = 0; i < 16; i++)
			set |= b[i] != 0;
		/* A secret is not printed back. */
		printf("%s\n", set ? "(set)" : "none");
	} else if (k->kind == K_ONOFF) {
		printf("%s\n", *b ? "on" : "off");
	} else if (k->kind == K_U8) {
		printf("%u\n", *b);
	} else if (k->kind == K_U32) {
		memcpy(&u, b, 4);
		printf("%u\n", u);
	} else if (!strcmp(k->name, "clock")) {
		long skew = (long)((int64_t)(c->clock_offset_ns -
					     xd_clock_offset()) /
				   1000000);
		printf("%+ld ms from the wall clock\n", skew);
	} else if (!strcmp(k->name, "edns-udp-size")) {
		printf("%u\n", c->edns_udp);
	} else if (!strcmp(k->name, "generation")) {
		printf("%u\n", c->generation & 1);
	} else {
		printf("%s\n", c->enabled ? "yes" : "no");
	}
}

/* Apply KEY=VALUE to c; NULL, or what is wrong. */
static const char *set_key(struct xd_config *c, char *arg)
{
	static char why[PATH_MAX + 400];
	char *eq = strchr(arg, '=');

	if (!eq)
		return "not KEY=VALUE";
	*eq = 0;
	const char *name = arg, *val = eq + 1;
	const struct key *k = find_key(name);
	if (!k) {
		snprintf(why, sizeof(why), "unknown key '%s'", name);
		return why;
	}
	uint8_t *b = (uint8_t *)c + k->off;
	if (!strcmp(name, "clock")) {
		if (strcmp(val, "sync"))
			return "clock takes 'sync' (the wall clock now)";
		c->clock_offset_ns = xd_clock_offset();
		return NULL;
	}
	if (k->kind == K_RO) {
		snprintf(why, sizeof(why), "%s is read only", name);
		return why;
	}
	if (k->kind == K_ONOFF) {
		bool on;
		if (!strcmp(val, "on"))
			on = true;
		else if (!strcmp(val, "off"))
			on = false;
		else {
			snprintf(why, sizeof(why), "%s is on or off, not '%s'",
				 name, val);
			return why;
		}
		if (!strcmp(name, "fast-path"))
			c->disabled = !on;
		else if (!strcmp(name, "rrl"))
			xd_rrl_rates(c->rrl_rate, on);
		else if (!strcmp(name, "cookies")) {
			c->cookie_flags = on ? c->cookie_flags | XD_CK_ON :
					       c->cookie_flags & ~XD_CK_ON;
		} else {
			*b = on;
		}
		return NULL;
	}
	if (k->kind == K_HEX16) {
		snprintf(why, sizeof(why),
			 "a secret is not given on the command line, which "
			 "every user can read in /proc: put the 32 hex digits "
			 "in a file only root may read (chmod 600) and set "
			 "%s-file=PATH",
			 name);
		return why;
	}
	if (k->kind == K_FILE) {
		bool previous = !strcmp(name, "cookie-secret-previous-file");
		if (previous && !strcmp(val, "none")) {
			memset(b, 0, XD_SECRET_LEN);
			c->cookie_flags &= ~XD_CK_PREVIOUS;
			return NULL;
		}
		if (xd_secret_read(val, b, why, sizeof(why)) < 0)
			return why;
		if (previous)
			c->cookie_flags |= XD_CK_PREVIOUS;
		return NULL;
	}
	unsigned long v;
	if (xd_parse_number(val, k->min, k->max, &v) < 0) {
		snprintf(why, sizeof(why),
			 "%s wants a number from %u to %u, "
			 "not '%s'",
			 name, k->min, k->max, val);
		return why;
	}
	if (k->kind == K_U8) {
		*b = (uint8_t)v;
	} else {
		uint32_t u = (uint32_t)v;
		memcpy(b, &u, 4);
		/* responses-per-second also sets the classes after it, as
		 * BIND's rates default to it; set them after it to differ. */
		if (!strcmp(name, "rrl-responses-per-second"))
			for (int i = XD_RRL_NODATA; i <= XD_RRL_ERROR; i++)
				c->rrl_rate[i] = u;
	}
	return NULL;
}

static int cmd_config(int argc, char **argv)
{
	const char *dev;
	int i = dev_only(argc, argv, usage_config, NEED_DEV, &dev);

	if (i >= argc)
		xd_usage_error(prog_name, usage_config, "%s",
			       "get or set is required");
	bool set = !strcmp(argv[i], "set");
	if (!set && strcmp(argv[i], "get"))
		xd_usage_error(prog_name, usage_config, "unknown action '%s'",
			       argv[i]);
	i++;
	if (set && i >= argc)
		xd_usage_error(prog_name, usage_config, "%s",
			       "set needs KEY=VALUE");
	if (!set && argc - i > 1)
		xd_usage_error(prog_name, usage_config, "%s",
			       "get takes at most one KEY");

	struct xd_pins p;
	if (open_pins(&p, dev, set) < 0)
		return EXIT_FAIL;
	struct xd_config cfg;
	uint32_t zero = 0;
	int r;
	if (bpf_map_lookup_elem(p.maps.config, &zero, &cfg)) {
		r = -errno;
		xd_pins_close(&p);
		return fail("cannot read the config of %s: %s", dev,
			    strerror(-r));
	}
	if (!set) {
		const char *key = i < argc ? argv[i] : NULL;
		bool any = false;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (keys[k].kind != K_FILE &&
			    (!key || !strcmp(key, keys[k].name))) {
				show_key(&keys[k], &cfg);
				any = true;
			}
		xd_pins_close(&p);
		if (!any)
			xd_usage_error(prog_name, usage_config,
				       "unknown key '%s'", key);
		return 0;
	}
	/* Every setting checked before any is written; under the lock, so
	 * that an apply running meanwhile is not undone. */
	struct xd_config next = cfg;
	for (int k = i; k < argc; k++) {
		char *arg = strdup(argv[k]);
		const char *bad = arg ? set_key(&next, arg) : "out of memory";
		free(arg);
		if (bad) {
			xd_pins_close(&p);
			fprintf(stderr, "%s: %s: %s; nothing changed\n",
				prog_name, argv[k], bad);
			return EXIT_USAGE;
		}
	}
	/* Cookies want a secret, given in this set or before it. */
	bool secret = false;
	for (int k = 0; k < 16; k++)
		secret |= next.cookie_secret[k] != 0;
	if ((next.cookie_flags & XD_CK_ON) && !secret) {
		xd_pins_close(&p);
		fprintf(stderr,
			"%s: cookies=on needs cookie-secret-file=PATH (in the "
			"same set or before it); nothing changed\n",
			prog_name);
		return EXIT_USAGE;
	}
	/* What apply owns stays as apply left it. */
	next.generation = cfg.generation;
	next.enabled = cfg.enabled;
	memcpy(next.gen, cfg.gen, sizeof(next.gen));
	r = bpf_map_update_elem(p.maps.config, &zero, &next, BPF_ANY) ? -errno :
									0;
	xd_pins_close(&p);
	if (r < 0)
		return fail("cannot write the config of %s: %s", dev,
			    strerror(-r));
	for (int k = i; k < argc; k++) {
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(argv[k], "="),
			 argv[k]);
		const struct key *which = find_key(name);
		/* A file's secret is shown as the key it set. */
		if (which && which->kind == K_FILE)
			which = find_key(!strcmp(name, "cookie-secret-file") ?
						 "cookie-secret" :
						 "cookie-secret-previous");
		if (which)
			show_key(which, &next);
	}
	return 0;
}

/* ---- exempt prefixes ----------------------------------------------------- */

/* An exempt prefix's text as the program's trie keys it. */
static int parse_exempt(const char *text, struct xd_rrl_exempt_key *k)
{
	struct xd_prefix p;

	_Static_assert(sizeof(p.addr) == sizeof(k->addr), "prefix layout");
	if (xd_parse_prefix(text, &p) < 0)
		return -1;
	k->prefixlen = p.prefixlen;
	memcpy(k->addr, p.addr, sizeof(k->addr));
	return 0;
}

static void print_prefix(const struct xd_rrl_exempt_key *k)
{
	char text[INET6_ADDRSTRLEN];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (k->prefixlen >= 96 && !memcmp(k->addr, mapped, 12)) {
		inet_ntop(AF_INET, k->addr + 12, text, sizeof(text));
		printf("%s/%u\n", text, k->prefixlen - 96);
	} else {
		inet_ntop(AF_INET6, k->addr, text, sizeof(text));
		printf("%s/%u\n", text, k->prefixlen);
	}
}

static int cmd_exempt(int argc, char **argv)
{
	const char *dev;
	int i = dev_only(argc, argv, usage_exempt, NEED_DEV, &dev);

	if (i >= argc)
		xd_usage_error(prog_name, usage_exempt, "%s",
			       "add, del or list is required");
	const char *action = argv[i++];
	bool add = !strcmp(action, "add"), del = !strcmp(action, "del");
	if (!add && !del && strcmp(action, "list"))
		xd_usage_error(prog_name, usage_exempt, "unknown action '%s'",
			       action);
	if ((add || del) && i >= argc)
		xd_usage_error(prog_name, usage_exempt, "%s needs a PREFIX",
			       action);
	/* Every prefix checked before any is written. */
	struct xd_rrl_exempt_key keys_in[64];
	int n = 0;
	for (; i < argc; i++) {
		if (n == 64)
			xd_usage_error(prog_name, usage_exempt, "%s",
				       "at most 64 at once");
		if (parse_exempt(argv[i], &keys_in[n++]) < 0)
			xd_usage_error(prog_name, usage_exempt,
				       "'%s' is not a prefix", argv[i]);
	}
	struct xd_pins p;
	if (open_pins(&p, dev, add || del) < 0)
		return EXIT_FAIL;
	int rc = 0;
	if (add || del) {
		uint8_t one = 1;
		for (int k = 0; k < n; k++) {
			int e = add ? bpf_map_update_elem(p.maps.exempt,
							  &keys_in[k], &one,
							  BPF_ANY) :
				      bpf_map_delete_elem(p.maps.exempt,
							  &keys_in[k]);
			if (e && !add && errno == ENOENT) {
				fail("del %s: not an exempt prefix",
				     argv[argc - n + k]);
				rc = EXIT_FAIL;
			} else if (e) {
				fail("%s %s: %s%s", action, argv[argc - n + k],
				     strerror(errno),
				     errno == ENOSPC || errno == E2BIG ?
					     " (at most 1024 prefixes)" :
					     "");
				rc = EXIT_FAIL;
			}
		}
	} else {
		struct xd_rrl_exempt_key k, next;
		void *prev = NULL;
		while (!bpf_map_get_next_key(p.maps.exempt, prev, &next)) {
			print_prefix(&next);
			k = next;
			prev = &k;
		}
	}
	xd_pins_close(&p);
	return rc;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet_print);
	libxdp_set_print(quiet_xdp_print);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		const char *t = argc > 2 ? argv[2] : "";
		const char *u = !strcmp(t, "attach") ? usage_attach :
				!strcmp(t, "detach") ? usage_detach :
				!strcmp(t, "status") ? usage_status :
				!strcmp(t, "stats")  ? usage_stats :
				!strcmp(t, "config") ? usage_config :
				!strcmp(t, "exempt") ? usage_exempt :
						       usage_main;
		fputs(u, stdout);
		return 0;
	}
	argv++;
	argc--;
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc, argv);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc, argv);
	if (!strcmp(cmd, "config"))
		return cmd_config(argc, argv);
	if (!strcmp(cmd, "exempt"))
		return cmd_exempt(argc, argv);
	xd_usage_error(prog_name, usage_main, "unknown command '%s'", cmd);
}
