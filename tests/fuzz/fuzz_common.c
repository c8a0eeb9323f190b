// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>

#include <libknot/libknot.h>

#include "compile.h"

void fuzz_compile(struct xd_cdb *db, const char *zone, int many)
{
	struct xd_zoneset zs;
	struct xd_diag d;
	char big[4096];
	size_t n = 0;

	n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", zone);
	for (int i = 0; i < many; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "many A 192.0.2.%d\n", i + 10);
	xd_zoneset_init(&zs);
	xd_diag_init(&d, NULL);
	xd_cdb_init(db);
	if (xd_zoneset_load_string(&zs, "f", big, n, "f.", &d) ||
	    xd_zoneset_check(&zs, &d) || xd_compile(&zs, db, &d, NULL))
		abort();
	xd_zoneset_free(&zs);
}

void fuzz_check_response(const uint8_t *q, const uint8_t *r, size_t rlen,
			 size_t limit)
{
	if (!rlen)
		return;
	if (rlen < 12 || rlen > limit || r[0] != q[0] || r[1] != q[1] ||
	    !(r[2] & 0x80))
		abort();
	knot_pkt_t *p = knot_pkt_new((void *)r, (uint16_t)rlen, NULL);
	if (!p || knot_pkt_parse(p, 0) != KNOT_EOK)
		abort();
	knot_pkt_free(p);
}
