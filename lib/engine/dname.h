/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Domain names in uncompressed wire format (RFC 1035 3.1): a sequence of
 * length-prefixed labels ending with the zero-length root label.
 *
 * Unless a function says otherwise, a name argument must be a valid
 * uncompressed name (at most 255 bytes, labels of at most 63 bytes), for
 * example one returned by xd_dname_check() or produced by libzscanner.
 */
#ifndef XDPDNS_DNAME_H
#define XDPDNS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XD_DNAME_MAX 255
#define XD_LABEL_MAX 63
/* Longest presentation form: every byte escaped as \DDD, dots, NUL. */
#define XD_DNAME_STR_MAX (XD_DNAME_MAX * 4 + 2)

extern const uint8_t xd_lower_table[256];

static inline uint8_t xd_lower(uint8_t c)
{
	return xd_lower_table[c];
}

/* Length in bytes (including the root label) of a valid name. */
size_t xd_dname_len(const uint8_t *name);

/*
 * Validate the name starting at p with at most avail readable bytes.
 * Compression pointers are refused. Returns the name's length in bytes, or
 * -1 when it is malformed, too long, or runs past avail.
 */
int xd_dname_check(const uint8_t *p, size_t avail);

/* Copy name into dst (XD_DNAME_MAX bytes), lowercasing ASCII letters. */
size_t xd_dname_lower(uint8_t *dst, const uint8_t *name);

/* Number of labels, not counting the root label ("." has 0). */
unsigned xd_dname_labels(const uint8_t *name);

/* The name without its leftmost label; "." has no parent (returns NULL). */
const uint8_t *xd_dname_parent(const uint8_t *name);

/* Case-insensitive equality. */
bool xd_dname_equal(const uint8_t *a, const uint8_t *b);

/* True when name equals zone or lies below it (case-insensitive). */
bool xd_dname_in(const uint8_t *name, const uint8_t *zone);

/* True when the first label is the single byte '*' (RFC 4592). */
static inline bool xd_dname_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

/*
 * "*." followed by name (len bytes) into dst (XD_DNAME_MAX bytes): the
 * wildcard below name. Returns its length, or 0 when it would be too long.
 */
size_t xd_dname_wildcard(uint8_t *dst, const uint8_t *name, size_t len);

/* name cut to one label more than its ancestor ce: the next closer name
 * of RFC 5155 7.2.1 (a suffix of name). */
const uint8_t *xd_dname_next_closer(const uint8_t *name, const uint8_t *ce);

/* RFC 4034 6.1 canonical order: <0, 0, >0. */
int xd_dname_cmp(const uint8_t *a, const uint8_t *b);

/*
 * Presentation form, absolute with a trailing dot; bytes outside printable
 * ASCII and the special characters .\"();@$ are escaped. buf must hold
 * XD_DNAME_STR_MAX bytes. Returns buf.
 */
char *xd_dname_str(const uint8_t *name, char *buf);

/* Hash of len bytes of an already lowercased name (not keyed). */
uint64_t xd_hash_bytes(const uint8_t *p, size_t len, uint64_t seed);

#endif
