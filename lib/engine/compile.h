/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compiler: from checked zones to the compiled database, by resolving
 * every (name, type) the zones can answer the way an authoritative server
 * does (RFC 1034 4.3.2 with RFC 4592 wildcards, RFC 2308 negative answers,
 * RFC 8482 minimal ANY), following knotd's choices where the RFCs leave
 * one. docs/answers.md lists the differences that are intended.
 */
#ifndef XDPDNS_COMPILE_H
#define XDPDNS_COMPILE_H

#include "cdb.h"
#include "diag.h"
#include "zone.h"

struct xd_compile_stats {
	size_t zones, names, entries, templates, template_bytes;
};

/*
 * Compile every zone of zs (xd_zoneset_check() must have succeeded) into
 * db, which must be empty. Returns 0, or -1 with the reason reported to d.
 */
int xd_compile(struct xd_zoneset *zs, struct xd_cdb *db, struct xd_diag *d,
	       struct xd_compile_stats *stats);

/*
 * Load, check and compile zone files in one go. Each spec is "FILE" or
 * "ZONE=FILE". Returns 0, or -1 with the problems reported to d.
 */
int xd_compile_files(char *const *specs, int n, struct xd_cdb *db,
		     struct xd_diag *d, struct xd_compile_stats *stats);

#endif
