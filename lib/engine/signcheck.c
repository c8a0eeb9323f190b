// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Checks of signed zones (signcheck.h).
 */
#include "signcheck.h"

int xd_signcheck(struct xd_zoneset *zs, struct xd_zone *z, struct xd_diag *d)
{
	(void)zs;
	(void)z;
	(void)d;
	return 0;
}
