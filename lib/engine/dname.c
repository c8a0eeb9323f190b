// SPDX-License-Identifier: GPL-3.0-or-later
#include "dname.h"

#include <stdio.h>
#include <string.h>

#include "dnsname.h"

#define L4(x) x, x + 1, x + 2, x + 3
#define L16(x) L4(x), L4(x + 4), L4(x + 8), L4(x + 12)
#define L64(x) L16(x), L16(x + 16), L16(x + 32), L16(x + 48)
/* ASCII letters to lowercase, every other byte unchanged (RFC 4343). */
const uint8_t xd_lower_table[256] = {
	L64(0), '@',	'a', 'b',     'c',	'd',	  'e',	    'f', 'g',
	'h',	'i',	'j', 'k',     'l',	'm',	  'n',	    'o', 'p',
	'q',	'r',	's', 't',     'u',	'v',	  'w',	    'x', 'y',
	'z',	L4(91), 95,  L16(96), L16(112), L64(128), L64(192),
};

size_t xd_dname_len(const uint8_t *name)
{
	const uint8_t *p = name;

	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

int xd_dname_check(const uint8_t *p, size_t avail)
{
	size_t off = 0;

	for (;;) {
		if (off >= avail)
			return -1;
		uint8_t l = p[off];
		if (l == 0)
			break;
		if (l > XD_LABEL_MAX) /* pointer (0xC0) or reserved type */
			return -1;
		off += (size_t)l + 1;
		if (off + 1 > XD_DNAME_MAX)
			return -1;
	}
	return (int)off + 1;
}

size_t xd_dname_lower(uint8_t *dst, const uint8_t *name)
{
	size_t len = xd_dname_len(name), i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, name + i, 8);
		w = xd_lower8(w);
		memcpy(dst + i, &w, 8);
	}
	for (; i < len; i++)
		dst[i] = xd_lower(name[i]);
	return len;
}

unsigned xd_dname_labels(const uint8_t *name)
{
	unsigned n = 0;

	while (*name) {
		name += *name + 1;
		n++;
	}
	return n;
}

const uint8_t *xd_dname_parent(const uint8_t *name)
{
	return *name ? name + *name + 1 : NULL;
}

static bool label_equal(const uint8_t *a, const uint8_t *b)
{
	if (a[0] != b[0])
		return false;
	for (unsigned i = 1; i <= a[0]; i++)
		if (xd_lower(a[i]) != xd_lower(b[i]))
			return false;
	return true;
}

bool xd_dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (!label_equal(a, b))
			return false;
		if (*a == 0)
			return true;
		a += *a + 1;
		b += *b + 1;
	}
}

bool xd_dname_in(const uint8_t *name, const uint8_t *zone)
{
	unsigned nl = xd_dname_labels(name), zl = xd_dname_labels(zone);

	if (nl < zl)
		return false;
	while (nl-- > zl)
		name += *name + 1;
	return xd_dname_equal(name, zone);
}

/* Offsets of each label start, leftmost first; returns the label count. */
static unsigned label_offsets(const uint8_t *name, uint8_t off[128])
{
	unsigned n = 0, pos = 0;

	while (name[pos]) {
		off[n++] = (uint8_t)pos;
		pos += name[pos] + 1u;
	}
	return n;
}

int xd_dname_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t ao[128], bo[128];
	unsigned an = label_offsets(a, ao), bn = label_offsets(b, bo);

	while (an > 0 && bn > 0) {
		const uint8_t *la = a + ao[--an], *lb = b + bo[--bn];
		unsigned common = la[0] < lb[0] ? la[0] : lb[0];
		for (unsigned i = 1; i <= common; i++) {
			int d = (int)xd_lower(la[i]) - (int)xd_lower(lb[i]);
			if (d)
				return d;
		}
		if (la[0] != lb[0])
			return (int)la[0] - (int)lb[0];
	}
	return (int)an - (int)bn;
}

static bool needs_escape(uint8_t c)
{
	return c <= ' ' || c >= 0x7f || strchr(".\\\"();@$", c) != NULL;
}

char *xd_dname_str(const uint8_t *name, char *buf)
{
	char *o = buf;

	if (*name == 0) {
		strcpy(buf, ".");
		return buf;
	}
	while (*name) {
		for (unsigned i = 1; i <= *name; i++) {
			uint8_t c = name[i];
			if (!needs_escape(c))
				*o++ = (char)c;
			else if (c > ' ' && c < 0x7f)
				o += sprintf(o, "\\%c", c);
			else
				o += sprintf(o, "\\%03u", c);
		}
		*o++ = '.';
		name += *name + 1;
	}
	*o = '\0';
	return buf;
}

/*
 * A small multiply-xorshift hash over 8-byte words. Names are short, so a
 * simple mixer beats a general-purpose hash; the tables that use it hold
 * zone data, not names an attacker can insert.
 */
uint64_t xd_hash_bytes(const uint8_t *p, size_t len, uint64_t seed)
{
	const uint64_t m = 0x9e3779b97f4a7c15ull;
	uint64_t h = seed ^ (len * m);

	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * m;
	h ^= h >> 32;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 31;
	return h;
}

size_t xd_dname_wildcard(uint8_t *dst, const uint8_t *name, size_t len)
{
	if (len + 2 > XD_DNAME_MAX)
		return 0;
	dst[0] = 1;
	dst[1] = '*';
	memcpy(dst + 2, name, len);
	return len + 2;
}

const uint8_t *xd_dname_next_closer(const uint8_t *name, const uint8_t *ce)
{
	unsigned drop = xd_dname_labels(name) - xd_dname_labels(ce) - 1;

	while (drop--)
		name += name[0] + 1u;
	return name;
}
