// SPDX-License-Identifier: GPL-3.0-or-later
#include "tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/types.h>
#include <unistd.h>

#include "xdpdns.h"

#define MSG_MAX (2 + 65535) /* the largest message with its length */
#define RECV_CHUNK 16384 /* read at once: what a stop may leave to keep */
#define OUT_MIN 4096

struct tcp_conn {
	struct tcp_conn *prev, *next; /* on its worker's list for its state */
	int fd;
	uint8_t state; /* enum tcp_state */
	bool paused; /* not read: its unread replies over output_max */
	bool eof; /* the client sends no more: close once replies are out */
	bool has_client; /* counted in the clients table as client */
	uint32_t events; /* what epoll waits for on it */
	int64_t since; /* when the deadline of its state started (ms) */
	uint8_t *in; /* received, not yet answered: the start of a query, or
		      * whole ones left while paused */
	size_t in_len, in_cap;
	uint8_t *out; /* replies to send: [out_off, out_len) */
	size_t out_off, out_len, out_cap;
	struct tcp_client_key client;
	struct sockaddr_storage peer;
};

/* ---- lists ---------------------------------------------------------------- */

static void list_del(struct tcp_list *l, struct tcp_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct tcp_list *l, struct tcp_conn *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* Puts c on the list of state s with its deadline starting at now: the
 * lists stay in the order of their deadlines. */
static void conn_move(struct tcp_worker *w, struct tcp_conn *c,
		      enum tcp_state s, int64_t now)
{
	list_del(&w->lists[c->state], c);
	c->state = (uint8_t)s;
	c->since = now;
	list_append(&w->lists[s], c);
}

/* ---- clients -------------------------------------------------------------- */

void tcp_client_key(const struct sockaddr_storage *ss, int p4, int p6,
		    struct tcp_client_key *k)
{
	const uint8_t *a = NULL;
	int bits = 0, len = 0;

	memset(k, 0, sizeof(*k));
	if (ss->ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		k->family = AF_INET;
		bits = p4;
		len = 4;
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)ss)->sin6_addr;
		a = a6->s6_addr;
		k->family = AF_INET6;
		bits = p6;
		len = 16;
		if (IN6_IS_ADDR_V4MAPPED(a6)) { /* one client either way */
			a += 12;
			k->family = AF_INET;
			bits = p4;
			len = 4;
		}
	}
	for (int i = 0; i < len; i++) {
		int keep = bits - 8 * i;
		if (keep >= 8)
			k->addr[i] = a[i];
		else if (keep > 0)
			k->addr[i] = a[i] & (uint8_t)(0xff << (8 - keep));
	}
}

static uint32_t client_hash(const struct tcp_shared *sh,
			    const struct tcp_client_key *k)
{
	return (uint32_t)xd_siphash24(sh->hash_key, (const uint8_t *)k,
				      sizeof(*k));
}

/* The slot of k, or the free one where it would go; under sh->lock. The
 * table has twice the slots it can have entries: a free one is found. */
static size_t client_slot(const struct tcp_shared *sh,
			  const struct tcp_client_key *k, uint32_t h)
{
	const struct tcp_client *t = sh->clients;
	size_t i = h & sh->clients_mask;

	while (t[i].conns &&
	       (t[i].hash != h || memcmp(&t[i].key, k, sizeof(*k))))
		i = (i + 1) & sh->clients_mask;
	return i;
}

bool tcp_client_take(struct tcp_shared *sh, const struct tcp_client_key *k)
{
	uint32_t h = client_hash(sh, k);
	bool ok;

	pthread_mutex_lock(&sh->lock);
	struct tcp_client *e = &sh->clients[client_slot(sh, k, h)];
	ok = e->conns < (uint32_t)sh->lim.max_per_client;
	if (ok) {
		if (!e->conns) {
			e->key = *k;
			e->hash = h;
		}
		e->conns++;
	}
	pthread_mutex_unlock(&sh->lock);
	return ok;
}

void tcp_client_release(struct tcp_shared *sh, const struct tcp_client_key *k)
{
	uint32_t h = client_hash(sh, k);
	struct tcp_client *t = sh->clients;
	size_t mask = sh->clients_mask;

	pthread_mutex_lock(&sh->lock);
	size_t i = client_slot(sh, k, h);
	if (t[i].conns && --t[i].conns == 0) {
		/* Fill the gap at i with a later entry of its run that may
		 * sit there (its home slot not after the gap), and so on
		 * from that one's slot: a search never stops at a gap
		 * short of its entry. */
		for (size_t j = (i + 1) & mask; t[j].conns;
		     j = (j + 1) & mask) {
			size_t home = t[j].hash & mask;
			if (((j - home) & mask) >= ((j - i) & mask)) {
				t[i] = t[j];
				i = j;
			}
		}
		t[i].conns = 0;
	}
	pthread_mutex_unlock(&sh->lock);
}

unsigned tcp_client_count(struct tcp_shared *sh, const struct tcp_client_key *k)
{
	uint32_t h = client_hash(sh, k);

	pthread_mutex_lock(&sh->lock);
	unsigned n = sh->clients[client_slot(sh, k, h)].conns;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/* ---- the shared state ----------------------------------------------------- */

int tcp_shared_init(struct tcp_shared *sh, const struct tcp_limits *lim,
		    struct srv_stats *stats)
{
	memset(sh, 0, sizeof(*sh));
	sh->lim = *lim;
	sh->stats = stats;
	atomic_init(&sh->conns, 0);
	atomic_init(&sh->memory, 0);
	pthread_mutex_init(&sh->lock, NULL);
	pthread_mutex_init(&sh->spare_lock, NULL);
	sh->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (getrandom(sh->hash_key, sizeof(sh->hash_key), 0) !=
	    sizeof(sh->hash_key))
		return -1;
	/* Entries: at most one a connection, and one a worker accepting. */
	size_t slots = 64;
	while (slots < 2 * ((size_t)lim->max_conns + 256))
		slots *= 2;
	sh->clients = calloc(slots, sizeof(*sh->clients));
	if (!sh->clients)
		return -1;
	sh->clients_mask = slots - 1;
	return 0;
}

void tcp_shared_free(struct tcp_shared *sh)
{
	free(sh->clients);
	sh->clients = NULL;
	if (sh->spare_fd >= 0)
		close(sh->spare_fd);
	pthread_mutex_destroy(&sh->lock);
	pthread_mutex_destroy(&sh->spare_lock);
}

void tcp_worker_init(struct tcp_worker *w, struct tcp_shared *sh, int ep,
		     tcp_answer_fn answer, void *answer_ctx)
{
	memset(w, 0, sizeof(*w));
	w->sh = sh;
	w->ep = ep;
	w->answer = answer;
	w->answer_ctx = answer_ctx;
}

/* ---- memory --------------------------------------------------------------- */

static bool mem_take(struct tcp_shared *sh, size_t n)
{
	size_t was = atomic_fetch_add(&sh->memory, n);

	if (was + n <= sh->lim.memory_max)
		return true;
	atomic_fetch_sub(&sh->memory, n);
	return false;
}

static void mem_give(struct tcp_shared *sh, size_t n)
{
	atomic_fetch_sub(&sh->memory, n);
}

static void conn_close(struct tcp_worker *w, struct tcp_conn *c);

/*
 * n bytes more under --tcp-memory, for self (NULL: a new connection). At
 * the cap, the worker's connection stalled longest on unread replies is
 * closed to make room, and the next after it, a few times: memory goes
 * to who reads their replies. False when there is still none.
 */
static bool mem_make_room(struct tcp_worker *w, struct tcp_conn *self, size_t n,
			  int64_t now)
{
	for (int tries = 0; tries < 8; tries++) {
		if (mem_take(w->sh, n))
			return true;
		struct tcp_conn *v = w->lists[CONN_WRITING].head;
		if (v && v == self)
			v = v->next;
		if (!v)
			return false;
		srv_stats_add(w->sh->stats, SRV_TCP_CLOSED_MEMORY, 1, now);
		conn_close(w, v);
	}
	return mem_take(w->sh, n);
}

/* *buf (*cap bytes) grown to cap bytes for c; false when over the memory
 * cap or out of memory, *buf unchanged. */
static bool buf_grow(struct tcp_worker *w, struct tcp_conn *c, uint8_t **buf,
		     size_t *cap, size_t want, int64_t now)
{
	if (!mem_make_room(w, c, want - *cap, now)) {
		srv_stats_add(w->sh->stats, SRV_TCP_CLOSED_MEMORY, 1, now);
		return false;
	}
	uint8_t *p = realloc(*buf, want);
	if (!p) {
		mem_give(w->sh, want - *cap);
		return false;
	}
	*buf = p;
	*cap = want;
	return true;
}

static void in_free(struct tcp_worker *w, struct tcp_conn *c)
{
	free(c->in);
	mem_give(w->sh, c->in_cap);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
}

static void out_free(struct tcp_worker *w, struct tcp_conn *c)
{
	free(c->out);
	mem_give(w->sh, c->out_cap);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
}

/* Keeps p (n bytes) after what c holds of its input. The buffer grows with
 * what arrives, not with what a length announces. */
static bool in_append(struct tcp_worker *w, struct tcp_conn *c,
		      const uint8_t *p, size_t n, int64_t now)
{
	size_t need = c->in_len + n;

	if (!n)
		return true;
	if (need > c->in_cap) {
		size_t cap = c->in_cap ? 2 * c->in_cap : TCP_IN_MIN;
		if (cap > MSG_MAX)
			cap = MSG_MAX;
		if (cap < need)
			cap = need;
		if (!buf_grow(w, c, &c->in, &c->in_cap, cap, now))
			return false;
	}
	memcpy(c->in + c->in_len, p, n);
	c->in_len = need;
	return true;
}

/* Forgets the first n bytes of c's input. */
static void in_drop(struct tcp_worker *w, struct tcp_conn *c, size_t n)
{
	if (n == c->in_len) {
		in_free(w, c);
		return;
	}
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

static size_t out_pending(const struct tcp_conn *c)
{
	return c->out_len - c->out_off;
}

/* Reply msg (n bytes) with its length after c's others. */
static bool out_queue(struct tcp_worker *w, struct tcp_conn *c,
		      const uint8_t *msg, size_t n, int64_t now)
{
	if (c->out_len + 2 + n > c->out_cap && c->out_off) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	size_t need = c->out_len + 2 + n;
	if (need > c->out_cap) {
		/* Replies are queued while under output_max: one more
		 * (MSG_MAX) is the most a connection holds. */
		size_t cap = c->out_cap ? 2 * c->out_cap : OUT_MIN;
		if (cap > w->sh->lim.output_max + MSG_MAX)
			cap = w->sh->lim.output_max + MSG_MAX;
		if (cap < need)
			cap = need;
		if (!buf_grow(w, c, &c->out, &c->out_cap, cap, now))
			return false;
	}
	c->out[c->out_len++] = (uint8_t)(n >> 8);
	c->out[c->out_len++] = (uint8_t)n;
	memcpy(c->out + c->out_len, msg, n);
	c->out_len += n;
	return true;
}

/* ---- connections ---------------------------------------------------------- */

/* Closes c now; its memory is freed by tcp_expire(), once no event in
 * hand can name it. */
static void conn_close(struct tcp_worker *w, struct tcp_conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	in_free(w, c);
	out_free(w, c);
	if (c->has_client)
		tcp_client_release(w->sh, &c->client);
	atomic_fetch_sub(&w->sh->conns, 1);
	conn_move(w, c, CONN_DEAD, 0);
}

static void conns_reap(struct tcp_worker *w)
{
	struct tcp_conn *c;

	while ((c = w->lists[CONN_DEAD].head)) {
		list_del(&w->lists[CONN_DEAD], c);
		free(c);
		mem_give(w->sh, sizeof(*c));
	}
}

/*
 * One connection more under --tcp-max. At the cap, the worker's longest
 * idle connection gives its place (RFC 7766 6.2.3): a new client is
 * worth more than one that has nothing to ask; false when there is none.
 */
static bool slot_take(struct tcp_worker *w, int64_t now)
{
	struct tcp_shared *sh = w->sh;

	if (atomic_fetch_add(&sh->conns, 1) < sh->lim.max_conns)
		return true;
	atomic_fetch_sub(&sh->conns, 1);
	struct tcp_conn *idle = w->lists[CONN_IDLE].head;
	if (idle) {
		srv_stats_add(sh->stats, SRV_TCP_CLOSED_FOR_NEW, 1, now);
		conn_close(w, idle);
		/* Another worker may take the place first. */
		if (atomic_fetch_add(&sh->conns, 1) < sh->lim.max_conns)
			return true;
		atomic_fetch_sub(&sh->conns, 1);
	}
	srv_stats_add(sh->stats, SRV_TCP_REFUSED_FULL, 1, now);
	return false;
}

/* Serves accepted socket fd from peer, or returns false to have it
 * closed. The client's limit first: a client at its limit closes no
 * other's idle connection. */
static bool conn_open(struct tcp_worker *w, int fd,
		      const struct sockaddr_storage *peer, int64_t now)
{
	struct tcp_shared *sh = w->sh;
	struct tcp_client_key key;
	bool has_client = sh->lim.max_per_client > 0;

	if (has_client) {
		tcp_client_key(peer, sh->lim.prefix4, sh->lim.prefix6, &key);
		if (!tcp_client_take(sh, &key)) {
			srv_stats_add(sh->stats, SRV_TCP_REFUSED_CLIENT, 1,
				      now);
			return false;
		}
	}
	if (!slot_take(w, now))
		goto refuse;
	struct tcp_conn *c = NULL;
	if (!mem_make_room(w, NULL, sizeof(*c), now)) {
		srv_stats_add(sh->stats, SRV_TCP_REFUSED_MEMORY, 1, now);
		goto unslot;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto unmem;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->peer = *peer;
	c->events = EPOLLIN;
	c->has_client = has_client;
	if (has_client)
		c->client = key;
	struct epoll_event ev = { .events = c->events, .data.ptr = c };
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto unmem;
	c->state = CONN_IDLE;
	c->since = now;
	list_append(&w->lists[CONN_IDLE], c);
	return true;
unmem:
	free(c);
	mem_give(sh, sizeof(*c));
unslot:
	atomic_fetch_sub(&sh->conns, 1);
refuse:
	if (has_client)
		tcp_client_release(sh, &key);
	return false;
}

/*
 * Out of descriptors: the spare one closed, one connection accepted and
 * closed at once (counted as refused at --tcp-max), the spare taken
 * again. Without it the listener stays readable and its worker spins.
 */
static void shed_one(struct tcp_shared *sh, int lfd, int64_t now)
{
	pthread_mutex_lock(&sh->spare_lock);
	if (sh->spare_fd >= 0) {
		close(sh->spare_fd);
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			srv_stats_add(sh->stats, SRV_TCP_REFUSED_FULL, 1, now);
		}
		sh->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	pthread_mutex_unlock(&sh->spare_lock);
}

void tcp_accept(struct tcp_worker *w, int lfd, int64_t now)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == ECONNABORTED || errno == EINTR))
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			shed_one(w->sh, lfd, now);
			return;
		}
		if (fd < 0)
			return;
		if (!conn_open(w, fd, &peer, now))
			close(fd); /* the client may try again later */
	}
}

/* Sends what the kernel takes of c's replies; false when c is broken. */
static bool conn_send(struct tcp_worker *w, struct tcp_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off, out_pending(c),
				 MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (k <= 0)
			return false;
		c->out_off += (size_t)k;
	}
	out_free(w, c);
	return true;
}

/*
 * Answers the whole queries at the start of p (n bytes), in order
 * (pipelining, RFC 7766 6.2.1), until c is paused: when its unsent
 * replies reach output_max and the kernel takes none of them now, no
 * more is answered, nor read, until they drain. Returns the bytes used,
 * -1 when c is to be closed; *whole is set when a query was whole.
 */
static ssize_t conn_answer(struct tcp_worker *w, struct tcp_conn *c,
			   const uint8_t *p, size_t n, bool *whole, int64_t now)
{
	static __thread uint8_t resp[65535];
	size_t at = 0;

	while (!c->paused && n - at >= 2) {
		size_t len = (size_t)p[at] << 8 | p[at + 1];
		if (n - at - 2 < len)
			break;
		size_t r = len ? w->answer(w->answer_ctx, p + at + 2, len, resp,
					   sizeof(resp), &c->peer) :
				 0;
		at += 2 + len;
		*whole = true;
		if (r && !out_queue(w, c, resp, r, now))
			return -1;
		if (out_pending(c) >= w->sh->lim.output_max) {
			if (!conn_send(w, c))
				return -1;
			if (out_pending(c) >= w->sh->lim.output_max) {
				c->paused = true;
				srv_stats_add(w->sh->stats,
					      SRV_TCP_PAUSED_OUTPUT, 1, now);
			}
		}
	}
	return (ssize_t)at;
}

/* Answers what p (n bytes, just received) completes, and keeps the rest:
 * the start of a query, or, once paused, all of it. */
static bool conn_feed(struct tcp_worker *w, struct tcp_conn *c,
		      const uint8_t *p, size_t n, bool *whole, int64_t now)
{
	ssize_t used;

	if (c->in_len) {
		/* A query under way: what it lacks, then it alone. */
		size_t total = c->in_len >= 2 ?
				       2 + ((size_t)c->in[0] << 8 | c->in[1]) :
				       2 + ((size_t)c->in[0] << 8 | p[0]);
		size_t take = total - c->in_len < n ? total - c->in_len : n;
		if (!in_append(w, c, p, take, now))
			return false;
		p += take;
		n -= take;
		if (c->in_len < total)
			return true;
		used = conn_answer(w, c, c->in, c->in_len, whole, now);
		if (used < 0)
			return false;
		in_drop(w, c, (size_t)used);
	}
	used = conn_answer(w, c, p, n, whole, now);
	if (used < 0)
		return false;
	return in_append(w, c, p + used, n - (size_t)used, now);
}

static bool conn_read(struct tcp_worker *w, struct tcp_conn *c, bool *whole,
		      int64_t now)
{
	static __thread uint8_t buf[RECV_CHUNK];
	ssize_t k = recv(c->fd, buf, sizeof(buf), 0);

	if (k < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		       errno == EINTR;
	if (k == 0) {
		c->eof = true; /* a half-close: its replies still go */
		return true;
	}
	return conn_feed(w, c, buf, (size_t)k, whole, now);
}

/*
 * After an event: c on the list of what it now waits for. Its deadline
 * starts again when that changed or a query was whole; bytes that
 * complete nothing move nothing. Then what epoll is to wait for.
 */
static void conn_settle(struct tcp_worker *w, struct tcp_conn *c, bool whole,
			int64_t now)
{
	bool pending = out_pending(c) > 0;

	if (c->eof && !pending) {
		conn_close(w, c);
		return;
	}
	enum tcp_state s = pending   ? CONN_WRITING :
			   c->in_len ? CONN_READING :
				       CONN_IDLE;
	if (s != c->state || whole)
		conn_move(w, c, s, now);
	uint32_t events = (c->paused || c->eof ? 0 : EPOLLIN) |
			  (pending ? EPOLLOUT : 0);
	if (events != c->events) {
		struct epoll_event ev = { .events = events, .data.ptr = c };
		epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->events = events;
	}
}

void tcp_event(struct tcp_worker *w, struct tcp_conn *c, uint32_t events,
	       int64_t now)
{
	bool whole = false;

	if (c->state == CONN_DEAD)
		return; /* closed by an earlier event of this round */
	if (events & (EPOLLERR | EPOLLHUP))
		goto close;
	if (events & EPOLLOUT) {
		if (!conn_send(w, c))
			goto close;
		if (c->paused && out_pending(c) < w->sh->lim.output_max) {
			/* Drained: the queries kept while paused first. */
			c->paused = false;
			ssize_t used = conn_answer(w, c, c->in, c->in_len,
						   &whole, now);
			if (used < 0)
				goto close;
			if (used)
				in_drop(w, c, (size_t)used);
			if (out_pending(c) && !conn_send(w, c))
				goto close;
		}
	}
	if (events & EPOLLIN && !c->paused && !c->eof) {
		if (!conn_read(w, c, &whole, now))
			goto close;
		if (out_pending(c) && !conn_send(w, c))
			goto close;
	}
	conn_settle(w, c, whole, now);
	return;
close:
	conn_close(w, c);
}

int64_t tcp_expire(struct tcp_worker *w, int64_t now)
{
	const struct tcp_limits *lim = &w->sh->lim;
	int64_t next = -1;

	conns_reap(w);
	for (int s = CONN_IDLE; s <= CONN_WRITING; s++) {
		int64_t after = s == CONN_READING ? lim->msg_ms : lim->idle_ms;
		struct tcp_conn *c;
		while ((c = w->lists[s].head) && c->since + after <= now) {
			if (s == CONN_READING)
				srv_stats_add(w->sh->stats,
					      SRV_TCP_CLOSED_MSG_TIMEOUT, 1,
					      now);
			else if (s == CONN_WRITING)
				srv_stats_add(w->sh->stats,
					      SRV_TCP_CLOSED_OUTPUT, 1, now);
			conn_close(w, c);
		}
		if (c && (next < 0 || c->since + after - now < next))
			next = c->since + after - now;
	}
	conns_reap(w);
	return next;
}

unsigned tcp_worker_count(const struct tcp_worker *w, enum tcp_state s)
{
	unsigned n = 0;

	for (const struct tcp_conn *c = w->lists[s].head; c; c = c->next)
		n++;
	return n;
}

void tcp_close_all(struct tcp_worker *w)
{
	for (int s = CONN_IDLE; s <= CONN_WRITING; s++)
		while (w->lists[s].head)
			conn_close(w, w->lists[s].head);
	conns_reap(w);
}
