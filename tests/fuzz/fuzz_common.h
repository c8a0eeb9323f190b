/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the fuzz targets that query a compiled zone share: the zone, and
 * the checks every response must pass.
 */
#ifndef XDPDNS_FUZZ_COMMON_H
#define XDPDNS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "cdb.h"

/*
 * Compile zone (apex f.) into db, with many A records at many.f. added
 * (an answer long enough to be cut); aborts when it does not compile.
 */
void fuzz_compile(struct xd_cdb *db, const char *zone, int many);

/*
 * Abort unless r, rlen bytes, is a fit response to the query q: none at
 * all, or the query's ID with QR set, at most limit bytes, parsing as DNS.
 */
void fuzz_check_response(const uint8_t *q, const uint8_t *r, size_t rlen,
			 size_t limit);

#endif
