/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Filling the XDP program's maps from a compiled database. The maps are
 * arrays holding two generations each (bpf/xdpdns.h); a fill writes the
 * generation not served, and xd_xdp_serve() flips to it in one write.
 */
#ifndef XDPDNS_XDPMAPS_H
#define XDPDNS_XDPMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdb.h"

/* File descriptors of the program's maps. */
struct xd_xdp_maps {
	int slots, nodes, names, chunks, tslots, config, stats;
	int rrl, exempt; /* rate-limit buckets, exempt prefixes */
};

/* Capacity of one generation; the arrays hold two. */
struct xd_xdp_sizes {
	uint32_t slots; /* whole buckets, four times the names */
	uint32_t nodes; /* names */
	uint32_t name_chunks; /* 64-byte chunks of name bytes */
	uint32_t chunks; /* 64-byte chunks of templates */
	uint32_t tslots; /* whole buckets, twice the (name, type) overflow
			  * pairs */
};

/* What a fill loaded, and what it costs in kernel memory. */
struct xd_fill_report {
	size_t names; /* names loaded */
	size_t overflow; /* (name, type) pairs in the overflow table */
	size_t templates; /* templates loaded */
	size_t chunks; /* template chunks used */
	size_t name_chunks;
	size_t passed; /* answers the fast path leaves to userspace */
	size_t skipped; /* names not loaded (over capacity, hot list) */
	size_t partial; /* loaded names with children not loaded */
	size_t hot_found, hot_unknown; /* hot list names in / not in db */
	uint64_t seed; /* name hash key of the generation */
	size_t secondary; /* names in their secondary bucket */
};

/* The capacity db needs (no headroom beyond the hash tables' own). */
void xd_xdp_sizes_for(const struct xd_cdb *db, struct xd_xdp_sizes *sz);

/* Capacity for a memory budget (both generations): about 600 bytes a
 * name (xd_xdp_sizes_budget() says what makes them up). */
void xd_xdp_sizes_budget(uint64_t bytes, struct xd_xdp_sizes *sz);

/* Bytes the arrays of both generations take for sizes sz. */
uint64_t xd_xdp_bytes(const struct xd_xdp_sizes *sz);

/* CLOCK_REALTIME - CLOCK_BOOTTIME in ns: the program adds it to its
 * clock for DNS cookie timestamps. */
uint64_t xd_clock_offset(void);

/*
 * Write the sizes into the config entry (once, after the program is
 * loaded with arrays of twice these sizes); nothing is served yet.
 */
int xd_xdp_init(const struct xd_xdp_maps *m, const struct xd_xdp_sizes *sz);

/* How to fill when not everything fits. */
struct xd_fill_opts {
	bool partial; /* load what fits instead of refusing */
	const uint8_t *const *hot; /* lowercase wire names, hottest first */
	size_t nhot;
};

/*
 * Fill generation gen (0 or 1) from db; the served generation is not
 * touched. When db does not fit the sizes: -ENOSPC (reason in why), or
 * with opts->partial, the names of opts->hot first, then others while
 * they fit; answers that would depend on a name left out are passed by
 * the program (XD_NF_PARTIAL), never given wrong. Returns 0 or -errno.
 */
int xd_xdp_fill(const struct xd_xdp_maps *m, const struct xd_cdb *db,
		unsigned gen, const struct xd_fill_opts *opts,
		struct xd_fill_report *rep, const char **why);

/* Serve generation gen (enabled), or pass every query (not enabled). */
int xd_xdp_serve(const struct xd_xdp_maps *m, unsigned gen, bool enabled);

/* The name hash of the fast path, for len bytes of a lowercase name. */
uint64_t xd_xdp_hash(const uint8_t *name, size_t len, uint64_t seed);

#endif
