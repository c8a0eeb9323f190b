// SPDX-License-Identifier: GPL-3.0-or-later
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE ((size_t)2 << 20)

/*
 * Zone data is touched at random by hash lookups; on 4 KiB pages every
 * lookup also misses the TLB. Large blocks ask for transparent huge
 * pages (a hint the kernel may ignore).
 */
void *xd_big_alloc(size_t size)
{
	if (size < HUGE / 2)
		return malloc(size);
	size_t len = (size + HUGE - 1) & ~(size_t)(HUGE - 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (!getenv("XDPDNS_NO_HUGE"))
		madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void xd_big_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size < HUGE / 2) {
		free(p);
		return;
	}
	munmap(p, (size + HUGE - 1) & ~(size_t)(HUGE - 1));
}

struct xd_arena_chunk {
	struct xd_arena_chunk *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

/* A chunk and its header fill one huge page. */
#define CHUNK_SIZE (HUGE - sizeof(struct xd_arena_chunk))

void xd_arena_init(struct xd_arena *a)
{
	memset(a, 0, sizeof(*a));
}

void *xd_arena_alloc(struct xd_arena *a, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	if (!a->head || a->head->size - a->used < size) {
		size_t csize = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
		struct xd_arena_chunk *c = xd_big_alloc(sizeof(*c) + csize);
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
		xd_big_free(c, sizeof(*c) + c->size);
		c = n;
	}
	xd_arena_init(a);
}
