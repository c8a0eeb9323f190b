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

/* Skip an uncompressed name of at most 255 bytes at p[*at]. */
static bool skip_plain_name(const uint8_t *p, size_t len, size_t *at)
{
	size_t start = *at;

	while (*at < len && *at - start < 255) {
		uint8_t l = p[*at];
		if (l == 0) {
			(*at)++;
			return *at - start <= 255;
		}
		if (l > 63)
			return false;
		*at += 1u + l;
	}
	return false;
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

/* The data of option code in the OPT record at opt: offset and length;
 * false when absent or the OPT's RDATA is malformed. */
static bool opt_find(const uint8_t *p, size_t len, size_t opt, unsigned code,
		     size_t *at, size_t *olen)
{
	size_t a = opt + 1; /* the root name */
	if (a + 10 > len)
		return false;
	size_t rdlen = (size_t)(p[a + 8] << 8 | p[a + 9]);
	size_t o = a + 10, end = o + rdlen;
	if (end > len)
		return false;
	while (o + 4 <= end) {
		unsigned c = (unsigned)(p[o] << 8 | p[o + 1]);
		size_t l = (size_t)(p[o + 2] << 8 | p[o + 3]);
		if (o + 4 + l > end)
			return false;
		if (c == code) {
			*at = o + 4;
			*olen = l;
			return true;
		}
		o += 4 + l;
	}
	return false;
}

/* Append an option to the OPT record that ends the message at opt. */
static size_t opt_append(uint8_t *out, size_t n, size_t opt, unsigned code,
			 const uint8_t *data, size_t len)
{
	size_t rd = opt + 1 + 8; /* RDLENGTH of the OPT */
	size_t rdlen = (size_t)(out[rd] << 8 | out[rd + 1]) + 4 + len;

	out[rd] = (uint8_t)(rdlen >> 8);
	out[rd + 1] = (uint8_t)rdlen;
	out[n] = (uint8_t)(code >> 8);
	out[n + 1] = (uint8_t)code;
	out[n + 2] = (uint8_t)(len >> 8);
	out[n + 3] = (uint8_t)len;
	memcpy(out + n + 4, data, len);
	return n + 4 + len;
}

/*
 * FORMERR to a malformed COOKIE option (RFC 7873 5.2.2): the header with
 * the query's ID, opcode and RD, the question, and an OPT record.
 */
static size_t cookie_formerr(const uint8_t *q, size_t qlen, size_t qopt,
			     uint8_t *out, size_t cap)
{
	size_t at = 12;
	if (qlen < 12 || cap < 12 + 11)
		return 0;
	/* The question when there is exactly one, well formed. */
	if (q[4] == 0 && q[5] == 1 && skip_plain_name(q, qlen, &at) &&
	    at + 4 <= qlen && at + 4 + 11 <= cap)
		at += 4;
	else
		at = 12;
	memcpy(out, q, at);
	out[4] = 0;
	out[5] = at > 12;
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD */
	out[3] = (uint8_t)(q[3] & 0x10) | 1; /* CD kept; FORMERR */
	out[6] = out[7] = out[8] = out[9] = 0;
	out[10] = 0;
	out[11] = 1;
	const uint8_t opt[11] = { 0,
				  0,
				  41,
				  XD_EDNS_MAX_UDP >> 8,
				  XD_EDNS_MAX_UDP & 0xff,
				  0,
				  0,
				  (uint8_t)(q[qopt + 7] & 0x80) };
	memcpy(out + at, opt, sizeof(opt));
	return at + sizeof(opt);
}

/*
 * Response out (n bytes) cut to a slip, as the XDP program sends one: the
 * header with TC set, RCODE 0 and no records, the question, and the OPT
 * record (with its options) when there is one. Returns its length, or 0
 * when the response cannot be read (nothing is sent then).
 */
static size_t slip(uint8_t *out, size_t n)
{
	size_t at = 12, opt;
	unsigned after;

	if (n < 12 || out[4] != 0 || out[5] != 1 ||
	    !skip_plain_name(out, n, &at) || at + 4 > n)
		return 0;
	at += 4;
	bool has_opt = find_opt(out, n, &opt, &after) && after == 0;
	if (has_opt) {
		memmove(out + at, out + opt, n - opt);
		at += n - opt;
	}
	out[2] |= 0x02; /* TC */
	out[3] &= 0xf0; /* RCODE 0 */
	memset(out + 6, 0, 6);
	out[11] = has_opt;
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

/* Is sc (16 bytes) a server cookie of secret for cc and ip, made at most
 * an hour before now and at most five minutes after (RFC 9018 4.3)?
 * *age gets its age in seconds. */
static bool cookie_valid(const uint8_t secret[16], const uint8_t *cc,
			 const uint8_t *sc, const uint8_t *ip, size_t iplen,
			 uint32_t now, int32_t *age)
{
	uint32_t ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 |
		      (uint32_t)sc[6] << 8 | sc[7];
	uint8_t want[XD_COOKIE_SERVER];

	*age = (int32_t)(now - ts); /* serial arithmetic */
	if (sc[0] != 1 || *age > XD_COOKIE_PAST || *age < -XD_COOKIE_FUTURE)
		return false;
	xd_server_cookie(secret, cc, sc, ip, (uint32_t)iplen, want);
	return memcmp(want, sc, XD_COOKIE_SERVER) == 0;
}

size_t xd_serve(const struct xd_serve_ctx *c, const struct xd_cdb *db,
		const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
		bool tcp, const struct sockaddr_storage *client, uint32_t now,
		struct xd_serve_info *info)
{
	struct xd_serve_info seen = { 0 };
	struct xd_answer_info ai = { 0 };
	size_t qopt = 0, at = 0, olen = 0, nat, nlen, n;
	unsigned qafter;
	bool has_opt = find_opt(q, qlen, &qopt, &qafter);
	bool nsid = has_opt && c->nsid_len &&
		    opt_find(q, qlen, qopt, XD_OPT_NSID, &nat, &nlen);
	const uint8_t *ip = NULL;
	size_t iplen = client_ip(client, &ip);
	bool reuse = false;

	if (has_opt && opt_find(q, qlen, qopt, XD_OPT_COOKIE, &at, &olen)) {
		seen.cookie = true;
		/* A client cookie, and a server cookie of 8 to 32 bytes or
		 * none (RFC 7873 5.2.2). */
		if (olen != XD_COOKIE_CLIENT &&
		    (olen < XD_COOKIE_CLIENT + 8 ||
		     olen > XD_COOKIE_CLIENT + 32)) {
			n = cookie_formerr(q, qlen, qopt, out, cap);
			goto limit; /* an error (ai.kind 0) */
		}
		if (olen == XD_COOKIE_CLIENT + XD_COOKIE_SERVER && iplen) {
			const uint8_t *cc = q + at, *sc = cc + XD_COOKIE_CLIENT;
			int32_t age;
			if (cookie_valid(c->secret, cc, sc, ip, iplen, now,
					 &age)) {
				seen.cookie_valid = true;
				/* Ours, current and not yet half an hour old:
				 * sent back as it is (RFC 9018 4.3). */
				reuse = age < XD_COOKIE_RENEW;
			} else if (c->has_previous &&
				   cookie_valid(c->previous, cc, sc, ip, iplen,
						now, &age)) {
				seen.cookie_valid = true;
			}
		}
	}
	bool give_cookie = seen.cookie && iplen;
	size_t cookie_len =
		give_cookie ? 4 + XD_COOKIE_CLIENT + XD_COOKIE_SERVER : 0;
	size_t nsid_len = nsid ? 4 + c->nsid_len : 0;
	struct xd_answer_opts o = {
		.tcp = tcp,
		.reserve = (uint16_t)(cookie_len + nsid_len),
	};
	n = xd_answer(db, q, qlen, out, cap, &o, &ai);
	size_t ropt;
	unsigned rafter;
	if (n && (cookie_len || nsid_len) && find_opt(out, n, &ropt, &rafter) &&
	    rafter == 0 && n + cookie_len + nsid_len <= cap) {
		if (give_cookie) {
			/* A fresh server cookie, with the current secret. */
			uint8_t opt[XD_COOKIE_CLIENT + XD_COOKIE_SERVER];
			const uint8_t head[8] = { 1,
						  0,
						  0,
						  0,
						  (uint8_t)(now >> 24),
						  (uint8_t)(now >> 16),
						  (uint8_t)(now >> 8),
						  (uint8_t)now };
			memcpy(opt, q + at, XD_COOKIE_CLIENT);
			if (reuse)
				memcpy(opt + XD_COOKIE_CLIENT,
				       q + at + XD_COOKIE_CLIENT,
				       XD_COOKIE_SERVER);
			else
				xd_server_cookie(c->secret, q + at, head, ip,
						 (uint32_t)iplen,
						 opt + XD_COOKIE_CLIENT);
			n = opt_append(out, n, ropt, XD_OPT_COOKIE, opt,
				       sizeof(opt));
		}
		if (nsid)
			n = opt_append(out, n, ropt, XD_OPT_NSID,
				       (const uint8_t *)c->nsid, c->nsid_len);
	}
limit:
	if (n && !tcp && c->limit && !seen.cookie_valid && client) {
		unsigned cls = ai.kind ? ai.kind - 1u : XD_RRL_ERROR;
		seen.limited = xd_limit_check(c->limit, client, cls,
					      ai.kind ? ai.rrl_key : 0);
		if (seen.limited == XD_LIMIT_DROP)
			n = 0;
		else if (seen.limited == XD_LIMIT_SLIP)
			n = slip(out, n);
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
