// SPDX-License-Identifier: GPL-3.0-or-later
#include "rdata.h"

#include <string.h>

#include <libknot/libknot.h>

#include "dname.h"

/* NAPTR: order, preference, then flags, services and regexp strings. */
static int naptr_header_len(const uint8_t *p, uint16_t avail)
{
	unsigned off = 4;

	for (int i = 0; i < 3; i++) {
		if (off >= avail)
			return -1;
		off += 1u + p[off];
	}
	return off <= avail ? (int)off : -1;
}

int xd_rdata_names(uint16_t type, const uint8_t *rdata, uint16_t len,
		   struct xd_rdname out[XD_RDATA_MAX_NAMES])
{
	const knot_rdata_descriptor_t *desc = knot_get_rdata_descriptor(type);
	unsigned off = 0;
	int n = 0;

	if (!desc || !desc->type_name)
		return 0; /* unknown type: opaque data */
	for (int i = 0; i < KNOT_MAX_RDATA_BLOCKS; i++) {
		int b = desc->block_types[i];
		int l;
		switch (b) {
		case KNOT_RDATA_WF_END:
			return off == len ? n : -1;
		case KNOT_RDATA_WF_REMAINDER:
			return n;
		case KNOT_RDATA_WF_NAPTR_HEADER:
			l = naptr_header_len(rdata + off,
					     (uint16_t)(len - off));
			if (l < 0)
				return -1;
			off += (unsigned)l;
			break;
		case KNOT_RDATA_WF_FIXED_DNAME:
		case KNOT_RDATA_WF_COMPRESSIBLE_DNAME:
		case KNOT_RDATA_WF_DECOMPRESSIBLE_DNAME:
			l = xd_dname_check(rdata + off, len - off);
			if (l < 0 || n >= XD_RDATA_MAX_NAMES)
				return -1;
			out[n].off = (uint16_t)off;
			out[n].len = (uint8_t)l;
			out[n].kind = b == KNOT_RDATA_WF_COMPRESSIBLE_DNAME ?
					      XD_RDNAME_COMPRESSIBLE :
				      b == KNOT_RDATA_WF_FIXED_DNAME ?
					      XD_RDNAME_FIXED :
					      XD_RDNAME_DECOMPRESSIBLE;
			n++;
			off += (unsigned)l;
			break;
		default: /* fixed-size block of b bytes */
			if (b < 0 || off + (unsigned)b > len)
				return -1;
			off += (unsigned)b;
			break;
		}
	}
	return off == len ? n : -1;
}

bool xd_rdata_has_lowercase_names(uint16_t type)
{
	return knot_rrtype_should_be_lowercased(type);
}

uint16_t xd_rdata_canonical(uint16_t type, const uint8_t *rdata, uint16_t len,
			    uint8_t *out)
{
	struct xd_rdname names[XD_RDATA_MAX_NAMES];

	memcpy(out, rdata, len);
	if (!knot_rrtype_should_be_lowercased(type))
		return len;
	int n = xd_rdata_names(type, rdata, len, names);
	for (int i = 0; i < n; i++)
		xd_dname_lower(out + names[i].off, rdata + names[i].off);
	return len;
}
