// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The proofs of non-existence that depend on the query name (answer.h,
 * xd_proofs): which of a signed zone's NSEC or NSEC3 records match or
 * cover a name, by binary search over the zone's sorted proofs in the
 * compiled database, as RFC 4035 3.1.3 and RFC 5155 7.2 ask.
 */
#include <string.h>

#include "answer.h"
#include "nsec3.h"
#include "zone.h"

/* The zone's proofs, sorted by key. */
struct chain {
	const struct xd_cdb *db;
	const struct xd_cdb_zone *z;
	const struct xd_cdb_proof *p;
	size_t n;
};

/* Compare proof i's key with the name (NSEC) or the hash (NSEC3). */
static int key_cmp(const struct chain *c, size_t i, const uint8_t *key)
{
	const uint8_t *k = c->db->names + c->p[i].key;

	if (c->z->denial == XD_DENIAL_NSEC3)
		return memcmp(k, key, XD_NSEC3_HASH_LEN);
	return xd_dname_cmp(k, key);
}

/*
 * The proof matching the name (or hash) key, or with cover the one
 * covering it: the last sorting before it, wrapping around to the last of
 * the chain. Returns its index or -1.
 */
static long find(const struct chain *c, const uint8_t *key, bool cover)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = key_cmp(c, mid, key);
		if (r == 0)
			return cover ? -1 : (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!cover || !c->n)
		return -1;
	return (long)(lo ? lo - 1 : c->n - 1);
}

/* The key of name: itself for NSEC, its hash for NSEC3 (in buf). */
static const uint8_t *key_of(const struct chain *c, const uint8_t *name,
			     uint8_t *buf)
{
	if (c->z->denial != XD_DENIAL_NSEC3)
		return name;
	xd_nsec3_hash(name, xd_dname_len(name), c->db->names + c->z->salt,
		      c->z->salt_len, c->z->iterations, buf);
	return buf;
}

static long find_name(const struct chain *c, const uint8_t *name, bool cover)
{
	uint8_t h[XD_NSEC3_HASH_LEN];

	return find(c, key_of(c, name, h), cover);
}

static void add(long *v, unsigned *n, long i)
{
	for (unsigned k = 0; k < *n; k++)
		if (v[k] == i)
			return;
	v[(*n)++] = i;
}

int xd_proofs(const struct xd_cdb *db, const struct xd_found *f,
	      const uint8_t *lname, size_t nlen, uint32_t out[3])
{
	const struct xd_cdb_zone *z = &db->zones[f->zone];
	struct chain c = { .db = db,
			   .z = z,
			   .p = db->proofs + z->proofs_first,
			   .n = z->proofs_count };
	const uint8_t *ce = lname + (nlen - f->ce_len);
	uint8_t wild[XD_DNAME_MAX];
	long v[4], have = -1;
	unsigned n = 0;

	if (f->proof == XD_PROOF_NONE || !z->denial)
		return 0;
	if (!xd_dname_wildcard(wild, ce, f->ce_len))
		return -1;
	const uint8_t *nc = xd_dname_next_closer(lname, ce);

	/* At a wildcard without the type, the template already holds the
	 * wildcard's own NSEC or NSEC3. */
	if (f->proof == XD_PROOF_WILDCARD_NODATA)
		have = find_name(&c, wild, false);
	if (z->denial == XD_DENIAL_NSEC) {
		v[n++] = find_name(&c, lname, true);
		if (f->proof == XD_PROOF_NXDOMAIN)
			add(v, &n, find_name(&c, wild, true));
	} else {
		if (f->proof != XD_PROOF_WILDCARD)
			v[n++] = find_name(&c, ce, false);
		add(v, &n, find_name(&c, nc, true));
		if (f->proof == XD_PROOF_NXDOMAIN)
			add(v, &n, find_name(&c, wild, true));
	}
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (v[i] < 0)
			return -1;
		if (v[i] != have)
			out[k++] = c.p[v[i]].tmpl;
	}
	return (int)k;
}
