/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The canonical text form of a compiled database: every entry, in DNSSEC
 * canonical name order, with the response it gives shown record by record.
 * Golden tests compare it; operators read it to see what will be served.
 */
#ifndef XDPDNS_DUMP_H
#define XDPDNS_DUMP_H

#include <stdio.h>

#include "answer.h"
#include "cdb.h"

/* Write the dump of db to f. Returns 0 or -1 (out of memory). */
int xd_dump(const struct xd_cdb *db, FILE *f);

/*
 * Print a response (dig-like, one record a line) to f; prefix starts each
 * line. Returns 0, or -1 if the bytes do not parse as a DNS message.
 */
int xd_print_response(const uint8_t *msg, size_t len, const char *prefix,
		      FILE *f);

const char *xd_rcode_str(unsigned rcode);
const char *xd_kind_str(unsigned kind);

#endif
