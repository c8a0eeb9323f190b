// SPDX-License-Identifier: GPL-3.0-or-later
#include "xdpmaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dname.h"
#include "xdpdns.h"

_Static_assert(sizeof(struct xd_xnode) == 128, "node layout");
_Static_assert(sizeof(struct xd_slot) == 8, "slot layout");
_Static_assert(sizeof(struct xd_tslot) == 16, "overflow slot layout");
_Static_assert(sizeof(struct xd_config) == 176, "config layout");
_Static_assert(sizeof(struct xd_xtmpl) == 8, "template header layout");
_Static_assert(sizeof(struct xd_xreloc) == 4, "relocation layout");
_Static_assert(sizeof(struct xd_xcut) == 8, "cut layout");

/* ---- templates ------------------------------------------------------ */

/* Ones' complement sum of b as little-endian 16-bit words, folded. */
static uint16_t sum16(const uint8_t *b, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i += 2)
		sum += b[i] | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

struct chunks {
	uint8_t *p;
	size_t n, cap; /* in chunks */
	size_t limit; /* the map's capacity: beyond it, templates pass */
};

/*
 * Convert one engine template into its XDP form at the end of ch.
 * Returns the reference, or XD_TREF_PASS when the XDP path cannot give
 * the same answer (userspace then answers).
 */
static uint32_t convert(const struct xd_tmpl *t, struct chunks *ch)
{
	const struct xd_cut *cuts = xd_tmpl_cuts(t);
	const uint16_t *relocs = xd_tmpl_relocs(t);
	/* No XDP reply has room for more than this many section bytes. */
	const unsigned room = XD_TMPL_MAX_BYTES - 1;
	unsigned first = 0, last = 0; /* cuts [first, last) are kept */
	uint8_t flags = t->flags & (XD_XT_AA | XD_XT_RELOC | XD_XT_TC0);

	while (last < t->ncuts && cuts[last].len <= room)
		last++;
	if (last > XD_TMPL_MAX_CUTS) {
		first = last - XD_TMPL_MAX_CUTS;
		flags |= XD_XT_CUTS_PART;
	}
	unsigned len = last ? cuts[last - 1].len : 0;
	unsigned nrel = 0;
	if (t->flags & XD_TF_RELOC)
		while (nrel < t->nrelocs && relocs[nrel] + 2u <= len)
			nrel++;
	if (nrel > XD_TMPL_MAX_RELOCS)
		return XD_TREF_PASS;

	unsigned ncuts = last - first;
	for (unsigned i = first; i < last; i++)
		if (cuts[i].an > 255 || cuts[i].ns > 255 || cuts[i].ar > 255)
			return XD_TREF_PASS;
	size_t off = xd_xtmpl_bytes_off(ncuts, nrel);
	size_t size = off + len;
	size_t need = (size + XD_CHUNK - 1) / XD_CHUNK;
	if (ch->n + need > ch->limit)
		return XD_TREF_PASS; /* userspace answers it */
	if (ch->n + need > ch->cap) {
		size_t ncap = ch->cap ? ch->cap * 2 : 4096;
		while (ncap < ch->n + need)
			ncap *= 2;
		uint8_t *np = realloc(ch->p, ncap * XD_CHUNK);
		if (!np)
			return XD_TREF_PASS - 1; /* out of memory */
		ch->p = np;
		ch->cap = ncap;
	}
	uint8_t *o = ch->p + ch->n * XD_CHUNK;
	memset(o, 0, need * XD_CHUNK);
	struct xd_xtmpl h = {
		.kind = t->kind,
		.rcode = t->rcode,
		.flags = flags,
		.base_len = t->base_len,
		.ncuts = (uint8_t)ncuts,
		.nrelocs = (uint8_t)nrel,
		.len = (uint16_t)len,
	};
	memcpy(o, &h, sizeof(h));
	for (unsigned i = 0; i < ncuts; i++) {
		const struct xd_cut *c = &cuts[first + i];
		struct xd_xcut x = {
			.len = (uint16_t)(c->len | (c->tc ? XD_XCUT_TC : 0)),
			.an = (uint8_t)c->an,
			.ns = (uint8_t)c->ns,
			.ar = (uint8_t)c->ar,
			.sum = sum16(xd_tmpl_bytes(t), c->len),
		};
		memcpy(o + 8 + 8 * i, &x, sizeof(x));
	}
	const uint8_t *bytes = xd_tmpl_bytes(t);
	for (unsigned i = 0; i < nrel; i++) {
		struct xd_xreloc r = {
			.pos = relocs[i],
			.ptr = (uint16_t)(bytes[relocs[i]] << 8 |
					  bytes[relocs[i] + 1]),
		};
		memcpy(o + 8 + 8 * ncuts + 4 * i, &r, sizeof(r));
	}
	memcpy(o + off, bytes, len);
	uint32_t ref = (uint32_t)ch->n;
	ch->n += need;
	return ref;
}

/* Template references by compiled offset, converted once each. */
struct tref_map {
	uint64_t *slots; /* offset + 1 in the high half, reference low */
	size_t size;
};

static uint32_t tref_of(struct tref_map *m, const struct xd_cdb *db,
			uint32_t off, struct chunks *ch, size_t *ntmpl)
{
	size_t b = (off * 0x9e3779b1u) & (m->size - 1);

	while (m->slots[b]) {
		if ((uint32_t)(m->slots[b] >> 32) == off + 1)
			return (uint32_t)m->slots[b];
		b = (b + 1) & (m->size - 1);
	}
	uint32_t ref = convert(xd_cdb_tmpl(db, off), ch);
	if (ref == XD_TREF_PASS - 1)
		return ref;
	m->slots[b] = (uint64_t)(off + 1) << 32 | ref;
	(*ntmpl)++;
	return ref;
}

/* ---- the name table --------------------------------------------------- */

uint64_t xd_xdp_hash(const uint8_t *name, size_t len, uint64_t seed)
{
	/* The name right-aligned on whole words, zeros before it. */
	uint8_t buf[8 + XD_NAME_MAX + 1];
	uint64_t h = seed;

	if (len > XD_NAME_MAX + 1)
		len = XD_NAME_MAX + 1;
	size_t nw = (len + 7) / 8, pad = 8 * nw - len;
	memset(buf, 0, pad);
	memcpy(buf + pad, name, len);
	for (size_t j = nw; j-- > 0;) {
		uint64_t w;
		memcpy(&w, buf + 8 * j, 8);
		XD_HASH_WORD(h, w);
	}
	return xd_hash_end(h);
}

/* Slots for n entries at most a fraction 1/per full, whole buckets. */
static uint32_t table_slots(uint64_t n, unsigned per)
{
	uint64_t s = n * per;

	s = (s + XD_BUCKET - 1) / XD_BUCKET * XD_BUCKET;
	if (s < XD_BUCKET)
		s = XD_BUCKET;
	return s > UINT32_MAX / 2 ? UINT32_MAX / 2 / XD_BUCKET * XD_BUCKET :
				    (uint32_t)s;
}

void xd_xdp_sizes_for(const struct xd_cdb *db, struct xd_xdp_sizes *sz)
{
	size_t names = 0, overflow = 0, run = 0, name_bytes = 0, chunks = 0;
	uint32_t cur = UINT32_MAX;

	for (size_t i = 0; i < db->nentries; i++) {
		const struct xd_cdb_entry *e = &db->entries[i];
		if (e->type == XD_TYPE_NODE) {
			names++;
			name_bytes += xd_name_bytes(e->nlen);
			cur = e->name;
			run = 0;
		} else if (e->name != cur || ++run > XD_NODE_TYPES) {
			/* Types beyond a node's own, and types found apart
			 * from their node (DS from a parent), at most. */
			overflow++;
		}
	}
	/* Every template at its largest: one chunk per 64 bytes. */
	for (size_t off = 0; off < db->tmpls_len;) {
		const struct xd_tmpl *t = xd_cdb_tmpl(db, (uint32_t)off);
		size_t x = xd_xtmpl_bytes_off(t->ncuts > XD_TMPL_MAX_CUTS ?
						      XD_TMPL_MAX_CUTS :
						      t->ncuts,
					      t->nrelocs) +
			   (t->len < XD_TMPL_MAX_BYTES ? t->len :
							 XD_TMPL_MAX_BYTES);
		chunks += (x + XD_CHUNK - 1) / XD_CHUNK;
		off += xd_tmpl_size(t);
	}
	sz->nodes = (uint32_t)(names ? names : 1);
	/* A quarter full: a free slot early in most buckets, so that a name
	 * that is not there costs few reads. */
	sz->slots = table_slots(names, 4);
	sz->name_chunks =
		(uint32_t)((name_bytes + XD_NAMES_CHUNK - 1) / XD_NAMES_CHUNK +
			   1);
	sz->chunks = (uint32_t)(chunks ? chunks : 1);
	sz->tslots = table_slots(overflow, 2);
}

void xd_xdp_sizes_budget(uint64_t bytes, struct xd_xdp_sizes *sz)
{
	/* Per name and generation: 4 slots (32 B), a node (128 B, the name
	 * in it), 8 B of xd_names for the few longer names, two template
	 * chunks (128 B), half an overflow slot (8 B). */
	const uint64_t per_name =
		2 * (4 * sizeof(struct xd_slot) + sizeof(struct xd_xnode) + 8 +
		     2 * XD_CHUNK + sizeof(struct xd_tslot) / 2);
	uint64_t n = bytes / per_name;

	if (n < 64)
		n = 64;
	if (n > UINT32_MAX / 16)
		n = UINT32_MAX / 16;
	sz->nodes = (uint32_t)n;
	sz->slots = table_slots(n, 4);
	sz->name_chunks = (uint32_t)(n * 8 / XD_NAMES_CHUNK + 1);
	sz->chunks = (uint32_t)(2 * n);
	sz->tslots = table_slots(n / 4, 2);
}

uint64_t xd_xdp_bytes(const struct xd_xdp_sizes *sz)
{
	return 2 * ((uint64_t)sz->slots * sizeof(struct xd_slot) +
		    (uint64_t)sz->nodes * sizeof(struct xd_xnode) +
		    (uint64_t)sz->name_chunks * XD_NAMES_CHUNK +
		    (uint64_t)sz->chunks * XD_CHUNK +
		    (uint64_t)sz->tslots * sizeof(struct xd_tslot));
}

static int read_config(const struct xd_xdp_maps *m, struct xd_config *c)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, c) < 0 ? -errno : 0;
}

static int write_config(const struct xd_xdp_maps *m, const struct xd_config *c)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(m->config, &zero, c, BPF_ANY) < 0 ? -errno :
								       0;
}

uint64_t xd_clock_offset(void)
{
	struct timespec real, boot;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return ((uint64_t)real.tv_sec * 1000000000ull +
		(uint64_t)real.tv_nsec) -
	       ((uint64_t)boot.tv_sec * 1000000000ull + (uint64_t)boot.tv_nsec);
}

int xd_xdp_init(const struct xd_xdp_maps *m, const struct xd_xdp_sizes *sz)
{
	struct xd_config c = {
		.edns_udp = 1232,
		.slots = sz->slots,
		.nodes = sz->nodes,
		.name_chunks = sz->name_chunks,
		.chunks = sz->chunks,
		.tslots = sz->tslots,
		.clock_offset_ns = xd_clock_offset(),
		/* Rate limiting on from the start, rates below (xdpdns.h
		 * says why these values); the operator may turn it off. */
		.rrl_window = XD_RRL_DEFAULT_WINDOW,
		.rrl_slip = XD_RRL_DEFAULT_SLIP,
		.rrl_v4_prefix = XD_RRL_DEFAULT_V4_PREFIX,
		.rrl_v6_prefix = XD_RRL_DEFAULT_V6_PREFIX,
	};

	xd_rrl_rates(c.rrl_rate, 1);

	/* The rate limiter's table: its size (a power of two) and a fresh
	 * key for its hash. */
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(m->rrl, &info, &len) < 0)
		return -errno;
	if (!info.max_entries || (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	c.rrl_mask = info.max_entries - 1;
	if (getrandom(&c.rrl_seed, sizeof(c.rrl_seed), 0) != sizeof(c.rrl_seed))
		return -EIO;
	return write_config(m, &c);
}

int xd_xdp_serve(const struct xd_xdp_maps *m, unsigned gen, bool enabled)
{
	struct xd_config c;
	int r = read_config(m, &c);

	if (r < 0)
		return r;
	/* Each switch also refreshes the program's wall clock (cookies). */
	c.clock_offset_ns = xd_clock_offset();
	c.generation = gen & 1;
	c.enabled = enabled;
	return write_config(m, &c);
}

/* Write n values of size vs at index first of an array map. */
static int put_range(int fd, uint32_t first, const void *vals, size_t vs,
		     size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	const size_t step = 65536;
	uint32_t *keys = malloc((n < step ? n : step) * sizeof(*keys) + 1);

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += step) {
		uint32_t count = (uint32_t)(n - i < step ? n - i : step);
		for (uint32_t k = 0; k < count; k++)
			keys[k] = first + (uint32_t)(i + k);
		if (bpf_map_update_batch(fd, keys,
					 (const uint8_t *)vals + i * vs, &count,
					 &o) < 0) {
			int r = -errno;
			free(keys);
			return r;
		}
	}
	free(keys);
	return 0;
}

/* Everything a fill builds before it writes. */
struct fill {
	const struct xd_cdb *db;
	struct chunks ch;
	struct tref_map tm;
	struct xd_xnode *nodes;
	uint32_t *node_name; /* name offset in the cdb, per node */
	size_t nnodes, ncap;
	struct xd_tslot *ovf; /* overflow pairs before hashing */
	size_t novf, ocap;
	size_t ntmpl;
	size_t passed; /* answers left to userspace (node and type refs) */
	const uint8_t *keep; /* per node entry, in order: load it; NULL all */
};

static int add_type(struct fill *f, size_t ni, const struct xd_cdb_entry *e,
		    uint32_t ref)
{
	struct xd_xnode *n = &f->nodes[ni];

	if (n->ntypes < XD_NODE_TYPES) {
		n->types[n->ntypes].type = e->type;
		n->types[n->ntypes++].tmpl = ref;
		return 0;
	}
	n->flags |= XD_NF_OVERFLOW;
	if (f->novf == f->ocap) {
		size_t ncap = f->ocap ? f->ocap * 2 : 64;
		struct xd_tslot *no = realloc(f->ovf, ncap * sizeof(*no));
		if (!no)
			return -ENOMEM;
		f->ovf = no;
		f->ocap = ncap;
	}
	f->ovf[f->novf++] = (struct xd_tslot){ .node = (uint32_t)ni + 1,
					       .type = e->type,
					       .tmpl = ref };
	return 0;
}

/* Nodes from the node entries, with the types that follow each; DS at a
 * served child's apex (from its parent) comes later and is found by name. */
static int collect(struct fill *f)
{
	const struct xd_cdb *db = f->db;
	size_t cur = SIZE_MAX, ord = 0;

	for (size_t i = 0; i < db->nentries; i++) {
		const struct xd_cdb_entry *e = &db->entries[i];
		if (e->type != XD_TYPE_NODE) {
			size_t ni = cur;
			if (ni == SIZE_MAX || f->node_name[ni] != e->name) {
				ni = SIZE_MAX;
				for (size_t k = f->nnodes; k-- > 0;)
					if (f->node_name[k] == e->name) {
						ni = k;
						break;
					}
			}
			if (ni == SIZE_MAX)
				continue; /* its name is not loaded */
			uint32_t ref =
				tref_of(&f->tm, db, e->tmpl, &f->ch, &f->ntmpl);
			if (ref == XD_TREF_PASS - 1)
				return -ENOMEM;
			f->passed += ref == XD_TREF_PASS;
			if (add_type(f, ni, e, ref) < 0)
				return -ENOMEM;
			continue;
		}
		if (f->keep && !f->keep[ord++]) {
			cur = SIZE_MAX;
			continue;
		}
		if (f->nnodes == f->ncap) {
			size_t ncap = f->ncap ? f->ncap * 2 : 1024;
			struct xd_xnode *nn =
				realloc(f->nodes, ncap * sizeof(*nn));
			if (!nn)
				return -ENOMEM;
			f->nodes = nn;
			uint32_t *nm =
				realloc(f->node_name, ncap * sizeof(*nm));
			if (!nm)
				return -ENOMEM;
			f->node_name = nm;
			f->ncap = ncap;
		}
		uint32_t ref = tref_of(&f->tm, db, e->tmpl, &f->ch, &f->ntmpl);
		uint32_t nx = tref_of(&f->tm, db, db->zones[e->zone].nxdomain,
				      &f->ch, &f->ntmpl);
		if (ref == XD_TREF_PASS - 1 || nx == XD_TREF_PASS - 1)
			return -ENOMEM;
		f->passed += (ref == XD_TREF_PASS) + (nx == XD_TREF_PASS);
		f->nodes[f->nnodes] = (struct xd_xnode){
			.flags = e->nflags & (XD_NF_APEX | XD_NF_DELEG |
					      XD_NF_WILDCARD | XD_NF_SIGNED),
			.nlen = e->nlen,
			.dflt = ref,
			.below = nx,
		};
		f->node_name[f->nnodes] = e->name;
		cur = f->nnodes++;
	}
	return 0;
}

/* Chunks the XDP form of the template at off takes. */
static size_t tmpl_chunks(const struct xd_cdb *db, uint32_t off)
{
	const struct xd_tmpl *t = xd_cdb_tmpl(db, off);
	size_t x = xd_xtmpl_bytes_off(t->ncuts > XD_TMPL_MAX_CUTS ?
					      XD_TMPL_MAX_CUTS :
					      t->ncuts,
				      t->nrelocs) +
		   (t->len < XD_TMPL_MAX_BYTES ? t->len : XD_TMPL_MAX_BYTES);

	return (x + XD_CHUNK - 1) / XD_CHUNK;
}

/*
 * Choose the names to load when not all fit: those of the hot list
 * first, in its order, then the others in the compiled order, each taken
 * when it and its answers still fit. keep[] gets one flag per node entry.
 */
static int choose(const struct xd_cdb *db, const struct xd_config *cfg,
		  const uint8_t *const *hot, size_t nhot, uint8_t *keep,
		  struct xd_fill_report *rep)
{
	size_t nnodes = 0;
	for (size_t i = 0; i < db->nentries; i++)
		nnodes += db->entries[i].type == XD_TYPE_NODE;
	uint32_t *first = malloc((nnodes + 1) * sizeof(*first));
	size_t *order = malloc((nnodes + nhot + 1) * sizeof(*order));
	uint8_t *queued = calloc(nnodes + 1, 1);
	struct tref_map seen = { .size = 1024 };
	while (seen.size < db->nentries * 2)
		seen.size *= 2;
	seen.slots = calloc(seen.size, sizeof(*seen.slots));
	if (!first || !order || !queued || !seen.slots) {
		free(first);
		free(order);
		free(queued);
		free(seen.slots);
		return -ENOMEM;
	}
	/* The first entry of each node; its types follow it. */
	size_t k = 0;
	for (size_t i = 0; i < db->nentries; i++)
		if (db->entries[i].type == XD_TYPE_NODE)
			first[k++] = (uint32_t)i;
	first[nnodes] = (uint32_t)db->nentries;

	size_t n = 0;
	for (size_t h = 0; h < nhot; h++) {
		const struct xd_cdb_entry *e = xd_cdb_find(
			db, hot[h], xd_dname_len(hot[h]), XD_TYPE_NODE);
		if (!e) {
			rep->hot_unknown++;
			continue;
		}
		/* Its ordinal: binary search of the node starts. */
		uint32_t at = (uint32_t)(e - db->entries);
		size_t lo = 0, hi = nnodes;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (first[mid] <= at)
				lo = mid;
			else
				hi = mid;
		}
		if (!queued[lo]) {
			queued[lo] = 1;
			order[n++] = lo;
			rep->hot_found++;
		}
	}
	for (size_t o = 0; o < nnodes; o++)
		if (!queued[o])
			order[n++] = o;

	/* Greedy, with the capacities of one generation. */
	size_t nodes = 0, name_bytes = 0, chunks = 0, ovf = 0;
	size_t name_cap = (size_t)cfg->name_chunks * XD_NAMES_CHUNK;
	for (size_t j = 0; j < n; j++) {
		size_t o = order[j];
		const struct xd_cdb_entry *ne = &db->entries[first[o]];
		size_t nb = xd_name_bytes(ne->nlen), ch = 0, types = 0;
		uint32_t offs[64];
		size_t noffs = 0;
		/* Templates not counted yet: the node's, its types', and
		 * its zone's NXDOMAIN. */
		for (uint32_t i = first[o]; i < first[o + 1]; i++) {
			uint32_t off = db->entries[i].tmpl;
			types += db->entries[i].type != XD_TYPE_NODE;
			if (noffs < 64)
				offs[noffs++] = off;
		}
		if (noffs < 64)
			offs[noffs++] = db->zones[ne->zone].nxdomain;
		for (size_t q = 0; q < noffs; q++) {
			size_t b = (offs[q] * 0x9e3779b1u) & (seen.size - 1);
			bool dup = false;
			while (seen.slots[b]) {
				if ((uint32_t)(seen.slots[b] >> 32) ==
				    offs[q] + 1) {
					dup = true;
					break;
				}
				b = (b + 1) & (seen.size - 1);
			}
			/* Repeated within this node: counted once. */
			for (size_t r = 0; r < q && !dup; r++)
				dup = offs[r] == offs[q];
			if (!dup)
				ch += tmpl_chunks(db, offs[q]);
		}
		size_t extra = types > XD_NODE_TYPES ? types - XD_NODE_TYPES :
						       0;
		if (nodes + 1 > cfg->nodes || 2 * (nodes + 1) > cfg->slots ||
		    name_bytes + nb > name_cap || chunks + ch > cfg->chunks ||
		    ovf + extra > cfg->tslots / 2)
			continue;
		keep[o] = 1;
		nodes++;
		name_bytes += nb;
		chunks += ch;
		ovf += extra;
		for (size_t q = 0; q < noffs; q++) {
			size_t b = (offs[q] * 0x9e3779b1u) & (seen.size - 1);
			while (seen.slots[b] &&
			       (uint32_t)(seen.slots[b] >> 32) != offs[q] + 1)
				b = (b + 1) & (seen.size - 1);
			seen.slots[b] = (uint64_t)(offs[q] + 1) << 32;
		}
	}
	rep->skipped = nnodes - nodes;
	free(first);
	free(order);
	free(queued);
	free(seen.slots);
	return 0;
}

/* ---- bucketed two-choice placement (bpf/xdpdns.h) --------------------- */

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Put entry e in the first free slot of bucket b; false if it is full. */
static bool bucket_put(uint32_t *tab, uint32_t b, size_t e)
{
	for (unsigned j = 0; j < XD_BUCKET; j++)
		if (!tab[(size_t)b * XD_BUCKET + j]) {
			tab[(size_t)b * XD_BUCKET + j] = (uint32_t)e + 1;
			return true;
		}
	return false;
}

/*
 * Place n entries with hashes h into nb buckets: tab[slot] is an
 * entry + 1, or 0. An entry goes to its primary bucket, else its
 * secondary; when both are full it takes a random slot of one and the
 * entry it displaces moves to its other bucket, and so on. A bucket stays
 * full once full and has no holes, as the program's lookup relies on.
 * Returns 0, or -1 when some entry found no place (then another seed).
 */
static int cuckoo(const uint64_t *h, size_t n, uint32_t *tab, uint32_t nb,
		  uint64_t rng, size_t *second)
{
	memset(tab, 0, (size_t)nb * XD_BUCKET * sizeof(*tab));
	*second = 0;
	rng |= 1;
	for (size_t e = 0; e < n; e++) {
		size_t cur = e;
		if (bucket_put(tab, xd_bucket1(h[cur], nb), cur))
			continue;
		uint32_t b = xd_bucket2(h[cur], nb);
		if (bucket_put(tab, b, cur))
			continue;
		int placed = 0;
		for (int step = 0; step < 1000 && !placed; step++) {
			size_t at = (size_t)b * XD_BUCKET +
				    xorshift(&rng) % XD_BUCKET;
			size_t victim = tab[at] - 1;
			tab[at] = (uint32_t)cur + 1;
			cur = victim;
			uint32_t b1 = xd_bucket1(h[cur], nb);
			b = b == b1 ? xd_bucket2(h[cur], nb) : b1;
			placed = bucket_put(tab, b, cur);
		}
		if (!placed)
			return -1;
	}
	for (size_t b = 0; b < nb; b++)
		for (unsigned j = 0; j < XD_BUCKET; j++) {
			uint32_t v = tab[b * XD_BUCKET + j];
			if (v && xd_bucket1(h[v - 1], nb) != b)
				(*second)++;
		}
	return 0;
}

/* Name slots from a placement. */
static void name_slots(const uint32_t *tab, const uint64_t *h, size_t nslots,
		       struct xd_slot *slots)
{
	for (size_t i = 0; i < nslots; i++)
		slots[i] =
			tab[i] ?
				(struct xd_slot){
					.tag = (uint32_t)(h[tab[i] - 1] >> 32) |
					       1,
					.node = tab[i],
				} :
				(struct xd_slot){ 0 };
}

/* The index of the node named name, or -1: the program's lookup. */
static long find_node(const struct xd_cdb *db, const struct fill *f,
		      const struct xd_slot *slots, uint32_t nb, uint64_t seed,
		      const uint8_t *name, size_t len)
{
	uint64_t h = xd_xdp_hash(name, len, seed);
	uint32_t b = xd_bucket1(h, nb);

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned j = 0; j < XD_BUCKET; j++) {
			const struct xd_slot *sl =
				&slots[(size_t)b * XD_BUCKET + j];
			if (!sl->node)
				return -1;
			size_t i = sl->node - 1;
			if (sl->tag == ((uint32_t)(h >> 32) | 1) &&
			    f->nodes[i].nlen == len &&
			    !memcmp(xd_cdb_name(db, f->node_name[i]), name,
				    len))
				return (long)i;
		}
		b = xd_bucket2(h, nb);
	}
	return -1;
}

/* A name with a wildcard child finds it through its node: then a query
 * below it needs no second lookup. */
static void link_wildcards(const struct xd_cdb *db, struct fill *f,
			   const struct xd_slot *slots, uint32_t mask,
			   uint64_t seed)
{
	uint8_t wild[XD_NAME_MAX + 2];

	for (size_t i = 0; i < f->nnodes; i++) {
		struct xd_xnode *n = &f->nodes[i];
		if (!(n->flags & XD_NF_WILDCARD))
			continue;
		long w = -1;
		if (n->nlen + 2u <= XD_NAME_MAX) {
			wild[0] = 1;
			wild[1] = '*';
			memcpy(wild + 2, xd_cdb_name(db, f->node_name[i]),
			       n->nlen);
			w = find_node(db, f, slots, mask, seed, wild,
				      n->nlen + 2u);
		}
		/* 0: the program passes what the wildcard would answer. */
		n->below = w < 0 ? 0 : (uint32_t)w + 1;
	}
}

/* Free what a collect() made, to collect again. */
static void fill_reset(struct fill *f)
{
	free(f->nodes);
	free(f->node_name);
	free(f->ovf);
	free(f->ch.p);
	memset(f->tm.slots, 0, f->tm.size * sizeof(*f->tm.slots));
	f->nodes = NULL;
	f->node_name = NULL;
	f->ovf = NULL;
	f->nnodes = f->ncap = f->novf = f->ocap = f->ntmpl = f->passed = 0;
	f->ch = (struct chunks){ .limit = SIZE_MAX };
}

/* Why what f holds does not fit the maps as the program was loaded, or
 * NULL when it does: the one rule for a whole fill and for the hot
 * list's partial one. The hash tables stay at most half full. */
static const char *over_capacity(const struct fill *f,
				 const struct xd_config *cfg)
{
	size_t name_bytes = 0;

	for (size_t i = 0; i < f->nnodes; i++)
		name_bytes += xd_name_bytes(f->nodes[i].nlen);
	if (f->nnodes > cfg->nodes)
		return "more names than the node array holds";
	if (f->ch.n > cfg->chunks)
		return "more template bytes than the template array holds";
	if (f->nnodes * 2 > cfg->slots)
		return "the name table would be more than half full";
	if (f->novf * 2 > cfg->tslots)
		return "the overflow table of (name, type) pairs would be "
		       "more than half full";
	if (name_bytes > (size_t)cfg->name_chunks * XD_NAMES_CHUNK)
		return "more name bytes than the name array holds";
	return NULL;
}

static bool fits(const struct fill *f, const struct xd_config *cfg)
{
	return !over_capacity(f, cfg);
}

/* Loaded names whose children are not all loaded: a query below them
 * cannot be proved absent here, so the program passes it. */
static size_t mark_partial(const struct xd_cdb *db, struct fill *f,
			   const struct xd_slot *slots, uint32_t nb,
			   uint64_t seed)
{
	size_t ord = 0, marked = 0;

	for (size_t i = 0; i < db->nentries; i++) {
		const struct xd_cdb_entry *e = &db->entries[i];
		if (e->type != XD_TYPE_NODE)
			continue;
		if (f->keep[ord++] || e->nlen <= 1)
			continue;
		const uint8_t *name = xd_cdb_name(db, e->name);
		size_t skip = name[0] + 1u;
		long p = find_node(db, f, slots, nb, seed, name + skip,
				   e->nlen - skip);
		if (p >= 0 && !(f->nodes[p].flags & XD_NF_PARTIAL)) {
			f->nodes[p].flags |= XD_NF_PARTIAL;
			marked++;
		}
	}
	return marked;
}

int xd_xdp_fill(const struct xd_xdp_maps *m, const struct xd_cdb *db,
		unsigned gen, const struct xd_fill_opts *opts,
		struct xd_fill_report *rep, const char **why)
{
	struct fill f = { .db = db, .ch = { .limit = SIZE_MAX } };
	uint8_t *keep = NULL;
	struct xd_config cfg;
	struct xd_slot *slots = NULL;
	struct xd_tslot *ts = NULL;
	uint8_t *names = NULL;
	uint32_t *tab = NULL;
	uint64_t *hashes = NULL;
	int r;

	*why = NULL;
	memset(rep, 0, sizeof(*rep));
	gen &= 1;
	if ((r = read_config(m, &cfg)) < 0)
		return r;
	r = -ENOMEM;
	f.tm.size = 1024;
	while (f.tm.size < db->nentries * 2)
		f.tm.size *= 2;
	f.tm.slots = calloc(f.tm.size, sizeof(*f.tm.slots));
	if (!f.tm.slots || (r = collect(&f)) < 0)
		goto out;

	/* Not everything fits: with a hot list, load what does. */
	if (!fits(&f, &cfg) && opts && opts->partial) {
		size_t nn = 0;
		for (size_t i = 0; i < db->nentries; i++)
			nn += db->entries[i].type == XD_TYPE_NODE;
		keep = calloc(nn + 1, 1);
		r = -ENOMEM;
		if (!keep)
			goto out;
		if ((r = choose(db, &cfg, opts->hot, opts->nhot, keep, rep)) <
		    0)
			goto out;
		fill_reset(&f);
		f.keep = keep;
		f.ch.limit = cfg.chunks;
		if ((r = collect(&f)) < 0)
			goto out;
	}

	/* Capacity, as the program was loaded. */
	r = -ENOSPC;
	if ((*why = over_capacity(&f, &cfg)))
		goto out;

	/* Names in their nodes; longer ones 8-aligned, back to back. */
	size_t nbytes = (size_t)cfg.name_chunks * XD_NAMES_CHUNK;
	names = calloc(nbytes ? nbytes : 1, 1);
	if (!names) {
		r = -ENOMEM;
		goto out;
	}
	/* And the label counts the names have, for the lookup's mask. */
	size_t at = 0;
	uint64_t depths = 0;
	for (size_t i = 0; i < f.nnodes; i++) {
		size_t len = f.nodes[i].nlen;
		const uint8_t *name = xd_cdb_name(db, f.node_name[i]);
		size_t nb = xd_name_bytes((uint32_t)len);
		depths |= xd_depth_bit(xd_dname_labels(name));
		if (!nb) {
			memcpy(f.nodes[i].iname, name, len);
			continue;
		}
		if (at + nb > nbytes) { /* over_capacity() saw to it */
			*why = "more name bytes than the name array holds";
			goto out;
		}
		memcpy(names + at, name, len);
		f.nodes[i].name = (uint32_t)at;
		at += nb;
	}

	/* The hash tables: a fresh key per fill; another one on the rare
	 * key that leaves some entry without a place. */
	/* Tables sized by what is loaded, within the capacity: fewer bytes
	 * to write, and lookups that stay in fewer cache lines. */
	size_t nslots = table_slots(f.nnodes, 4),
	       ntslots = table_slots(f.novf, 2);
	if (nslots > cfg.slots)
		nslots = cfg.slots / XD_BUCKET * XD_BUCKET;
	if (ntslots > cfg.tslots)
		ntslots = cfg.tslots / XD_BUCKET * XD_BUCKET;
	uint32_t nb = (uint32_t)(nslots / XD_BUCKET);
	uint32_t tnb = (uint32_t)(ntslots / XD_BUCKET);
	slots = malloc(nslots * sizeof(*slots));
	ts = calloc(ntslots, sizeof(*ts));
	tab = malloc((nslots > ntslots ? nslots : ntslots) * sizeof(*tab));
	hashes = malloc(
		(f.nnodes > f.novf ? f.nnodes : f.novf) * sizeof(*hashes) + 1);
	if (!slots || !ts || !tab || !hashes) {
		r = -ENOMEM;
		goto out;
	}
	uint64_t seed = 0;
	size_t second = 0, tsecond = 0;
	int placed = -1;
	for (int tries = 0; tries < 16 && placed < 0; tries++) {
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			seed = (uint64_t)tries * 0x9e3779b97f4a7c15ull ^
			       (uint64_t)getpid();
		for (size_t i = 0; i < f.nnodes; i++)
			hashes[i] = xd_xdp_hash(xd_cdb_name(db, f.node_name[i]),
						f.nodes[i].nlen, seed);
		placed = cuckoo(hashes, f.nnodes, tab, nb, seed, &second);
		if (placed < 0)
			continue;
		name_slots(tab, hashes, nslots, slots);
		for (size_t i = 0; i < f.novf; i++)
			hashes[i] = xd_type_hash(f.ovf[i].node, f.ovf[i].type,
						 seed);
		placed = cuckoo(hashes, f.novf, tab, tnb, seed, &tsecond);
	}
	if (placed < 0) {
		*why = "the hash tables found no place for every entry";
		goto out;
	}
	for (size_t i = 0; i < ntslots; i++)
		if (tab[i])
			ts[i] = f.ovf[tab[i] - 1];
	link_wildcards(db, &f, slots, nb, seed);
	if (f.keep)
		rep->partial = mark_partial(db, &f, slots, nb, seed);

	/* Write the unserved half, then describe it in the config. */
	uint32_t g = gen;
	if ((r = put_range(m->names, g * cfg.name_chunks, names, XD_NAMES_CHUNK,
			   (at + XD_NAMES_CHUNK - 1) / XD_NAMES_CHUNK)) < 0 ||
	    (r = put_range(m->nodes, g * cfg.nodes, f.nodes,
			   sizeof(struct xd_xnode), f.nnodes)) < 0 ||
	    (r = put_range(m->chunks, g * cfg.chunks, f.ch.p, XD_CHUNK,
			   f.ch.n)) < 0 ||
	    (r = put_range(m->tslots, g * cfg.tslots, ts,
			   sizeof(struct xd_tslot), ntslots)) < 0 ||
	    (r = put_range(m->slots, g * cfg.slots / XD_BUCKET, slots,
			   sizeof(struct xd_sbucket), nslots / XD_BUCKET)) < 0)
		goto out;
	if ((r = read_config(m, &cfg)) < 0)
		goto out;
	cfg.gen[g].seed = seed;
	cfg.gen[g].buckets = nb;
	cfg.gen[g].tbuckets = tnb;
	cfg.gen[g].depths = depths;
	if ((r = write_config(m, &cfg)) < 0)
		goto out;

	rep->names = f.nnodes;
	rep->overflow = f.novf;
	rep->templates = f.ntmpl;
	rep->passed = f.passed;
	rep->chunks = f.ch.n;
	rep->name_chunks = (at + XD_NAMES_CHUNK - 1) / XD_NAMES_CHUNK;
	rep->seed = seed;
	rep->secondary = second;
	r = 0;
out:
	free(names);
	free(tab);
	free(hashes);
	free(slots);
	free(ts);
	free(f.nodes);
	free(f.node_name);
	free(f.ovf);
	free(f.ch.p);
	free(f.tm.slots);
	free(keep);
	return r;
}
