// SPDX-License-Identifier: GPL-3.0-or-later
#include "cdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "dname.h"

struct file_header {
	char magic[8];
	uint32_t version;
	uint32_t flags;
	uint32_t nzones;
	uint32_t nentries;
	uint32_t names_len;
	uint32_t tmpls_len;
	uint64_t checksum; /* XXH3-64 of everything after the header */
	uint32_t nproofs;
	uint8_t reserved[20];
};

_Static_assert(sizeof(struct file_header) == 64, "header layout");
_Static_assert(sizeof(struct xd_cdb_entry) == 20, "entry layout");
_Static_assert(sizeof(struct xd_cdb_zone) == 40, "zone layout");
_Static_assert(sizeof(struct xd_cdb_proof) == 8, "proof layout");

void xd_cdb_init(struct xd_cdb *db)
{
	memset(db, 0, sizeof(*db));
}

void xd_cdb_free(struct xd_cdb *db)
{
	if (db->file) {
		munmap(db->file, db->file_len);
	} else {
		free(db->names);
		free(db->tmpls);
		free(db->entries);
		free(db->zones);
		free(db->proofs);
	}
	free(db->index);
	memset(db, 0, sizeof(*db));
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

uint32_t xd_cdb_add_name(struct xd_cdb *db, const uint8_t *lname)
{
	return xd_cdb_add_name_bytes(db, lname, xd_dname_len(lname));
}

uint32_t xd_cdb_add_name_bytes(struct xd_cdb *db, const uint8_t *lname,
			       size_t len)
{
	if (db->names_len + len > UINT32_MAX - 4 ||
	    grow((void **)&db->names, &db->names_cap, db->names_len + len, 1))
		return UINT32_MAX;
	memcpy(db->names + db->names_len, lname, len);
	db->names_len += len;
	return (uint32_t)(db->names_len - len);
}

uint32_t xd_cdb_add_tmpl(struct xd_cdb *db, struct xd_tw *w)
{
	size_t size = xd_tw_finish(w, NULL);

	if (!size || db->tmpls_len + size > UINT32_MAX - 4 ||
	    grow((void **)&db->tmpls, &db->tmpls_cap, db->tmpls_len + size, 1))
		return UINT32_MAX;
	xd_tw_finish(w, (struct xd_tmpl *)(db->tmpls + db->tmpls_len));
	db->tmpls_len += size;
	return (uint32_t)(db->tmpls_len - size);
}

uint32_t xd_cdb_add_tmpl_bytes(struct xd_cdb *db, const void *t, size_t size)
{
	if (db->tmpls_len + size > UINT32_MAX - 4 ||
	    grow((void **)&db->tmpls, &db->tmpls_cap, db->tmpls_len + size, 1))
		return UINT32_MAX;
	memcpy(db->tmpls + db->tmpls_len, t, size);
	db->tmpls_len += size;
	return (uint32_t)(db->tmpls_len - size);
}

int xd_cdb_add_entry(struct xd_cdb *db, uint32_t name, uint8_t nlen,
		     uint16_t type, uint8_t nflags, uint32_t tmpl,
		     uint32_t dtmpl, uint32_t zone)
{
	if (db->nentries >= UINT32_MAX - 1 ||
	    grow((void **)&db->entries, &db->entries_cap, db->nentries + 1,
		 sizeof(*db->entries)))
		return -1;
	db->entries[db->nentries++] = (struct xd_cdb_entry){
		.name = name,
		.nlen = nlen,
		.type = type,
		.nflags = nflags,
		.tmpl = tmpl,
		.zone = zone,
		.dtmpl = dtmpl,
	};
	return 0;
}

int xd_cdb_add_proof(struct xd_cdb *db, uint32_t key, uint32_t tmpl)
{
	if (db->nproofs >= UINT32_MAX - 1 ||
	    grow((void **)&db->proofs, &db->proofs_cap, db->nproofs + 1,
		 sizeof(*db->proofs)))
		return -1;
	db->proofs[db->nproofs++] =
		(struct xd_cdb_proof){ .key = key, .tmpl = tmpl };
	return 0;
}

static uint64_t key_hash(const uint8_t *lname, size_t len, uint16_t type)
{
	return xd_hash_bytes(lname, len, 0x243f6a8885a308d3ull ^ type);
}

int xd_cdb_index(struct xd_cdb *db)
{
	size_t size = 16;

	while (size < db->nentries * 2)
		size *= 2;
	uint32_t *idx = calloc(size, sizeof(*idx));
	if (!idx)
		return -1;
	for (size_t i = 0; i < db->nentries; i++) {
		const struct xd_cdb_entry *e = &db->entries[i];
		size_t b = key_hash(db->names + e->name, e->nlen, e->type) &
			   (size - 1);
		while (idx[b])
			b = (b + 1) & (size - 1);
		idx[b] = (uint32_t)i + 1;
	}
	free(db->index);
	db->index = idx;
	db->index_size = size;
	return 0;
}

const struct xd_cdb_entry *xd_cdb_find(const struct xd_cdb *db,
				       const uint8_t *lname, size_t nlen,
				       uint16_t type)
{
	if (!db->index_size)
		return NULL;
	size_t b = key_hash(lname, nlen, type) & (db->index_size - 1);
	for (;;) {
		uint32_t i = db->index[b];
		if (!i)
			return NULL;
		const struct xd_cdb_entry *e = &db->entries[i - 1];
		if (e->type == type && e->nlen == nlen &&
		    memcmp(db->names + e->name, lname, nlen) == 0)
			return e;
		b = (b + 1) & (db->index_size - 1);
	}
}

/* ---- files -------------------------------------------------------- */

static const uint8_t zero_pad[4];

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

static int write_all(int fd, const void *p, size_t n, XXH3_state_t *sum)
{
	const uint8_t *b = p;

	if (sum && n)
		XXH3_64bits_update(sum, p, n);
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_body(const struct xd_cdb *db, int fd, XXH3_state_t *sum)
{
	int r;

	if ((r = write_all(fd, db->zones, db->nzones * sizeof(*db->zones),
			   sum)) ||
	    (r = write_all(fd, db->entries, db->nentries * sizeof(*db->entries),
			   sum)) ||
	    (r = write_all(fd, db->proofs, db->nproofs * sizeof(*db->proofs),
			   sum)) ||
	    (r = write_all(fd, db->names, db->names_len, sum)) ||
	    (r = write_all(fd, zero_pad, pad4(db->names_len), sum)) ||
	    (r = write_all(fd, db->tmpls, db->tmpls_len, sum)))
		return r;
	return 0;
}

int xd_cdb_write(const struct xd_cdb *db, const char *path, bool durable)
{
	struct file_header h = {
		.version = XD_CDB_VERSION,
		.nzones = (uint32_t)db->nzones,
		.nentries = (uint32_t)db->nentries,
		.nproofs = (uint32_t)db->nproofs,
		.names_len = (uint32_t)db->names_len,
		.tmpls_len = (uint32_t)db->tmpls_len,
	};
	char tmp[4096];
	int r;

	memcpy(h.magic, XD_CDB_MAGIC, 8);
	/* The checksum is computed as the body is written, then the header
	 * is rewritten with it. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	XXH3_state_t *sum = XXH3_createState();
	if (!sum) {
		r = -ENOMEM;
		goto fail;
	}
	XXH3_64bits_reset(sum);
	r = write_all(fd, &h, sizeof(h), NULL);
	if (!r)
		r = write_body(db, fd, sum);
	h.checksum = XXH3_64bits_digest(sum);
	XXH3_freeState(sum);
	if (r)
		goto fail;
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		r = -errno;
		goto fail;
	}
	if (durable && fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

bool xd_cdb_is_compiled(const char *path)
{
	char magic[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes = false;

	if (fd < 0)
		return false;
	if (read(fd, magic, 8) == 8 && memcmp(magic, XD_CDB_MAGIC, 8) == 0)
		yes = true;
	close(fd);
	return yes;
}

/* Every template must stay inside tmpls and be consistent in itself. */
static bool tmpl_valid(const struct xd_cdb *db, uint32_t off)
{
	if (off & 3 || (size_t)off + sizeof(struct xd_tmpl) > db->tmpls_len)
		return false;
	const struct xd_tmpl *t = xd_cdb_tmpl(db, off);
	if ((size_t)off + xd_tmpl_size(t) > db->tmpls_len || t->rcode > 15)
		return false;
	const struct xd_cut *c = xd_tmpl_cuts(t);
	if (t->ncuts ? c[t->ncuts - 1].len != t->len : t->len != 0)
		return false;
	for (unsigned i = 0; i < t->ncuts; i++)
		if (c[i].len > t->len || (i && c[i].len < c[i - 1].len))
			return false;
	const uint16_t *r = xd_tmpl_relocs(t);
	for (unsigned i = 0; i < t->nrelocs; i++)
		if ((size_t)r[i] + 2 > t->len)
			return false;
	return true;
}

static bool name_valid(const struct xd_cdb *db, uint32_t off, size_t nlen)
{
	if ((size_t)off + nlen > db->names_len)
		return false;
	int l = xd_dname_check(db->names + off, nlen);
	return l == (int)nlen;
}

static const char *validate(struct xd_cdb *db)
{
	for (size_t i = 0; i < db->nzones; i++) {
		const struct xd_cdb_zone *z = &db->zones[i];
		if (z->apex >= db->names_len ||
		    xd_dname_check(db->names + z->apex,
				   db->names_len - z->apex) < 0)
			return "zone apex outside the name table";
		if (!tmpl_valid(db, z->nxdomain) ||
		    !tmpl_valid(db, z->nxdomain_do))
			return "bad NXDOMAIN template";
		if (z->denial > 2 || z->reserved ||
		    (size_t)z->proofs_first + z->proofs_count > db->nproofs)
			return "bad zone record";
		if (z->denial == 2 &&
		    (size_t)z->salt + z->salt_len > db->names_len)
			return "NSEC3 salt outside the name table";
		for (size_t k = 0; k < z->proofs_count; k++) {
			const struct xd_cdb_proof *p =
				&db->proofs[z->proofs_first + k];
			if (!tmpl_valid(db, p->tmpl))
				return "bad proof template";
			if (z->denial == 2 ?
				    (size_t)p->key + 20 > db->names_len :
				    p->key >= db->names_len ||
					    xd_dname_check(db->names + p->key,
							   db->names_len -
								   p->key) < 0)
				return "proof key outside the name table";
		}
	}
	for (size_t i = 0; i < db->nentries; i++) {
		const struct xd_cdb_entry *e = &db->entries[i];
		if (!name_valid(db, e->name, e->nlen))
			return "entry name outside the name table";
		if (!tmpl_valid(db, e->tmpl) || !tmpl_valid(db, e->dtmpl))
			return "bad template";
		if (e->zone >= db->nzones)
			return "entry zone out of range";
	}
	return NULL;
}

/*
 * Read size bytes into buf, then expect the end of the file. Returns 0,
 * -errno, or 1 when the file turned out shorter or longer than size (it
 * changed since fstat()).
 */
static int read_exactly(int fd, uint8_t *buf, size_t size)
{
	size_t got = 0;
	uint8_t more;
	ssize_t n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 1;
		got += (size_t)n;
	}
	do
		n = read(fd, &more, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 1 : 0;
}

/*
 * Memory for a file's len bytes: anonymous pages of our own, in huge
 * pages where the kernel has them (THP "madvise" mode, Debian's default):
 * 85 MB read into 4 KiB pages took 0.22 s here, into huge pages 0.01 to
 * 0.09 s (2-core EPYC VM). From mmap, not malloc, to ask for that and to
 * make it read-only once loaded. NULL when out of memory.
 */
static void *file_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_HUGEPAGE); /* a hint: refused is fine */
	return p;
}

/* True when the file was written to between the two fstat()s. */
static bool stat_moved(const struct stat *a, const struct stat *b)
{
	return a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	       a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/*
 * The whole file at path into db->file, anonymous memory of our own, so
 * that nothing done to the file once loaded (cp, scp or rsync --inplace
 * writing over it, a truncation) changes or crashes what is served.
 *
 * A mapping of the file cannot give that, not even a MAP_PRIVATE one.
 * Copy-on-write copies a page only when this process writes to it; until
 * then the mapping shows the file's page-cache pages, and every later
 * write to the file with them (MAP_POPULATE only maps those same pages
 * in). Writing to every page to force the copies is not enough either:
 * truncating the file drops even the copied pages past the new end, and
 * the next access raises SIGBUS (seen on Linux 6.18). So: read() once,
 * check the copy, serve the copy; the cost is the file's size in memory.
 *
 * A file being written while it is read is refused: its size or
 * modification time moved during the read, or, when a write went unseen
 * by both (same size, the same timestamp tick), the checksum the caller
 * checks next catches it.
 */
static int read_file(struct xd_cdb *db, const char *path, const char **why)
{
	struct stat st, again;
	int r;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	r = -EINVAL;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto out;
	}
	if ((size_t)st.st_size < sizeof(struct file_header)) {
		*why = "file too short for a compiled zone";
		goto out;
	}
	db->file = file_alloc((size_t)st.st_size);
	if (!db->file) {
		r = -ENOMEM;
		goto out;
	}
	db->file_len = (size_t)st.st_size;
	r = read_exactly(fd, db->file, db->file_len);
	if (!r && fstat(fd, &again) < 0)
		r = -errno;
	else if (!r && stat_moved(&st, &again))
		r = 1;
	if (r == 1) {
		*why = "file changed while being read (written in place?); "
		       "write a new file and rename it over the old one";
		r = -EAGAIN;
	}
out:
	close(fd);
	return r;
}

int xd_cdb_load(struct xd_cdb *db, const char *path, const char **err)
{
	const char *why = NULL;
	int r;

	xd_cdb_init(db);
	r = read_file(db, path, &why);
	if (r < 0)
		goto fail;
	r = -EINVAL;

	const struct file_header *h = db->file;
	if (memcmp(h->magic, XD_CDB_MAGIC, 8) != 0) {
		why = "not a compiled zone file (bad magic)";
		goto fail;
	}
	if (h->version != XD_CDB_VERSION) {
		why = "compiled by an incompatible version of xdpdns-zonec";
		goto fail;
	}
	static const uint8_t zero[sizeof(h->reserved)];
	if (h->flags != 0 || memcmp(h->reserved, zero, sizeof(zero)) != 0) {
		why = "unknown header flags (newer format?)";
		goto fail;
	}
	size_t off = sizeof(*h);
	size_t zsz = (size_t)h->nzones * sizeof(struct xd_cdb_zone);
	size_t esz = (size_t)h->nentries * sizeof(struct xd_cdb_entry);
	size_t psz = (size_t)h->nproofs * sizeof(struct xd_cdb_proof);
	size_t need = off + zsz + esz + psz + h->names_len +
		      pad4(h->names_len) + h->tmpls_len;
	if (need != db->file_len) {
		why = "file size does not match its header (truncated?)";
		goto fail;
	}
	/* Also what catches a write in place that the size and time did not
	 * show: the bytes read then come from two versions of the file. */
	if (XXH3_64bits((const uint8_t *)db->file + off, db->file_len - off) !=
	    h->checksum) {
		why = "checksum mismatch (file damaged, or written while read)";
		goto fail;
	}
	/* Read-only from here, as a mapped file was: a stray write into the
	 * zones being served faults instead of changing an answer. */
	if (mprotect(db->file, db->file_len, PROT_READ) < 0) {
		r = -errno;
		goto fail;
	}
	uint8_t *base = db->file;
	db->zones = (struct xd_cdb_zone *)(base + off);
	db->nzones = h->nzones;
	db->entries = (struct xd_cdb_entry *)(base + off + zsz);
	db->nentries = h->nentries;
	db->proofs = (struct xd_cdb_proof *)(base + off + zsz + esz);
	db->nproofs = h->nproofs;
	db->names = base + off + zsz + esz + psz;
	db->names_len = h->names_len;
	db->tmpls = db->names + h->names_len + pad4(h->names_len);
	db->tmpls_len = h->tmpls_len;
	if ((why = validate(db)))
		goto fail;
	if (xd_cdb_index(db) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	if (err && why)
		*err = why;
	xd_cdb_free(db);
	return r;
}
