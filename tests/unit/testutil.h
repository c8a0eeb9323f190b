/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the unit tests: building queries and databases. */
#ifndef XDPDNS_TESTUTIL_H
#define XDPDNS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "answer.h"
#include "cdb.h"
#include "compile.h"

/* A byte buffer under construction. */
struct buf {
	uint8_t b[65536];
	size_t n;
};

static inline void bput(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static inline void bput8(struct buf *b, uint8_t v)
{
	b->b[b->n++] = v;
}

static inline void bput16(struct buf *b, uint16_t v)
{
	bput8(b, (uint8_t)(v >> 8));
	bput8(b, (uint8_t)v);
}

static inline void bput32(struct buf *b, uint32_t v)
{
	bput16(b, (uint16_t)(v >> 16));
	bput16(b, (uint16_t)v);
}

/* Append "www.example." style text as wire format (no escapes). */
static inline void bname(struct buf *b, const char *text)
{
	while (*text && strcmp(text, ".") != 0) {
		const char *dot = strchr(text, '.');
		size_t l = dot ? (size_t)(dot - text) : strlen(text);
		bput8(b, (uint8_t)l);
		bput(b, text, l);
		text += l + (dot ? 1 : 0);
	}
	bput8(b, 0);
}

/* Append hex digits (spaces ignored). */
static inline void bhex(struct buf *b, const char *hex)
{
	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		unsigned v;
		sscanf(hex, "%2x", &v);
		bput8(b, (uint8_t)v);
		hex += 2;
	}
}

/* A query: header (id, flags), one question, optional OPT. */
static inline void make_query(struct buf *b, uint16_t id, uint16_t flags,
			      const char *name, uint16_t type, int edns_size,
			      bool do_bit)
{
	b->n = 0;
	bput16(b, id);
	bput16(b, flags);
	bput16(b, 1);
	bput16(b, 0);
	bput16(b, 0);
	bput16(b, edns_size >= 0 ? 1 : 0);
	bname(b, name);
	bput16(b, type);
	bput16(b, 1);
	if (edns_size >= 0) {
		bput8(b, 0);
		bput16(b, 41);
		bput16(b, (uint16_t)edns_size);
		bput32(b, do_bit ? 0x8000 : 0);
		bput16(b, 0);
	}
}

/* Compile zone text (one zone) into db; fails the test on error. */
static inline void compile_text(struct xd_cdb *db, const char *origin,
				const char *text)
{
	struct xd_zoneset zs;
	struct xd_diag d;

	xd_zoneset_init(&zs);
	xd_diag_init(&d, stderr);
	xd_cdb_init(db);
	assert_int_equal(xd_zoneset_load_string(&zs, "test.zone", text,
						strlen(text), origin, &d),
			 0);
	assert_int_equal(xd_zoneset_check(&zs, &d), 0);
	assert_int_equal(xd_compile(&zs, db, &d, NULL), 0);
	xd_zoneset_free(&zs);
}

#endif
