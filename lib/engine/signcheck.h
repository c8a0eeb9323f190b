/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Checks of a signed zone before it is served: what a server must verify
 * of a zone signed elsewhere so that it never serves answers a validating
 * resolver would call bogus.
 */
#ifndef XDPDNS_SIGNCHECK_H
#define XDPDNS_SIGNCHECK_H

#include "diag.h"
#include "zone.h"

#define XD_SIG_WARN_DAYS 7 /* default of xdpdns-zonec --sig-warn */

/*
 * Check signed zone z (z->is_signed; z->denial set), reporting to d with
 * file and line. Returns 0 when it is fit to serve, -1 otherwise.
 */
int xd_signcheck(struct xd_zoneset *zs, struct xd_zone *z, struct xd_diag *d);

#endif
