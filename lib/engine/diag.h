/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Diagnostics for zone loading and checking: every message names the file
 * and line it is about, and the record when there is one, so an operator
 * can find and fix it.
 */
#ifndef XDPDNS_DIAG_H
#define XDPDNS_DIAG_H

#include <stdint.h>
#include <stdio.h>

struct xd_diag {
	FILE *out; /* where messages go; NULL keeps only the counts */
	unsigned errors; /* messages of severity error so far */
	unsigned warnings; /* messages of severity warning so far */
	unsigned max_print; /* stop printing after this many (0: no limit) */
	unsigned printed;
};

void xd_diag_init(struct xd_diag *d, FILE *out);

/*
 * Report one problem. file and line may be NULL/0 when there is no place
 * to name; record, when not NULL, is the offending record in presentation
 * form and is printed on the next line.
 */
__attribute__((format(printf, 5, 6))) void
xd_diag_error(struct xd_diag *d, const char *file, uint64_t line,
	      const char *record, const char *fmt, ...);
__attribute__((format(printf, 5, 6))) void
xd_diag_warn(struct xd_diag *d, const char *file, uint64_t line,
	     const char *record, const char *fmt, ...);

#endif
