// SPDX-License-Identifier: GPL-3.0-or-later
#include "serve.h"

#include <netinet/in.h>
#include <string.h>

#include "answer.h"
#include "xdpdns.h"

void xd_serve_init(struct xd_serve_ctx *c, const char *nsid, size_t len,
		   const uint8_t secret[XD_COOKIE_SECRET],
		   const uint8_t *previous)
{
	memset(c, 0, sizeof(*c));
	if (nsid && len && len <= sizeof(c->nsid)) {
		memcpy(c->nsid, nsid, len);
		c->nsid_len = len;
	}
	memcpy(c->secret, secret, XD_COOKIE_SECRET);
	if (previous) {
		memcpy(c->previous, previous, XD_COOKIE_SECRET);
		c->has_previous = true;
	}
}

/*
 * Response out (n bytes) cut to a slip, as the XDP program sends one: the
 * header with TC set, RCODE 0 and no records, the question, and the OPT
 * record (with its options) when there is one, where the engine says
 * they are. Returns its length.
 */
static size_t slip(uint8_t *out, size_t n, const struct xd_answer_info *ai)
{
	size_t at = ai->question_end;

	if (ai->opt_at) {
		memmove(out + at, out + ai->opt_at, n - ai->opt_at);
		at += n - ai->opt_at;
	}
	out[2] |= XD_FLAGS1_TC;
	out[3] &= (uint8_t)~XD_FLAGS2_RCODE;
	memset(out + 6, 0, 6);
	out[11] = ai->opt_at != 0;
	return at;
}

/* The client's address bytes for the cookie hash; 0 when unknown. */
static size_t client_ip(const struct sockaddr_storage *ss, const uint8_t **ip)
{
	if (ss && ss->ss_family == AF_INET) {
		*ip = (const uint8_t *)&((const struct sockaddr_in *)ss)
			      ->sin_addr;
		return 4;
	}
	if (ss && ss->ss_family == AF_INET6) {
		*ip = (const uint8_t *)&((const struct sockaddr_in6 *)ss)
			      ->sin6_addr;
		return 16;
	}
	return 0;
}

size_t xd_serve(const struct xd_serve_ctx *c, const struct xd_cdb *db,
		const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
		bool tcp, const struct sockaddr_storage *client, uint32_t now,
		struct xd_serve_info *info)
{
	const uint8_t *ip = NULL;
	size_t iplen = client_ip(client, &ip);
	struct xd_server_edns e = {
		.nsid = c->nsid_len ? c->nsid : NULL,
		.nsid_len = c->nsid_len,
		.secret = c->secret,
		.previous = c->has_previous ? c->previous : NULL,
		.client_ip = iplen ? ip : NULL,
		.client_ip_len = iplen,
		.now = now,
	};
	struct xd_answer_opts o = { .tcp = tcp, .server = &e };
	struct xd_answer_info ai;
	size_t n = xd_answer(db, q, qlen, out, cap, &o, &ai);
	struct xd_serve_info seen = { .cookie = ai.cookie,
				      .cookie_valid = ai.cookie_valid };

	if (n && !tcp && c->limit && !ai.cookie_valid && client) {
		unsigned cls = ai.kind ? ai.kind - 1u : XD_RRL_ERROR;
		seen.limited = xd_limit_check(c->limit, client, cls,
					      ai.kind ? ai.rrl_key : 0);
		if (seen.limited == XD_LIMIT_DROP)
			n = 0;
		else if (seen.limited == XD_LIMIT_SLIP)
			n = slip(out, n, &ai);
	}
	if (info)
		*info = seen;
	return n;
}

size_t xd_serve_reply_pktinfo(const struct msghdr *in, uint8_t *ctl, size_t cap)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR((struct msghdr *)in); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)in, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			if (CMSG_SPACE(sizeof(pi)) > cap)
				return 0;
			struct in_pktinfo rep = { .ipi_spec_dst = pi.ipi_addr };
			struct cmsghdr *o = (struct cmsghdr *)ctl;
			memset(ctl, 0, CMSG_SPACE(sizeof(rep)));
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(rep));
			memcpy(CMSG_DATA(o), &rep, sizeof(rep));
			return CMSG_SPACE(sizeof(rep));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			if (CMSG_SPACE(sizeof(pi)) > cap)
				return 0;
			struct cmsghdr *o = (struct cmsghdr *)ctl;
			memset(ctl, 0, CMSG_SPACE(sizeof(pi)));
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}
