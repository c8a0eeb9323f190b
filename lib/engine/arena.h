/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A bump allocator: many small allocations freed all at once. Zone data is
 * loaded, compiled and thrown away as a whole, so per-object frees would
 * only cost time and memory.
 */
#ifndef XDPDNS_ARENA_H
#define XDPDNS_ARENA_H

#include <stddef.h>

struct xd_arena_chunk;

struct xd_arena {
	struct xd_arena_chunk *head;
	size_t used; /* bytes handed out in head */
	size_t total; /* bytes reserved from malloc, all chunks */
};

void xd_arena_init(struct xd_arena *a);
/* Aligned to 8 bytes. Returns NULL when memory is exhausted. */
void *xd_arena_alloc(struct xd_arena *a, size_t size);
/* Like xd_arena_alloc, then copies size bytes from src. */
void *xd_arena_dup(struct xd_arena *a, const void *src, size_t size);
void xd_arena_free(struct xd_arena *a);

/* Allocation for big tables: zeroed, on huge pages when possible. Free
 * with the same size. */
void *xd_big_alloc(size_t size);
void xd_big_free(void *p, size_t size);

#endif
