// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-server's TCP connections and their limits (userspace/tcp.c),
 * driven on loopback sockets with the clock given by the test, so that
 * every deadline is checked to the millisecond without sleeping: client
 * prefixes and the shared clients table; a query's deadline that bytes
 * trickling do not move; the idle time counted from whole queries; what
 * a length with nothing behind it costs; reading stopped for replies
 * left unread, and taken up again, in order, once they are read; the
 * connection cap giving the longest idle connection's place to a new
 * one; the memory cap closing the longest stalled one first; what the
 * limits did logged at most once a minute per kind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "counters.h"
#include "tcp.h"

/* ---- client prefixes and the table -------------------------------------- */

struct key_case {
	const char *name;
	const char *addr;
	int p4, p6;
	const char *want; /* the masked address, as text */
	int family;
};

static const struct key_case key_cases[] = {
	{ "IPv4 /32 is the address", "198.18.7.9", 32, 64, "198.18.7.9",
	  AF_INET },
	{ "IPv4 /24", "198.18.7.9", 24, 64, "198.18.7.0", AF_INET },
	{ "IPv4 /20 cuts inside a byte", "198.18.255.9", 20, 64, "198.18.240.0",
	  AF_INET },
	{ "IPv4 /1", "198.18.7.9", 1, 64, "128.0.0.0", AF_INET },
	{ "IPv6 /64", "2001:db8:1:2:3:4:5:6", 32, 64,
	  "2001:db8:1:2::", AF_INET6 },
	{ "IPv6 /56", "2001:db8:1:2ff:3:4:5:6", 32, 56,
	  "2001:db8:1:200::", AF_INET6 },
	{ "IPv6 /128 is the address", "2001:db8::1", 32, 128, "2001:db8::1",
	  AF_INET6 },
	{ "IPv6 /61 cuts inside a byte", "2001:db8:1:ffff::1", 32, 61,
	  "2001:db8:1:fff8::", AF_INET6 },
	{ "v4-mapped IPv6 counts as the IPv4 client", "::ffff:198.18.7.9", 24,
	  64, "198.18.7.0", AF_INET },
};

static void test_client_keys(void **state)
{
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		const struct key_case *kc = &key_cases[i];
		struct sockaddr_storage ss;
		struct tcp_client_key k, want;
		memset(&ss, 0, sizeof(ss));
		memset(&want, 0, sizeof(want));
		if (strchr(kc->addr, ':')) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(4242);
			assert_int_equal(inet_pton(AF_INET6, kc->addr,
						   &s6->sin6_addr),
					 1);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			s4->sin_port = htons(4242);
			assert_int_equal(
				inet_pton(AF_INET, kc->addr, &s4->sin_addr), 1);
		}
		want.family = (uint8_t)kc->family;
		assert_int_equal(inet_pton(kc->family, kc->want, want.addr), 1);
		tcp_client_key(&ss, kc->p4, kc->p6, &k);
		if (memcmp(&k, &want, sizeof(k)))
			fail_msg("%s: key differs", kc->name);
	}
}

static struct tcp_client_key numbered_key(unsigned i)
{
	struct tcp_client_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET6;
	memcpy(k.addr, &i, sizeof(i));
	return k;
}

static void test_client_limit(void **state)
{
	struct srv_stats st;
	struct tcp_shared sh;
	struct tcp_limits lim = { .max_conns = 100, .max_per_client = 3 };
	struct tcp_client_key a = numbered_key(1), b = numbered_key(2);

	srv_stats_init(&st, "test", false);
	assert_int_equal(tcp_shared_init(&sh, &lim, &st), 0);
	for (int i = 0; i < 3; i++)
		assert_true(tcp_client_take(&sh, &a));
	assert_false(tcp_client_take(&sh, &a)); /* the fourth */
	assert_int_equal(tcp_client_count(&sh, &a), 3);
	assert_true(tcp_client_take(&sh, &b)); /* another client */
	tcp_client_release(&sh, &a);
	assert_int_equal(tcp_client_count(&sh, &a), 2);
	assert_true(tcp_client_take(&sh, &a)); /* a place again */
	for (int i = 0; i < 3; i++)
		tcp_client_release(&sh, &a);
	assert_int_equal(tcp_client_count(&sh, &a), 0);
	assert_int_equal(tcp_client_count(&sh, &b), 1);
	tcp_shared_free(&sh);
}

/*
 * Random takes and releases over many clients in a table of 64 slots (all
 * in few runs, so that removals move entries back), against plain
 * counts: every count right after every step.
 */
static void test_client_table_against_counts(void **state)
{
	enum { CLIENTS = 30, STEPS = 20000 };
	struct srv_stats st;
	struct tcp_shared sh;
	struct tcp_limits lim = { .max_conns = 1, .max_per_client = 2 };
	unsigned want[CLIENTS] = { 0 };
	unsigned seed = 12345;

	srv_stats_init(&st, "test", false);
	assert_int_equal(tcp_shared_init(&sh, &lim, &st), 0);
	sh.clients_mask = 63; /* the table is larger: fewer slots is safe */
	for (int step = 0; step < STEPS; step++) {
		seed = seed * 1103515245 + 12345;
		unsigned i = (seed >> 8) % CLIENTS;
		struct tcp_client_key k = numbered_key(i);
		if ((seed >> 20) & 1) {
			bool ok = tcp_client_take(&sh, &k);
			assert_int_equal(ok, want[i] < 2);
			want[i] += ok;
		} else if (want[i]) {
			tcp_client_release(&sh, &k);
			want[i]--;
		}
		for (unsigned j = 0; j < CLIENTS; j++) {
			struct tcp_client_key kj = numbered_key(j);
			if (tcp_client_count(&sh, &kj) != want[j])
				fail_msg("step %d: client %u has %u, want %u",
					 step, j, tcp_client_count(&sh, &kj),
					 want[j]);
		}
	}
	tcp_shared_free(&sh);
}

/* ---- connections on loopback -------------------------------------------- */

struct rig {
	struct srv_stats st;
	struct tcp_shared sh;
	struct tcp_worker w;
	int ep, lfd;
	struct sockaddr_in addr;
	unsigned answered;
	uint16_t last_id; /* of the last query answered */
	bool out_of_order;
	size_t reply_len;
};

/* The answer: reply_len bytes starting with the query's id. */
static size_t fake_answer(void *ctx, const uint8_t *q, size_t qlen,
			  uint8_t *out, size_t cap,
			  const struct sockaddr_storage *client)
{
	struct rig *r = ctx;
	uint16_t id = (uint16_t)(q[0] << 8 | q[1]);

	if (r->answered && id != (uint16_t)(r->last_id + 1))
		r->out_of_order = true;
	r->last_id = id;
	r->answered++;
	memset(out, 0xab, r->reply_len);
	memcpy(out, q, 2);
	return r->reply_len;
}

static const struct tcp_limits base_limits = {
	.max_conns = 100,
	.max_per_client = 0,
	.prefix4 = 32,
	.prefix6 = 64,
	.idle_ms = 5000,
	.msg_ms = 1000,
	.output_max = 8192,
	.memory_max = 64 << 20,
};

static struct rig *rig_up(const struct tcp_limits *lim)
{
	struct rig *r = calloc(1, sizeof(*r));
	socklen_t len = sizeof(r->addr);

	assert_non_null(r);
	srv_stats_init(&r->st, "test", false);
	assert_int_equal(tcp_shared_init(&r->sh, lim, &r->st), 0);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(r->ep >= 0);
	tcp_worker_init(&r->w, &r->sh, r->ep, fake_answer, r);
	r->reply_len = 100;
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	/* Connections take it from their listener: a fixed send buffer,
	 * so that the kernel holds little of what a client leaves unread
	 * (on loopback it would grow to megabytes). */
	int sndbuf = 4096;
	setsockopt(r->lfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	r->addr.sin_family = AF_INET;
	r->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&r->addr, len), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&r->addr, &len),
			 0);
	assert_int_equal(listen(r->lfd, 64), 0);
	return r;
}

static void rig_down(struct rig *r)
{
	tcp_close_all(&r->w);
	assert_int_equal(atomic_load(&r->sh.conns), 0);
	assert_int_equal(atomic_load(&r->sh.memory), 0); /* all given back */
	close(r->lfd);
	close(r->ep);
	tcp_shared_free(&r->sh);
	free(r);
}

/* A client from address src (NULL: 127.0.0.1) with receive buffer rcvbuf
 * (0: the default), connected, and offered to the server at now. */
static int rig_connect(struct rig *r, const char *src, int rcvbuf, int64_t now)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (src) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		inet_pton(AF_INET, src, &a.sin_addr);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	assert_int_equal(
		connect(fd, (struct sockaddr *)&r->addr, sizeof(r->addr)), 0);
	tcp_accept(&r->w, r->lfd, now);
	return fd;
}

/* Serves the events there are at now (the first waited for up to wait
 * ms), until there are none. */
static void rig_serve(struct rig *r, int64_t now, int wait)
{
	struct epoll_event evs[16];

	for (int round = 0; round < 10000; round++) {
		int n = epoll_wait(r->ep, evs, 16, round ? 0 : wait);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			tcp_event(&r->w, evs[i].data.ptr, evs[i].events, now);
		tcp_expire(&r->w, now); /* frees what was closed */
	}
	fail_msg("the server never ran out of events");
}

/* Loopback delivers at once: 50 ms is ample for the first event. */
static void rig_pump(struct rig *r, int64_t now)
{
	rig_serve(r, now, 50);
}

static void send_bytes(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* A query of 12 bytes (a header: what the fake answer needs) with id. */
static void query(uint8_t *out, uint16_t id)
{
	memset(out, 0, 14);
	out[1] = 12;
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
}

/* Whether the server has closed client fd: what it sent is read and
 * dropped until the end or a reset. */
static bool closed_by_server(int fd)
{
	uint8_t buf[65536];

	for (int i = 0; i < 10000; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) <= 0)
			return false;
		ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno == ECONNRESET))
			return true;
		if (k < 0)
			return false;
	}
	return false;
}

static unsigned long long counted(struct rig *r, enum srv_event e)
{
	return atomic_load(&r->st.count[e]);
}

static void test_trickle_does_not_move_the_deadline(void **state)
{
	struct rig *r = rig_up(&base_limits);
	uint8_t q[14];
	int fd = rig_connect(r, NULL, 0, 0);

	query(q, 1);
	/* A byte every 100 ms from t=100: the query never whole. */
	for (int i = 0; i < 10; i++) {
		send_bytes(fd, q + i, 1);
		rig_pump(r, 100 + 100 * i);
		assert_int_equal(tcp_worker_count(&r->w, CONN_READING), 1);
	}
	/* Due 1000 ms after its first byte, whatever came after it. */
	assert_int_equal(tcp_expire(&r->w, 1099), 1);
	assert_int_equal(tcp_worker_count(&r->w, CONN_READING), 1);
	tcp_expire(&r->w, 1100);
	assert_int_equal(tcp_worker_count(&r->w, CONN_READING), 0);
	assert_int_equal(counted(r, SRV_TCP_CLOSED_MSG_TIMEOUT), 1);
	assert_true(closed_by_server(fd));
	assert_int_equal(r->answered, 0);
	close(fd);
	rig_down(r);
}

static void test_whole_queries_reset_the_idle_time(void **state)
{
	struct rig *r = rig_up(&base_limits);
	uint8_t q[14], reply[102];
	int fd = rig_connect(r, NULL, 0, 0);

	/* Idle from the accept: due at 5000, unless a query comes. */
	assert_int_equal(tcp_expire(&r->w, 1000), 4000);
	query(q, 7);
	send_bytes(fd, q, sizeof(q));
	rig_pump(r, 3000);
	assert_int_equal(recv(fd, reply, sizeof(reply), MSG_WAITALL), 102);
	assert_int_equal(reply[0] << 8 | reply[1], 100);
	assert_int_equal(reply[2] << 8 | reply[3], 7);
	/* The half of a next query moves nothing... */
	send_bytes(fd, q, 1);
	rig_pump(r, 4000);
	assert_int_equal(tcp_worker_count(&r->w, CONN_READING), 1);
	/* ...its rest, whole, does: idle from 4500 on. */
	send_bytes(fd, q + 1, sizeof(q) - 1);
	rig_pump(r, 4500);
	assert_int_equal(r->answered, 2);
	assert_int_equal(tcp_worker_count(&r->w, CONN_IDLE), 1);
	assert_int_equal(tcp_expire(&r->w, 9499), 1);
	tcp_expire(&r->w, 9500);
	assert_int_equal(tcp_worker_count(&r->w, CONN_IDLE), 0);
	assert_true(closed_by_server(fd));
	/* An idle close is no event to log. */
	assert_int_equal(counted(r, SRV_TCP_CLOSED_MSG_TIMEOUT), 0);
	assert_int_equal(counted(r, SRV_TCP_CLOSED_OUTPUT), 0);
	close(fd);
	rig_down(r);
}

static void test_a_length_alone_holds_little(void **state)
{
	struct rig *r = rig_up(&base_limits);
	int fd = rig_connect(r, NULL, 0, 0);
	size_t accepted = atomic_load(&r->sh.memory);
	uint8_t body[1000];

	send_bytes(fd, "\xff\xff", 2);
	rig_pump(r, 10);
	assert_int_equal(atomic_load(&r->sh.memory) - accepted, TCP_IN_MIN);
	/* Grown with what arrives, at most twice it. */
	memset(body, 0, sizeof(body));
	send_bytes(fd, body, sizeof(body));
	rig_pump(r, 20);
	assert_in_range(atomic_load(&r->sh.memory) - accepted, 1002, 2004);
	tcp_expire(&r->w, 1010);
	assert_int_equal(counted(r, SRV_TCP_CLOSED_MSG_TIMEOUT), 1);
	assert_int_equal(atomic_load(&r->sh.memory), 0);
	assert_true(closed_by_server(fd));
	close(fd);
	rig_down(r);
}

/* Queries 1..n, pipelined in one send. */
static void send_queries(int fd, unsigned n)
{
	uint8_t *all = malloc(14 * n);

	assert_non_null(all);
	for (unsigned i = 0; i < n; i++)
		query(all + 14 * i, (uint16_t)(i + 1));
	send_bytes(fd, all, 14 * n);
	free(all);
}

static void test_unread_replies_stop_reading(void **state)
{
	struct rig *r = rig_up(&base_limits);
	/* A small window: the kernel holds little of what is not read. */
	int fd = rig_connect(r, NULL, 4096, 0);
	enum { QUERIES = 300 };

	r->reply_len = 1000;
	send_queries(fd, QUERIES);
	rig_pump(r, 100);
	/* Stopped: replies over output_max unsent, the rest not read. */
	assert_int_equal(counted(r, SRV_TCP_PAUSED_OUTPUT), 1);
	assert_int_equal(tcp_worker_count(&r->w, CONN_WRITING), 1);
	assert_true(r->answered < QUERIES);
	/* Its buffers: replies up to output_max and one more, what a read
	 * brought, the connection. */
	assert_true(atomic_load(&r->sh.memory) <= 8192 + 65537 + 16384 + 1024);
	unsigned answered = r->answered;
	rig_pump(r, 200);
	assert_int_equal(r->answered, answered); /* nothing more read */
	/* Read, the replies drain: every query answered, once, in order. */
	size_t got = 0, want = QUERIES * 1002u;
	uint8_t *all = malloc(want + 1);
	assert_non_null(all);
	for (int i = 0; i < 100000 && got < want; i++) {
		ssize_t k = recv(fd, all + got, want + 1 - got, MSG_DONTWAIT);
		if (k > 0)
			got += (size_t)k;
		rig_serve(r, 300, 5);
	}
	assert_int_equal(got, want);
	for (unsigned i = 0; i < QUERIES; i++) {
		const uint8_t *reply = all + 1002 * i;
		assert_int_equal(reply[0] << 8 | reply[1], 1000);
		assert_int_equal(reply[2] << 8 | reply[3], i + 1);
	}
	free(all);
	assert_int_equal(r->answered, QUERIES);
	assert_false(r->out_of_order);
	assert_int_equal(tcp_worker_count(&r->w, CONN_IDLE), 1);
	close(fd);
	rig_down(r);
}

static void test_unread_replies_closed_after_idle(void **state)
{
	struct rig *r = rig_up(&base_limits);
	int fd = rig_connect(r, NULL, 4096, 0);

	r->reply_len = 1000;
	send_queries(fd, 2000);
	rig_pump(r, 100);
	assert_int_equal(tcp_worker_count(&r->w, CONN_WRITING), 1);
	/* Stalled since its last whole query, at 100. */
	assert_int_equal(tcp_expire(&r->w, 5099), 1);
	tcp_expire(&r->w, 5100);
	assert_int_equal(tcp_worker_count(&r->w, CONN_WRITING), 0);
	assert_int_equal(counted(r, SRV_TCP_CLOSED_OUTPUT), 1);
	assert_true(closed_by_server(fd));
	close(fd);
	rig_down(r);
}

static void test_cap_closes_the_longest_idle(void **state)
{
	struct tcp_limits lim = base_limits;
	lim.max_conns = 2;
	struct rig *r = rig_up(&lim);
	int a = rig_connect(r, NULL, 0, 0);
	int b = rig_connect(r, NULL, 0, 10);

	/* Both idle: a new one takes a's place, a (the longest) closed. */
	int c = rig_connect(r, NULL, 0, 20);
	assert_int_equal(counted(r, SRV_TCP_CLOSED_FOR_NEW), 1);
	assert_true(closed_by_server(a));
	assert_int_equal(tcp_worker_count(&r->w, CONN_IDLE), 2);
	/* b and c busy with a query under way: none to close, the next is
	 * refused, and they are left alone. */
	send_bytes(b, "\x00", 1);
	send_bytes(c, "\x00", 1);
	rig_pump(r, 30);
	int d = rig_connect(r, NULL, 0, 40);
	assert_int_equal(counted(r, SRV_TCP_REFUSED_FULL), 1);
	assert_true(closed_by_server(d));
	assert_int_equal(tcp_worker_count(&r->w, CONN_READING), 2);
	assert_int_equal(atomic_load(&r->sh.conns), 2);
	close(a);
	close(b);
	close(c);
	close(d);
	rig_down(r);
}

/* Out of descriptors (EMFILE): one pending connection is shed, closed at
 * once, counted as refused; tcp_accept() returns rather than spin, and
 * the spare descriptor is taken again for the next time. */
static void test_out_of_descriptors_sheds(void **state)
{
	struct rig *r = rig_up(&base_limits);
	struct rlimit was;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	int a = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(
		connect(a, (struct sockaddr *)&r->addr, sizeof(r->addr)), 0);
	/* The lowest free descriptor is the next the process would get: a
	 * limit there leaves none for accept(). */
	int probe = dup(0);
	assert_true(probe >= 0);
	close(probe);
	struct rlimit tight = { (rlim_t)probe, was.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	tcp_accept(&r->w, r->lfd, 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	assert_int_equal(counted(r, SRV_TCP_REFUSED_FULL), 1);
	assert_true(closed_by_server(a));
	assert_int_equal(atomic_load(&r->sh.conns), 0);
	assert_true(r->sh.spare_fd >= 0);
	close(a);
	rig_down(r);
}

static void test_client_limit_on_connections(void **state)
{
	struct tcp_limits lim = base_limits;
	lim.max_per_client = 2;
	lim.prefix4 = 24;
	lim.max_conns = 3;
	struct rig *r = rig_up(&lim);
	/* 127.0.0.1 and .2: one client at /24. */
	int a = rig_connect(r, "127.0.0.1", 0, 0);
	int b = rig_connect(r, "127.0.0.2", 0, 0);
	int c = rig_connect(r, "127.0.0.3", 0, 0);
	assert_int_equal(counted(r, SRV_TCP_REFUSED_CLIENT), 1);
	assert_true(closed_by_server(c));
	/* At its limit, it closed no other's idle connection to get in:
	 * the third place is still there for another client. */
	assert_int_equal(counted(r, SRV_TCP_CLOSED_FOR_NEW), 0);
	int d = rig_connect(r, "127.0.1.1", 0, 0);
	assert_int_equal(atomic_load(&r->sh.conns), 3);
	/* A connection closed gives its client's place back. */
	close(a);
	rig_pump(r, 10);
	int e = rig_connect(r, "127.0.0.4", 0, 20);
	assert_int_equal(counted(r, SRV_TCP_REFUSED_CLIENT), 1);
	assert_int_equal(tcp_worker_count(&r->w, CONN_IDLE), 3);
	close(b);
	close(c);
	close(d);
	close(e);
	rig_down(r);
}

static void test_memory_cap_closes_the_longest_stalled(void **state)
{
	struct rig *r = rig_up(&base_limits);
	uint8_t part[2000];

	r->reply_len = 1000;
	int a = rig_connect(r, NULL, 4096, 0);
	send_queries(a, 2000);
	rig_pump(r, 10);
	int b = rig_connect(r, NULL, 4096, 20);
	send_queries(b, 2000);
	rig_pump(r, 30);
	assert_int_equal(tcp_worker_count(&r->w, CONN_WRITING), 2);
	/* The cap reached: c's query under way needs more than is left. */
	int c = rig_connect(r, NULL, 0, 40);
	r->sh.lim.memory_max = atomic_load(&r->sh.memory) + 1000;
	memset(part, 0, sizeof(part));
	part[0] = 0x0b; /* a query of 3000 bytes, 1998 of them here */
	part[1] = 0xb8;
	send_bytes(c, part, sizeof(part));
	rig_pump(r, 50);
	/* a, stalled longest, made room; b is still served. */
	assert_int_equal(counted(r, SRV_TCP_CLOSED_MEMORY), 1);
	assert_true(closed_by_server(a));
	assert_int_equal(tcp_worker_count(&r->w, CONN_WRITING), 1);
	assert_int_equal(tcp_worker_count(&r->w, CONN_READING), 1);
	/* At the cap again, a new connection: b, stalled, makes room. */
	r->sh.lim.memory_max = atomic_load(&r->sh.memory);
	int d = rig_connect(r, NULL, 0, 60);
	assert_int_equal(counted(r, SRV_TCP_CLOSED_MEMORY), 2);
	assert_true(closed_by_server(b));
	assert_int_equal(tcp_worker_count(&r->w, CONN_IDLE), 1);
	/* Nothing stalled left to close: the next is refused. */
	tcp_expire(&r->w, 60); /* b's memory freed */
	r->sh.lim.memory_max = atomic_load(&r->sh.memory);
	int e = rig_connect(r, NULL, 0, 70);
	assert_int_equal(counted(r, SRV_TCP_REFUSED_MEMORY), 1);
	assert_true(closed_by_server(e));
	close(a);
	close(b);
	close(c);
	close(d);
	close(e);
	rig_down(r);
}

/* ---- the counters' log -------------------------------------------------- */

/* What fn(s) writes on standard error. */
static void capture_stderr(void (*fn)(struct srv_stats *), struct srv_stats *s,
			   char *out, size_t cap)
{
	int p[2], saved = dup(2);

	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	dup2(p[1], 2);
	fn(s);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	ssize_t n = read(p[0], out, cap - 1);
	out[n > 0 ? n : 0] = 0;
	close(p[0]);
}

static void minute_of_events(struct srv_stats *s)
{
	const int64_t t0 = 1000000;

	srv_stats_add(s, SRV_TCP_REFUSED_CLIENT, 1, t0); /* logged at once */
	srv_stats_add(s, SRV_TCP_REFUSED_CLIENT, 5, t0 + 1000);
	srv_stats_add(s, SRV_TCP_REFUSED_CLIENT, 2, t0 + 59999);
	srv_stats_report(s, t0 + 59999); /* not yet a minute */
	srv_stats_add(s, SRV_TCP_CLOSED_MSG_TIMEOUT, 3, t0 + 30000);
	srv_stats_report(s, t0 + 60000); /* the 7 since the first line */
	srv_stats_report(s, t0 + 200000); /* nothing new: no line */
}

static void test_counters_log_once_a_minute(void **state)
{
	struct srv_stats s;
	char out[4096];

	srv_stats_init(&s, "test", true);
	capture_stderr(minute_of_events, &s, out, sizeof(out));
	const char *want[] = {
		"test: 1 TCP connection(s) refused: their client was at "
		"--tcp-max-per-client\n",
		"test: 3 TCP connection(s) closed: a query not whole within "
		"--tcp-msg-timeout\n",
		"test: 7 TCP connection(s) refused: their client was at "
		"--tcp-max-per-client in the last 60 s\n",
	};
	const char *at = out;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		/* Each line: a timestamp, then what is checked here. */
		const char *found = strstr(at, want[i]);
		if (!found)
			fail_msg("line %zu not found in:\n%s", i, out);
		at = found + strlen(want[i]);
	}
	assert_string_equal(at, ""); /* and no other line */
	assert_int_equal(atomic_load(&s.count[SRV_TCP_REFUSED_CLIENT]), 8);
	assert_string_equal(srv_event_name(SRV_UDP_SEND_FAILED),
			    "udp_send_failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_keys),
		cmocka_unit_test(test_client_limit),
		cmocka_unit_test(test_client_table_against_counts),
		cmocka_unit_test(test_trickle_does_not_move_the_deadline),
		cmocka_unit_test(test_whole_queries_reset_the_idle_time),
		cmocka_unit_test(test_a_length_alone_holds_little),
		cmocka_unit_test(test_unread_replies_stop_reading),
		cmocka_unit_test(test_unread_replies_closed_after_idle),
		cmocka_unit_test(test_cap_closes_the_longest_idle),
		cmocka_unit_test(test_client_limit_on_connections),
		cmocka_unit_test(test_out_of_descriptors_sheds),
		cmocka_unit_test(test_memory_cap_closes_the_longest_stalled),
		cmocka_unit_test(test_counters_log_once_a_minute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
