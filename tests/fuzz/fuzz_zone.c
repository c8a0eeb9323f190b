// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * libFuzzer target: arbitrary bytes as a zone file. Loading, checking and
 * compiling must never crash, leak or read out of bounds; whatever
 * compiles must answer a few queries with well-formed responses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>

#include "answer.h"
#include "compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* $INCLUDE could read any file (or /dev/zero): keep inputs to themselves. */
static bool has_include(const uint8_t *data, size_t size)
{
	static const char word[] = "include";
	for (size_t i = 0; i + sizeof(word) - 1 <= size; i++)
		if (strncasecmp((const char *)data + i, word,
				sizeof(word) - 1) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xd_zoneset zs;
	struct xd_diag d;
	struct xd_cdb db;

	if (has_include(data, size))
		return 0;
	xd_zoneset_init(&zs);
	xd_diag_init(&d, NULL);
	xd_cdb_init(&db);
	xd_zoneset_load_string(&zs, "fuzz.zone", (const char *)data, size,
			       "fuzz.", &d);
	if (xd_zoneset_check(&zs, &d) == 0 &&
	    xd_compile(&zs, &db, &d, NULL) == 0) {
		static const char *const names[] = { "fuzz.", "www.fuzz.",
						     "a.b.fuzz.",
						     "x.y.z.fuzz." };
		static const uint16_t types[] = { 1, 2, 6, 15, 28, 255, 43 };
		for (size_t i = 0; i < 4; i++)
			for (size_t t = 0; t < sizeof(types) / 2; t++) {
				uint8_t q[300], out[65536];
				size_t n = 12;
				memset(q, 0, 12);
				q[5] = 1;
				knot_dname_from_str(q + n, names[i], 256);
				n += knot_dname_size(q + n);
				q[n++] = (uint8_t)(types[t] >> 8);
				q[n++] = (uint8_t)types[t];
				q[n++] = 0;
				q[n++] = 1;
				size_t r = xd_answer(&db, q, n, out,
						     sizeof(out), NULL, NULL);
				if (!r || r > 512)
					abort();
				knot_pkt_t *p =
					knot_pkt_new(out, (uint16_t)r, NULL);
				if (knot_pkt_parse(p, 0) != KNOT_EOK)
					abort();
				knot_pkt_free(p);
			}
	}
	xd_cdb_free(&db);
	xd_zoneset_free(&zs);
	return 0;
}
