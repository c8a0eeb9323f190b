/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-server's packet handler: the answer engine, plus what only the
 * server does (NSID, RFC 5001), and the socket details of replying from
 * the address a query came to. Kept apart from the sockets so that it can
 * be fuzzed.
 */
#ifndef XDPDNS_SERVE_H
#define XDPDNS_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cdb.h"

#define XD_OPT_NSID 3

struct xd_serve_ctx {
	char nsid[256];
	size_t nsid_len; /* 0: NSID not configured */
};

void xd_serve_init(struct xd_serve_ctx *c, const char *nsid, size_t len);

/*
 * The response to query q (qlen bytes) into out (cap bytes: 65535 for TCP,
 * at least 4096 for UDP); 0 when nothing is to be sent.
 */
size_t xd_serve(const struct xd_serve_ctx *c, const struct xd_cdb *db,
		const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
		bool tcp);

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
