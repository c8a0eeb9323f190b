/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compiled zone database: every answer the zones can give, as entries
 * keyed by (name, type) pointing at answer templates. The XDP maps and
 * xdpdns-server are both filled from it, and the answer engine looks
 * queries up in it the same way the XDP program does.
 *
 * Entries:
 *  - (name, type) for each type a name answers with data, a CNAME chain,
 *    or a NODATA that differs from the name's default;
 *  - (name, 0), the name's node entry: node flags and the default
 *    template for types without their own entry (NODATA, a CNAME answer,
 *    or a referral at a zone cut). Every name that exists in a zone has
 *    one, empty non-terminals included, so a name without a node entry
 *    does not exist.
 * Per zone: the NXDOMAIN template (base name: the apex).
 *
 * The file format is described in docs/compiled-format.md.
 */
#ifndef XDPDNS_CDB_H
#define XDPDNS_CDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tmpl.h"

#define XD_CDB_MAGIC "XDPDNSC\n"
#define XD_CDB_VERSION 2
#define XD_TYPE_NODE 0

/* Node entry flags; the XDP maps use the same bits (bpf/xdpdns.h). */
enum xd_node_entry_flags {
	XD_NFE_APEX = 1 << 0, /* zone apex */
	XD_NFE_DELEG = 1 << 1, /* zone cut: names below get the referral */
	XD_NFE_WILDCARD = 1 << 2, /* has a "*" child */
	XD_NFE_SIGNED = 1 << 3, /* the zone is signed (has RRSIGs) */
};

struct xd_cdb_entry {
	uint32_t name; /* offset of the lowercase name in names */
	uint16_t type; /* XD_TYPE_NODE for the node entry */
	uint8_t nflags; /* enum xd_node_entry_flags, node entries */
	uint8_t nlen; /* name length */
	uint32_t tmpl; /* offset of the template in tmpls */
	uint32_t zone; /* index of the zone */
	/* The template for queries with DO=1 (RFC 3225): with the RRSIGs
	 * and the proofs of non-existence of a signed zone; the same as
	 * tmpl in an unsigned zone. */
	uint32_t dtmpl;
};

struct xd_cdb_zone {
	uint32_t apex; /* offset in names */
	uint32_t serial;
	uint32_t nxdomain; /* template offset */
	uint32_t nodes; /* names in the zone */
	uint32_t nxdomain_do; /* DO=1 NXDOMAIN template, without its proofs */
	/* Signed zones: the proofs of non-existence that depend on the
	 * query name, proofs[first .. first + count) sorted by key. */
	uint32_t proofs_first, proofs_count;
	uint32_t salt; /* NSEC3 salt: offset in names */
	uint16_t iterations; /* NSEC3 */
	uint8_t salt_len; /* NSEC3 */
	uint8_t denial; /* enum xd_denial: 0 unsigned, 1 NSEC, 2 NSEC3 */
	uint32_t reserved;
};

/*
 * One NSEC or NSEC3 RRset with its RRSIGs, as a proof template: records in
 * the authority section, names uncompressed, so that it can be appended to
 * any response. key: the offset in names of the owner name (NSEC) or of the
 * 20 bytes of the owner's hash (NSEC3).
 */
struct xd_cdb_proof {
	uint32_t key;
	uint32_t tmpl;
};

struct xd_cdb {
	uint8_t *names;
	size_t names_len, names_cap;
	uint8_t *tmpls;
	size_t tmpls_len, tmpls_cap;
	struct xd_cdb_entry *entries;
	size_t nentries, entries_cap;
	struct xd_cdb_zone *zones;
	size_t nzones, zones_cap;
	struct xd_cdb_proof *proofs;
	size_t nproofs, proofs_cap;
	uint32_t *index; /* open addressing; entry index + 1, 0 empty */
	size_t index_size;
	void *file; /* the file's bytes, when loaded from one */
	size_t file_len;
	bool no_index; /* set before compiling when no lookups will follow */
};

void xd_cdb_init(struct xd_cdb *db);
void xd_cdb_free(struct xd_cdb *db);

/* Building (the compiler). Offsets returned, or UINT32_MAX when OOM. */
uint32_t xd_cdb_add_name(struct xd_cdb *db, const uint8_t *lname);
/* Append len bytes of concatenated names. */
uint32_t xd_cdb_add_name_bytes(struct xd_cdb *db, const uint8_t *p, size_t len);
uint32_t xd_cdb_add_tmpl(struct xd_cdb *db, struct xd_tw *w);
/* Append an already serialized template of size bytes. */
uint32_t xd_cdb_add_tmpl_bytes(struct xd_cdb *db, const void *t, size_t size);
int xd_cdb_add_entry(struct xd_cdb *db, uint32_t name, uint8_t nlen,
		     uint16_t type, uint8_t nflags, uint32_t tmpl,
		     uint32_t dtmpl, uint32_t zone);
int xd_cdb_add_proof(struct xd_cdb *db, uint32_t key, uint32_t tmpl);
/* Build the lookup index once every entry is in. */
int xd_cdb_index(struct xd_cdb *db);

static inline const struct xd_tmpl *xd_cdb_tmpl(const struct xd_cdb *db,
						uint32_t off)
{
	return (const struct xd_tmpl *)(db->tmpls + off);
}

static inline const uint8_t *xd_cdb_name(const struct xd_cdb *db, uint32_t off)
{
	return db->names + off;
}

/* Entry for (lowercase name, type), or NULL. */
const struct xd_cdb_entry *xd_cdb_find(const struct xd_cdb *db,
				       const uint8_t *lname, size_t nlen,
				       uint16_t type);

/*
 * Write to path atomically (a temporary file renamed over it): readers see
 * the old file or the new one, and a failure leaves no partial file.
 * durable: fsync before the rename, so that the new file survives a power
 * loss; without it a crash may leave a damaged file, which loading refuses
 * by its checksum. Returns 0 or -errno.
 */
int xd_cdb_write(const struct xd_cdb *db, const char *path, bool durable);

/*
 * Load a compiled file, checking its header, sizes, XXH3 checksum and that
 * every offset stays inside it. The file is read once into memory of db's
 * own (its size in RAM, on top of the lookup index): what happens to the
 * file afterwards does not change db. A file being written while read is
 * refused. The database loaded is read-only: nothing may be added to it.
 * Returns 0, -errno, or -EINVAL (bad file) or -EAGAIN (changed while
 * read) with a reason in err (when not NULL).
 */
int xd_cdb_load(struct xd_cdb *db, const char *path, const char **err);

/* True when the file at path starts with the compiled-file magic. */
bool xd_cdb_is_compiled(const char *path);

#endif
