/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Filling the XDP program's maps from a compiled database: the names
 * (by length class), the overflow types, the template chunks, each as a
 * fresh inner map installed into one generation of the outer maps.
 */
#ifndef XDPDNS_XDPMAPS_H
#define XDPDNS_XDPMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdb.h"

/* File descriptors of the program's maps. */
struct xd_xdp_maps {
	int names[5];
	int types;
	int chunks;
	int config;
	int stats;
};

/* What a fill loaded, and what it cost in kernel memory. */
struct xd_fill_report {
	size_t names;	     /* names loaded */
	size_t overflow;     /* (name, type) pairs in the overflow map */
	size_t templates;    /* templates loaded */
	size_t chunks;	     /* template chunks */
	size_t passed;	     /* templates left to userspace (too big) */
	size_t kernel_bytes; /* memlock of the inner maps */
	size_t by_class[5];  /* names per length class */
};

/*
 * Build the inner maps for db and install them as generation gen (0 or 1)
 * of the outer maps; the served generation is not touched. Returns 0 or
 * -errno; on failure nothing is installed.
 */
int xd_xdp_fill(const struct xd_xdp_maps *m, const struct xd_cdb *db,
		unsigned gen, struct xd_fill_report *rep);

/* Serve generation gen (enabled) or pass everything (not enabled). */
int xd_xdp_set_config(const struct xd_xdp_maps *m, unsigned gen,
		      bool enabled);

/* The right-aligned key of a name for its length class; returns the
 * class, or -1 for names longer than 255 bytes. */
int xd_xdp_name_key(const uint8_t *lname, size_t len, uint8_t key[256]);

#endif
