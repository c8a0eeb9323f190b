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
#include <netinet/tcp.h>
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
#include "parse.h"
#include "pidfile.h"
#include "secret.h"
#include "serve.h"

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
	"      --tcp-idle S      close TCP connections idle for S seconds\n"
	"                        (default 10; RFC 7766 6.2.3)\n"
	"      --tcp-max N       connections at once over all workers\n"
	"                        (default 1000); more are closed at accept\n"
	"  -p, --pidfile FILE    write the process id to FILE at start, for\n"
	"                        'xdpdns-zonec apply --server-pidfile': written\n"
	"                        before the drop to USER and left root's (mode\n"
	"                        0644), with a write lock held while the\n"
	"                        server runs; apply signals only the lock's\n"
	"                        holder. A second server given the same FILE\n"
	"                        refuses to start. A file left after a stop\n"
	"                        holds no lock and is replaced at the next\n"
	"                        start\n"
	"  -q, --quiet           log errors only\n"
	"  -h, --help            this help\n"
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
	const char *secret_file, *previous_file;
	uint8_t secret[XD_SECRET_LEN], previous[XD_SECRET_LEN];
	bool has_previous;
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
	if (!strcmp(name, "quiet")) {
		quiet = !strcmp(val, "yes") || !strcmp(val, "true") ||
			!strcmp(val, "1");
		return 0;
	}
	return -2;
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
		snprintf(why, len, "%s '%s'",
			 r == -2 ? "unknown option" : "bad value for", name);
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

static pthread_rwlock_t db_lock = PTHREAD_RWLOCK_INITIALIZER;
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
static atomic_int tcp_conns;
static atomic_bool stopping;
static int stop_fd = -1;

struct conn {
	int fd;
	struct sockaddr_storage peer;
	size_t in_len, out_len, out_off;
	uint8_t in[2 + 65535];
	uint8_t *out;
	size_t out_cap;
	struct timespec last;
	struct conn *next;
};

struct worker {
	pthread_t thread;
	int udp[MAX_LISTEN], tcp[MAX_LISTEN];
	int ep;
	struct conn *conns;
	struct xd_serve_ctx sc;
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Answer one query under the read lock. */
static size_t answer(struct worker *w, const uint8_t *q, size_t qlen,
		     uint8_t *out, size_t cap, bool tcp,
		     const struct sockaddr_storage *client)
{
	pthread_rwlock_rdlock(&db_lock);
	size_t n = xd_serve(&w->sc, db_current, q, qlen, out, cap, tcp, client,
			    (uint32_t)time(NULL), NULL);
	pthread_rwlock_unlock(&db_lock);
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
	for (int sent = 0; sent < m;) {
		int k = sendmmsg(fd, out + sent, (unsigned)(m - sent), 0);
		if (k <= 0)
			break;
		sent += k;
	}
}

static void conn_close(struct worker *w, struct conn *c)
{
	struct conn **pp = &w->conns;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
	atomic_fetch_sub(&tcp_conns, 1);
}

static void accept_tcp(struct worker *w, int lfd)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (atomic_fetch_add(&tcp_conns, 1) >= cfg.tcp_max) {
			atomic_fetch_sub(&tcp_conns, 1);
			close(fd); /* over the cap: the client retries later */
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			atomic_fetch_sub(&tcp_conns, 1);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->peer = peer;
		clock_gettime(CLOCK_MONOTONIC, &c->last);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			atomic_fetch_sub(&tcp_conns, 1);
			continue;
		}
		c->next = w->conns;
		w->conns = c;
	}
}

/* Write what is pending; false when the connection is to be closed. */
static bool conn_flush(struct worker *w, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k <= 0)
			return false;
		c->out_off += (size_t)k;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	struct epoll_event ev = {
		.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0),
		.data.ptr = c,
	};
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
	return true;
}

static bool conn_queue(struct conn *c, const uint8_t *msg, size_t n)
{
	if (c->out_len + n + 2 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
		while (cap < c->out_len + n + 2)
			cap *= 2;
		if (cap > (1u << 22))
			return false; /* a client that does not read */
		uint8_t *p = realloc(c->out, cap);
		if (!p)
			return false;
		c->out = p;
		c->out_cap = cap;
	}
	c->out[c->out_len++] = (uint8_t)(n >> 8);
	c->out[c->out_len++] = (uint8_t)n;
	memcpy(c->out + c->out_len, msg, n);
	c->out_len += n;
	return true;
}

static void serve_tcp(struct worker *w, struct conn *c, uint32_t events)
{
	static __thread uint8_t resp[65535];

	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(w, c);
		return;
	}
	if (events & EPOLLOUT && !conn_flush(w, c)) {
		conn_close(w, c);
		return;
	}
	if (!(events & EPOLLIN))
		return;
	ssize_t k =
		recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		conn_close(w, c);
		return;
	}
	if (k < 0)
		return;
	c->in_len += (size_t)k;
	clock_gettime(CLOCK_MONOTONIC, &c->last);
	/* Every complete message, in order (pipelining, RFC 7766 6.2.1). */
	size_t at = 0;
	while (c->in_len - at >= 2) {
		size_t len = (size_t)c->in[at] << 8 | c->in[at + 1];
		if (c->in_len - at - 2 < len)
			break;
		size_t r = len ? answer(w, c->in + at + 2, len, resp,
					sizeof(resp), true, &c->peer) :
				 0;
		at += 2 + len;
		if (r && !conn_queue(c, resp, r)) {
			conn_close(w, c);
			return;
		}
	}
	memmove(c->in, c->in + at, c->in_len - at);
	c->in_len -= at;
	if (c->out_len && !conn_flush(w, c))
		conn_close(w, c);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];

	while (!atomic_load(&stopping)) {
		int n = epoll_wait(w->ep, evs, 64, 1000);
		for (int i = 0; i < n; i++) {
			uintptr_t tag = (uintptr_t)evs[i].data.u64;
			if (tag == 1)
				continue; /* the stop event */
			if (tag >= 2 && tag < 2 + MAX_LISTEN) {
				serve_udp(w, w->udp[tag - 2]);
			} else if (tag >= 2 + MAX_LISTEN &&
				   tag < 2 + 2 * MAX_LISTEN) {
				accept_tcp(w, w->tcp[tag - 2 - MAX_LISTEN]);
			} else {
				serve_tcp(w, evs[i].data.ptr, evs[i].events);
			}
		}
		/* Idle connections (RFC 7766 6.2.3). */
		for (struct conn *c = w->conns, *next; c; c = next) {
			next = c->next;
			if (since(&c->last) > cfg.tcp_idle_s)
				conn_close(w, c);
		}
	}
	while (w->conns)
		conn_close(w, w->conns);
	return NULL;
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
		{ "cookie-secret-file", required_argument, NULL, 'F' },
		{ "cookie-secret-previous-file", required_argument, NULL, 'P' },
		/* Refused, with what to give instead. */
		{ "cookie-secret", required_argument, NULL, 'S' },
		{ "cookie-secret-previous", required_argument, NULL, 'R' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct config flags = { 0 };
	static const char shortopts[] = "c:l:w:u:n:p:qh";
	const char *pidfile = NULL;
	int c;

	cfg.tcp_idle_s = 10;
	cfg.tcp_max = 1000;
	/* The config files first, in order, then the flags over them. */
	if (xd_conf_each(argc, argv, shortopts, opts, read_config, &cfg) < 0)
		return EXIT_USAGE;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		const char *name = NULL;
		switch (c) {
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
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage);
			return EXIT_USAGE;
		}
		if (set_option(&cfg, name, optarg) < 0)
			xd_usage_error(prog, usage, "bad value '%s' for --%s",
				       optarg, name);
	}
	if (flags.nlisten) {
		memcpy(cfg.listen, flags.listen, sizeof(cfg.listen));
		memcpy(cfg.listen_len, flags.listen_len,
		       sizeof(cfg.listen_len));
		cfg.nlisten = flags.nlisten;
	}
	if (optind < argc) {
		cfg.nsources = 0;
		for (int i = optind; i < argc && cfg.nsources < MAX_SOURCES;
		     i++)
			cfg.sources[cfg.nsources++] = argv[i];
	}
	if (!cfg.nsources)
		xd_usage_error(prog, usage, "%s", "no zones given");
	if (!cfg.nlisten) {
		parse_listen(&cfg, "0.0.0.0:53");
		parse_listen(&cfg, "[::]:53");
	}
	if (!cfg.workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg.workers = n > 0 && n < 256 ? (int)n : 1;
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
	db_current = load_db(cfg.sources, cfg.nsources);
	if (!db_current)
		return EXIT_FAIL;

	/* Every socket before dropping privileges (port 53). */
	struct worker *ws = calloc((size_t)cfg.workers, sizeof(*ws));
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!ws || stop_fd < 0)
		return EXIT_FAIL;
	for (int i = 0; i < cfg.workers; i++) {
		struct worker *w = &ws[i];
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
		epoll_ctl(w->ep, EPOLL_CTL_ADD, stop_fd, &ev);
		xd_serve_init(&w->sc, cfg.nsid_len ? cfg.nsid : NULL,
			      cfg.nsid_len, cfg.secret,
			      cfg.has_previous ? cfg.previous : NULL);
		for (int l = 0; l < cfg.nlisten; l++) {
			char addr[INET6_ADDRSTRLEN + 8] = "?";
			const struct sockaddr_storage *ss = &cfg.listen[l];
			const void *a =
				ss->ss_family == AF_INET ?
					(const void *)&(
						(const struct sockaddr_in *)ss)
						->sin_addr :
					(const void *)&(
						(const struct sockaddr_in6 *)ss)
						->sin6_addr;
			inet_ntop(ss->ss_family, a, addr, sizeof(addr));
			w->udp[l] =
				open_socket(ss, cfg.listen_len[l], SOCK_DGRAM);
			w->tcp[l] =
				open_socket(ss, cfg.listen_len[l], SOCK_STREAM);
			if (w->udp[l] < 0 || w->tcp[l] < 0) {
				fprintf(stderr, "%s: cannot listen on %s: %s\n",
					prog, addr,
					strerror(-(w->udp[l] < 0 ? w->udp[l] :
								   w->tcp[l])));
				return EXIT_FAIL;
			}
			ev = (struct epoll_event){
				.events = EPOLLIN, .data.u64 = 2 + (uint64_t)l
			};
			epoll_ctl(w->ep, EPOLL_CTL_ADD, w->udp[l], &ev);
			ev.data.u64 = 2 + MAX_LISTEN + (uint64_t)l;
			epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tcp[l], &ev);
		}
	}
	if (cfg.user && drop_privileges(&user) < 0) {
		if (pidfile)
			pidfile_release(pidfile, pid_fd); /* still root */
		return EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < cfg.workers; i++)
		pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
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
}
