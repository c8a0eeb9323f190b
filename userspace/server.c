// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-server: the userspace authoritative server behind the XDP fast
 * path. It answers, with the same answer engine and the same compiled
 * zones, everything the XDP program passes (misses, TCP, EDNS options,
 * errors), and is a complete authoritative server with the program
 * detached.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "cdb.h"
#include "cli.h"
#include "compile.h"
#include "conf.h"
#include "io.h"
#include "limit.h"
#include "parse.h"
#include "pidfile.h"
#include "secret.h"
#include "serve.h"
#include "counters.h"
#include "tcp.h"

#define EXIT_FAIL 1
#define MAX_LISTEN 16
#define MAX_SOURCES 256
#define UDP_BATCH 32
#define UDP_BUF 4096
/* The system user the server runs as when started as root. */
#define XD_SERVER_USER "xdpdns"

static const char usage[] =
	"Usage: xdpdns-server [OPTIONS] SOURCE...\n"
	"\n"
	"The authoritative DNS server behind xdpdns's XDP fast path: it answers\n"
	"every query the XDP program passes to the kernel stack (TCP, names\n"
	"not loaded in XDP, EDNS options, errors), with the same answer engine\n"
	"and so the same bytes, and serves alone when the program is detached.\n"
	"\n"
	"SOURCE is zone files (FILE or NAME=FILE, as for xdpdns-zonec) or one\n"
	"compiled file from 'xdpdns-zonec compile'. SIGHUP reloads them: a\n"
	"source that no longer compiles leaves the served zones as they were.\n"
	"A compiled file is read whole into memory (its size in RAM) and\n"
	"checked, at start and at each SIGHUP; writing over it in place (cp,\n"
	"rsync --inplace) changes nothing served until SIGHUP, and a damaged\n"
	"or half-written file is refused then. Replace it by renaming a new\n"
	"file over it, as 'xdpdns-zonec compile' does.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE     read options from FILE first: one 'name =\n"
	"                        value' a line, names as the long options\n"
	"                        below (zone = SOURCE for sources), '#'\n"
	"                        comments; options given here win\n"
	"                        (repeatable: the files are read in order)\n"
	"  -l, --listen ADDR     address to serve, IPv4 or IPv6, with an\n"
	"                        optional port: 198.18.0.1, [2001:db8::1]:53,\n"
	"                        0.0.0.0:5353 (repeatable; default 0.0.0.0:53\n"
	"                        and [::]:53)\n"
	"  -w, --workers N       threads, each with its own UDP and TCP sockets\n"
	"                        (SO_REUSEPORT); default one per CPU\n"
	"  -u, --user USER       drop to USER after binding and reading the\n"
	"                        secrets (default: xdpdns when started as\n"
	"                        root; create it with 'useradd --system\n"
	"                        --no-create-home --shell /usr/sbin/nologin\n"
	"                        xdpdns', as 'make install' does)\n"
	"      --cookie-secret-file FILE\n"
	"                        the 16-byte secret of DNS server cookies (RFC\n"
	"                        7873, made as RFC 9018 says): 32 hex digits\n"
	"                        on one line, in a file only its owner (root,\n"
	"                        or the user starting the server) may read\n"
	"                        (chmod 600), read before the drop to USER.\n"
	"                        Default " XD_COOKIE_SECRET_DEFAULT ",\n"
	"                        made with a random secret at the first start\n"
	"                        (as 'xdpdns-loader attach' does, which gives\n"
	"                        the XDP program the same); a FILE given here\n"
	"                        must exist. An anycast service copies one\n"
	"                        file to every node, so that a client's cookie\n"
	"                        is valid at all of them\n"
	"      --cookie-secret-previous-file FILE\n"
	"                        the secret before the last rotation, in a\n"
	"                        file as above: cookies made with it are still\n"
	"                        accepted\n"
	"  -n, --nsid TEXT       the node's identity, returned to queries that\n"
	"                        ask for it with the EDNS NSID option (RFC\n"
	"                        5001), so an anycast operator can tell nodes\n"
	"                        apart; default none\n"
	"  -p, --pidfile FILE    write the process id to FILE at start, for\n"
	"                        'xdpdns-zonec apply --server-pidfile': written\n"
	"                        before the drop to USER and left root's (mode\n"
	"                        0644), with a write lock held while the\n"
	"                        server runs; apply signals only the lock's\n"
	"                        holder. A second server given the same FILE\n"
	"                        refuses to start. A file left after a stop\n"
	"                        holds no lock and is replaced at the next\n"
	"                        start\n"
	"  -o, --option NAME=VALUE\n"
	"                        any setting of the config file, here\n"
	"                        (repeatable; wins over the files)\n"
	"  -q, --quiet           log errors only\n"
	"  -h, --help            this help\n"
	"\n"
	"TCP (RFC 7766), with limits that keep any one client from taking it:\n"
	"      --tcp-idle S      close a TCP connection S seconds after its\n"
	"                        last whole query, or its last reply sent if\n"
	"                        later (default 10; RFC 7766 6.2.3). Bytes\n"
	"                        that complete no query do not count\n"
	"      --tcp-msg-timeout S\n"
	"                        a query must be whole S seconds after its\n"
	"                        first byte, or the connection is closed\n"
	"                        (fractions allowed; default 2): a client\n"
	"                        trickling bytes holds no connection longer\n"
	"      --tcp-max N       connections at once over all workers\n"
	"                        (default 1000). At the cap, a new connection\n"
	"                        takes the place of its worker's longest idle\n"
	"                        one, and is closed at accept when there is\n"
	"                        none\n"
	"      --tcp-max-per-client N\n"
	"                        connections at once from one client over all\n"
	"                        workers (default 20; 0: no limit); more are\n"
	"                        closed at accept, without closing others'\n"
	"                        idle ones\n"
	"      --tcp-client-prefix4 LEN\n"
	"      --tcp-client-prefix6 LEN\n"
	"                        one client is all addresses of a /LEN:\n"
	"                        default /32 for IPv4 and /64, a usual end\n"
	"                        site's subnet, for IPv6\n"
	"      --tcp-output-max SIZE\n"
	"                        replies queued for a connection that does\n"
	"                        not read them: from SIZE on (default 64K),\n"
	"                        no more of its queries are read until they\n"
	"                        drain below it, and it is closed when they\n"
	"                        have not within --tcp-idle\n"
	"      --tcp-memory SIZE the buffers of all connections: of queries\n"
	"                        not yet whole (grown as their bytes arrive)\n"
	"                        and of replies not yet sent (default 64M).\n"
	"                        At the cap, the connection stalled longest\n"
	"                        on unread replies is closed first; then a\n"
	"                        new connection is refused, or one that\n"
	"                        needs more is closed\n"
	"SIZE is bytes, or a number with K, M or G (KiB, MiB, GiB). What the\n"
	"limits do is logged with counts, each kind at most once a minute\n"
	"(not with --quiet).\n"
	"\n"
	"Response rate limiting (RRL) of UDP responses, as the XDP program\n"
	"does it and by the same names as 'xdpdns-loader config' (config file\n"
	"or --option; read at start): a bucket per client prefix and\n"
	"response earns RATE responses a second and may owe WINDOW seconds'\n"
	"worth; over it, a response is dropped, or every SLIP-th sent as TC=1\n"
	"with no records so that a real client retries over TCP. Errors are\n"
	"limited per prefix and never slipped. On by default, at BIND's advice:\n"
	"  rrl                       on | off (every rate below to its default\n"
	"                            or to 0)\n"
	"  rrl-responses-per-second  answers (10); also sets the four below\n"
	"  rrl-nodata-per-second     NODATA (10)\n"
	"  rrl-nxdomains-per-second  NXDOMAIN, per zone (10)\n"
	"  rrl-referrals-per-second  referrals, per delegation (10)\n"
	"  rrl-errors-per-second     errors, per prefix (10)\n"
	"  rrl-window                seconds of debt a bucket may owe (15)\n"
	"  rrl-slip                  0 never, 1 always, N every N-th (2)\n"
	"  rrl-ipv4-prefix-length    bits of an IPv4 client's prefix (24)\n"
	"  rrl-ipv6-prefix-length    bits of an IPv6 client's prefix (56)\n"
	"  rrl-log-only              on: limit nothing, log once a minute\n"
	"                            how much would have been limited\n"
	"  rrl-exempt                PREFIX never limited (repeatable, 64)\n"
	"  rrl-table                 buckets (65536, 32 bytes each)\n"
	"TCP and clients with a valid DNS cookie of ours are never limited.\n"
	"What was limited is logged once a minute.\n"
	"\n"
	"Secrets are never taken on the command line (every user can read it\n"
	"in /proc): --cookie-secret HEX is refused, as is 'cookie-secret =' in\n"
	"a config file.\n"
	"\n"
	"It runs in the foreground and logs to standard error; under systemd\n"
	"see userspace/xdpdns-server.service. SIGTERM or SIGINT stops it.\n"
	"\n"
	"Exit status: 0 after a clean stop, 1 when it cannot start (reason on\n"
	"standard error), 2 usage error.\n";

static const char *prog = "xdpdns-server";
static bool quiet;

/* ---- configuration ------------------------------------------------------ */

struct config {
	struct sockaddr_storage listen[MAX_LISTEN];
	socklen_t listen_len[MAX_LISTEN];
	int nlisten;
	char *sources[MAX_SOURCES];
	int nsources;
	int workers;
	const char *user;
	char nsid[256];
	size_t nsid_len;
	int tcp_idle_s;
	int tcp_max;
	int tcp_max_per_client;
	int tcp_prefix4, tcp_prefix6;
	double tcp_msg_timeout_s;
	size_t tcp_output_max, tcp_memory;
	const char *secret_file, *previous_file;
	uint8_t secret[XD_SECRET_LEN], previous[XD_SECRET_LEN];
	bool has_previous;
	struct xd_limit_settings limit;
	bool limit_set; /* limit holds its defaults */
};

static int parse_listen(struct config *c, const char *spec)
{
	if (c->nlisten >= MAX_LISTEN ||
	    xd_parse_sockaddr(spec, &c->listen[c->nlisten],
			      &c->listen_len[c->nlisten]) < 0)
		return -1;
	c->nlisten++;
	return 0;
}

/* A decimal number from min to max into *out. */
static int parse_int(const char *val, int min, int max, int *out)
{
	unsigned long n;

	if (xd_parse_number(val, (unsigned long)min, (unsigned long)max, &n) <
	    0)
		return -1;
	*out = (int)n;
	return 0;
}

/* A size in bytes from min to max: a decimal number, with K, M or G for
 * KiB, MiB or GiB. */
static int parse_size(const char *val, size_t min, size_t max, size_t *out)
{
	char num[32];
	size_t n = strlen(val);
	int shift = 0;
	unsigned long v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, val, n + 1);
	switch (num[n - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		num[n - 1] = 0;
	if (xd_parse_number(num, 0, ULONG_MAX >> shift, &v) < 0 ||
	    (size_t)v << shift < min || (size_t)v << shift > max)
		return -1;
	*out = (size_t)v << shift;
	return 0;
}

static int set_option(struct config *c, const char *name, const char *val)
{
	if (!strcmp(name, "listen"))
		return parse_listen(c, val);
	if (!strcmp(name, "zone") || !strcmp(name, "source")) {
		if (c->nsources >= MAX_SOURCES)
			return -1;
		c->sources[c->nsources++] = strdup(val);
		return 0;
	}
	if (!strcmp(name, "workers"))
		return parse_int(val, 1, 256, &c->workers);
	if (!strcmp(name, "user")) {
		c->user = strdup(val);
		return 0;
	}
	if (!strcmp(name, "nsid")) {
		size_t n = strlen(val);
		if (n == 0 || n > 255)
			return -1;
		memcpy(c->nsid, val, n);
		c->nsid_len = n;
		return 0;
	}
	if (!strcmp(name, "tcp-idle"))
		return parse_int(val, 1, 3600, &c->tcp_idle_s);
	if (!strcmp(name, "tcp-max"))
		return parse_int(val, 1, 1000000, &c->tcp_max);
	if (!strcmp(name, "tcp-max-per-client"))
		return parse_int(val, 0, 1000000, &c->tcp_max_per_client);
	if (!strcmp(name, "tcp-client-prefix4"))
		return parse_int(val, 1, 32, &c->tcp_prefix4);
	if (!strcmp(name, "tcp-client-prefix6"))
		return parse_int(val, 1, 128, &c->tcp_prefix6);
	if (!strcmp(name, "tcp-msg-timeout"))
		return xd_parse_seconds(val, 0.01, 3600, &c->tcp_msg_timeout_s);
	if (!strcmp(name, "tcp-output-max"))
		return parse_size(val, 4096, 1ul << 24, &c->tcp_output_max);
	if (!strcmp(name, "tcp-memory"))
		return parse_size(val, 1ul << 20, (size_t)1 << 40,
				  &c->tcp_memory);
	if (!strcmp(name, "cookie-secret-file")) {
		c->secret_file = strdup(val);
		return 0;
	}
	if (!strcmp(name, "cookie-secret-previous-file")) {
		c->previous_file = strdup(val);
		return 0;
	}
	if (!strcmp(name, "cookie-secret") ||
	    !strcmp(name, "cookie-secret-previous"))
		return -3; /* a secret in the open: see secret_refused() */
	if (!strncmp(name, "rrl", 3)) {
		char why[160];
		if (!c->limit_set) {
			xd_limit_defaults(&c->limit);
			c->limit_set = true;
		}
		int r = xd_limit_set(&c->limit, name, val, why, sizeof(why));
		if (r == -1)
			fprintf(stderr, "%s: %s\n", prog, why);
		return r;
	}
	if (!strcmp(name, "quiet"))
		return xd_parse_bool(val, &quiet);
	return -2;
}

/* What a value of option name may be, said after a refusal ("" where
 * --help says enough). */
static const char *option_hint(const char *name)
{
	static const char *const hints[][2] = {
		{ "tcp-idle", ": seconds, from 1 to 3600" },
		{ "tcp-max", ": a number from 1 to 1000000" },
		{ "tcp-max-per-client",
		  ": a number from 1 to 1000000, or 0 for no limit" },
		{ "tcp-client-prefix4", ": a prefix length from 1 to 32" },
		{ "tcp-client-prefix6", ": a prefix length from 1 to 128" },
		{ "tcp-msg-timeout", ": seconds, from 0.01 to 3600" },
		{ "tcp-output-max",
		  ": a size from 4K to 16M (bytes, or with K or M)" },
		{ "tcp-memory",
		  ": a size from 1M to 1024G (bytes, or with K, M or G)" },
	};

	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (!strcmp(name, hints[i][0]))
			return hints[i][1];
	return "";
}

/* Why a secret given as a value (cookie-secret, cookie-secret-previous)
 * is refused: on a command line every user reads it in /proc/PID/cmdline,
 * and a config file is rarely kept as private as a secret must be. */
static void secret_refused(const char *name, bool flag, char *why, size_t len)
{
	snprintf(why, len,
		 "%s%s takes no secret any more (a command line is visible "
		 "to every user in /proc): put the 32 hex digits in a file "
		 "only root may read (chmod 600) and give %s%s-file%sFILE",
		 flag ? "--" : "", name, flag ? "--" : "", name,
		 flag ? " " : " = ");
}

/* A setting from the config file, refused with its name. */
static int set_from_file(void *ctx, const char *name, const char *val,
			 char *why, size_t len)
{
	int r = set_option(ctx, name, val);

	if (r == -3)
		secret_refused(name, false, why, len);
	else if (r < 0)
		snprintf(why, len, "%s '%s'%s",
			 r == -2 ? "unknown option" : "bad value for", name,
			 r == -2 ? "" : option_hint(name));
	return r < 0 ? -1 : 0;
}

/* One config file into the struct config at c (xd_conf_each()). */
static int read_config(void *c, const char *path)
{
	char err[PATH_MAX + 2048]; /* the path, a line and what is wrong */

	if (xd_conf_read(path, set_from_file, c, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "%s: %s\n", prog, err);
	return -1;
}

/* ---- the zones ----------------------------------------------------------- */

static pthread_rwlock_t db_lock; /* writers first: see main() */
static struct xd_cdb *db_current;

static struct xd_cdb *load_db(char **sources, int n)
{
	struct xd_cdb *db = calloc(1, sizeof(*db));
	struct xd_diag d;

	if (!db)
		return NULL;
	xd_cdb_init(db);
	if (n == 1 && xd_cdb_is_compiled(sources[0])) {
		const char *why = NULL;
		int r = xd_cdb_load(db, sources[0], &why);
		if (r < 0) {
			xd_log(prog, "%s: %s", sources[0],
			       why ? why : strerror(-r));
			free(db);
			return NULL;
		}
		return db;
	}
	xd_diag_init(&d, stderr);
	if (xd_compile_files(sources, n, db, &d, NULL) < 0) {
		xd_log(prog, "zones refused: %u error(s)", d.errors);
		xd_cdb_free(db);
		free(db);
		return NULL;
	}
	return db;
}

static void log_zones(const struct xd_cdb *db, const char *what)
{
	char name[XD_DNAME_STR_MAX];

	for (size_t i = 0; i < db->nzones; i++) {
		xd_dname_str(xd_cdb_name(db, db->zones[i].apex), name);
		if (!quiet)
			xd_log(prog, "%s zone %s serial %u", what, name,
			       db->zones[i].serial);
	}
}

/* ---- workers ---------------------------------------------------------------- */

static struct config cfg;
static struct srv_stats stats;
static struct tcp_shared tcp_shared;
static atomic_bool stopping;
static int stop_fd = -1;

struct worker {
	pthread_t thread;
	int udp[MAX_LISTEN], tcp[MAX_LISTEN];
	int ep;
	struct tcp_worker conns;
	struct xd_serve_ctx sc;
};

static struct xd_limiter limiter;

/* Answer one query under the read lock. */
static size_t answer(struct worker *w, const uint8_t *q, size_t qlen,
		     uint8_t *out, size_t cap, bool tcp,
		     const struct sockaddr_storage *client)
{
	struct xd_serve_info info;

	pthread_rwlock_rdlock(&db_lock);
	size_t n = xd_serve(&w->sc, db_current, q, qlen, out, cap, tcp, client,
			    (uint32_t)time(NULL), &info);
	pthread_rwlock_unlock(&db_lock);
	if (info.limited != XD_LIMIT_SEND)
		srv_stats_add(&stats,
			      info.limited == XD_LIMIT_DROP ? SRV_RRL_DROPPED :
			      info.limited == XD_LIMIT_SLIP ? SRV_RRL_SLIPPED :
							      SRV_RRL_LOG_ONLY,
			      1, srv_now_ms());
	return n;
}

static void serve_udp(struct worker *w, int fd)
{
	static __thread uint8_t bufs[UDP_BATCH][UDP_BUF];
	static __thread uint8_t outs[UDP_BATCH][UDP_BUF];
	static __thread uint8_t ctl[UDP_BATCH][64];
	static __thread uint8_t octl[UDP_BATCH][64];
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec iov[UDP_BATCH], oiov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];

	memset(in, 0, sizeof(in));
	for (int i = 0; i < UDP_BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], UDP_BUF };
		in[i].msg_hdr.msg_iov = &iov[i];
		in[i].msg_hdr.msg_iovlen = 1;
		in[i].msg_hdr.msg_name = &from[i];
		in[i].msg_hdr.msg_namelen = sizeof(from[i]);
		in[i].msg_hdr.msg_control = ctl[i];
		in[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
	}
	int n = recvmmsg(fd, in, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	int m = 0;
	for (int i = 0; i < n; i++) {
		size_t len = xd_serve_udp_len(&in[i]);
		size_t r = answer(w, bufs[i], len, outs[m], UDP_BUF, false,
				  &from[i]);
		if (!r)
			continue;
		memset(&out[m], 0, sizeof(out[m]));
		oiov[m] = (struct iovec){ outs[m], r };
		out[m].msg_hdr.msg_iov = &oiov[m];
		out[m].msg_hdr.msg_iovlen = 1;
		out[m].msg_hdr.msg_name = &from[i];
		out[m].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
		/* Reply from the address the query came to. */
		size_t cl = xd_serve_reply_pktinfo(&in[i].msg_hdr, octl[m],
						   sizeof(octl[m]));
		out[m].msg_hdr.msg_control = cl ? octl[m] : NULL;
		out[m].msg_hdr.msg_controllen = cl;
		m++;
	}
	/* Each reply once: one the kernel refuses (a spoofed source it has
	 * no route to) costs the others nothing. */
	unsigned failed = io_send_batch(out, (unsigned)m, io_sendmmsg, &fd);
	if (failed)
		srv_stats_add(&stats, SRV_UDP_SEND_FAILED, failed,
			      srv_now_ms());
}

/* A query over TCP (tcp_answer_fn), ctx its worker. */
static size_t answer_tcp(void *ctx, const uint8_t *q, size_t qlen, uint8_t *out,
			 size_t cap, const struct sockaddr_storage *client)
{
	return answer(ctx, q, qlen, out, cap, true, client);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	int64_t reported = 0;

	while (!atomic_load(&stopping)) {
		int64_t now = srv_now_ms();
		/* Deadlines of connections (RFC 7766 6.2.3 and the limits
		 * in tcp.h): the wait ends at the next one. */
		int64_t wait = tcp_expire(&w->conns, now);
		if (wait < 0 || wait > 1000)
			wait = 1000;
		if (now - reported >= 1000) {
			srv_stats_report(&stats, now);
			reported = now;
		}
		int n = epoll_wait(w->ep, evs, 64, (int)wait);
		now = srv_now_ms();
		for (int i = 0; i < n; i++) {
			uintptr_t tag = (uintptr_t)evs[i].data.u64;
			if (tag == 1)
				continue; /* the stop event */
			if (tag >= 2 && tag < 2 + MAX_LISTEN) {
				serve_udp(w, w->udp[tag - 2]);
			} else if (tag >= 2 + MAX_LISTEN &&
				   tag < 2 + 2 * MAX_LISTEN) {
				tcp_accept(&w->conns,
					   w->tcp[tag - 2 - MAX_LISTEN], now);
			} else {
				tcp_event(&w->conns, evs[i].data.ptr,
					  evs[i].events, now);
			}
		}
	}
	tcp_close_all(&w->conns);
	return NULL;
}

/* The counters and the TCP limits the workers share. */
static int tcp_setup(void)
{
	struct tcp_limits lim = {
		.max_conns = cfg.tcp_max,
		.max_per_client = cfg.tcp_max_per_client,
		.prefix4 = cfg.tcp_prefix4,
		.prefix6 = cfg.tcp_prefix6,
		.idle_ms = (int64_t)cfg.tcp_idle_s * 1000,
		.msg_ms = (int64_t)(cfg.tcp_msg_timeout_s * 1000 + 0.5),
		.output_max = cfg.tcp_output_max,
		.memory_max = cfg.tcp_memory,
	};

	srv_stats_init(&stats, prog, !quiet);
	if (tcp_shared_init(&tcp_shared, &lim, &stats) < 0) {
		fprintf(stderr, "%s: cannot set up TCP: %s\n", prog,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int open_socket(const struct sockaddr_storage *ss, socklen_t len,
		       int type)
{
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		if (ss->ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				   sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 1024) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

/* The user to drop to, looked up before anything is written as root. */
struct run_as {
	const char *name;
	uid_t uid;
	gid_t gid;
};

static int find_user(const char *name, struct run_as *u)
{
	struct passwd *pw = getpwnam(name);

	if (!pw && !strcmp(name, XD_SERVER_USER)) {
		fprintf(stderr,
			"%s: no user '%s' to run as: create it with\n"
			"  useradd --system --no-create-home --shell "
			"/usr/sbin/nologin %s\n"
			"(as 'make install' does), or give --user USER\n",
			prog, name, name);
		return -1;
	}
	if (!pw) {
		fprintf(stderr, "%s: no user '%s'\n", prog, name);
		return -1;
	}
	*u = (struct run_as){ name, pw->pw_uid, pw->pw_gid };
	return 0;
}

static int drop_privileges(const struct run_as *u)
{
	if (setgroups(0, NULL) < 0 || setgid(u->gid) < 0 ||
	    setuid(u->uid) < 0) {
		fprintf(stderr, "%s: cannot become %s: %s\n", prog, u->name,
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The cookie secrets, read while still root (the files are root's, 0600):
 * --cookie-secret-file, or the default file, made when it is missing;
 * --cookie-secret-previous-file when given. 0, or -1 having said why.
 */
static int read_secrets(struct config *c)
{
	char err[PATH_MAX + 256];
	bool made = false;
	int r;

	if (c->secret_file)
		r = xd_secret_read(c->secret_file, c->secret, err, sizeof(err));
	else
		r = xd_secret_load_or_make(XD_COOKIE_SECRET_DEFAULT, c->secret,
					   &made, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: cookie secret: %s%s\n", prog, err,
			r == -ENOENT ?
				" (only the default file, " XD_COOKIE_SECRET_DEFAULT
				", is made when missing)" :
			!c->secret_file ?
				"; the default file is made at the first "
				"start as root, or give "
				"--cookie-secret-file FILE" :
				"");
		return -1;
	}
	if (made)
		xd_log(prog,
		       "made a new cookie secret in %s; the nodes of an "
		       "anycast service need the same: copy this file to "
		       "every node",
		       XD_COOKIE_SECRET_DEFAULT);
	else if (!quiet)
		xd_log(prog, "cookie secret from %s",
		       c->secret_file ? c->secret_file :
					XD_COOKIE_SECRET_DEFAULT);
	if (!c->previous_file)
		return 0;
	if (xd_secret_read(c->previous_file, c->previous, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "%s: previous cookie secret: %s\n", prog, err);
		return -1;
	}
	c->has_previous = true;
	return 0;
}

/*
 * At a clean stop: the lock goes with the process. The file is removed
 * where the server may (a directory of its user's); in a directory of
 * root's, such as /run/xdpdns-server under the shipped unit, a server no
 * longer root leaves it, lockless and so harmless, and systemd's
 * PIDFile= removes it.
 */
static void pidfile_release(const char *path, int fd)
{
	struct stat at, held;

	/* Only the file this server wrote, not one put in its place. */
	if (lstat(path, &at) == 0 && fstat(fd, &held) == 0 &&
	    at.st_dev == held.st_dev && at.st_ino == held.st_ino &&
	    unlink(path) < 0 && errno != EACCES && errno != EPERM &&
	    errno != ENOENT)
		xd_log(prog, "cannot remove %s: %s", path, strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "nsid", required_argument, NULL, 'n' },
		{ "tcp-idle", required_argument, NULL, 'I' },
		{ "tcp-max", required_argument, NULL, 'M' },
		/* Without a letter: named as in a config file (case 0). */
		{ "tcp-max-per-client", required_argument, NULL, 0 },
		{ "tcp-client-prefix4", required_argument, NULL, 0 },
		{ "tcp-client-prefix6", required_argument, NULL, 0 },
		{ "tcp-msg-timeout", required_argument, NULL, 0 },
		{ "tcp-output-max", required_argument, NULL, 0 },
		{ "tcp-memory", required_argument, NULL, 0 },
		{ "cookie-secret-file", required_argument, NULL, 'F' },
		{ "cookie-secret-previous-file", required_argument, NULL, 'P' },
		/* Refused, with what to give instead. */
		{ "cookie-secret", required_argument, NULL, 'S' },
		{ "cookie-secret-previous", required_argument, NULL, 'R' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "option", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct config flags = { 0 };
	static const char shortopts[] = "c:l:w:u:n:p:o:qh";
	const char *pidfile = NULL;
	int c, idx;

	cfg.tcp_idle_s = 10;
	cfg.tcp_max = 1000;
	cfg.tcp_max_per_client = 20;
	cfg.tcp_prefix4 = 32;
	cfg.tcp_prefix6 = 64;
	cfg.tcp_msg_timeout_s = 2;
	cfg.tcp_output_max = 64 << 10;
	cfg.tcp_memory = 64 << 20;
	/* The config files first, in order, then the flags over them. */
	if (xd_conf_each(argc, argv, shortopts, opts, read_config, &cfg) < 0)
		return EXIT_USAGE;
	while ((c = getopt_long(argc, argv, shortopts, opts, &idx)) != -1) {
		const char *name = NULL;
		switch (c) {
		case 0:
			name = opts[idx].name;
			break;
		case 'c':
			continue;
		case 'p':
			pidfile = optarg;
			continue;
		case 'l':
			if (parse_listen(&flags, optarg) < 0)
				xd_usage_error(prog, usage,
					       "bad listen address '%s'",
					       optarg);
			continue;
		case 'w':
			name = "workers";
			break;
		case 'u':
			name = "user";
			break;
		case 'n':
			name = "nsid";
			break;
		case 'I':
			name = "tcp-idle";
			break;
		case 'M':
			name = "tcp-max";
			break;
		case 'F':
			name = "cookie-secret-file";
			break;
		case 'P':
			name = "cookie-secret-previous-file";
			break;
		case 'S':
		case 'R': {
			char why[400];
			secret_refused(c == 'S' ? "cookie-secret" :
						  "cookie-secret-previous",
				       true, why, sizeof(why));
			xd_usage_error(prog, NULL, "%s", why);
		}
		case 'q':
			quiet = true;
			continue;
		case 'o': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				xd_usage_error(prog, usage,
					       "--option wants NAME=VALUE, not "
					       "'%s'",
					       optarg);
			*eq = 0;
			char why[512];
			if (set_from_file(&cfg, optarg, eq + 1, why,
					  sizeof(why)) < 0)
				xd_usage_error(prog, usage, "--option %s", why);
			continue;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage);
			return EXIT_USAGE;
		}
		if (set_option(&cfg, name, optarg) < 0)
			xd_usage_error(prog, usage, "bad value '%s' for --%s%s",
				       optarg, name, option_hint(name));
	}
	if (flags.nlisten) {
		memcpy(cfg.listen, flags.listen, sizeof(cfg.listen));
		memcpy(cfg.listen_len, flags.listen_len,
		       sizeof(cfg.listen_len));
		cfg.nlisten = flags.nlisten;
	}
	if (optind < argc) {
		if (argc - optind > MAX_SOURCES)
			xd_usage_error(prog, usage, "at most %d sources",
				       MAX_SOURCES);
		cfg.nsources = 0;
		for (int i = optind; i < argc; i++)
			cfg.sources[cfg.nsources++] = argv[i];
	}
	if (!cfg.nsources)
		xd_usage_error(prog, usage, "%s", "no zones given");
	if (cfg.tcp_memory < cfg.tcp_output_max + 2 * (2 + 65535))
		xd_usage_error(prog, usage,
			       "--tcp-memory %zu cannot hold the buffers of "
			       "one connection: give it at least "
			       "--tcp-output-max (%zu) + 128K",
			       cfg.tcp_memory, cfg.tcp_output_max);
	if (!cfg.nlisten) {
		parse_listen(&cfg, "0.0.0.0:53");
		parse_listen(&cfg, "[::]:53");
	}
	if (!cfg.workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg.workers = n > 256 ? 256 : n > 0 ? (int)n : 1;
	}
	if (!cfg.user && geteuid() == 0)
		cfg.user = XD_SERVER_USER;
	struct run_as user;
	if (cfg.user && find_user(cfg.user, &user) < 0)
		return EXIT_FAIL;
	if (read_secrets(&cfg) < 0)
		return EXIT_FAIL;

	/* Signals wait from here on (the workers inherit the mask): a
	 * SIGHUP sent as soon as the pid file names this process must not
	 * end it. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* The pid file's lock first: a second server given the same file
	 * stops here, before it binds (SO_REUSEPORT would let it share the
	 * first one's sockets and take part of its queries). */
	int pid_fd = -1;
	if (pidfile) {
		char err[PATH_MAX + 128];
		pid_fd = xd_pidfile_take(pidfile, err, sizeof(err));
		if (pid_fd < 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			return EXIT_FAIL;
		}
	}
	/* Queries take the zones' lock to read, a reload to swap them: a
	 * steady stream of readers must not hold a reload off for good. */
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(
		&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&db_lock, &ra);
	pthread_rwlockattr_destroy(&ra);

	/* From here on a failure goes through fail: the pid file is let go
	 * of (removed while still root). */
	struct worker *ws = NULL;
	db_current = load_db(cfg.sources, cfg.nsources);
	if (!db_current)
		goto fail;
	if (!cfg.limit_set)
		xd_limit_defaults(&cfg.limit);
	if (xd_limit_init(&limiter, &cfg.limit) < 0) {
		fprintf(stderr, "%s: no memory for the rate limiter\n", prog);
		goto fail;
	}

	/* Every socket before dropping privileges (port 53). */
	ws = calloc((size_t)cfg.workers, sizeof(*ws));
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!ws || stop_fd < 0 || tcp_setup() < 0) {
		fprintf(stderr, "%s: cannot set up the workers: %s\n", prog,
			strerror(errno));
		goto fail;
	}
	for (int i = 0; i < cfg.workers; i++) {
		struct worker *w = &ws[i];
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		if (w->ep < 0) {
			fprintf(stderr, "%s: epoll: %s\n", prog,
				strerror(errno));
			goto fail;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
		epoll_ctl(w->ep, EPOLL_CTL_ADD, stop_fd, &ev);
		xd_serve_init(&w->sc, cfg.nsid_len ? cfg.nsid : NULL,
			      cfg.nsid_len, cfg.secret,
			      cfg.has_previous ? cfg.previous : NULL);
		w->sc.limit = xd_limit_on(&limiter) ? &limiter : NULL;
		tcp_worker_init(&w->conns, &tcp_shared, w->ep, answer_tcp, w);
		for (int l = 0; l < cfg.nlisten; l++) {
			char addr[INET6_ADDRSTRLEN + 16];
			const struct sockaddr_storage *ss = &cfg.listen[l];
			xd_sockaddr_text(ss, addr, sizeof(addr));
			w->udp[l] =
				open_socket(ss, cfg.listen_len[l], SOCK_DGRAM);
			w->tcp[l] =
				open_socket(ss, cfg.listen_len[l], SOCK_STREAM);
			if (w->udp[l] < 0 || w->tcp[l] < 0) {
				fprintf(stderr, "%s: cannot listen on %s: %s\n",
					prog, addr,
					strerror(-(w->udp[l] < 0 ? w->udp[l] :
								   w->tcp[l])));
				goto fail;
			}
			ev = (struct epoll_event){
				.events = EPOLLIN, .data.u64 = 2 + (uint64_t)l
			};
			epoll_ctl(w->ep, EPOLL_CTL_ADD, w->udp[l], &ev);
			ev.data.u64 = 2 + MAX_LISTEN + (uint64_t)l;
			epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tcp[l], &ev);
		}
	}
	if (cfg.user && drop_privileges(&user) < 0)
		goto fail;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < cfg.workers; i++) {
		int e = pthread_create(&ws[i].thread, NULL, worker_main,
				       &ws[i]);
		if (e) {
			/* No way back from here (workers run): stop. */
			fprintf(stderr, "%s: cannot start worker %d: %s\n",
				prog, i, strerror(e));
			if (pidfile)
				pidfile_release(pidfile, pid_fd);
			_exit(EXIT_FAIL);
		}
	}
	if (!quiet)
		xd_log(prog, "serving on %d address(es) with %d worker(s)%s%s",
		       cfg.nlisten, cfg.workers, cfg.user ? " as " : "",
		       cfg.user ? cfg.user : "");
	log_zones(db_current, "serving");

	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		struct xd_cdb *next = load_db(cfg.sources, cfg.nsources);
		if (!next) {
			xd_log(prog, "reload refused; still serving the zones "
				     "loaded before");
			continue;
		}
		pthread_rwlock_wrlock(&db_lock);
		struct xd_cdb *old = db_current;
		db_current = next;
		pthread_rwlock_unlock(&db_lock);
		xd_cdb_free(old);
		free(old);
		log_zones(db_current, "reloaded:");
	}
	if (!quiet)
		xd_log(prog, "stopping");
	atomic_store(&stopping, true);
	uint64_t one = 1;
	if (write(stop_fd, &one, sizeof(one)) < 0)
		perror("stop");
	for (int i = 0; i < cfg.workers; i++)
		pthread_join(ws[i].thread, NULL);
	xd_cdb_free(db_current);
	free(db_current);
	explicit_bzero(&cfg.secret, sizeof(cfg.secret));
	explicit_bzero(&cfg.previous, sizeof(cfg.previous));
	if (pidfile)
		pidfile_release(pidfile, pid_fd);
	return 0;
fail:
	if (pidfile)
		pidfile_release(pidfile, pid_fd);
	return EXIT_FAIL;
}
