// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Writing answer templates: RR serialization, name compression against the
 * question and earlier names, relocation records and cut points.
 */
#include "tmpl.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "rdata.h"

#define HDR_LEN 12
/* A pointer target must stay below 0x4000 after relocation by up to 255. */
#define COMPR_LIMIT (0x4000 - 256)

static void put(struct xd_tw *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n > UINT16_MAX) {
		w->failed = true;
		return;
	}
	if (w->len + n > w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 256;
		while (ncap < w->len + n)
			ncap *= 2;
		uint8_t *nb = realloc(w->buf, ncap);
		if (!nb) {
			w->failed = true;
			return;
		}
		w->buf = nb;
		w->cap = ncap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put16(struct xd_tw *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 2);
}

static void put32(struct xd_tw *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 4);
}

/* Byte at a message offset: the base name in the question, or template. */
static int msg_byte(const struct xd_tw *w, unsigned off)
{
	if (off >= HDR_LEN && off < HDR_LEN + w->base_len)
		return w->base_name[off - HDR_LEN];
	if (off >= w->base && off < w->base + w->len)
		return w->buf[off - w->base];
	return -1;
}

/*
 * Compare the name at message offset off (following pointers) with the
 * lowercase name `name`, case-insensitively.
 */
static bool msg_name_equal(const struct xd_tw *w, unsigned off,
			   const uint8_t *name)
{
	for (int hops = 0; hops < 64;) {
		int l = msg_byte(w, off);
		if (l < 0)
			return false;
		if ((l & 0xc0) == 0xc0) {
			int lo = msg_byte(w, off + 1);
			if (lo < 0)
				return false;
			off = (unsigned)((l & 0x3f) << 8 | lo);
			hops++;
			continue;
		}
		if (l != *name)
			return false;
		if (l == 0)
			return true;
		for (int i = 1; i <= l; i++) {
			int c = msg_byte(w, off + (unsigned)i);
			if (c < 0 || xd_lower((uint8_t)c) != name[i])
				return false;
		}
		off += (unsigned)l + 1;
		name += l + 1;
	}
	return false;
}

static void compr_add(struct xd_tw *w, unsigned off, size_t len)
{
	if (w->ncompr < XD_TW_MAX_COMPR && off < COMPR_LIMIT) {
		w->compr[w->ncompr] = (uint16_t)off;
		w->compr_len[w->ncompr++] = (uint8_t)len;
	}
}

static void put_pointer(struct xd_tw *w, unsigned target, bool relocate)
{
	if (relocate && w->reloc && !w->failed) {
		if (w->nrelocs == w->relocs_cap) {
			size_t ncap = w->relocs_cap ? w->relocs_cap * 2 : 16;
			uint16_t *nr = realloc(w->relocs, ncap * sizeof(*nr));
			if (!nr) {
				w->failed = true;
				return;
			}
			w->relocs = nr;
			w->relocs_cap = ncap;
		}
		w->relocs[w->nrelocs++] = (uint16_t)w->len;
	}
	put16(w, (uint16_t)(0xc000 | target));
}

/*
 * Write name (as given, case kept), compressing its longest suffix already
 * in the message when compress is set; newly written labels become
 * compression targets.
 */
static void put_name(struct xd_tw *w, const uint8_t *name, bool compress)
{
	uint8_t lower[XD_DNAME_MAX];
	size_t len = xd_dname_lower(lower, name);
	size_t pos = 0;
	int target = -1;

	if (compress && !w->plain) {
		for (pos = 0; lower[pos]; pos += lower[pos] + 1u) {
			for (unsigned i = 0; i < w->ncompr; i++)
				if (w->compr_len[i] == len - pos &&
				    msg_name_equal(w, w->compr[i],
						   lower + pos)) {
					target = w->compr[i];
					break;
				}
			if (target >= 0)
				break;
		}
	} else {
		pos = len - 1;
	}
	/* Labels before the match (or all of them) are written out. */
	for (size_t p = 0; p < pos; p += name[p] + 1u) {
		if (compress && !w->plain)
			compr_add(w, w->base + (unsigned)w->len, len - p);
		put(w, name + p, name[p] + 1u);
	}
	if (target >= 0) {
		put_pointer(w, (unsigned)target, true);
	} else {
		uint8_t root = 0;
		put(w, &root, 1);
	}
}

void xd_tw_init(struct xd_tw *w, const uint8_t *base, bool wildcard, bool reloc)
{
	w->buf = NULL;
	w->cap = 0;
	w->relocs = NULL;
	w->relocs_cap = 0;
	w->sets = NULL;
	w->sets_cap = 0;
	xd_tw_reset(w, base, wildcard, reloc);
}

void xd_tw_reset(struct xd_tw *w, const uint8_t *base, bool wildcard,
		 bool reloc)
{
	/* Only the bookkeeping is cleared: the arrays are written before
	 * they are read, and their memory is kept for the next template. */
	uint8_t *buf = w->buf;
	size_t cap = w->cap;
	memset(w, 0, offsetof(struct xd_tw, compr));
	w->buf = buf;
	w->cap = cap;
	w->ncompr = 0;
	w->nrelocs = 0;
	w->nsets = 0;
	size_t blen = xd_dname_lower(w->base_name, base);
	w->base_len = (unsigned)blen;
	w->base = HDR_LEN + (unsigned)blen + 4;
	w->wildcard = wildcard;
	w->reloc = reloc;
	/*
	 * Suffixes of the base name in the question. In a wildcard template
	 * the whole name stands for the query name, which is not "*.X": only
	 * the owner may point there (xd_tw_rr with owner NULL).
	 */
	size_t pos = 0;
	if (wildcard)
		pos = w->base_name[0] + 1u;
	for (; w->base_name[pos]; pos += w->base_name[pos] + 1u)
		compr_add(w, HDR_LEN + (unsigned)pos, blen - pos);
}

void xd_tw_free(struct xd_tw *w)
{
	free(w->buf);
	free(w->relocs);
	free(w->sets);
	memset(w, 0, sizeof(*w));
}

void xd_tw_section(struct xd_tw *w, enum xd_section s)
{
	w->section = s;
}

void xd_tw_rr(struct xd_tw *w, const uint8_t *owner, uint16_t type,
	      uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	struct xd_rdname names[XD_RDATA_MAX_NAMES];

	if (!owner) {
		/* The query name itself: relocated unless wildcard. */
		put_pointer(w, HDR_LEN, !w->wildcard);
	} else {
		put_name(w, owner, true);
	}
	put16(w, type);
	put16(w, 1); /* class IN */
	put32(w, ttl);
	size_t rdlen_at = w->len;
	put16(w, 0);

	int n = xd_rdata_names(type, rdata, rdlen, names);
	unsigned off = 0;
	for (int i = 0; i < n; i++) {
		put(w, rdata + off, names[i].off - off);
		put_name(w, rdata + names[i].off,
			 names[i].kind == XD_RDNAME_COMPRESSIBLE);
		off = names[i].off + names[i].len;
	}
	put(w, rdata + off, rdlen - off);
	if (w->failed)
		return;
	size_t written = w->len - rdlen_at - 2;
	w->buf[rdlen_at] = (uint8_t)(written >> 8);
	w->buf[rdlen_at + 1] = (uint8_t)written;
	w->count[w->section]++;
}

void xd_tw_mark(struct xd_tw *w, bool required)
{
	if (w->failed)
		return;
	if (w->nsets == w->sets_cap) {
		size_t ncap = w->sets_cap ? w->sets_cap * 2 : 8;
		struct xd_tw_set *ns = realloc(w->sets, ncap * sizeof(*ns));
		if (!ns) {
			w->failed = true;
			return;
		}
		w->sets = ns;
		w->sets_cap = ncap;
	}
	struct xd_tw_set *s = &w->sets[w->nsets++];
	s->end = (uint16_t)w->len;
	memcpy(s->count, w->count, sizeof(s->count));
	s->required = required;
}

size_t xd_tw_finish(struct xd_tw *w, struct xd_tmpl *out)
{
	if (w->failed || w->nsets > UINT16_MAX)
		return 0;
	bool any_required = false;
	for (size_t i = 0; i < w->nsets; i++)
		any_required |= w->sets[i].required;
	struct xd_tmpl t = {
		.kind = w->kind,
		.rcode = w->rcode,
		.flags = (uint8_t)(w->flags | (w->reloc ? XD_TF_RELOC : 0) |
				   (w->wildcard ? XD_TF_WILDCARD : 0) |
				   (any_required ? XD_TF_TC0 : 0)),
		.base_len = w->reloc ? (uint8_t)w->base_len : 0,
		.ncuts = (uint16_t)w->nsets,
		.nrelocs = (uint16_t)w->nrelocs,
		.len = (uint16_t)w->len,
	};
	size_t size = xd_tmpl_size(&t);

	if (!out)
		return size;
	uint8_t *o = (uint8_t *)out;
	memcpy(o, &t, sizeof(t));
	memset(o + sizeof(t), 0, size - sizeof(t));
	struct xd_cut *cuts = (struct xd_cut *)(o + sizeof(t));
	/* Cut i keeps the first i + 1 RRsets; TC when a required one is
	 * left out. */
	bool required_after = false;
	for (size_t i = w->nsets; i-- > 0;) {
		struct xd_cut *c = &cuts[i];
		c->len = w->sets[i].end;
		c->an = w->sets[i].count[XD_SEC_ANSWER];
		c->ns = w->sets[i].count[XD_SEC_AUTHORITY];
		c->ar = w->sets[i].count[XD_SEC_ADDITIONAL];
		/* 2: TC with the answer section whole, only a signed
		 * answer's authority section is cut (the RCODE stays). */
		c->tc = !required_after				    ? 0 :
			c->an == w->count[XD_SEC_ANSWER] && t.rcode ? 2 :
								      1;
		if (w->sets[i].required)
			required_after = true;
	}
	uint8_t *p = (uint8_t *)(cuts + t.ncuts);
	if (w->nrelocs)
		memcpy(p, w->relocs, w->nrelocs * sizeof(uint16_t));
	p += w->nrelocs * sizeof(uint16_t);
	if (w->len)
		memcpy(p, w->buf, w->len);
	return size;
}
