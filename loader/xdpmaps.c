// SPDX-License-Identifier: GPL-3.0-or-later
#include "xdpmaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dname.h"
#include "xdpdns.h"

_Static_assert(sizeof(struct xd_node_val) == 48, "node value layout");
_Static_assert(sizeof(struct xd_type_key) == 258, "type key layout");
_Static_assert(sizeof(struct xd_xtmpl) == 8, "template header layout");
_Static_assert(sizeof(struct xd_xcut) == 8, "cut layout");

int xd_xdp_name_key(const uint8_t *lname, size_t len, uint8_t key[256])
{
	int c = len <= 16 ? 0 : len <= 32 ? 1 : len <= 64 ? 2 :
		len <= 128 ? 3 : len <= 255 ? 4 : -1;

	if (c < 0)
		return -1;
	size_t ks = (size_t)16 << c;
	memset(key, 0, ks);
	memcpy(key + ks - len, lname, len);
	return c;
}

/* ---- templates ------------------------------------------------------ */

struct chunks {
	uint8_t *p;
	size_t n, cap; /* in chunks */
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
	size_t off = xd_xtmpl_bytes_off(ncuts, nrel);
	size_t size = off + len;
	size_t need = (size + XD_CHUNK - 1) / XD_CHUNK;
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
			.an = c->an,
			.ns = c->ns,
			.ar = c->ar,
		};
		memcpy(o + 8 + 8 * i, &x, sizeof(x));
	}
	memcpy(o + 8 + 8 * ncuts, relocs, 2 * nrel);
	memcpy(o + off, xd_tmpl_bytes(t), len);
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

/* ---- maps ----------------------------------------------------------- */

static size_t memlock_of(int fd)
{
	char path[64], line[128];
	size_t bytes = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %zu", &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}

static int make_map(enum bpf_map_type type, const char *name, size_t ks,
		    size_t vs, size_t n, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, name, (uint32_t)ks, (uint32_t)vs,
				(uint32_t)(n ? n : 1), &o);
	return fd < 0 ? -errno : fd;
}

static int fill(int fd, const void *keys, const void *vals, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	const size_t step = 65536;

	for (size_t i = 0; i < n; i += step) {
		uint32_t count = (uint32_t)(n - i < step ? n - i : step);
		struct bpf_map_info info = { 0 };
		uint32_t ilen = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &ilen) < 0)
			return -errno;
		if (bpf_map_update_batch(fd, (const uint8_t *)keys +
						     i * info.key_size,
					 (const uint8_t *)vals +
						 i * info.value_size,
					 &count, &o) < 0)
			return -errno;
	}
	return 0;
}

struct names {
	uint8_t *keys;
	struct xd_node_val *vals;
	size_t n, cap;
};

static int names_add(struct names *nm, size_t ks, const uint8_t *key,
		     const struct xd_node_val *v)
{
	if (nm->n == nm->cap) {
		size_t ncap = nm->cap ? nm->cap * 2 : 1024;
		uint8_t *nk = realloc(nm->keys, ncap * ks);
		if (!nk)
			return -ENOMEM;
		nm->keys = nk;
		struct xd_node_val *nv = realloc(nm->vals, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		nm->vals = nv;
		nm->cap = ncap;
	}
	memcpy(nm->keys + nm->n * ks, key, ks);
	nm->vals[nm->n++] = *v;
	return 0;
}

/* Everything a fill collects before the maps are made. */
struct fill {
	const struct xd_cdb *db;
	struct chunks ch;
	struct tref_map tm;
	struct names nm[XD_NAME_CLASSES];
	struct xd_type_key *okeys; /* overflow (name, type) pairs */
	uint32_t *ovals;
	size_t no, ocap, ntmpl;
};

/* Give node v (named by entry e's name) the template ref for type. */
static int add_type(struct fill *f, struct xd_node_val *v,
		    const struct xd_cdb_entry *e, uint32_t ref)
{
	if (v->ntypes < XD_NODE_TYPES) {
		v->types[v->ntypes].type = e->type;
		v->types[v->ntypes++].tmpl = ref;
		return 0;
	}
	v->flags |= XD_NF_OVERFLOW;
	if (f->no == f->ocap) {
		size_t ncap = f->ocap ? f->ocap * 2 : 64;
		void *nk = realloc(f->okeys, ncap * sizeof(*f->okeys));
		if (!nk)
			return -ENOMEM;
		f->okeys = nk;
		void *nv = realloc(f->ovals, ncap * sizeof(*f->ovals));
		if (!nv)
			return -ENOMEM;
		f->ovals = nv;
		f->ocap = ncap;
	}
	struct xd_type_key *k = &f->okeys[f->no];
	memset(k, 0, sizeof(*k));
	memcpy(k->name + XD_NAME_BUF - e->nlen, xd_cdb_name(f->db, e->name),
	       e->nlen);
	k->type = e->type;
	f->ovals[f->no++] = ref;
	return 0;
}

/* The node value already collected for name (a DS from a parent zone
 * comes after its child's entries). */
static struct xd_node_val *find_node(struct fill *f,
				     const struct xd_cdb_entry *e)
{
	uint8_t key[256];
	int cls = xd_xdp_name_key(xd_cdb_name(f->db, e->name), e->nlen, key);

	if (cls < 0)
		return NULL;
	size_t ks = (size_t)16 << cls;
	for (size_t k = f->nm[cls].n; k-- > 0;)
		if (memcmp(f->nm[cls].keys + k * ks, key, ks) == 0)
			return &f->nm[cls].vals[k];
	return NULL;
}

static int collect(struct fill *f)
{
	const struct xd_cdb *db = f->db;
	struct xd_node_val *v = NULL; /* the node of the current name */
	uint32_t vname = UINT32_MAX;

	for (size_t i = 0; i < db->nentries; i++) {
		const struct xd_cdb_entry *e = &db->entries[i];
		uint32_t ref = tref_of(&f->tm, db, e->tmpl, &f->ch, &f->ntmpl);
		if (ref == XD_TREF_PASS - 1)
			return -ENOMEM;
		if (e->type != XD_TYPE_NODE) {
			/* Its node is the one just collected, except for DS
			 * at an apex, answered by the parent zone. */
			struct xd_node_val *n =
				e->name == vname ? v : find_node(f, e);
			if (n && add_type(f, n, e, ref) < 0)
				return -ENOMEM;
			continue;
		}
		uint8_t key[256];
		int cls = xd_xdp_name_key(xd_cdb_name(db, e->name), e->nlen,
					  key);
		if (cls < 0)
			continue;
		struct xd_node_val nv = {
			.flags = e->nflags & (XD_NF_APEX | XD_NF_DELEG |
					      XD_NF_WILDCARD | XD_NF_SIGNED),
			.dflt = ref,
			.nxdomain = tref_of(&f->tm, db,
					    db->zones[e->zone].nxdomain,
					    &f->ch, &f->ntmpl),
		};
		if (nv.nxdomain == XD_TREF_PASS - 1 ||
		    names_add(&f->nm[cls], (size_t)16 << cls, key, &nv) < 0)
			return -ENOMEM;
		v = &f->nm[cls].vals[f->nm[cls].n - 1];
		vname = e->name;
	}
	return 0;
}

int xd_xdp_fill(const struct xd_xdp_maps *m, const struct xd_cdb *db,
		unsigned gen, struct xd_fill_report *rep)
{
	struct fill f = { .db = db };
	int fds[XD_NAME_CLASSES + 2], nfds = 0;
	int r = -ENOMEM;

	memset(rep, 0, sizeof(*rep));
	gen &= 1;
	f.tm.size = 1024;
	while (f.tm.size < db->nentries * 2)
		f.tm.size *= 2;
	f.tm.slots = calloc(f.tm.size, sizeof(*f.tm.slots));
	if (!f.tm.slots || (r = collect(&f)) < 0)
		goto out;
	struct names *nm = f.nm;
	struct chunks ch = f.ch;
	size_t no = f.no, ntmpl = f.ntmpl;
	struct xd_type_key *okeys = f.okeys;
	uint32_t *ovals = f.ovals;

	/* The inner maps, filled, then installed together. */
	static const char *const cname[] = { "xd_names0", "xd_names1",
					     "xd_names2", "xd_names3",
					     "xd_names4" };
	for (int c = 0; c < XD_NAME_CLASSES; c++) {
		int fd = make_map(BPF_MAP_TYPE_HASH, cname[c], (size_t)16 << c,
				  sizeof(struct xd_node_val), nm[c].n, 0);
		if (fd < 0) {
			r = fd;
			goto out;
		}
		fds[nfds++] = fd;
		if ((r = fill(fd, nm[c].keys, nm[c].vals, nm[c].n)) < 0)
			goto out;
		rep->by_class[c] = nm[c].n;
		rep->names += nm[c].n;
	}
	int tfd = make_map(BPF_MAP_TYPE_HASH, "xd_types",
			   sizeof(struct xd_type_key), sizeof(uint32_t), no, 0);
	if (tfd < 0) {
		r = tfd;
		goto out;
	}
	fds[nfds++] = tfd;
	if ((r = fill(tfd, okeys, ovals, no)) < 0)
		goto out;
	int cfd = make_map(BPF_MAP_TYPE_ARRAY, "xd_chunks", sizeof(uint32_t),
			   XD_CHUNK, ch.n, BPF_F_INNER_MAP);
	if (cfd < 0) {
		r = cfd;
		goto out;
	}
	fds[nfds++] = cfd;
	uint32_t *idx = malloc((ch.n ? ch.n : 1) * sizeof(*idx));
	if (!idx)
		goto out;
	for (size_t i = 0; i < ch.n; i++)
		idx[i] = (uint32_t)i;
	r = fill(cfd, idx, ch.p, ch.n);
	free(idx);
	if (r < 0)
		goto out;

	for (int i = 0; i < nfds; i++)
		rep->kernel_bytes += memlock_of(fds[i]);
	int outer[XD_NAME_CLASSES + 2];
	for (int c = 0; c < XD_NAME_CLASSES; c++)
		outer[c] = m->names[c];
	outer[XD_NAME_CLASSES] = m->types;
	outer[XD_NAME_CLASSES + 1] = m->chunks;
	for (int i = 0; i < nfds; i++) {
		uint32_t key = gen;
		if (bpf_map_update_elem(outer[i], &key, &fds[i], BPF_ANY) < 0) {
			r = -errno;
			goto out;
		}
	}
	rep->overflow = no;
	rep->templates = ntmpl;
	rep->chunks = ch.n;
	r = 0;
out:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	for (int c = 0; c < XD_NAME_CLASSES; c++) {
		free(f.nm[c].keys);
		free(f.nm[c].vals);
	}
	free(f.okeys);
	free(f.ovals);
	free(f.ch.p);
	free(f.tm.slots);
	return r;
}

int xd_xdp_set_config(const struct xd_xdp_maps *m, unsigned gen, bool enabled)
{
	struct xd_config c = {
		.generation = gen & 1,
		.enabled = enabled,
		.edns_udp = 1232,
	};
	uint32_t zero = 0;

	return bpf_map_update_elem(m->config, &zero, &c, BPF_ANY) < 0 ? -errno :
									0;
}
