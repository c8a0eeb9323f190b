// SPDX-License-Identifier: GPL-3.0-or-later
#include "serve.h"

#include <netinet/in.h>
#include <string.h>

#include "answer.h"

void xd_serve_init(struct xd_serve_ctx *c, const char *nsid, size_t len)
{
	memset(c, 0, sizeof(*c));
	if (nsid && len && len <= sizeof(c->nsid)) {
		memcpy(c->nsid, nsid, len);
		c->nsid_len = len;
	}
}

/* Skip a name at p[*at]; false when it runs past len. */
static bool skip_name(const uint8_t *p, size_t len, size_t *at)
{
	for (int labels = 0; labels < 128; labels++) {
		if (*at >= len)
			return false;
		uint8_t l = p[*at];
		if (l == 0) {
			(*at)++;
			return true;
		}
		if ((l & 0xc0) == 0xc0) {
			*at += 2;
			return *at <= len;
		}
		if (l & 0xc0)
			return false;
		*at += 1u + l;
	}
	return false;
}

/*
 * The offset of the OPT record in message p, and the number of records
 * that follow it; false when there is none or the message is malformed.
 */
static bool find_opt(const uint8_t *p, size_t len, size_t *opt, unsigned *after)
{
	if (len < 12)
		return false;
	unsigned qd = (unsigned)(p[4] << 8 | p[5]);
	unsigned rr = (unsigned)(p[6] << 8 | p[7]) +
		      (unsigned)(p[8] << 8 | p[9]) +
		      (unsigned)(p[10] << 8 | p[11]);
	size_t at = 12;
	for (unsigned i = 0; i < qd; i++) {
		if (!skip_name(p, len, &at))
			return false;
		at += 4;
	}
	bool found = false;
	for (unsigned i = 0; i < rr; i++) {
		size_t start = at;
		if (!skip_name(p, len, &at) || at + 10 > len)
			return false;
		unsigned type = (unsigned)(p[at] << 8 | p[at + 1]);
		size_t rdlen = (size_t)(p[at + 8] << 8 | p[at + 9]);
		at += 10 + rdlen;
		if (at > len)
			return false;
		if (type == 41) {
			*opt = start;
			*after = rr - i - 1;
			found = true;
		}
	}
	return found && at == len;
}

/* Does the OPT record at opt ask for option code? */
static bool opt_has(const uint8_t *p, size_t len, size_t opt, unsigned code)
{
	size_t at = opt + 1; /* the root name */
	if (at + 10 > len)
		return false;
	size_t rdlen = (size_t)(p[at + 8] << 8 | p[at + 9]);
	size_t o = at + 10, end = o + rdlen;
	if (end > len)
		return false;
	while (o + 4 <= end) {
		unsigned c = (unsigned)(p[o] << 8 | p[o + 1]);
		size_t l = (size_t)(p[o + 2] << 8 | p[o + 3]);
		if (o + 4 + l > end)
			return false;
		if (c == code)
			return true;
		o += 4 + l;
	}
	return false;
}

size_t xd_serve(const struct xd_serve_ctx *c, const struct xd_cdb *db,
		const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
		bool tcp)
{
	struct xd_answer_opts o = { .tcp = tcp };
	size_t n = xd_answer(db, q, qlen, out, cap, &o, NULL);
	size_t qopt, ropt;
	unsigned qafter, rafter;

	/* NSID (RFC 5001): to a query that asks, in the response's OPT,
	 * when it fits the size the engine kept to. */
	if (!n || !c->nsid_len || !find_opt(q, qlen, &qopt, &qafter) ||
	    !opt_has(q, qlen, qopt, XD_OPT_NSID) ||
	    !find_opt(out, n, &ropt, &rafter) || rafter != 0)
		return n;
	size_t limit = tcp ? 65535 : XD_EDNS_MAX_UDP;
	if (!tcp) {
		size_t asked = (size_t)(q[qopt + 3] << 8 | q[qopt + 4]);
		if (asked < limit)
			limit = asked < XD_UDP_MIN ? XD_UDP_MIN : asked;
	}
	size_t add = 4 + c->nsid_len;
	if (n + add > limit || n + add > cap)
		return n;
	size_t rd = ropt + 1 + 8; /* RDLENGTH of the OPT */
	size_t rdlen = (size_t)(out[rd] << 8 | out[rd + 1]) + add;
	out[rd] = (uint8_t)(rdlen >> 8);
	out[rd + 1] = (uint8_t)rdlen;
	out[n] = 0;
	out[n + 1] = XD_OPT_NSID;
	out[n + 2] = (uint8_t)(c->nsid_len >> 8);
	out[n + 3] = (uint8_t)c->nsid_len;
	memcpy(out + n + 4, c->nsid, c->nsid_len);
	return n + add;
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
