// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * engine-pipe: answers queries with the answer engine over a pipe, for the
 * Python tests. Usage: engine-pipe SOURCE...  (a compiled file or ZONE
 * arguments). Frames on stdin and stdout are a 2-byte big-endian length
 * and the bytes; on stdin a frame holds one flag byte (bit 0: TCP) then the
 * query; on stdout a zero length means "no response".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "cdb.h"
#include "compile.h"

static int read_full(void *p, size_t n)
{
	return fread(p, 1, n, stdin) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct xd_cdb db;
	struct xd_diag d;
	static uint8_t in[65536 + 1], out[65536];

	if (argc < 2) {
		fprintf(stderr, "usage: engine-pipe SOURCE...\n");
		return 2;
	}
	xd_cdb_init(&db);
	xd_diag_init(&d, stderr);
	if (argc == 2 && xd_cdb_is_compiled(argv[1])) {
		const char *why = NULL;
		if (xd_cdb_load(&db, argv[1], &why) < 0) {
			fprintf(stderr, "engine-pipe: %s\n",
				why ? why : "load");
			return 1;
		}
	} else if (xd_compile_files(argv + 1, argc - 1, &db, &d, NULL) < 0) {
		return 1;
	}
	for (;;) {
		uint8_t lb[2];
		if (read_full(lb, 2) < 0)
			break;
		size_t len = (size_t)lb[0] << 8 | lb[1];
		if (len < 1 || read_full(in, len) < 0)
			break;
		struct xd_answer_opts o = { .tcp = in[0] & 1 };
		size_t n = xd_answer(&db, in + 1, len - 1, out, sizeof(out), &o,
				     NULL);
		uint8_t ob[2] = { (uint8_t)(n >> 8), (uint8_t)n };
		if (fwrite(ob, 1, 2, stdout) != 2 ||
		    fwrite(out, 1, n, stdout) != n)
			break;
		fflush(stdout);
	}
	xd_cdb_free(&db);
	return 0;
}
