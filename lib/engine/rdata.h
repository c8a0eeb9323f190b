/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Domain names inside record data, located with libknot's RR type
 * descriptors, so that the compiler can compress, lowercase and follow
 * them (NS, MX and SRV targets, CNAME chains).
 */
#ifndef XDPDNS_RDATA_H
#define XDPDNS_RDATA_H

#include <stdbool.h>
#include <stdint.h>

#define XD_RDATA_MAX_NAMES 2

enum xd_rdname_kind {
	XD_RDNAME_FIXED, /* written as is, never compressed */
	XD_RDNAME_COMPRESSIBLE, /* may be compressed (RFC 3597 section 4) */
	XD_RDNAME_DECOMPRESSIBLE, /* never compressed when sent */
};

struct xd_rdname {
	uint16_t off; /* offset of the name in the rdata */
	uint8_t len; /* its length */
	uint8_t kind; /* enum xd_rdname_kind */
};

/*
 * Find the names in rdata of the given type. Returns how many (at most
 * XD_RDATA_MAX_NAMES), 0 for types without names, or -1 when the rdata
 * does not match the type's layout.
 */
int xd_rdata_names(uint16_t type, const uint8_t *rdata, uint16_t len,
		   struct xd_rdname out[XD_RDATA_MAX_NAMES]);

/*
 * RFC 4034 6.2 canonical form for ordering and duplicate detection: a copy
 * with names lowercased for the types that section lists. Returns the
 * length (equal to len).
 */
uint16_t xd_rdata_canonical(uint16_t type, const uint8_t *rdata, uint16_t len,
			    uint8_t *out);

/* True when canonical form changes anything for this type. */
bool xd_rdata_has_lowercase_names(uint16_t type);

#endif
