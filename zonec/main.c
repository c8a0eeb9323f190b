// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdio.h>
#include <string.h>
#include "zone.h"

int main(int argc, char **argv)
{
	struct xd_zoneset zs;
	struct xd_diag d;
	xd_zoneset_init(&zs);
	xd_diag_init(&d, stderr);
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq) { *eq = 0; xd_zoneset_load_file(&zs, eq + 1, argv[i], &d); }
		else xd_zoneset_load_file(&zs, argv[i], NULL, &d);
	}
	int r = xd_zoneset_check(&zs, &d);
	printf("zones %zu records %zu errors %u warnings %u\n", zs.nzones, zs.nrecords, d.errors, d.warnings);
	xd_zoneset_free(&zs);
	return r ? 1 : 0;
}
