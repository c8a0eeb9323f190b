/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A signed zone's NSEC or NSEC3 chain, sorted for the compiler: which
 * record matches a name, which one covers it (RFC 4034 6.1 canonical order
 * for NSEC, hash order for NSEC3), and the closest encloser proof of RFC
 * 5155 7.2.1.
 */
#ifndef XDPDNS_DENIAL_H
#define XDPDNS_DENIAL_H

#include <stddef.h>
#include <stdint.h>

#include "nsec3.h"
#include "zone.h"

struct xd_n3 {
	uint8_t hash[XD_NSEC3_HASH_LEN];
	const struct xd_node *node;
};

struct xd_denial_index {
	const struct xd_zone *z;
	const struct xd_node **nsec; /* nodes with an NSEC, sorted */
	size_t nnsec;
	struct xd_n3 *n3; /* NSEC3 nodes by hash */
	size_t nn3;
};

/* Index z's chain (nothing for an unsigned zone). 0, or -1 when OOM. */
int xd_denial_build(struct xd_denial_index *di, const struct xd_zone *z);
void xd_denial_free(struct xd_denial_index *di);

/*
 * The node whose NSEC or NSEC3 matches name (lowercase), or NULL. With
 * cover set: the node whose record covers name instead (the last one
 * sorting before it, wrapping around), or its matching one when the name
 * has one.
 */
const struct xd_node *xd_denial_find(const struct xd_denial_index *di,
				     const uint8_t *name, bool cover);

/* Hash of name with the zone's NSEC3 parameters. */
void xd_denial_hash(const struct xd_denial_index *di, const uint8_t *name,
		    uint8_t out[XD_NSEC3_HASH_LEN]);

#endif
