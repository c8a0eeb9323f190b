// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Checking loaded zones before they are compiled: what an authoritative
 * server must refuse (RFC 1034 4.2, RFC 1035 5, RFC 2181 5 and 10), and the
 * normalisation the answer engine relies on (sorted RRsets without
 * duplicates, one TTL per RRset, zone cuts marked).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "rdata.h"
#include "zone.h"
#include "signcheck.h"

struct check {
	struct xd_zoneset *zs;
	struct xd_diag *d;
	bool bad;
	struct xd_zone *zone;
};

static const char *file_of(const struct check *c, const struct xd_rr *rr)
{
	return c->zs->files[rr->file];
}

/* Report a problem with one record: its file, line and text. */
__attribute__((format(printf, 6, 0))) static void
rr_report(struct check *c, bool error, const struct xd_node *n, uint16_t type,
	  const struct xd_rr *rr, const char *fmt, va_list ap)
{
	char text[1024], msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	xd_rr_text(n->name, type, rr->ttl, rr->rdata, rr->rdlen, text,
		   sizeof(text));
	if (error) {
		xd_diag_error(c->d, file_of(c, rr), rr->line, text, "%s", msg);
		c->bad = true;
	} else {
		xd_diag_warn(c->d, file_of(c, rr), rr->line, text, "%s", msg);
	}
}

__attribute__((format(printf, 5, 6))) static void
rr_error(struct check *c, const struct xd_node *n, uint16_t type,
	 const struct xd_rr *rr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rr_report(c, true, n, type, rr, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 5, 6))) static void
rr_warn(struct check *c, const struct xd_node *n, uint16_t type,
	const struct xd_rr *rr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rr_report(c, false, n, type, rr, fmt, ap);
	va_end(ap);
}

/* ---- RRset normalisation ------------------------------------------ */

struct keyed_rr {
	struct xd_rr *rr;
	uint8_t *key; /* canonical rdata */
};

static int cmp_rdata(const uint8_t *a, uint16_t alen, const uint8_t *b,
		     uint16_t blen)
{
	int cmp = memcmp(a, b, alen < blen ? alen : blen);

	if (cmp == 0 && alen != blen)
		cmp = alen < blen ? -1 : 1;
	return cmp;
}

static int cmp_keyed(const void *pa, const void *pb)
{
	const struct keyed_rr *a = pa, *b = pb;
	int cmp = cmp_rdata(a->key, a->rr->rdlen, b->key, b->rr->rdlen);

	if (cmp)
		return cmp;
	/* Equal data: keep file order so the first one is kept. */
	if (a->rr->file != b->rr->file)
		return a->rr->file < b->rr->file ? -1 : 1;
	return a->rr->line < b->rr->line ? -1 : a->rr->line > b->rr->line;
}

/*
 * Sort the RRset's records by canonical data (RFC 4034 6.3), drop exact
 * duplicates (RFC 2181 5: an RRset holds no duplicate records) and give it
 * the lowest TTL of its records (RFC 2181 5.2 makes differing TTLs an error;
 * serving the lowest is the safe reading).
 */
static int normalise(struct check *c, struct xd_node *n, struct xd_rrset *s)
{
	uint32_t ttl = s->rrs->ttl;
	bool ttl_differs = false;

	/* Loading prepended records: restore file order first. */
	struct xd_rr *rev = NULL;
	for (struct xd_rr *rr = s->rrs, *next; rr; rr = next) {
		next = rr->next;
		rr->next = rev;
		rev = rr;
	}
	s->rrs = rev;
	for (struct xd_rr *rr = s->rrs; rr; rr = rr->next) {
		if (rr->ttl != ttl)
			ttl_differs = true;
		if (rr->ttl < ttl)
			ttl = rr->ttl;
	}
	struct xd_rr *odd = s->rrs;
	while (odd && odd->ttl == s->rrs->ttl)
		odd = odd->next;
	/* The signatures at a name cover several RRsets, each with the
	 * TTL of the RRset it covers (RFC 4034 3): served with their own. */
	if (ttl_differs && s->type != XD_TYPE_RRSIG)
		rr_warn(c, n, s->type, odd,
			"TTLs differ within this RRset; serving all its "
			"records with the lowest, %u",
			ttl);
	s->ttl = ttl;
	if (s->count < 2)
		return 0;

	struct keyed_rr *v = malloc(s->count * sizeof(*v));
	uint8_t *keys = NULL;
	bool lower = xd_rdata_has_lowercase_names(s->type);
	size_t total = 0, i = 0;

	if (!v)
		return -1;
	for (struct xd_rr *rr = s->rrs; rr; rr = rr->next)
		total += rr->rdlen;
	if (lower && !(keys = malloc(total ? total : 1))) {
		free(v);
		return -1;
	}
	size_t koff = 0;
	for (struct xd_rr *rr = s->rrs; rr; rr = rr->next, i++) {
		v[i].rr = rr;
		if (lower) {
			v[i].key = keys + koff;
			xd_rdata_canonical(s->type, rr->rdata, rr->rdlen,
					   v[i].key);
			koff += rr->rdlen;
		} else {
			v[i].key = rr->rdata;
		}
	}
	qsort(v, s->count, sizeof(*v), cmp_keyed);

	struct xd_rr **tail = &s->rrs;
	unsigned kept = 0;
	size_t last = 0;
	for (i = 0; i < s->count; i++) {
		if (kept && cmp_rdata(v[i].key, v[i].rr->rdlen, v[last].key,
				      v[last].rr->rdlen) == 0) {
			rr_warn(c, n, s->type, v[i].rr,
				"duplicate record dropped (first at line %u)",
				v[last].rr->line);
			continue;
		}
		last = i;
		*tail = v[i].rr;
		tail = &v[i].rr->next;
		kept++;
	}
	*tail = NULL;
	s->count = (uint16_t)kept;
	free(keys);
	free(v);
	return 0;
}

/* ---- node rules --------------------------------------------------- */

static bool dnssec_type(uint16_t t)
{
	return t == XD_TYPE_RRSIG || t == XD_TYPE_NSEC;
}

static bool glue_type(uint16_t t)
{
	return t == XD_TYPE_A || t == XD_TYPE_AAAA;
}

static void check_cname(struct check *c, struct xd_node *n)
{
	struct xd_rrset *cn = xd_node_rrset(n, XD_TYPE_CNAME);
	char tname[16];

	if (!cn)
		return;
	if (cn->count > 1)
		rr_error(c, n, XD_TYPE_CNAME, cn->rrs->next,
			 "several CNAME records at one name");
	for (unsigned i = 0; i < n->nsets; i++) {
		const struct xd_rrset *o = &n->sets[i];
		if (o->type == XD_TYPE_CNAME || dnssec_type(o->type))
			continue;
		char msg[96];
		snprintf(msg, sizeof(msg),
			 "CNAME beside other data (%s at %s:%u)",
			 xd_type_str(o->type, tname, sizeof(tname)),
			 file_of(c, o->rrs), o->rrs->line);
		rr_error(c, n, XD_TYPE_CNAME, cn->rrs, "%s", msg);
	}
}

static void check_node(struct check *c, struct xd_zone *z, struct xd_node *n)
{
	char tname[16], where[XD_DNAME_STR_MAX + 64];

	if (n->parent &&
	    (n->parent->flags & (XD_NODE_DELEG | XD_NODE_OCCLUDED)))
		n->flags |= XD_NODE_OCCLUDED;
	if (!(n->flags & XD_NODE_APEX) && !(n->flags & XD_NODE_OCCLUDED) &&
	    xd_node_rrset(n, XD_TYPE_NS))
		n->flags |= XD_NODE_DELEG;

	for (unsigned i = 0; i < n->nsets; i++) {
		struct xd_rrset *s = &n->sets[i];
		struct xd_rr *rr = s->rrs;
		uint16_t t = s->type;

		if (t == XD_TYPE_SOA && !(n->flags & XD_NODE_APEX))
			rr_error(c, n, t, rr, "SOA record below the zone apex");
		if (t == XD_TYPE_DNAME)
			rr_error(c, n, t, rr,
				 "DNAME is not supported by xdpdns yet");
		if ((n->flags & XD_NODE_DELEG) && t != XD_TYPE_NS &&
		    t != XD_TYPE_DS && !dnssec_type(t) && !glue_type(t)) {
			snprintf(where, sizeof(where),
				 "%s record at a delegation point is not glue "
				 "and would never be served",
				 xd_type_str(t, tname, sizeof(tname)));
			rr_error(c, n, t, rr, "%s", where);
		}
		if ((n->flags & XD_NODE_OCCLUDED) && !glue_type(t)) {
			const struct xd_node *cut = n->parent;
			while (cut && !(cut->flags & XD_NODE_DELEG))
				cut = cut->parent;
			char cutname[XD_DNAME_STR_MAX];
			snprintf(where, sizeof(where),
				 "data below the delegation at %s is not glue",
				 cut ? xd_dname_str(cut->name, cutname) : "?");
			rr_error(c, n, t, rr, "%s", where);
		}
		if (t == XD_TYPE_NS && xd_dname_is_wildcard(n->name))
			rr_error(c, n, t, rr,
				 "NS records at a wildcard name are not "
				 "supported (RFC 4592 4.2)");
		if (t == XD_TYPE_DS && (n->flags & XD_NODE_APEX))
			rr_error(c, n, t, rr,
				 "DS record at the zone apex belongs in the "
				 "parent zone");
	}
	check_cname(c, n);
	if (xd_node_rrset(n, XD_TYPE_RRSIG))
		z->is_signed = true;
	if (xd_node_rrset(n, XD_TYPE_NSEC3)) {
		bool only = true;
		for (unsigned i = 0; i < n->nsets; i++)
			if (n->sets[i].type != XD_TYPE_NSEC3 &&
			    n->sets[i].type != XD_TYPE_RRSIG)
				only = false;
		if (only)
			n->flags |= XD_NODE_NSEC3;
	}
	(void)z;
}

static void check_apex(struct check *c, struct xd_zone *z)
{
	struct xd_node *apex = z->apex_node;
	struct xd_zoneset *zs = c->zs;
	char name[XD_DNAME_STR_MAX];
	const char *file = zs->files[z->file];

	xd_dname_str(z->apex, name);
	struct xd_rrset *soa = apex ? xd_node_rrset(apex, XD_TYPE_SOA) : NULL;
	if (!soa) {
		xd_diag_error(c->d, file, 0, NULL,
			      "no SOA record at the zone apex %s", name);
		c->bad = true;
	} else if (soa->count > 1) {
		rr_error(c, apex, XD_TYPE_SOA, soa->rrs->next,
			 "several SOA records at the zone apex");
	} else {
		/* serial follows the two names */
		const uint8_t *rd = soa->rrs->rdata;
		size_t off = xd_dname_len(rd);
		off += xd_dname_len(rd + off);
		z->serial = (uint32_t)rd[off] << 24 |
			    (uint32_t)rd[off + 1] << 16 |
			    (uint32_t)rd[off + 2] << 8 | rd[off + 3];
	}
	if (!apex || !xd_node_rrset(apex, XD_TYPE_NS)) {
		xd_diag_error(c->d, file, 0, NULL,
			      "no NS records at the zone apex %s", name);
		c->bad = true;
	}
}

/* A signed zone's denial method: NSEC3 when the apex has an NSEC3PARAM
 * (its hash parameters are the chain's; the signed-zone checks compare),
 * else NSEC. */
static void set_denial(struct xd_zone *z)
{
	const struct xd_rrset *p =
		xd_node_rrset(z->apex_node, XD_TYPE_NSEC3PARAM);

	z->denial = XD_DENIAL_NONE;
	if (!z->is_signed)
		return;
	if (!p || p->rrs->rdlen < 5 || p->rrs->rdlen < 5u + p->rrs->rdata[4]) {
		z->denial = XD_DENIAL_NSEC;
		return;
	}
	const uint8_t *rd = p->rrs->rdata;
	z->denial = XD_DENIAL_NSEC3;
	z->nsec3_iterations = (uint16_t)(rd[2] << 8 | rd[3]);
	z->nsec3_salt_len = rd[4];
	memcpy(z->nsec3_salt, rd + 5, rd[4]);
}

/* Mark the nodes of z that a more specific zone serves instead. */
static void mark_shadowed(struct check *c, struct xd_zone *z)
{
	for (struct xd_zone *o = c->zs->zones; o; o = o->next) {
		if (o == z || !o->loaded_ok || o->alen <= z->alen ||
		    !xd_dname_in(o->apex, z->apex))
			continue;
		for (struct xd_node *n = z->first; n; n = n->list)
			if (xd_dname_in(n->name, o->apex))
				n->flags |= XD_NODE_SHADOWED;
	}
}

static void check_duplicate_zones(struct check *c)
{
	for (struct xd_zone *z = c->zs->zones; z; z = z->next)
		for (struct xd_zone *o = z->next; o; o = o->next)
			if (z->loaded_ok && o->loaded_ok &&
			    xd_dname_equal(z->apex, o->apex)) {
				char name[XD_DNAME_STR_MAX];
				xd_diag_error(c->d, c->zs->files[o->file], 0,
					      NULL,
					      "zone %s is already loaded from "
					      "%s",
					      xd_dname_str(o->apex, name),
					      c->zs->files[z->file]);
				o->loaded_ok = false;
				c->bad = true;
			}
}

int xd_zoneset_check(struct xd_zoneset *zs, struct xd_diag *d)
{
	struct check c = { .zs = zs, .d = d };
	int ret = 0;

	for (struct xd_zone *z = zs->zones; z; z = z->next)
		if (!z->loaded_ok)
			ret = -1;
	check_duplicate_zones(&c);
	for (struct xd_zone *z = zs->zones; z; z = z->next) {
		if (!z->loaded_ok)
			continue;
		c.bad = false;
		c.zone = z;
		/* Insertion order puts every parent before its children. */
		for (struct xd_node *n = z->first; n; n = n->list) {
			for (unsigned i = 0; i < n->nsets; i++)
				if (normalise(&c, n, &n->sets[i]) < 0) {
					xd_diag_error(d, NULL, 0, NULL,
						      "out of memory");
					return -1;
				}
			check_node(&c, z, n);
		}
		check_apex(&c, z);
		if (!c.bad)
			set_denial(z);
		if (!c.bad && z->is_signed && xd_signcheck(zs, z, d) < 0)
			c.bad = true;
		mark_shadowed(&c, z);
		if (c.bad) {
			z->loaded_ok = false;
			ret = -1;
		}
	}
	return ret;
}
