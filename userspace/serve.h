/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-server's packet handler: the answer engine, plus what only the
 * server does so far: DNS cookies (RFC 7873, server cookies as RFC 9018
 * specifies) and NSID (RFC 5001); and the socket details of replying from
 * the address a query came to. Kept apart from the sockets so that it can
 * be tested with exact bytes and fuzzed.
 */
#ifndef XDPDNS_SERVE_H
#define XDPDNS_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cdb.h"
#include "limit.h"

#define XD_COOKIE_SECRET 16

struct xd_serve_ctx {
	char nsid[256];
	size_t nsid_len; /* 0: NSID not configured */
	uint8_t secret[XD_COOKIE_SECRET]; /* server cookies made with it */
	uint8_t previous[XD_COOKIE_SECRET]; /* still accepted when set */
	bool has_previous;
	/* Response rate limiting of UDP responses; NULL: none. */
	struct xd_limiter *limit;
};

/* What the handler saw, for counters and tests. */
struct xd_serve_info {
	bool cookie; /* the query carried a COOKIE option */
	bool cookie_valid; /* with a server cookie of ours, in its lifetime */
	enum xd_limit_verdict limited; /* what rate limiting did with it */
};

void xd_serve_init(struct xd_serve_ctx *c, const char *nsid, size_t len,
		   const uint8_t secret[XD_COOKIE_SECRET],
		   const uint8_t *previous);

/*
 * The response to query q (qlen bytes) from client at time now (seconds
 * since the epoch) into out (cap bytes: 65535 for TCP, at least 4096 for
 * UDP); 0 when nothing is to be sent. Over UDP, a response over its rate
 * limit (c->limit) is not sent, or sent as TC=1 with the question and
 * OPT record alone (a slip), as the XDP program does; a client with a
 * valid cookie of ours is never limited. info may be NULL.
 */
size_t xd_serve(const struct xd_serve_ctx *c, const struct xd_cdb *db,
		const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
		bool tcp, const struct sockaddr_storage *client, uint32_t now,
		struct xd_serve_info *info);

/* Length of a message recvmmsg() filled. */
static inline size_t xd_serve_udp_len(const struct mmsghdr *m)
{
	return m->msg_len;
}

/*
 * Control data for the reply to the datagram received with in: send it
 * from the address the query was sent to (IP_PKTINFO, IPV6_PKTINFO).
 * Returns its length in ctl (cap bytes), 0 when there is none.
 */
size_t xd_serve_reply_pktinfo(const struct msghdr *in, uint8_t *ctl,
			      size_t cap);

#endif
