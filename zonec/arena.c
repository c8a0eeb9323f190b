// SPDX-License-Identifier: GPL-3.0-or-later
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (1u << 20)

struct xd_arena_chunk {
	struct xd_arena_chunk *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

void xd_arena_init(struct xd_arena *a)
{
	memset(a, 0, sizeof(*a));
}

void *xd_arena_alloc(struct xd_arena *a, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	if (!a->head || a->head->size - a->used < size) {
		size_t csize = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
		struct xd_arena_chunk *c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		a->total += csize;
		if (a->head && csize != CHUNK_SIZE) {
			/* A big block goes behind the current chunk so the
			 * space left there stays usable. */
			c->next = a->head->next;
			a->head->next = c;
			return c->data;
		}
		c->next = a->head;
		a->head = c;
		a->used = 0;
	}
	void *p = a->head->data + a->used;
	a->used += size;
	return p;
}

void *xd_arena_dup(struct xd_arena *a, const void *src, size_t size)
{
	void *p = xd_arena_alloc(a, size);

	if (p && size)
		memcpy(p, src, size);
	return p;
}

void xd_arena_free(struct xd_arena *a)
{
	struct xd_arena_chunk *c = a->head;

	while (c) {
		struct xd_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	xd_arena_init(a);
}
