/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Answer templates: the part of a DNS response that does not depend on the
 * query's ID, flags, question bytes or OPT record.
 *
 * A response is built as
 *
 *   header (12) | the query's question (qname, qtype, qclass) |
 *   template bytes, cut to fit | OPT, when the query had one
 *
 * The template bytes were written by the compiler for a question whose
 * name is the template's base name B (the name it is stored under). Names
 * in them are compressed against B's labels in the question and against
 * earlier template names. When the template answers a longer name Q below
 * B (a referral below a zone cut, an NXDOMAIN, a wildcard match), every
 * compression pointer listed in relocs moves by delta = len(Q) - len(B),
 * since everything after the question shifts by that much. Pointers not
 * listed keep their value: in a wildcard template, the owner pointer to
 * offset 12 names the query's own name.
 *
 * Cuts list every place the template may be cut when it does not fit: the
 * response keeps the longest cut that fits and takes that cut's section
 * counts and TC bit; a cut with TC set answers RCODE NOERROR (knotd stops
 * before setting the RCODE when an answer is truncated). The last cut is the
 * whole template.
 *
 * A template with XD_TF_RELOC answers any name at or below its base name;
 * delta = len(qname) - base_len. Without it, it answers only the name it is
 * stored under and delta is 0.
 */
#ifndef XDPDNS_TMPL_H
#define XDPDNS_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an answer is, for counters and the dump. */
enum xd_kind {
	XD_KIND_POSITIVE = 1, /* data of the asked type (or a CNAME to it) */
	XD_KIND_NODATA = 2, /* the name exists, not with this type */
	XD_KIND_NXDOMAIN = 3, /* the name does not exist */
	XD_KIND_REFERRAL = 4, /* the name is at or below a zone cut */
};

enum xd_tmpl_flags {
	XD_TF_AA = 1 << 0, /* authoritative answer */
	XD_TF_CNAME = 1 << 1, /* the answer starts with a CNAME */
	XD_TF_WILDCARD = 1 << 2, /* owner pointers to 12 stand for the qname */
	XD_TF_RELOC = 1 << 3, /* may answer names below its base name */
	XD_TF_TC0 = 1 << 4, /* cut to nothing, the response has TC */
	/* From a signed zone: queries with DO=1 get the entry's DO
	 * template, and answers found through an ancestor may need proofs
	 * added for the query name. */
	XD_TF_SIGNED = 1 << 5,
};

struct xd_cut {
	uint16_t len; /* template bytes kept */
	uint16_t an, ns, ar;
	uint16_t tc; /* TC set: 1 with RCODE NOERROR, 2 keeping the RCODE */
};

/*
 * Serialized layout, fields in host byte order, 4-byte aligned:
 *   struct xd_tmpl (10 bytes), cuts[ncuts], relocs[nrelocs] (u16 offsets
 *   into the bytes of a pointer's first byte), bytes[len], padding to 4.
 * The cut that keeps nothing is implicit (counts 0, TC from XD_TF_TC0);
 * cuts[] lists the others by increasing length, the last one being the
 * whole template.
 */
struct xd_tmpl {
	uint8_t kind; /* enum xd_kind */
	uint8_t rcode; /* RCODE when the whole template is sent */
	uint8_t flags; /* enum xd_tmpl_flags */
	uint8_t base_len; /* length of the base name, XD_TF_RELOC only */
	uint16_t ncuts;
	uint16_t nrelocs;
	uint16_t len;
};

_Static_assert(sizeof(struct xd_tmpl) == 10, "template header layout");
_Static_assert(sizeof(struct xd_cut) == 10, "cut layout");

static inline const struct xd_cut *xd_tmpl_cuts(const struct xd_tmpl *t)
{
	return (const struct xd_cut *)(t + 1);
}

static inline const uint16_t *xd_tmpl_relocs(const struct xd_tmpl *t)
{
	return (const uint16_t *)(xd_tmpl_cuts(t) + t->ncuts);
}

static inline const uint8_t *xd_tmpl_bytes(const struct xd_tmpl *t)
{
	return (const uint8_t *)(xd_tmpl_relocs(t) + t->nrelocs);
}

static inline size_t xd_tmpl_size(const struct xd_tmpl *t)
{
	size_t s = sizeof(*t) + t->ncuts * sizeof(struct xd_cut) +
		   t->nrelocs * sizeof(uint16_t) + t->len;
	return (s + 3) & ~(size_t)3;
}

/* ---- writing templates (the compiler) ------------------------------ */

enum xd_section { XD_SEC_ANSWER, XD_SEC_AUTHORITY, XD_SEC_ADDITIONAL };

#define XD_TW_MAX_COMPR 256

struct xd_tw {
	uint8_t *buf;
	size_t len, cap;
	unsigned base; /* message offset of the template's first byte */
	bool wildcard; /* the base name is "*.X": offset 12 is the qname */
	bool reloc; /* record relocations */
	bool failed; /* out of memory or over 65535 bytes */
	bool plain; /* names uncompressed: a proof, appended anywhere */
	uint8_t kind, rcode, flags;
	uint16_t count[3];
	int section;
	/* Message offsets of names available for compression, and the
	 * length each name has once decompressed. */
	uint16_t compr[XD_TW_MAX_COMPR];
	uint8_t compr_len[XD_TW_MAX_COMPR];
	unsigned ncompr;
	uint8_t base_name[256];
	unsigned base_len;
	uint16_t *relocs;
	size_t nrelocs, relocs_cap;
	struct xd_tw_set {
		uint16_t end; /* template length after this RRset */
		uint16_t count[3]; /* section counts after it */
		bool required;
	} * sets;
	size_t nsets, sets_cap;
};

/*
 * Start a template for base name `base` (lowercase). wildcard: base is a
 * wildcard name and the template answers names it matches. reloc: the
 * template may answer names below its base (record relocations).
 */
void xd_tw_init(struct xd_tw *w, const uint8_t *base, bool wildcard,
		bool reloc);
void xd_tw_free(struct xd_tw *w);
/* Start another template with w, keeping its memory. */
void xd_tw_reset(struct xd_tw *w, const uint8_t *base, bool wildcard,
		 bool reloc);

/* Move on to a later section (answer, authority, additional). */
void xd_tw_section(struct xd_tw *w, enum xd_section s);

/*
 * Append one RR. owner NULL means "the query name" (a pointer to offset
 * 12). rdata names of compressible types are compressed (RFC 3597 4).
 */
void xd_tw_rr(struct xd_tw *w, const uint8_t *owner, uint16_t type,
	      uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/*
 * Mark the end of an RRset: the template may be cut here. required: a
 * response that leaves this RRset out is truncated (TC=1); answer and
 * authority RRsets are required, additional ones are not.
 */
void xd_tw_mark(struct xd_tw *w, bool required);

/* Bytes written so far and the size the template would have. */
static inline size_t xd_tw_len(const struct xd_tw *w)
{
	return w->len;
}

/*
 * Serialize into out (xd_tmpl_size bytes; NULL to just measure). Returns
 * the serialized size, or 0 if writing failed.
 */
size_t xd_tw_finish(struct xd_tw *w, struct xd_tmpl *out);

#endif
