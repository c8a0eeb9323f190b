// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Checks of signed zones (signcheck.h): every authoritative RRset signed
 * by a key of the apex (RFC 4035 2.2), signatures valid now (RFC 4034
 * 3.1.5), and one complete denial chain, NSEC (RFC 4034 4, RFC 4035 2.3)
 * or NSEC3 (RFC 5155 7.1). Signatures are not verified cryptographically:
 * the zone was signed elsewhere, and what is checked here is what a
 * signer's mistake or a hand edit breaks.
 */
#include "signcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dname.h"
#include "nsec3.h"

#define DNSKEY_ZONE_FLAG 0x0100 /* RFC 4034 2.1.1 */
#define DNSKEY_PROTOCOL 3
#define NSEC3_SHA1 1
#define NSEC3_OPT_OUT 0x01

struct key {
	uint16_t tag;
	uint8_t alg;
};

struct sc {
	struct xd_zoneset *zs;
	struct xd_zone *z;
	struct xd_diag *d;
	bool bad;
	int64_t now;
	uint32_t warn_secs;
	unsigned warn_days;
	struct key *keys;
	size_t nkeys;
	/* Signatures expiring soon: the first to expire, and how many. */
	const struct xd_rr *soon;
	const uint8_t *soon_owner;
	uint32_t soon_left;
	size_t nsoon;
};

/* One RRSIG's fields (RFC 4034 3.1). */
struct sig {
	uint16_t covered;
	uint8_t alg;
	uint32_t expiration, inception;
	uint16_t tag;
	const uint8_t *signer;
};

/* One NSEC3's fields (RFC 5155 3.2). */
struct nsec3 {
	uint8_t alg, flags;
	uint16_t iterations;
	uint8_t salt_len, hash_len;
	const uint8_t *salt, *next;
	const uint8_t *bitmap;
	uint16_t bitmap_len;
};

/* An NSEC3 of the chain, by the hash its owner carries. */
struct link {
	uint8_t hash[XD_NSEC3_HASH_LEN];
	struct xd_node *n;
	struct xd_rr *rr;
	struct nsec3 f;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

__attribute__((format(printf, 6, 0))) static void
vreport(struct sc *c, bool error, const uint8_t *owner, uint16_t type,
	const struct xd_rr *rr, const char *fmt, va_list ap)
{
	char text[2048], msg[1024];
	const char *file = c->zs->files[rr ? rr->file : c->z->file];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (rr)
		xd_rr_text(owner, type, rr->ttl, rr->rdata, rr->rdlen, text,
			   sizeof(text));
	if (error) {
		xd_diag_error(c->d, file, rr ? rr->line : 0, rr ? text : NULL,
			      "%s", msg);
		c->bad = true;
	} else {
		xd_diag_warn(c->d, file, rr ? rr->line : 0, rr ? text : NULL,
			     "%s", msg);
	}
}

/* An error about record rr (type at owner); rr NULL: about the zone. */
__attribute__((format(printf, 5, 6))) static void
error(struct sc *c, const uint8_t *owner, uint16_t type, const struct xd_rr *rr,
      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, true, owner, type, rr, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 5, 6))) static void
warn(struct sc *c, const uint8_t *owner, uint16_t type, const struct xd_rr *rr,
     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, false, owner, type, rr, fmt, ap);
	va_end(ap);
}

static bool earlier(const struct xd_rr *a, const struct xd_rr *b)
{
	return a->file < b->file || (a->file == b->file && a->line < b->line);
}

/* The record of s written first: where an operator looks for the RRset. */
static const struct xd_rr *first_in_file(const struct xd_rrset *s)
{
	const struct xd_rr *best = s->rrs;

	for (const struct xd_rr *rr = s->rrs; rr; rr = rr->next)
		if (earlier(rr, best))
			best = rr;
	return best;
}

/* The RRset of n written first (NULL for an empty non-terminal). */
static const struct xd_rrset *first_set(const struct xd_node *n)
{
	const struct xd_rrset *best = NULL;
	const struct xd_rr *brr = NULL;

	for (unsigned i = 0; i < n->nsets; i++) {
		const struct xd_rr *rr = first_in_file(&n->sets[i]);
		if (!brr || earlier(rr, brr)) {
			best = &n->sets[i];
			brr = rr;
		}
	}
	return best;
}

/* Nodes the checks skip: another zone's names (a delegation point to a
 * child zone stays: the parent's NS, DS and NSEC live there). */
static bool foreign(const struct xd_node *n)
{
	return (n->flags & XD_NODE_SHADOWED) && !(n->flags & XD_NODE_DELEG);
}

/* RFC 4034 Appendix B. */
static uint16_t key_tag(const uint8_t *rd, uint16_t len)
{
	if (len >= 4 && rd[3] == 1) /* RSA/MD5: from the modulus (B.1) */
		return len >= 7 ? get16(rd + len - 3) : 0;
	uint32_t ac = 0;
	for (uint16_t i = 0; i < len; i++)
		ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)ac;
}

static bool parse_sig(const struct xd_rr *rr, struct sig *s)
{
	const uint8_t *rd = rr->rdata;

	if (rr->rdlen < 19 || xd_dname_check(rd + 18, rr->rdlen - 18u) < 0)
		return false;
	s->covered = get16(rd);
	s->alg = rd[2];
	s->expiration = get32(rd + 8);
	s->inception = get32(rd + 12);
	s->tag = get16(rd + 16);
	s->signer = rd + 18;
	return true;
}

static bool parse_nsec3(const struct xd_rr *rr, struct nsec3 *f)
{
	const uint8_t *rd = rr->rdata;
	size_t len = rr->rdlen, off;

	if (len < 6)
		return false;
	f->alg = rd[0];
	f->flags = rd[1];
	f->iterations = get16(rd + 2);
	f->salt_len = rd[4];
	f->salt = rd + 5;
	off = 5u + f->salt_len;
	if (off >= len)
		return false;
	f->hash_len = rd[off];
	f->next = rd + off + 1;
	off += 1u + f->hash_len;
	if (off > len)
		return false;
	f->bitmap = rd + off;
	f->bitmap_len = (uint16_t)(len - off);
	return true;
}

/* "2026-12-05 15:14:46 UTC" for an RRSIG time, read in the 136-year
 * window around now (RFC 4034 3.1.5 serial arithmetic). */
static const char *sig_date(const struct sc *c, uint32_t t, char *buf,
			    size_t size)
{
	time_t when = (time_t)(c->now + (int32_t)(t - (uint32_t)c->now));
	struct tm tm;

	if (!gmtime_r(&when, &tm) ||
	    !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "%u", t);
	return buf;
}

static bool key_known(const struct sc *c, const struct sig *s)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (c->keys[i].tag == s->tag && c->keys[i].alg == s->alg)
			return true;
	return false;
}

/* ---- signatures ---------------------------------------------------- */

/* The zone keys of the apex. Returns -1 when out of memory. */
static int collect_keys(struct sc *c)
{
	const struct xd_rrset *ks =
		xd_node_rrset(c->z->apex_node, XD_TYPE_DNSKEY);

	if (!ks)
		return 0;
	c->keys = calloc(ks->count, sizeof(*c->keys));
	if (!c->keys)
		return -1;
	for (const struct xd_rr *rr = ks->rrs; rr; rr = rr->next) {
		if (rr->rdlen < 4 || !(get16(rr->rdata) & DNSKEY_ZONE_FLAG) ||
		    rr->rdata[2] != DNSKEY_PROTOCOL)
			continue;
		c->keys[c->nkeys].tag = key_tag(rr->rdata, rr->rdlen);
		c->keys[c->nkeys].alg = rr->rdata[3];
		c->nkeys++;
	}
	return 0;
}

static void check_dates(struct sc *c, const struct xd_node *n,
			const struct xd_rr *rr, const struct sig *s)
{
	uint32_t now = (uint32_t)c->now;
	char date[64];

	if ((int32_t)(s->expiration - now) < 0)
		error(c, n->name, XD_TYPE_RRSIG, rr, "signature expired on %s",
		      sig_date(c, s->expiration, date, sizeof(date)));
	else if ((int32_t)(s->inception - now) > 0)
		error(c, n->name, XD_TYPE_RRSIG, rr,
		      "signature not valid until %s",
		      sig_date(c, s->inception, date, sizeof(date)));
	else if (s->expiration - now < c->warn_secs &&
		 (!c->nsoon++ || s->expiration - now < c->soon_left ||
		  (s->expiration - now == c->soon_left &&
		   earlier(rr, c->soon)))) {
		c->soon = rr;
		c->soon_owner = n->name;
		c->soon_left = s->expiration - now;
	}
}

/* One warning for the signatures that expire soon, at the first one: a
 * zone signed at once has them all expire together. */
static void warn_soon(struct sc *c)
{
	char date[64], name[XD_DNAME_STR_MAX];
	struct sig s;

	if (!c->nsoon || !parse_sig(c->soon, &s))
		return;
	sig_date(c, s.expiration, date, sizeof(date));
	if (c->nsoon == 1)
		warn(c, c->soon_owner, XD_TYPE_RRSIG, c->soon,
		     "signature expires on %s, within %u days", date,
		     c->warn_days);
	else
		warn(c, c->soon_owner, XD_TYPE_RRSIG, c->soon,
		     "signature expires on %s, within %u days (the first of "
		     "%zu signatures of %s that do)",
		     date, c->warn_days, c->nsoon,
		     xd_dname_str(c->z->apex, name));
}

/* Whether an RRset of type at n is the zone's to sign: not glue, not the
 * NS of a delegation (RFC 4035 2.2). */
static bool authoritative(const struct xd_node *n, uint16_t type)
{
	if (type == XD_TYPE_RRSIG)
		return false;
	if (n->flags & XD_NODE_DELEG)
		return type == XD_TYPE_DS || type == XD_TYPE_NSEC;
	return true;
}

static void check_signatures(struct sc *c)
{
	const uint8_t *apex = c->z->apex;
	char name[XD_DNAME_STR_MAX], tname[16];

	for (struct xd_node *n = c->z->first; n; n = n->list) {
		if (foreign(n) || (n->flags & XD_NODE_OCCLUDED))
			continue;
		const struct xd_rrset *sigs = xd_node_rrset(n, XD_TYPE_RRSIG);
		struct sig s;
		if (sigs)
			for (const struct xd_rr *rr = sigs->rrs; rr;
			     rr = rr->next)
				if (parse_sig(rr, &s))
					check_dates(c, n, rr, &s);
		if (!c->nkeys)
			continue;
		for (unsigned i = 0; i < n->nsets; i++) {
			const struct xd_rrset *set = &n->sets[i];
			bool ok = false;
			if (!authoritative(n, set->type))
				continue;
			for (const struct xd_rr *rr = sigs ? sigs->rrs : NULL;
			     rr && !ok; rr = rr->next)
				ok = parse_sig(rr, &s) &&
				     s.covered == set->type &&
				     xd_dname_equal(s.signer, apex) &&
				     key_known(c, &s);
			if (!ok)
				error(c, n->name, set->type, first_in_file(set),
				      "%s RRset at %s has no RRSIG from a "
				      "DNSKEY of the apex",
				      xd_type_str(set->type, tname,
						  sizeof(tname)),
				      xd_dname_str(n->name, name));
		}
	}
}

/* ---- type bitmaps (RFC 4034 4.1.2) --------------------------------- */

static bool bitmap_ok(const uint8_t *bm, size_t len)
{
	int last = -1;

	for (size_t off = 0; off < len;) {
		if (len - off < 2 || bm[off] <= last || bm[off + 1] < 1 ||
		    bm[off + 1] > 32 || len - off - 2 < bm[off + 1])
			return false;
		last = bm[off];
		off += 2u + bm[off + 1];
	}
	return true;
}

static bool bitmap_has(const uint8_t *bm, size_t len, uint16_t type)
{
	for (size_t off = 0; off + 2 <= len; off += 2u + bm[off + 1]) {
		if (bm[off] != type >> 8)
			continue;
		unsigned byte = (type & 0xff) >> 3;
		return byte < bm[off + 1] &&
		       (bm[off + 2 + byte] & (0x80 >> (type & 7)));
	}
	return false;
}

/* Whether a denial record at n must list type: what the zone holds there
 * (at a delegation point only NS, DS and the DNSSEC records). */
static bool listed_type(const struct xd_node *n, uint16_t type)
{
	if (!(n->flags & XD_NODE_DELEG))
		return true;
	return type == XD_TYPE_NS || type == XD_TYPE_DS ||
	       type == XD_TYPE_NSEC || type == XD_TYPE_RRSIG;
}

/* Whether the denial record (NSEC when nsec, else NSEC3) at n must list
 * type. NSEC records in an NSEC3 zone are an error of their own. */
static bool node_has(const struct xd_node *n, uint16_t type, bool nsec)
{
	if (nsec && (type == XD_TYPE_NSEC || type == XD_TYPE_RRSIG))
		return true;
	if (!nsec && type == XD_TYPE_NSEC)
		return false;
	if (!xd_node_rrset(n, type) || !listed_type(n, type))
		return false;
	if (nsec || type != XD_TYPE_RRSIG)
		return true;
	/* NSEC3: signatures of NSEC records do not count. */
	struct sig s;
	for (const struct xd_rr *rr = xd_node_rrset(n, type)->rrs; rr;
	     rr = rr->next)
		if (parse_sig(rr, &s) && s.covered != XD_TYPE_NSEC)
			return true;
	return false;
}

static void append_type(char *buf, size_t size, uint16_t type)
{
	char tname[16];
	size_t used = strlen(buf);

	if (used + 1 < size)
		snprintf(buf + used, size - used, "%s%s", used ? " " : "",
			 xd_type_str(type, tname, sizeof(tname)));
}

/*
 * Compare the bitmap of the denial record rr (an NSEC when nsec, which
 * always lists NSEC and RRSIG) with the types at n.
 */
static void check_bitmap(struct sc *c, const struct xd_node *owner,
			 uint16_t rtype, const struct xd_rr *rr,
			 const struct xd_node *n, const uint8_t *bm, size_t len)
{
	char extra[256] = "", missing[256] = "", name[XD_DNAME_STR_MAX];
	const char *what = rtype == XD_TYPE_NSEC ? "NSEC" : "NSEC3";
	bool nsec = rtype == XD_TYPE_NSEC;

	if (!bitmap_ok(bm, len)) {
		error(c, owner->name, rtype, rr, "%s type bitmap is malformed",
		      what);
		return;
	}
	for (size_t off = 0; off < len; off += 2u + bm[off + 1])
		for (unsigned b = 0; b < bm[off + 1] * 8u; b++)
			if (bm[off + 2 + b / 8] & (0x80 >> (b & 7))) {
				uint16_t t = (uint16_t)(bm[off] << 8 | b);
				if (!node_has(n, t, nsec))
					append_type(extra, sizeof(extra), t);
			}
	if (nsec) {
		if (!bitmap_has(bm, len, XD_TYPE_NSEC))
			append_type(missing, sizeof(missing), XD_TYPE_NSEC);
		if (!bitmap_has(bm, len, XD_TYPE_RRSIG))
			append_type(missing, sizeof(missing), XD_TYPE_RRSIG);
	}
	for (unsigned i = 0; i < n->nsets; i++) {
		uint16_t t = n->sets[i].type;
		if (nsec && (t == XD_TYPE_NSEC || t == XD_TYPE_RRSIG))
			continue;
		if (node_has(n, t, nsec) && !bitmap_has(bm, len, t))
			append_type(missing, sizeof(missing), t);
	}
	if (!*extra && !*missing)
		return;
	char detail[600];
	if (*extra && *missing)
		snprintf(detail, sizeof(detail),
			 "lists %s, not there; omits %s", extra, missing);
	else if (*extra)
		snprintf(detail, sizeof(detail), "lists %s, not there", extra);
	else
		snprintf(detail, sizeof(detail), "omits %s", missing);
	error(c, owner->name, rtype, rr, "%s type list for %s is wrong: %s",
	      what, xd_dname_str(n->name, name), detail);
}

/* ---- NSEC ----------------------------------------------------------- */

static int cmp_node_names(const void *a, const void *b)
{
	const struct xd_node *const *x = a, *const *y = b;

	return xd_dname_cmp((*x)->name, (*y)->name);
}

/* A name the zone has authoritative data at (RFC 4035 2.3). */
static bool nsec_name(const struct xd_node *n)
{
	return n->nsets && !foreign(n) &&
	       !(n->flags & (XD_NODE_OCCLUDED | XD_NODE_NSEC3));
}

static int check_nsec(struct sc *c)
{
	char name[XD_DNAME_STR_MAX], next[XD_DNAME_STR_MAX],
		want[XD_DNAME_STR_MAX];
	size_t count = 0, i = 0;

	for (struct xd_node *n = c->z->first; n; n = n->list)
		count += nsec_name(n);
	struct xd_node **v = malloc((count ? count : 1) * sizeof(*v));
	if (!v)
		return -1;
	for (struct xd_node *n = c->z->first; n; n = n->list)
		if (nsec_name(n))
			v[i++] = n;
	qsort(v, count, sizeof(*v), cmp_node_names);

	for (i = 0; i < count; i++) {
		const struct xd_node *n = v[i];
		const struct xd_rrset *s = xd_node_rrset(n, XD_TYPE_NSEC);
		if (!s) {
			const struct xd_rrset *at = first_set(n);
			error(c, n->name, at->type, first_in_file(at),
			      "no NSEC record at %s",
			      xd_dname_str(n->name, name));
			continue;
		}
		if (s->count > 1)
			error(c, n->name, XD_TYPE_NSEC, s->rrs->next,
			      "several NSEC records at %s",
			      xd_dname_str(n->name, name));
		const struct xd_rr *rr = s->rrs;
		int len = xd_dname_check(rr->rdata, rr->rdlen);
		if (len < 0) {
			error(c, n->name, XD_TYPE_NSEC, rr,
			      "NSEC next name is malformed");
			continue;
		}
		const uint8_t *expect = i + 1 < count ? v[i + 1]->name :
							c->z->apex;
		if (!xd_dname_equal(rr->rdata, expect)) {
			xd_dname_str(rr->rdata, next);
			xd_dname_str(expect, want);
			if (i + 1 < count)
				error(c, n->name, XD_TYPE_NSEC, rr,
				      "NSEC next name is %s; the next name of "
				      "the zone in canonical order is %s",
				      next, want);
			else
				error(c, n->name, XD_TYPE_NSEC, rr,
				      "NSEC next name is %s; the last NSEC of "
				      "the chain must name the apex %s",
				      next, want);
		}
		check_bitmap(c, n, XD_TYPE_NSEC, rr, n, rr->rdata + len,
			     rr->rdlen - (size_t)len);
	}
	free(v);
	return 0;
}

/* ---- NSEC3 ---------------------------------------------------------- */

static void b32hex(const uint8_t *h, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | h[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = digits[(acc >> bits) & 31];
		}
	}
	if (bits)
		out[o++] = digits[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

static void salt_str(const uint8_t *salt, size_t len, char *out)
{
	if (!len) {
		strcpy(out, "-");
		return;
	}
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02X", salt[i]);
}

static int cmp_links(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	return memcmp(x->hash, y->hash, XD_NSEC3_HASH_LEN);
}

/* A name the NSEC3 chain must cover (RFC 5155 7.1), empty non-terminals
 * included. */
static bool nsec3_name(const struct xd_node *n)
{
	return !foreign(n) && !(n->flags & (XD_NODE_OCCLUDED | XD_NODE_NSEC3));
}

static bool insecure_deleg(const struct xd_node *n)
{
	return (n->flags & XD_NODE_DELEG) && !xd_node_rrset(n, XD_TYPE_DS);
}

/*
 * An empty non-terminal there only for insecure delegations below it: an
 * opt-out chain may leave it out (RFC 5155 7.1). v holds the names the
 * chain covers in canonical order, where the names below e follow it.
 */
static bool only_insecure_below(struct xd_node *const *v, size_t count,
				const struct xd_node *e)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (xd_dname_cmp(v[mid]->name, e->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t j = lo + 1; j < count && xd_dname_in(v[j]->name, e->name);
	     j++)
		if (v[j]->nsets && !insecure_deleg(v[j]))
			return false;
	return true;
}

/* Where to point for a name that has no record of its own: its first
 * record, or for an empty non-terminal the first record below it. */
static const struct xd_node *place_of(const struct xd_node *n)
{
	if (n->nsets)
		return n;
	for (const struct xd_node *m = n->list; m; m = m->list)
		if (m->nsets && xd_dname_in(m->name, n->name))
			return m;
	return NULL;
}

/*
 * The NSEC3 records of the zone, checked one by one, into *out (sorted
 * by hash). Returns how many, or -1 when out of memory.
 */
static long collect_links(struct sc *c, struct link **out)
{
	const uint8_t *apex = c->z->apex;
	size_t count = 0, i = 0;

	for (struct xd_node *n = c->z->first; n; n = n->list)
		if (!foreign(n) && xd_node_rrset(n, XD_TYPE_NSEC3))
			count++;
	struct link *v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return -1;
	for (struct xd_node *n = c->z->first; n; n = n->list) {
		const struct xd_rrset *s = xd_node_rrset(n, XD_TYPE_NSEC3);
		const uint8_t *parent = xd_dname_parent(n->name);
		if (!s || foreign(n))
			continue;
		struct link *l = &v[i];
		memset(l, 0, sizeof(*l));
		l->n = n;
		l->rr = s->rrs;
		if (!(n->flags & XD_NODE_NSEC3)) {
			error(c, n->name, XD_TYPE_NSEC3, s->rrs,
			      "NSEC3 record at a name that holds other data");
			continue;
		}
		if (!parent || !xd_dname_equal(parent, apex) ||
		    !xd_nsec3_owner_hash(n->name, l->hash)) {
			error(c, n->name, XD_TYPE_NSEC3, s->rrs,
			      "NSEC3 owner is not a hashed name directly "
			      "below the apex");
			continue;
		}
		if (s->count > 1)
			error(c, n->name, XD_TYPE_NSEC3, s->rrs->next,
			      "several NSEC3 records at one name");
		if (!parse_nsec3(s->rrs, &l->f)) {
			error(c, n->name, XD_TYPE_NSEC3, s->rrs,
			      "NSEC3 record is malformed");
			continue;
		}
		if (l->f.alg != NSEC3_SHA1) {
			error(c, n->name, XD_TYPE_NSEC3, s->rrs,
			      "NSEC3 hash algorithm %u is not SHA-1 (1)",
			      l->f.alg);
			continue;
		}
		if (l->f.hash_len != XD_NSEC3_HASH_LEN) {
			error(c, n->name, XD_TYPE_NSEC3, s->rrs,
			      "NSEC3 next hashed owner is not %u bytes long",
			      XD_NSEC3_HASH_LEN);
			continue;
		}
		i++;
	}
	qsort(v, i, sizeof(*v), cmp_links);
	*out = v;
	return (long)i;
}

static bool params_match(const struct sc *c, const struct nsec3 *f)
{
	return f->iterations == c->z->nsec3_iterations &&
	       f->salt_len == c->z->nsec3_salt_len &&
	       !memcmp(f->salt, c->z->nsec3_salt, f->salt_len);
}

/*
 * The chain's parameters against the NSEC3PARAM's: when no NSEC3 uses
 * them, the NSEC3PARAM is the odd one out (one error); otherwise each
 * NSEC3 that differs is. Returns false when names cannot be looked up.
 */
static bool check_params(struct sc *c, const struct link *v, size_t count,
			 const struct xd_rr *param)
{
	const uint8_t *apex = c->z->apex;
	const struct link *odd = NULL;
	size_t matching = 0;
	char salt[2 * 255 + 1];

	for (size_t i = 0; i < count; i++) {
		if (params_match(c, &v[i].f))
			matching++;
		else if (!odd)
			odd = &v[i];
	}
	if (!odd)
		return true;
	if (!matching) {
		salt_str(odd->f.salt, odd->f.salt_len, salt);
		error(c, apex, XD_TYPE_NSEC3PARAM, param,
		      "NSEC3PARAM does not match the chain, whose NSEC3 "
		      "records have %u iterations and salt %s",
		      odd->f.iterations, salt);
		return false;
	}
	salt_str(c->z->nsec3_salt, c->z->nsec3_salt_len, salt);
	for (size_t i = 0; i < count; i++)
		if (!params_match(c, &v[i].f))
			error(c, v[i].n->name, XD_TYPE_NSEC3, v[i].rr,
			      "NSEC3 iterations or salt differ from the "
			      "NSEC3PARAM's (%u iterations, salt %s)",
			      c->z->nsec3_iterations, salt);
	return true;
}

static void check_chain(struct sc *c, const struct link *v, size_t count)
{
	char next[40], want[40];

	for (size_t i = 0; i < count; i++) {
		const struct link *to = &v[(i + 1) % count];
		if (!memcmp(v[i].f.next, to->hash, XD_NSEC3_HASH_LEN))
			continue;
		b32hex(v[i].f.next, XD_NSEC3_HASH_LEN, next);
		b32hex(to->hash, XD_NSEC3_HASH_LEN, want);
		if (i + 1 < count)
			error(c, v[i].n->name, XD_TYPE_NSEC3, v[i].rr,
			      "NSEC3 next hashed owner is %s; the next hash "
			      "of the chain is %s",
			      next, want);
		else
			error(c, v[i].n->name, XD_TYPE_NSEC3, v[i].rr,
			      "NSEC3 next hashed owner is %s; the last NSEC3 "
			      "of the chain must name the first, %s",
			      next, want);
	}
}

/* The NSEC3 whose hash is h, or else the one covering h. */
static const struct link *find_link(const struct link *v, size_t count,
				    const uint8_t *h, bool *exact)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(v[mid].hash, h, XD_NSEC3_HASH_LEN);
		if (cmp == 0) {
			*exact = true;
			return &v[mid];
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*exact = false;
	return &v[lo ? lo - 1 : count - 1]; /* before the first: the last */
}

static int check_coverage(struct sc *c, const struct link *v, size_t count)
{
	char name[XD_DNAME_STR_MAX], hash[40];
	uint8_t h[XD_NSEC3_HASH_LEN];
	size_t nnames = 0, i = 0;

	for (struct xd_node *n = c->z->first; n; n = n->list)
		nnames += nsec3_name(n);
	struct xd_node **names = malloc((nnames ? nnames : 1) * sizeof(*names));
	if (!names)
		return -1;
	for (struct xd_node *n = c->z->first; n; n = n->list)
		if (nsec3_name(n))
			names[i++] = n;
	qsort(names, nnames, sizeof(*names), cmp_node_names);

	for (struct xd_node *n = c->z->first; n; n = n->list) {
		if (!nsec3_name(n))
			continue;
		xd_nsec3_hash(n->name, n->nlen, c->z->nsec3_salt,
			      c->z->nsec3_salt_len, c->z->nsec3_iterations, h);
		bool exact;
		const struct link *l = find_link(v, count, h, &exact);
		if (exact) {
			check_bitmap(c, l->n, XD_TYPE_NSEC3, l->rr, n,
				     l->f.bitmap, l->f.bitmap_len);
			continue;
		}
		if ((l->f.flags & NSEC3_OPT_OUT) &&
		    (n->nsets ? insecure_deleg(n) :
				only_insecure_below(names, nnames, n)))
			continue;
		b32hex(h, sizeof(h), hash);
		xd_dname_str(n->name, name);
		const struct xd_node *at = place_of(n);
		const struct xd_rrset *s = at ? first_set(at) : NULL;
		if (n->nsets)
			error(c, n->name, s->type, first_in_file(s),
			      "no NSEC3 for %s (hash %s)", name, hash);
		else
			error(c, at ? at->name : NULL, s ? s->type : 0,
			      s ? first_in_file(s) : NULL,
			      "no NSEC3 for the empty non-terminal %s "
			      "(hash %s)",
			      name, hash);
	}
	free(names);
	return 0;
}

static int check_nsec3(struct sc *c, const struct xd_rrset *param)
{
	struct link *v;
	long count = collect_links(c, &v);
	int ret = 0;

	if (count < 0)
		return -1;
	if (param->count > 1)
		error(c, c->z->apex, XD_TYPE_NSEC3PARAM, param->rrs->next,
		      "several NSEC3PARAM records at the apex; one NSEC3 "
		      "chain is served");
	if (param->rrs->rdata[0] != NSEC3_SHA1)
		error(c, c->z->apex, XD_TYPE_NSEC3PARAM, param->rrs,
		      "NSEC3PARAM hash algorithm %u is not SHA-1 (1)",
		      param->rrs->rdata[0]);
	else if (count && check_params(c, v, (size_t)count, param->rrs)) {
		check_chain(c, v, (size_t)count);
		ret = check_coverage(c, v, (size_t)count);
	}
	free(v);
	return ret;
}

/* ---- the denial method ---------------------------------------------- */

/* The first record of type in the zone's own names (or NULL), and how
 * many names hold one. */
static size_t find_type(struct sc *c, uint16_t type, struct xd_node **at)
{
	size_t count = 0;

	*at = NULL;
	for (struct xd_node *n = c->z->first; n; n = n->list)
		if (!foreign(n) && xd_node_rrset(n, type) && !count++)
			*at = n;
	return count;
}

static int check_denial(struct sc *c)
{
	const struct xd_rrset *param =
		xd_node_rrset(c->z->apex_node, XD_TYPE_NSEC3PARAM);
	struct xd_node *nsec_at, *nsec3_at;
	size_t nsec = find_type(c, XD_TYPE_NSEC, &nsec_at);
	size_t nsec3 = find_type(c, XD_TYPE_NSEC3, &nsec3_at);
	char name[XD_DNAME_STR_MAX];

	xd_dname_str(c->z->apex, name);
	if (c->z->denial == XD_DENIAL_NSEC3) {
		if (!nsec3) {
			error(c, c->z->apex, XD_TYPE_NSEC3PARAM, param->rrs,
			      "NSEC3PARAM at the apex, but the zone has no "
			      "NSEC3 records");
			return 0;
		}
		if (nsec)
			error(c, nsec_at->name, XD_TYPE_NSEC,
			      first_in_file(
				      xd_node_rrset(nsec_at, XD_TYPE_NSEC)),
			      "NSEC record in a zone with NSEC3 (NSEC3PARAM "
			      "at the apex): one denial method per zone");
		return check_nsec3(c, param);
	}
	if (nsec3) {
		const struct xd_rr *rr =
			first_in_file(xd_node_rrset(nsec3_at, XD_TYPE_NSEC3));
		if (nsec) {
			error(c, nsec3_at->name, XD_TYPE_NSEC3, rr,
			      "NSEC3 record in a zone with NSEC: one denial "
			      "method per zone");
		} else {
			error(c, nsec3_at->name, XD_TYPE_NSEC3, rr,
			      "NSEC3 records but no NSEC3PARAM at the apex");
			return 0;
		}
	}
	if (!nsec) {
		error(c, NULL, 0, NULL,
		      "zone %s is signed but has no NSEC or NSEC3 records",
		      name);
		return 0;
	}
	return check_nsec(c);
}

int xd_signcheck(struct xd_zoneset *zs, struct xd_zone *z, struct xd_diag *d)
{
	struct sc c = {
		.zs = zs,
		.z = z,
		.d = d,
		.now = zs->now ? zs->now : (int64_t)time(NULL),
		.warn_days = zs->sig_warn_days ? zs->sig_warn_days :
						 XD_SIG_WARN_DAYS,
	};
	char name[XD_DNAME_STR_MAX];
	int ret = 0;

	/* At most 68 years, what serial arithmetic can tell apart. */
	c.warn_secs = c.warn_days > 24000 ? 24000u * 86400 :
					    c.warn_days * 86400u;
	if (!z->apex_node)
		return -1; /* refused already: no SOA at the apex */
	if (collect_keys(&c) < 0) {
		xd_diag_error(d, NULL, 0, NULL, "out of memory");
		return -1;
	}
	if (!c.nkeys)
		error(&c, NULL, 0, NULL,
		      "zone %s is signed but has no DNSKEY with the Zone Key "
		      "flag at the apex",
		      xd_dname_str(z->apex, name));
	check_signatures(&c);
	warn_soon(&c);
	if (check_denial(&c) < 0) {
		xd_diag_error(d, NULL, 0, NULL, "out of memory");
		ret = -1;
	}
	free(c.keys);
	return ret < 0 || c.bad ? -1 : 0;
}
