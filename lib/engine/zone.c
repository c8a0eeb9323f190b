// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Reading zones with libzscanner into the zone model. The checks that need
 * the whole zone are in zonecheck.c.
 */
#include "zone.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "dname.h"
#include "rdata.h"

#define DEFAULT_TTL 3600

void xd_zoneset_init(struct xd_zoneset *zs)
{
	memset(zs, 0, sizeof(*zs));
	xd_arena_init(&zs->arena);
}

void xd_zoneset_free(struct xd_zoneset *zs)
{
	for (struct xd_zone *z = zs->zones; z; z = z->next)
		xd_big_free(z->table, z->tsize * sizeof(*z->table));
	for (size_t i = 0; i < zs->nfiles; i++)
		free(zs->files[i]);
	free(zs->files);
	xd_arena_free(&zs->arena);
	memset(zs, 0, sizeof(*zs));
}

const char *xd_type_str(uint16_t type, char *buf, size_t size)
{
	if (knot_rrtype_to_string(type, buf, size) < 0)
		snprintf(buf, size, "TYPE%u", type);
	return buf;
}

char *xd_rr_text(const uint8_t *owner, uint16_t type, uint32_t ttl,
		 const uint8_t *rdata, uint16_t rdlen, char *buf, size_t size)
{
	uint8_t store[sizeof(knot_rdata_t) + 65536];
	knot_rrset_t rrset;
	knot_rdata_t *rd = (knot_rdata_t *)store;
	knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;

	knot_rdata_init(rd, rdlen, rdata);
	knot_rrset_init(&rrset, (knot_dname_t *)owner, type, XD_CLASS_IN, ttl);
	rrset.rrs.count = 1;
	rrset.rrs.size = (uint32_t)knot_rdata_size(rdlen);
	rrset.rrs.rdata = rd;
	style.wrap = false;
	style.show_class = true;
	style.original_ttl = false;
	if (knot_rrset_txt_dump_header(&rrset, ttl, buf, size, &style) < 0) {
		snprintf(buf, size, "(record not printable)");
		return buf;
	}
	size_t used = strlen(buf);
	if (knot_rrset_txt_dump_data(&rrset, 0, buf + used, size - used,
				     &style) < 0)
		snprintf(buf + used, size - used, "\\# %u ...", rdlen);
	/* The dumper pads with tabs for columns; one space reads better. */
	char *o = buf;
	bool space = false;
	for (const char *p = buf; *p; p++) {
		if (*p == ' ' || *p == '\t') {
			space = true;
			continue;
		}
		if (space && o != buf)
			*o++ = ' ';
		space = false;
		*o++ = *p;
	}
	*o = '\0';
	return buf;
}

/* ---- zones and nodes ---------------------------------------------- */

static uint64_t name_hash(const uint8_t *lname, size_t len)
{
	return xd_hash_bytes(lname, len, 0x5eed);
}

static int zone_grow(struct xd_zone *z)
{
	size_t nsize = z->tsize ? z->tsize * 2 : 1024;
	while (nsize < z->size_hint)
		nsize *= 2;
	struct xd_node **nt = xd_big_alloc(nsize * sizeof(*nt));

	if (!nt)
		return -1;
	if (nsize * sizeof(*nt) < (1u << 20))
		memset(nt, 0, nsize * sizeof(*nt));
	for (size_t i = 0; i < z->tsize; i++) {
		struct xd_node *n = z->table[i];
		while (n) {
			struct xd_node *next = n->hnext;
			size_t b = n->hash & (nsize - 1);
			n->hnext = nt[b];
			nt[b] = n;
			n = next;
		}
	}
	xd_big_free(z->table, z->tsize * sizeof(*nt));
	z->table = nt;
	z->tsize = nsize;
	return 0;
}

static struct xd_node *find_hashed(const struct xd_zone *z, const uint8_t *name,
				   size_t len, uint32_t hash)
{
	if (!z->tsize)
		return NULL;
	for (struct xd_node *n = z->table[hash & (z->tsize - 1)]; n;
	     n = n->hnext)
		if (n->hash == hash && n->nlen == len &&
		    memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

struct xd_node *xd_zone_find(const struct xd_zone *z, const uint8_t *name)
{
	size_t len = xd_dname_len(name);

	return find_hashed(z, name, len, (uint32_t)name_hash(name, len));
}

/* Find or create the node lname (lowercase, inside z) and its ancestors. */
static struct xd_node *zone_get(struct xd_zoneset *zs, struct xd_zone *z,
				const uint8_t *lname, size_t len, uint32_t hash)
{
	struct xd_node *n = find_hashed(z, lname, len, hash);

	if (n)
		return n;
	struct xd_node *parent = NULL;
	if (len != z->alen) {
		const uint8_t *pname = lname + lname[0] + 1;
		size_t plen = len - lname[0] - 1u;
		parent = zone_get(zs, z, pname, plen,
				  (uint32_t)name_hash(pname, plen));
		if (!parent)
			return NULL;
	}
	if (z->nnodes + 1 > z->tsize && zone_grow(z) < 0)
		return NULL;
	/* The name right behind the node: one cache line for both. */
	n = xd_arena_alloc(&zs->arena, sizeof(*n) + len);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	memcpy(n->name, lname, len);
	n->nlen = (uint8_t)len;
	n->hash = hash;
	n->parent = parent;
	if (parent) {
		if (xd_dname_is_wildcard(lname))
			parent->flags |= XD_NODE_WILDCARD;
	} else {
		n->flags |= XD_NODE_APEX;
		z->apex_node = n;
	}
	size_t b = hash & (z->tsize - 1);
	n->hnext = z->table[b];
	z->table[b] = n;
	if (z->last)
		z->last->list = n;
	else
		z->first = n;
	z->last = n;
	z->nnodes++;
	return n;
}

struct xd_rrset *xd_node_rrset(const struct xd_node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nsets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	return NULL;
}

static struct xd_rrset *node_add_rrset(struct xd_zoneset *zs, struct xd_node *n,
				       uint16_t type)
{
	if (n->nsets == n->cap) {
		unsigned ncap = n->cap ? n->cap * 2u : 1u;
		struct xd_rrset *ns =
			xd_arena_alloc(&zs->arena, ncap * sizeof(*ns));
		if (!ns)
			return NULL;
		if (n->nsets)
			memcpy(ns, n->sets, n->nsets * sizeof(*ns));
		n->sets = ns;
		n->cap = (uint16_t)ncap;
	}
	struct xd_rrset *s = &n->sets[n->nsets++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	return s;
}

struct xd_zone *xd_zoneset_zone_for(const struct xd_zoneset *zs,
				    const uint8_t *name)
{
	struct xd_zone *best = NULL;

	for (struct xd_zone *z = zs->zones; z; z = z->next)
		if (z->loaded_ok && (!best || z->alen > best->alen) &&
		    xd_dname_in(name, z->apex))
			best = z;
	return best;
}

/* ---- reading ------------------------------------------------------ */

/* A record seen before the apex is known (no origin and no SOA yet). */
struct pending {
	struct pending *next;
	uint8_t *owner;
	uint16_t type;
	struct xd_rr *rr;
};

/*
 * Records wait a little in a ring before they go to their node: the hash
 * bucket each will need is prefetched when it arrives, so the lookups of
 * a big zone overlap their cache misses instead of paying them in turn.
 */
#define RING 16

struct ring_item {
	struct xd_rr *rr;
	uint32_t hash;
	uint16_t type;
	uint8_t olen;
	uint8_t owner[XD_DNAME_MAX];
};

struct load_ctx {
	struct xd_zoneset *zs;
	struct xd_zone *zone;
	struct xd_diag *diag;
	struct pending *pending, **pending_tail;
	bool failed;
	bool oom;
	unsigned ring_head, ring_count;
	struct ring_item ring[RING];
};

static int file_index(struct xd_zoneset *zs, const char *name)
{
	for (size_t i = 0; i < zs->nfiles; i++)
		if (strcmp(zs->files[i], name) == 0)
			return (int)i;
	if (zs->nfiles >= UINT16_MAX)
		return 0;
	if (zs->nfiles == zs->files_cap) {
		size_t ncap = zs->files_cap ? zs->files_cap * 2 : 8;
		char **nf = realloc(zs->files, ncap * sizeof(*nf));
		if (!nf)
			return -1;
		zs->files = nf;
		zs->files_cap = ncap;
	}
	zs->files[zs->nfiles] = strdup(name);
	if (!zs->files[zs->nfiles])
		return -1;
	return (int)zs->nfiles++;
}

static void record_error(struct load_ctx *c, const zs_scanner_t *s,
			 const char *what)
{
	char text[1024];

	xd_rr_text(s->r_owner, s->r_type, s->r_ttl, s->r_data,
		   (uint16_t)s->r_data_length, text, sizeof(text));
	xd_diag_error(c->diag, s->file.name, s->line_counter, text, "%s", what);
	c->failed = true;
}

/* name (len bytes) equals the apex or lies below it; both lowercase. */
static bool in_zone(const uint8_t *name, size_t len, const struct xd_zone *z)
{
	size_t off = 0;

	if (len < z->alen)
		return false;
	while (off < len - z->alen)
		off += name[off] + 1u;
	return off == len - z->alen &&
	       memcmp(name + off, z->apex, z->alen) == 0;
}

/* Add one record to its node in the zone; the owner is lowercase. */
static void insert(struct load_ctx *c, const uint8_t *owner, size_t olen,
		   uint32_t hash, uint16_t type, struct xd_rr *rr)
{
	struct xd_zone *z = c->zone;
	const char *file = c->zs->files[rr->file];
	char text[1024];

	if (!in_zone(owner, olen, z)) {
		char apex[XD_DNAME_STR_MAX];
		xd_rr_text(owner, type, rr->ttl, rr->rdata, rr->rdlen, text,
			   sizeof(text));
		xd_diag_error(c->diag, file, rr->line, text,
			      "record outside the zone %s",
			      xd_dname_str(z->apex, apex));
		c->failed = true;
		return;
	}
	struct xd_node *n = z->recent;
	/* Zone files usually keep a name's records together. */
	if (!n || n->nlen != olen || memcmp(n->name, owner, olen) != 0)
		n = zone_get(c->zs, z, owner, olen, hash);
	z->recent = n;
	if (!n) {
		c->oom = true;
		return;
	}
	struct xd_rrset *set = xd_node_rrset(n, type);
	if (!set) {
		set = node_add_rrset(c->zs, n, type);
		if (!set) {
			c->oom = true;
			return;
		}
		set->ttl = rr->ttl;
	}
	if (set->count == UINT16_MAX) {
		xd_rr_text(owner, type, rr->ttl, rr->rdata, rr->rdlen, text,
			   sizeof(text));
		xd_diag_error(c->diag, file, rr->line, text,
			      "more than 65535 records in one RRset");
		c->failed = true;
		return;
	}
	/* Prepend; checking sorts the RRset. */
	rr->next = set->rrs;
	set->rrs = rr;
	set->count++;
	z->nrecords++;
	c->zs->nrecords++;
}

static void set_apex(struct load_ctx *c, const uint8_t *apex)
{
	uint8_t lower[XD_DNAME_MAX];
	size_t len = xd_dname_lower(lower, apex);

	c->zone->apex = xd_arena_dup(&c->zs->arena, lower, len);
	if (!c->zone->apex) {
		c->oom = true;
		return;
	}
	c->zone->alen = (uint8_t)len;
	for (struct pending *p = c->pending; p; p = p->next) {
		size_t olen = xd_dname_len(p->owner);
		insert(c, p->owner, olen, (uint32_t)name_hash(p->owner, olen),
		       p->type, p->rr);
	}
	c->pending = NULL;
	c->pending_tail = &c->pending;
}

static void ring_pop(struct load_ctx *c)
{
	struct ring_item *it = &c->ring[c->ring_head];

	insert(c, it->owner, it->olen, it->hash, it->type, it->rr);
	c->ring_head = (c->ring_head + 1) % RING;
	c->ring_count--;
}

static void ring_drain(struct load_ctx *c)
{
	while (c->ring_count)
		ring_pop(c);
}

static void queue(struct load_ctx *c, const uint8_t *owner, size_t olen,
		  uint16_t type, struct xd_rr *rr)
{
	struct xd_zone *z = c->zone;

	if (c->ring_count == RING)
		ring_pop(c);
	struct ring_item *it = &c->ring[(c->ring_head + c->ring_count) % RING];
	memcpy(it->owner, owner, olen);
	it->olen = (uint8_t)olen;
	it->hash = (uint32_t)name_hash(owner, olen);
	it->type = type;
	it->rr = rr;
	c->ring_count++;
	if (z->tsize)
		__builtin_prefetch(&z->table[it->hash & (z->tsize - 1)]);
}

static void on_record(zs_scanner_t *s)
{
	struct load_ctx *c = s->process.data;
	struct xd_zoneset *zs = c->zs;

	if (c->oom)
		return;
	if (s->r_class != XD_CLASS_IN) {
		record_error(c, s, "class is not IN");
		return;
	}
	if (s->r_type == XD_TYPE_OPT || knot_rrtype_is_metatype(s->r_type)) {
		record_error(c, s, "meta type cannot appear in a zone");
		return;
	}
	int fi = file_index(zs, s->file.name ? s->file.name : "-");
	struct xd_rr *rr = xd_arena_alloc(
		&zs->arena, offsetof(struct xd_rr, rdata) + s->r_data_length);
	if (fi < 0 || !rr) {
		c->oom = true;
		return;
	}
	rr->next = NULL;
	rr->ttl = s->r_ttl;
	rr->line = (uint32_t)s->line_counter;
	rr->file = (uint16_t)fi;
	rr->rdlen = (uint16_t)s->r_data_length;
	/* Names in record data are kept lowercase for the types RFC 4034 6.2
	 * lists (as knotd does): comparisons and answers stay consistent. */
	xd_rdata_canonical(s->r_type, s->r_data, (uint16_t)s->r_data_length,
			   rr->rdata);

	uint8_t owner[XD_DNAME_MAX];
	size_t olen = xd_dname_lower(owner, s->r_owner);

	if (!c->zone->apex && s->r_type == XD_TYPE_SOA)
		set_apex(c, owner);
	if (c->zone->apex) {
		queue(c, owner, olen, s->r_type, rr);
		return;
	}
	struct pending *p = xd_arena_alloc(&zs->arena, sizeof(*p));
	if (!p || !(p->owner = xd_arena_dup(&zs->arena, owner, olen))) {
		c->oom = true;
		return;
	}
	p->type = s->r_type;
	p->rr = rr;
	p->next = NULL;
	*c->pending_tail = p;
	c->pending_tail = &p->next;
}

/* zscanner makes include paths absolute; show them as given when they
 * are below the working directory. */
static const char *relative_path(const char *path)
{
	static char cwd[4096];
	size_t n;

	if (!getcwd(cwd, sizeof(cwd)))
		return path;
	n = strlen(cwd);
	if (strncmp(path, cwd, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

static void on_error(zs_scanner_t *s)
{
	struct load_ctx *c = s->process.data;

	if ((s->error.code == ZS_FILE_OPEN ||
	     s->error.code == ZS_FILE_INVALID) &&
	    s->include_filename[0])
		xd_diag_error(c->diag, s->file.name, s->line_counter, NULL,
			      "$INCLUDE %s: %s (%s)",
			      relative_path(s->include_filename),
			      zs_strerror(s->error.code),
			      zs_errorname(s->error.code));
	else
		xd_diag_error(c->diag, s->file.name, s->line_counter, NULL,
			      "%s (%s)", zs_strerror(s->error.code),
			      zs_errorname(s->error.code));
	c->failed = true;
}

static struct xd_zone *zone_new(struct xd_zoneset *zs)
{
	struct xd_zone *z = xd_arena_alloc(&zs->arena, sizeof(*z));

	if (!z)
		return NULL;
	memset(z, 0, sizeof(*z));
	if (zs->last_zone)
		zs->last_zone->next = z;
	else
		zs->zones = z;
	zs->last_zone = z;
	zs->nzones++;
	return z;
}

static int load(struct xd_zoneset *zs, const char *name, const char *text,
		size_t len, const char *origin, struct xd_diag *d)
{
	zs_scanner_t *s = malloc(sizeof(*s));
	struct load_ctx c = { .zs = zs, .diag = d };
	uint8_t apex[XD_DNAME_MAX];
	int ret = -1;

	c.pending_tail = &c.pending;
	if (!s) {
		xd_diag_error(d, name, 0, NULL, "out of memory");
		return -1;
	}
	if (origin && !knot_dname_from_str(apex, origin, sizeof(apex))) {
		xd_diag_error(d, name, 0, NULL, "invalid zone name '%s'",
			      origin);
		free(s);
		return -1;
	}
	c.zone = zone_new(zs);
	int fi = file_index(zs, name);
	if (!c.zone || fi < 0) {
		xd_diag_error(d, name, 0, NULL, "out of memory");
		free(s);
		return -1;
	}
	c.zone->file = (uint16_t)fi;
	/* About one name per 40 bytes of zone file, a bucket each. */
	struct stat st;
	size_t bytes = text ? len :
			      (stat(name, &st) == 0 ? (size_t)st.st_size : 0);
	c.zone->size_hint = bytes / 40;
	if (origin)
		set_apex(&c, apex);

	if (zs_init(s, origin ? origin : ".", XD_CLASS_IN, DEFAULT_TTL) != 0) {
		xd_diag_error(d, name, 0, NULL, "cannot start the zone parser");
		free(s);
		return -1;
	}
	int r = text ? zs_set_input_string(s, text, len) :
		       zs_set_input_file(s, name);
	if (r != 0) {
		xd_diag_error(d, name, 0, NULL, "cannot read: %s%s%s",
			      zs_strerror(s->error.code), errno ? ": " : "",
			      errno ? strerror(errno) : "");
		goto out;
	}
	if (text) {
		/* zs names string input "<string>": use the caller's name. */
		free(s->file.name);
		s->file.name = strdup(name);
	}
	zs_set_processing(s, on_record, on_error, &c);
	zs_parse_all(s);
	ring_drain(&c);
	if (c.oom) {
		xd_diag_error(d, name, 0, NULL, "out of memory");
		goto out;
	}
	if (!c.zone->apex) {
		xd_diag_error(d, name, 0, NULL,
			      "no SOA record, so no zone apex: give the zone "
			      "name (ZONE=FILE) or add the SOA");
		goto out;
	}
	if (!c.failed)
		ret = 0;
out:
	c.zone->loaded_ok = ret == 0;
	zs_deinit(s);
	free(s);
	return ret;
}

int xd_zoneset_load_file(struct xd_zoneset *zs, const char *path,
			 const char *origin, struct xd_diag *d)
{
	errno = 0;
	return load(zs, path, NULL, 0, origin, d);
}

int xd_zoneset_load_string(struct xd_zoneset *zs, const char *name,
			   const char *text, size_t len, const char *origin,
			   struct xd_diag *d)
{
	return load(zs, name, text, len, origin, d);
}
