/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The zone model: zones read from RFC 1035 master files by libzscanner,
 * checked as an authoritative server must before serving them.
 *
 * A zone set holds several zones, each with its own apex. Names are stored
 * lowercased; record data is kept as written. After xd_zoneset_check()
 * succeeds, every RRset's records are in canonical (sorted) order without
 * duplicates, every RRset has one TTL, and node flags describe zone cuts.
 */
#ifndef XDPDNS_ZONE_H
#define XDPDNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dns.h"
#include "diag.h"

/* One record of an RRset. */
struct xd_rr {
	struct xd_rr *next;
	uint32_t ttl; /* as written; the RRset's TTL is what is served */
	uint32_t line; /* line in the file it came from */
	uint16_t file; /* index into the zone set's file names */
	uint16_t rdlen;
	uint8_t rdata[];
};

/* All records of one type at one name. */
struct xd_rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl; /* lowest TTL of the records */
	struct xd_rr *rrs; /* canonical order after checking */
};

enum xd_node_flags {
	XD_NODE_APEX = 1 << 0, /* the zone's apex */
	XD_NODE_DELEG = 1 << 1, /* a zone cut: NS below the apex */
	XD_NODE_OCCLUDED = 1 << 2, /* below a zone cut: glue only */
	XD_NODE_WILDCARD = 1 << 3, /* has a child named "*" */
	XD_NODE_SHADOWED = 1 << 4, /* at or below another zone's apex */
	/* Holds NSEC3 records (and their RRSIGs) only: the hashed owner
	 * names are not names of the zone (RFC 5155 7.2.9) and are served
	 * only as proofs. */
	XD_NODE_NSEC3 = 1 << 5,
};

/* How a signed zone proves what does not exist. */
enum xd_denial {
	XD_DENIAL_NONE, /* unsigned */
	XD_DENIAL_NSEC,
	XD_DENIAL_NSEC3,
};

struct xd_zone;

/* A name in a zone; nodes without RRsets are empty non-terminals. */
struct xd_node {
	struct xd_node *hnext; /* hash chain */
	struct xd_node *parent; /* NULL at the apex */
	struct xd_node *list; /* next node in insertion order */
	struct xd_rrset *sets;
	uint32_t hash; /* of the name, for the zone's table */
	uint16_t nsets;
	uint16_t cap;
	uint8_t nlen;
	uint8_t flags;
	uint8_t name[]; /* lowercase wire format */
};

struct xd_zone {
	struct xd_zone *next;
	uint8_t *apex; /* lowercase wire format */
	uint8_t alen;
	uint16_t file; /* index of its main file */
	struct xd_node *apex_node; /* NULL until a record at the apex */
	struct xd_node **table; /* hash table of nodes */
	size_t tsize, nnodes;
	size_t size_hint; /* expected buckets, from the file size */
	struct xd_node *first, *last; /* insertion order */
	struct xd_node *recent; /* last node a record went to */
	size_t nrecords;
	uint32_t serial;
	bool loaded_ok; /* no error while reading or checking it */
	bool is_signed; /* has RRSIG records */
	/* Signed zones, set by xd_zoneset_check(): the denial method and,
	 * for NSEC3, the apex's NSEC3PARAM (RFC 5155 4). */
	uint8_t denial; /* enum xd_denial */
	uint8_t nsec3_salt_len;
	uint16_t nsec3_iterations;
	uint8_t nsec3_salt[255];
};

struct xd_zoneset {
	struct xd_arena arena;
	struct xd_zone *zones, *last_zone;
	size_t nzones;
	char **files; /* file names by index */
	size_t nfiles, files_cap;
	size_t nrecords;
	/* Checks of signed zones: the time signatures must be valid at
	 * (seconds since the epoch; 0: now) and how many days before a
	 * signature expires it is warned about (0: the default, 7). */
	int64_t now;
	unsigned sig_warn_days;
};

void xd_zoneset_init(struct xd_zoneset *zs);
void xd_zoneset_free(struct xd_zoneset *zs);

/*
 * Read one zone from a master file. origin (presentation form, may be
 * NULL) is the zone's name: the initial $ORIGIN and the apex it must have.
 * Without it, the initial origin is the root and the apex is the owner of
 * the first SOA record. Problems are reported to d with file and line.
 * Returns 0, or -1 when the zone has errors (it is then not usable).
 */
int xd_zoneset_load_file(struct xd_zoneset *zs, const char *path,
			 const char *origin, struct xd_diag *d);

/* Same, from a string in memory; name is used in messages. */
int xd_zoneset_load_string(struct xd_zoneset *zs, const char *name,
			   const char *text, size_t len, const char *origin,
			   struct xd_diag *d);

/*
 * Check every zone loaded so far (RFC 1034/1035/2181 rules listed in
 * docs/answers.md), sort RRsets, drop duplicate records and unify TTLs (warnings),
 * and mark zone cuts. Returns 0 when every zone is fit to serve.
 */
int xd_zoneset_check(struct xd_zoneset *zs, struct xd_diag *d);

/* The node named name (lowercase) in zone z, or NULL. */
struct xd_node *xd_zone_find(const struct xd_zone *z, const uint8_t *name);

/* The most specific zone holding name (any case), or NULL. */
struct xd_zone *xd_zoneset_zone_for(const struct xd_zoneset *zs,
				    const uint8_t *name);

/* The RRset of type at node n, or NULL. */
struct xd_rrset *xd_node_rrset(const struct xd_node *n, uint16_t type);

/*
 * One record in presentation form ("owner TTL IN TYPE rdata"), via
 * libknot's dumper. Returns buf, or a placeholder when it cannot be shown.
 */
char *xd_rr_text(const uint8_t *owner, uint16_t type, uint32_t ttl,
		 const uint8_t *rdata, uint16_t rdlen, char *buf, size_t size);

/* Type mnemonic ("A", "TYPE65280"). buf holds at least 16 bytes. */
const char *xd_type_str(uint16_t type, char *buf, size_t size);

#endif
