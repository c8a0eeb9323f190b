// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Sorted NSEC and NSEC3 chains of a signed zone (denial.h).
 */
#include "denial.h"

#include <stdlib.h>
#include <string.h>

#include "dname.h"

static int cmp_nodes(const void *a, const void *b)
{
	const struct xd_node *x = *(const struct xd_node *const *)a;
	const struct xd_node *y = *(const struct xd_node *const *)b;

	return xd_dname_cmp(x->name, y->name);
}

static int cmp_n3(const void *a, const void *b)
{
	return memcmp(((const struct xd_n3 *)a)->hash,
		      ((const struct xd_n3 *)b)->hash, XD_NSEC3_HASH_LEN);
}

int xd_denial_build(struct xd_denial_index *di, const struct xd_zone *z)
{
	memset(di, 0, sizeof(*di));
	di->z = z;
	if (z->denial == XD_DENIAL_NONE)
		return 0;
	size_t n = 0;
	for (const struct xd_node *nd = z->first; nd; nd = nd->list)
		n++;
	if (z->denial == XD_DENIAL_NSEC) {
		di->nsec = malloc((n ? n : 1) * sizeof(*di->nsec));
		if (!di->nsec)
			return -1;
		for (const struct xd_node *nd = z->first; nd; nd = nd->list)
			/* A cut to a served child zone is shadowed, and
			 * still in the parent's chain. */
			if (xd_node_rrset(nd, XD_TYPE_NSEC))
				di->nsec[di->nnsec++] = nd;
		qsort(di->nsec, di->nnsec, sizeof(*di->nsec), cmp_nodes);
		return 0;
	}
	di->n3 = malloc((n ? n : 1) * sizeof(*di->n3));
	if (!di->n3)
		return -1;
	for (const struct xd_node *nd = z->first; nd; nd = nd->list)
		if ((nd->flags & XD_NODE_NSEC3) &&
		    xd_nsec3_owner_hash(nd->name, di->n3[di->nn3].hash))
			di->n3[di->nn3++].node = nd;
	qsort(di->n3, di->nn3, sizeof(*di->n3), cmp_n3);
	return 0;
}

void xd_denial_free(struct xd_denial_index *di)
{
	free(di->nsec);
	free(di->n3);
	memset(di, 0, sizeof(*di));
}

void xd_denial_hash(const struct xd_denial_index *di, const uint8_t *name,
		    uint8_t out[XD_NSEC3_HASH_LEN])
{
	const struct xd_zone *z = di->z;

	xd_nsec3_hash(name, xd_dname_len(name), z->nsec3_salt,
		      z->nsec3_salt_len, z->nsec3_iterations, out);
}

const struct xd_node *xd_denial_find(const struct xd_denial_index *di,
				     const uint8_t *name, bool cover)
{
	/* The last element not greater than the key, by binary search. */
	size_t lo = 0, hi;
	int c = 1;

	if (di->nsec) {
		hi = di->nnsec;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			c = xd_dname_cmp(di->nsec[mid]->name, name);
			if (c == 0)
				return di->nsec[mid];
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!cover || !di->nnsec)
			return NULL;
		return di->nsec[lo ? lo - 1 : di->nnsec - 1];
	}
	if (!di->nn3)
		return NULL;
	uint8_t h[XD_NSEC3_HASH_LEN];
	xd_denial_hash(di, name, h);
	hi = di->nn3;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		c = memcmp(di->n3[mid].hash, h, sizeof(h));
		if (c == 0)
			return di->n3[mid].node;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!cover)
		return NULL;
	return di->n3[lo ? lo - 1 : di->nn3 - 1].node;
}
