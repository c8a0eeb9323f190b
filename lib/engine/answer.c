// SPDX-License-Identifier: GPL-3.0-or-later
#include "answer.h"

#include <string.h>

#include "dnscookie.h"
#include "dnsname.h"

#define HDR 12
#define OPT_LEN 11 /* root owner, type, class, ttl, rdlength */
#define EDE_LEN 6 /* option code, length, info code */
#define EDE_NOT_AUTH 20 /* RFC 8914 "Not Authoritative" */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Skip a possibly compressed name; returns the offset after it or 0. */
static size_t skip_name(const uint8_t *pkt, size_t len, size_t off)
{
	size_t total = 0;

	while (off < len) {
		uint8_t l = pkt[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		total += l + 1u;
		if (total > XD_DNAME_MAX - 1)
			return 0;
		off += l + 1u;
	}
	return 0;
}

static enum xd_parse malformed(struct xd_query *q)
{
	/* knotd answers a query it cannot parse without OPT. */
	q->edns = false;
	return XD_PARSE_FORMERR;
}

enum xd_parse xd_query_parse(const uint8_t *pkt, size_t len, struct xd_query *q)
{
	memset(q, 0, sizeof(*q));
	if (len < HDR)
		return XD_PARSE_DROP;
	if (pkt[2] & XD_FLAGS1_QR) /* a response: never answer it */
		return XD_PARSE_DROP;
	q->id = get16(pkt);
	q->opcode = (pkt[2] & XD_FLAGS1_OPCODE) >> 3;
	q->rd = pkt[2] & XD_FLAGS1_RD;
	q->cd = pkt[3] & XD_FLAGS2_CD;
	q->qdcount = get16(pkt + 4);
	uint16_t an = get16(pkt + 6), ns = get16(pkt + 8), ar = get16(pkt + 10);

	size_t off = HDR;
	for (unsigned i = 0; i < q->qdcount; i++) {
		if (i == 0 && q->qdcount == 1) {
			int nl = xd_dname_check(pkt + off, len - off);
			if (nl < 0 || off + (size_t)nl + 4 > len)
				return malformed(q);
			q->qname_len = (uint8_t)nl;
			xd_dname_lower(q->lname, pkt + off);
			q->qtype = get16(pkt + off + (size_t)nl);
			q->qclass = get16(pkt + off + (size_t)nl + 2);
			q->question_len = (size_t)nl + 4;
			off += q->question_len;
			q->has_question = true;
			continue;
		}
		off = skip_name(pkt, len, off);
		if (!off || off + 4 > len)
			return malformed(q);
		off += 4;
	}
	/* Records: an OPT only once, only in the additional section, owned
	 * by the root (RFC 6891 6.1.1); a TSIG only as the last record. */
	unsigned total = (unsigned)an + ns + ar;
	for (unsigned i = 0; i < total; i++) {
		size_t name_at = off;
		off = skip_name(pkt, len, off);
		if (!off || off + 10 > len)
			return malformed(q);
		uint16_t type = get16(pkt + off);
		uint16_t rdlen = get16(pkt + off + 8);
		bool additional = i >= (unsigned)an + ns;
		if (off + 10 + rdlen > len)
			return malformed(q);
		if (type == XD_TYPE_OPT) {
			if (!additional || q->edns || pkt[name_at] != 0)
				return malformed(q);
			q->edns = true;
			q->edns_size = get16(pkt + off + 2);
			q->edns_version = pkt[off + 5];
			q->edns_do = pkt[off + 6] & 0x80;
			/* Options must tile the rdata exactly; the first
			 * COOKIE and NSID are noted. */
			size_t o = off + 10, end = off + 10 + rdlen;
			while (o < end) {
				if (o + 4 > end ||
				    o + 4 + get16(pkt + o + 2) > end)
					return malformed(q);
				uint16_t code = get16(pkt + o);
				if (code == XD_OPT_COOKIE && !q->cookie) {
					q->cookie = true;
					q->cookie_at = o + 4;
					q->cookie_len = get16(pkt + o + 2);
				}
				q->nsid |= code == XD_OPT_NSID;
				o += 4u + get16(pkt + o + 2);
			}
		} else if (type == XD_TYPE_TSIG) {
			if (!additional || i != total - 1)
				return malformed(q);
			q->tsig = true;
		}
		off += 10u + rdlen;
	}
	if (off != len) /* trailing bytes */
		return malformed(q);
	if (q->qdcount != 1)
		return XD_PARSE_FORMERR;
	return XD_PARSE_OK;
}

/* ---- lookup (mirrored by the XDP program) ---------------------- */

static bool found_tmpl(const struct xd_cdb *db, uint32_t off, size_t nlen,
		       bool walk, struct xd_found *out)
{
	const struct xd_tmpl *t = xd_cdb_tmpl(db, off);

	out->tmpl = t;
	out->tmpl_off = off;
	out->via_walk = walk;
	out->delta = 0;
	if (t->flags & XD_TF_RELOC) {
		if (nlen < t->base_len)
			return false;
		out->delta = (int)nlen - t->base_len;
	} else if (walk) {
		return false; /* cannot answer another name: a compiler bug */
	}
	return true;
}

bool xd_lookup(const struct xd_cdb *db, const uint8_t *lname, size_t nlen,
	       uint16_t qtype, bool dnssec, struct xd_found *out)
{
	const struct xd_cdb_entry *e = NULL;

	memset(out, 0, sizeof(*out));
	if (qtype != XD_TYPE_NODE)
		e = xd_cdb_find(db, lname, nlen, qtype);
	if (!e)
		e = xd_cdb_find(db, lname, nlen, XD_TYPE_NODE);
	if (e)
		return found_tmpl(db, dnssec ? e->dtmpl : e->tmpl, nlen, false,
				  out);

	/* Walk up to the closest encloser. */
	size_t off = 0;
	while (lname[off]) {
		off += lname[off] + 1u;
		const uint8_t *anc = lname + off;
		size_t alen = nlen - off;
		e = xd_cdb_find(db, anc, alen, XD_TYPE_NODE);
		if (!e)
			continue;
		out->zone = e->zone;
		out->ce_len = (uint8_t)alen;
		if (e->nflags & XD_NFE_DELEG)
			return found_tmpl(db, dnssec ? e->dtmpl : e->tmpl, nlen,
					  true, out);
		if (e->nflags & XD_NFE_WILDCARD) {
			uint8_t wname[XD_DNAME_MAX];
			if (!xd_dname_wildcard(wname, anc, alen))
				return false;
			const struct xd_cdb_entry *w = NULL;
			if (qtype != XD_TYPE_NODE)
				w = xd_cdb_find(db, wname, alen + 2, qtype);
			if (!w)
				w = xd_cdb_find(db, wname, alen + 2,
						XD_TYPE_NODE);
			if (!w || !found_tmpl(db, dnssec ? w->dtmpl : w->tmpl,
					      nlen, true, out))
				return false;
			const struct xd_tmpl *t = out->tmpl;
			/* An NSEC query there is answered with the
			 * wildcard's own NSEC: it is not repeated. */
			if (dnssec && db->zones[e->zone].denial)
				out->proof =
					(t->kind == XD_KIND_NODATA &&
					 !(t->flags & XD_TF_CNAME)) ||
							qtype == XD_TYPE_NSEC ?
						XD_PROOF_WILDCARD_NODATA :
						XD_PROOF_WILDCARD;
			return true;
		}
		const struct xd_cdb_zone *z = &db->zones[e->zone];
		if (dnssec && z->denial)
			out->proof = XD_PROOF_NXDOMAIN;
		return found_tmpl(db, dnssec ? z->nxdomain_do : z->nxdomain,
				  nlen, true, out);
	}
	return false;
}

/* ---- rendering --------------------------------------------------- */

static size_t put_opt(uint8_t *p, uint16_t our_udp, uint8_t ext_rcode,
		      bool do_bit, uint16_t ede)
{
	p[0] = 0; /* root */
	put16(p + 1, XD_TYPE_OPT);
	put16(p + 3, our_udp);
	p[5] = ext_rcode;
	p[6] = 0; /* version */
	p[7] = do_bit ? 0x80 : 0;
	p[8] = 0;
	if (!ede) {
		put16(p + 9, 0);
		return OPT_LEN;
	}
	put16(p + 9, EDE_LEN);
	put16(p + 11, 15); /* EDE, RFC 8914 */
	put16(p + 13, 2);
	put16(p + 15, ede);
	return OPT_LEN + EDE_LEN;
}

static void put_header(uint8_t *out, const struct xd_query *q, bool aa, bool tc,
		       uint8_t rcode, uint16_t qd, uint16_t an, uint16_t ns,
		       uint16_t ar)
{
	put16(out, q->id);
	/* QR, the query's opcode and RD; RA, AD and Z clear. CD is copied
	 * (RFC 8906 8.1.3, RFC 4035 3.2.2). */
	out[2] = (uint8_t)(XD_FLAGS1_QR | q->opcode << 3 |
			   (aa ? XD_FLAGS1_AA : 0) | (tc ? XD_FLAGS1_TC : 0) |
			   (q->rd ? XD_FLAGS1_RD : 0));
	out[3] = (uint8_t)((q->cd ? XD_FLAGS2_CD : 0) |
			   (rcode & XD_FLAGS2_RCODE));
	put16(out + 4, qd);
	put16(out + 6, an);
	put16(out + 8, ns);
	put16(out + 10, ar);
}

size_t xd_render(const struct xd_query *q, const uint8_t *question,
		 const struct xd_tmpl *t, int delta, size_t limit,
		 uint16_t our_udp, uint8_t *out, size_t cap,
		 struct xd_answer_info *info)
{
	size_t opt = q->edns ? OPT_LEN : 0;
	size_t fixed = HDR + q->question_len + opt;

	if (limit > cap)
		limit = cap;
	if (fixed > limit)
		return 0;
	size_t avail = limit - fixed;
	const struct xd_cut *cuts = xd_tmpl_cuts(t);
	const struct xd_cut none = { .tc = (t->flags & XD_TF_TC0) ? 1 : 0 };
	const struct xd_cut *cut = &none;
	for (unsigned i = t->ncuts; i-- > 0;)
		if (cuts[i].len <= avail) {
			cut = &cuts[i];
			break;
		}

	/* TC answers NOERROR when the answer section is cut, and keeps
	 * the RCODE when only the authority section is (tc 2), as knotd. */
	uint8_t rcode = cut->tc == 1 ? XD_RCODE_NOERROR : t->rcode;
	put_header(out, q, t->flags & XD_TF_AA, cut->tc, rcode, 1, cut->an,
		   cut->ns, (uint16_t)(cut->ar + (q->edns ? 1 : 0)));
	memcpy(out + HDR, question, q->question_len);
	uint8_t *body = out + HDR + q->question_len;
	memcpy(body, xd_tmpl_bytes(t), cut->len);
	const uint16_t *relocs = xd_tmpl_relocs(t);
	for (unsigned i = 0; delta && i < t->nrelocs; i++) {
		if (relocs[i] + 2u > cut->len)
			break;
		uint16_t ptr = (uint16_t)(get16(body + relocs[i]) & 0x3fff);
		put16(body + relocs[i], (uint16_t)(0xc000 | (ptr + delta)));
	}
	size_t len = HDR + q->question_len + cut->len;
	if (info) {
		info->rcode = rcode;
		info->kind = t->kind;
		info->truncated = cut->tc;
		info->rrl_key = 0;
		info->question_end = HDR + q->question_len;
		info->opt_at = q->edns ? len : 0;
	}
	if (q->edns)
		len += put_opt(out + len, our_udp, 0, q->edns_do, 0);
	return len;
}

/* ---- proofs that depend on the query name ------------------------- */

/* Offset after the resource record at off, or 0. */
static size_t skip_rr(const uint8_t *m, size_t len, size_t off)
{
	off = skip_name(m, len, off);
	if (!off || off + 10 > len)
		return 0;
	off += 10 + (size_t)get16(m + off + 8);
	return off <= len ? off : 0;
}

/* Offset in the query name (at offset 12 of a response, qlen bytes) of
 * its suffix equal to name (len bytes, uncompressed), or -1. */
static long qname_suffix(const uint8_t *m, size_t qlen, const uint8_t *name,
			 size_t len)
{
	size_t at = 0;

	for (;;) {
		if (qlen - at == len) {
			size_t i = 0;
			while (i < len &&
			       xd_lower8(m[12 + at + i]) == xd_lower8(name[i]))
				i++;
			return i == len ? (long)at : -1;
		}
		if (!m[12 + at] || qlen - at < len)
			return -1;
		at += m[12 + at] + 1u;
	}
}

/*
 * Write the records of proof template t to dst, to go at message offset
 * at of response m: the first owner compressed against the query name,
 * the owners after it pointing at it; rdata as it is (RRSIG and NSEC
 * names are never compressed, RFC 4034 3.1.7 and 4.1.1). Returns the bytes
 * written, or 0 when over room.
 */
static size_t put_proof(const struct xd_tmpl *t, uint8_t *dst, size_t at,
			size_t room, const uint8_t *m, size_t qlen)
{
	const uint8_t *b = xd_tmpl_bytes(t);
	size_t off = 0, w = 0, first = 0;

	while (off < t->len) {
		size_t olen = xd_dname_len(b + off);
		if (off + olen + 10 > t->len)
			return 0;
		size_t rlen = 10 + (size_t)get16(b + off + olen + 8);
		if (w + olen + rlen > room)
			return 0;
		if (first) {
			put16(dst + w, (uint16_t)(0xc000 | first));
			w += 2;
		} else {
			first = at + w;
			size_t p = 0;
			long target = -1;
			while (b[off + p] &&
			       (target = qname_suffix(m, qlen, b + off + p,
						      olen - p)) < 0)
				p += b[off + p] + 1u;
			memcpy(dst + w, b + off, p);
			w += p;
			if (target >= 0) {
				put16(dst + w,
				      (uint16_t)(0xc000 | (12 + target)));
				w += 2;
			} else {
				dst[w++] = 0;
			}
		}
		memcpy(dst + w, b + off + olen, rlen);
		w += rlen;
		off += olen + rlen;
	}
	return w;
}

#define PROOFS_MAX 8192

/*
 * Add the proof templates to the authority section of the n bytes of
 * response in out: after the authority records, before the additional
 * ones (whose compression pointers into the moved bytes move with them).
 * When they do not fit in limit, the additional records go first (RFC
 * 4035 3.1.1: their signatures are optional); when they still do not,
 * the response goes without them, with TC and its RCODE (its answer
 * section is whole, as knotd sends it). Returns the new length, 0 on
 * error.
 */
static size_t add_proofs(const struct xd_cdb *db, const struct xd_query *q,
			 const uint32_t *proofs, unsigned np, uint8_t *out,
			 size_t n, size_t limit, struct xd_answer_info *info)
{
	uint8_t pb[PROOFS_MAX];
	size_t end = info->opt_at ? info->opt_at : n;
	size_t auth_end = info->question_end;
	unsigned an = get16(out + 6), ns = get16(out + 8);

	for (unsigned i = 0; i < an + ns && auth_end; i++)
		auth_end = skip_rr(out, end, auth_end);
	if (!auth_end)
		return 0;
	size_t total = 0;
	unsigned count = 0;
	for (unsigned i = 0; i < np; i++) {
		const struct xd_tmpl *t = xd_cdb_tmpl(db, proofs[i]);
		size_t w = put_proof(t, pb + total, auth_end + total,
				     sizeof(pb) - total, out, q->qname_len);
		if (!w)
			return 0;
		total += w;
		count += t->ncuts ? xd_tmpl_cuts(t)[t->ncuts - 1].ns : 0;
	}
	if (n + total > limit && auth_end < end) {
		/* Without the additional records (the OPT stays). */
		memmove(out + auth_end, out + end, n - end);
		n -= end - auth_end;
		if (info->opt_at)
			info->opt_at = auth_end;
		end = auth_end;
		put16(out + 10, q->edns ? 1 : 0);
	}
	if (n + total > limit) {
		out[2] |= XD_FLAGS1_TC;
		info->truncated = true;
		return n;
	}
	/* Pointers in the additional records to names after auth_end. */
	for (size_t off = auth_end; off < end;) {
		size_t p = off;
		while (p < end && out[p] && (out[p] & 0xc0) != 0xc0)
			p += out[p] + 1u;
		if (p + 1 < end && (out[p] & 0xc0) == 0xc0) {
			unsigned target = get16(out + p) & 0x3fff;
			if (target >= auth_end)
				put16(out + p,
				      (uint16_t)(0xc000 | (target + total)));
		}
		off = skip_rr(out, end, off);
		if (!off)
			return 0;
	}
	memmove(out + auth_end + total, out + auth_end, n - auth_end);
	memcpy(out + auth_end, pb, total);
	put16(out + 8, (uint16_t)(ns + count));
	if (info->opt_at)
		info->opt_at += total;
	return n + total;
}

/* A response without data: the question (when there is one) and OPT. */
static size_t error_response(const struct xd_query *q, const uint8_t *pkt,
			     unsigned rcode, uint16_t our_udp, uint8_t *out,
			     size_t cap, struct xd_answer_info *info)
{
	size_t qlen = q->has_question ? q->question_len : 0;
	uint16_t ede = rcode == XD_RCODE_REFUSED ? EDE_NOT_AUTH : 0;
	size_t need = HDR + qlen + (q->edns ? OPT_LEN + EDE_LEN : 0);

	if (need > cap)
		return 0;
	put_header(out, q, false, false, (uint8_t)(rcode & XD_FLAGS2_RCODE),
		   q->has_question ? 1 : 0, 0, 0, q->edns ? 1 : 0);
	memcpy(out + HDR, pkt + HDR, qlen);
	size_t len = HDR + qlen;
	if (info) {
		info->rcode = (uint8_t)rcode;
		info->kind = 0;
		info->truncated = false;
		info->rrl_key = 0;
		info->question_end = len;
		info->opt_at = q->edns ? len : 0;
	}
	if (q->edns)
		len += put_opt(out + len, our_udp, (uint8_t)(rcode >> 4),
			       q->edns_do, ede);
	return len;
}

/* The response's bucket key (struct xd_answer_info). */
static uint64_t rrl_key(const struct xd_query *q, const struct xd_found *f)
{
	if (f->via_walk || f->tmpl->kind == XD_KIND_REFERRAL ||
	    f->tmpl->kind == XD_KIND_NXDOMAIN)
		return 1ull << 63 | f->tmpl_off;
	return (xd_hash_bytes(q->lname, q->qname_len, 0) & ~(1ull << 63)) ^
	       (uint64_t)q->qtype << 32;
}

static bool is_apex(const struct xd_cdb *db, const struct xd_query *q)
{
	const struct xd_cdb_entry *e =
		xd_cdb_find(db, q->lname, q->qname_len, XD_TYPE_NODE);
	return e && (e->nflags & XD_NFE_APEX);
}

/* ---- the server's EDNS options -------------------------------------- */

/* Is sc (16 bytes) a server cookie of secret for cc and the client, made
 * at most an hour before now and at most five minutes after (RFC 9018
 * 4.3)? *age gets its age in seconds. */
static bool cookie_valid(const struct xd_server_edns *e, const uint8_t *secret,
			 const uint8_t *cc, const uint8_t *sc, int32_t *age)
{
	uint32_t ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 |
		      (uint32_t)sc[6] << 8 | sc[7];
	uint8_t want[XD_COOKIE_SERVER];

	*age = (int32_t)(e->now - ts); /* serial arithmetic */
	if (sc[0] != 1 || *age > XD_COOKIE_PAST || *age < -XD_COOKIE_FUTURE)
		return false;
	xd_server_cookie(secret, cc, sc, e->client_ip,
			 (uint32_t)e->client_ip_len, want);
	return memcmp(want, sc, XD_COOKIE_SERVER) == 0;
}

/*
 * The COOKIE option of the response to a query whose option data is at
 * opt (len bytes, well formed): the client cookie and a server cookie,
 * the client's own while it is ours, made with the current secret and
 * under half an hour old (RFC 9018 4.3), a fresh one otherwise. *valid
 * says whether the client's was ours (with either secret).
 */
static void cookie_reply(const struct xd_server_edns *e, const uint8_t *opt,
			 size_t len,
			 uint8_t out[XD_COOKIE_CLIENT + XD_COOKIE_SERVER],
			 bool *valid)
{
	const uint8_t *sc = opt + XD_COOKIE_CLIENT;
	bool reuse = false;
	int32_t age;

	*valid = false;
	if (len == XD_COOKIE_CLIENT + XD_COOKIE_SERVER) {
		if (cookie_valid(e, e->secret, opt, sc, &age)) {
			*valid = true;
			reuse = age < XD_COOKIE_RENEW;
		} else if (e->previous &&
			   cookie_valid(e, e->previous, opt, sc, &age)) {
			*valid = true;
		}
	}
	memcpy(out, opt, XD_COOKIE_CLIENT);
	if (reuse) {
		memcpy(out + XD_COOKIE_CLIENT, sc, XD_COOKIE_SERVER);
		return;
	}
	const uint8_t head[8] = { 1,
				  0,
				  0,
				  0,
				  (uint8_t)(e->now >> 24),
				  (uint8_t)(e->now >> 16),
				  (uint8_t)(e->now >> 8),
				  (uint8_t)e->now };
	xd_server_cookie(e->secret, opt, head, e->client_ip,
			 (uint32_t)e->client_ip_len, out + XD_COOKIE_CLIENT);
}

/*
 * In a message the parse refused, a malformed COOKIE option all the same:
 * the questions and records read with compressed names allowed, an OPT
 * record among them, a COOKIE in it of a length RFC 7873 5.2.2 refuses.
 * Then q holds an OPT (with its DO bit), for the FORMERR.
 */
static bool bad_cookie_anyway(const uint8_t *pkt, size_t len,
			      struct xd_query *q)
{
	unsigned qd = get16(pkt + 4);
	unsigned rr =
		(unsigned)get16(pkt + 6) + get16(pkt + 8) + get16(pkt + 10);
	size_t at = HDR, opt = 0;

	for (unsigned i = 0; i < qd; i++) {
		if (!(at = skip_name(pkt, len, at)) || at + 4 > len)
			return false;
		at += 4;
	}
	for (unsigned i = 0; i < rr; i++) {
		if (!(at = skip_name(pkt, len, at)) || at + 10 > len)
			return false;
		if (get16(pkt + at) == XD_TYPE_OPT)
			opt = at; /* its type, after its owner name */
		at += 10u + get16(pkt + at + 8);
		if (at > len)
			return false;
	}
	if (!opt || at != len)
		return false;
	size_t o = opt + 10, end = o + get16(pkt + opt + 8);
	for (; o + 4 <= end; o += 4u + get16(pkt + o + 2)) {
		uint16_t olen = get16(pkt + o + 2);
		if (o + 4 + olen > end)
			return false;
		if (get16(pkt + o) != XD_OPT_COOKIE)
			continue;
		if (olen == XD_COOKIE_CLIENT || (olen >= XD_COOKIE_CLIENT + 8 &&
						 olen <= XD_COOKIE_CLIENT + 32))
			return false;
		q->edns = true;
		q->edns_do = pkt[opt + 6] & 0x80;
		return true; /* the question echoed if it parsed */
	}
	return false;
}

/* Option code with len bytes of data, added to the OPT record at opt
 * that ends the n bytes of response out. Returns the new length. */
static size_t opt_add(uint8_t *out, size_t n, size_t opt, uint16_t code,
		      const void *data, size_t len)
{
	uint8_t *rdlen = out + opt + 9;

	put16(rdlen, (uint16_t)(get16(rdlen) + 4 + len));
	put16(out + n, code);
	put16(out + n + 2, (uint16_t)len);
	memcpy(out + n + 4, data, len);
	return n + 4 + len;
}

/* The zones' answer to a parsed query, room kept for `extra` bytes of
 * options after the OPT. */
static size_t answer_query(const struct xd_cdb *db, const struct xd_query *q,
			   const uint8_t *pkt, uint8_t *out, size_t cap,
			   uint16_t our_udp, bool tcp, size_t extra,
			   struct xd_answer_info *info)
{
	if (q->edns && q->edns_version != 0)
		return error_response(q, pkt, XD_RCODE_BADVERS, our_udp, out,
				      cap, info);
	if (q->opcode != XD_OPCODE_QUERY)
		return error_response(q, pkt, XD_RCODE_NOTIMP, our_udp, out,
				      cap, info);
	if (q->qclass != XD_CLASS_IN && q->qclass != XD_CLASS_ANY)
		return error_response(q, pkt, XD_RCODE_REFUSED, our_udp, out,
				      cap, info);
	if (q->tsig) /* no keys are configured (RFC 8945 5.2: BADKEY) */
		return error_response(q, pkt, XD_RCODE_NOTAUTH, our_udp, out,
				      cap, info);
	if (q->qtype == 0) /* reserved (RFC 6895) */
		return error_response(q, pkt, XD_RCODE_NOTIMP, our_udp, out,
				      cap, info);
	if (q->qtype == XD_TYPE_AXFR || q->qtype == XD_TYPE_IXFR) {
		unsigned rc = !is_apex(db, q)	       ? XD_RCODE_REFUSED :
			      tcp		       ? XD_RCODE_REFUSED :
			      q->qtype == XD_TYPE_AXFR ? XD_RCODE_NOTIMP :
							 XD_RCODE_NOTAUTH;
		return error_response(q, pkt, rc, our_udp, out, cap, info);
	}

	struct xd_found f;
	if (!xd_lookup(db, q->lname, q->qname_len, q->qtype, q->edns_do, &f))
		return error_response(q, pkt, XD_RCODE_REFUSED, our_udp, out,
				      cap, info);
	size_t limit;
	if (tcp)
		limit = 65535;
	else if (!q->edns)
		limit = XD_UDP_MIN;
	else {
		limit = q->edns_size < our_udp ? q->edns_size : our_udp;
		if (limit < XD_UDP_MIN)
			limit = XD_UDP_MIN;
	}
	if (q->edns && extra < limit - HDR)
		limit -= extra;
	size_t n = xd_render(q, pkt + HDR, f.tmpl, f.delta, limit, our_udp, out,
			     cap, info);
	if (n && f.proof && !info->truncated) {
		uint32_t proofs[3];
		int np = xd_proofs(db, &f, q->lname, q->qname_len, proofs);
		n = np < 0 ? 0 :
			     add_proofs(db, q, proofs, (unsigned)np, out, n,
					limit, info);
	}
	if (!n)
		return error_response(q, pkt, XD_RCODE_SERVFAIL, our_udp, out,
				      cap, info);
	info->rrl_key = rrl_key(q, &f);
	return n;
}

size_t xd_answer(const struct xd_cdb *db, const uint8_t *pkt, size_t len,
		 uint8_t *out, size_t cap, const struct xd_answer_opts *opts,
		 struct xd_answer_info *info)
{
	struct xd_answer_info local;
	struct xd_query q;
	uint16_t our_udp = opts && opts->max_udp ? opts->max_udp :
						   XD_EDNS_MAX_UDP;
	bool tcp = opts && opts->tcp;
	const struct xd_server_edns *e = opts ? opts->server : NULL;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	enum xd_parse parsed = xd_query_parse(pkt, len, &q);
	if (parsed == XD_PARSE_DROP)
		return 0;
	/* A query refused as malformed keeps its OPT only when its records
	 * parsed (the question count was wrong): then it gets the server's
	 * options too. */
	if (parsed == XD_PARSE_FORMERR && !q.edns) {
		/* A malformed COOKIE is answered FORMERR with an OPT record
		 * even where the rest cannot be read as a query (RFC 7873
		 * 5.2.2). */
		if (e && e->secret && bad_cookie_anyway(pkt, len, &q))
			info->cookie = true;
		return error_response(&q, pkt, XD_RCODE_FORMERR, our_udp, out,
				      cap, info);
	}

	/* The server's options: a COOKIE of a client cookie and a server
	 * cookie of 8 to 32 bytes or none (RFC 7873 5.2.2), else FORMERR;
	 * NSID when asked for. */
	uint8_t cookie[XD_COOKIE_CLIENT + XD_COOKIE_SERVER];
	bool give_cookie = false, nsid = false;
	size_t extra = 0;
	if (e && e->secret && q.cookie) {
		info->cookie = true;
		if (q.cookie_len != XD_COOKIE_CLIENT &&
		    (q.cookie_len < XD_COOKIE_CLIENT + 8 ||
		     q.cookie_len > XD_COOKIE_CLIENT + 32))
			return error_response(&q, pkt, XD_RCODE_FORMERR,
					      our_udp, out, cap, info);
		if (e->client_ip) {
			bool valid;
			cookie_reply(e, pkt + q.cookie_at, q.cookie_len, cookie,
				     &valid);
			info->cookie_valid = valid;
			give_cookie = true;
			extra += 4 + sizeof(cookie);
		}
	}
	if (e && e->nsid && e->nsid_len && q.nsid) {
		nsid = true;
		extra += 4 + e->nsid_len;
	}

	size_t n = parsed == XD_PARSE_FORMERR ?
			   error_response(&q, pkt, XD_RCODE_FORMERR, our_udp,
					  out, cap, info) :
			   answer_query(db, &q, pkt, out, cap, our_udp, tcp,
					extra, info);
	if (n && extra && info->opt_at && n + extra <= cap) {
		if (give_cookie)
			n = opt_add(out, n, info->opt_at, XD_OPT_COOKIE, cookie,
				    sizeof(cookie));
		if (nsid)
			n = opt_add(out, n, info->opt_at, XD_OPT_NSID, e->nsid,
				    e->nsid_len);
	}
	return n;
}
