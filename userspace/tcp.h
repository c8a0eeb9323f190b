/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-server's DNS over TCP (RFC 7766): connections accepted and
 * served by the worker threads, each owning its own, with the limits
 * that keep one client or one kind of misbehaviour from taking them all:
 *
 *  - connections at once over all workers (--tcp-max); at the cap a new
 *    one takes the place of the worker's longest idle one (RFC 7766
 *    6.2.3 lets a server close idle connections under pressure);
 *  - connections at once per client prefix over all workers
 *    (--tcp-max-per-client, --tcp-client-prefix4/6), checked first, so
 *    that a client at its limit never closes others' idle connections;
 *  - time: a connection is idle from its last complete query or its last
 *    reply sent, and closed after --tcp-idle; bytes that do not complete
 *    a query keep nothing alive: a query must be whole within
 *    --tcp-msg-timeout of its first byte;
 *  - replies left unread: over --tcp-output-max queued, no more queries
 *    are read from that connection until they drain, and it is closed
 *    when they have not within --tcp-idle;
 *  - memory: the buffers of unfinished queries and unsent replies over
 *    all connections (--tcp-memory), allocated as bytes arrive, never
 *    ahead of them; at the cap the worker closes its connection stalled
 *    longest on unread replies, then refuses new connections or closes
 *    the one asking.
 *
 * Each connection is on one of its worker's three lists by state (idle,
 * reading a query, writing replies), oldest first: the deadlines are the
 * lists' heads, and the longest idle or stalled is there to close.
 */
#ifndef XDPDNS_TCP_H
#define XDPDNS_TCP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "counters.h"

/* The first buffer of a query under way: a length of 65535 with nothing
 * behind it holds this much, not 64 KiB. */
#define TCP_IN_MIN 256

struct tcp_limits {
	int max_conns; /* over all workers, >= 1 */
	int max_per_client; /* over all workers; 0: no limit */
	int prefix4, prefix6; /* the prefix lengths of one client */
	int64_t idle_ms; /* idle connections closed after it */
	int64_t msg_ms; /* a query whole within it of its first byte */
	size_t output_max; /* queued replies over it: stop reading */
	size_t memory_max; /* buffers over all connections */
};

/* One client: the prefix of its address. */
struct tcp_client_key {
	uint8_t addr[16]; /* masked to the prefix; IPv4 in the first 4 */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t pad[3];
};

struct tcp_client {
	struct tcp_client_key key;
	uint32_t hash;
	uint32_t conns; /* 0: a free slot */
};

/*
 * What the workers share: the limits and what counts against them over
 * all of them. The table of clients is an open-addressed hash under
 * lock, keyed by a secret so that addresses cannot be chosen to collide.
 */
struct tcp_shared {
	struct tcp_limits lim;
	atomic_int conns;
	atomic_size_t memory; /* bytes of struct tcp_conn and buffers */
	pthread_mutex_t lock; /* the clients table */
	struct tcp_client *clients;
	size_t clients_mask; /* slots - 1, slots a power of two */
	uint8_t hash_key[16];
	struct srv_stats *stats;
	/* A descriptor kept spare: out of descriptors, it is closed to
	 * accept and shed one connection, so that a listener with a backlog
	 * does not keep its worker awake. */
	int spare_fd;
	pthread_mutex_t spare_lock;
};

/* The answer to query q (qlen bytes) from client into out (cap bytes);
 * 0 when none is to be sent. */
typedef size_t (*tcp_answer_fn)(void *ctx, const uint8_t *q, size_t qlen,
				uint8_t *out, size_t cap,
				const struct sockaddr_storage *client);

/* What a connection waits for, and so the list it is on. */
enum tcp_state {
	CONN_IDLE, /* a query: none under way, no reply to send */
	CONN_READING, /* the rest of a query (--tcp-msg-timeout) */
	CONN_WRITING, /* the client to read its replies (--tcp-idle) */
	CONN_DEAD, /* closed, freed once the events in hand are served */
	CONN_LISTS
};

struct tcp_conn;

struct tcp_list {
	struct tcp_conn *head, *tail;
};

/* One worker's connections. */
struct tcp_worker {
	struct tcp_shared *sh;
	int ep; /* the worker's epoll: a connection's data.ptr is itself */
	tcp_answer_fn answer;
	void *answer_ctx;
	struct tcp_list lists[CONN_LISTS];
};

/*
 * Sets up sh for limits lim (counting into stats); -1 when memory for the
 * clients table is missing.
 */
int tcp_shared_init(struct tcp_shared *sh, const struct tcp_limits *lim,
		    struct srv_stats *stats);
void tcp_shared_free(struct tcp_shared *sh);

void tcp_worker_init(struct tcp_worker *w, struct tcp_shared *sh, int ep,
		     tcp_answer_fn answer, void *answer_ctx);

/* Accepts what is waiting on listening socket lfd, at now (ms). */
void tcp_accept(struct tcp_worker *w, int lfd, int64_t now);

/* Serves connection c (an epoll event's data.ptr) for events. */
void tcp_event(struct tcp_worker *w, struct tcp_conn *c, uint32_t events,
	       int64_t now);

/*
 * Closes w's connections past their deadlines at now; returns the ms to
 * the next deadline, or -1 when there is none.
 */
int64_t tcp_expire(struct tcp_worker *w, int64_t now);

/* Closes all of w's connections (at a stop). */
void tcp_close_all(struct tcp_worker *w);

/* The client that address ss belongs to, for prefix lengths p4 and p6. */
void tcp_client_key(const struct sockaddr_storage *ss, int p4, int p6,
		    struct tcp_client_key *k);

/*
 * Counts a connection of client k: false, counting nothing, when it has
 * lim.max_per_client already. Every true is matched by a
 * tcp_client_release().
 */
bool tcp_client_take(struct tcp_shared *sh, const struct tcp_client_key *k);
void tcp_client_release(struct tcp_shared *sh, const struct tcp_client_key *k);

/* w's connections in state s now (tests, metrics). */
unsigned tcp_worker_count(const struct tcp_worker *w, enum tcp_state s);

/* Connections counted for client k now (tests). */
unsigned tcp_client_count(struct tcp_shared *sh,
			  const struct tcp_client_key *k);

#endif
