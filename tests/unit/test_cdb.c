// SPDX-License-Identifier: GPL-3.0-or-later
/* The compiled file: round trip, and refusal of damaged files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static const char zone[] = "$ORIGIN ex.\n$TTL 60\n"
			   "@ SOA ns1 h 9 1 2 3 4\n@ NS ns1\nns1 A 192.0.2.1\n"
			   "*.w MX 1 ns1\nsub NS ns1\n";

static char path[64];

static void file_roundtrip(void **state)
{
	struct xd_cdb a, b;
	const char *why = NULL;

	compile_text(&a, "ex.", zone);
	snprintf(path, sizeof(path), "/tmp/xdpdns-test-%d.xdc", getpid());
	assert_int_equal(xd_cdb_write(&a, path, true), 0);
	assert_true(xd_cdb_is_compiled(path));
	assert_int_equal(xd_cdb_load(&b, path, &why), 0);
	assert_int_equal(a.nentries, b.nentries);
	assert_int_equal(a.nzones, b.nzones);
	assert_int_equal(a.tmpls_len, b.tmpls_len);
	assert_memory_equal(a.tmpls, b.tmpls, a.tmpls_len);
	assert_memory_equal(a.entries, b.entries,
			    a.nentries * sizeof(*a.entries));
	assert_int_equal(b.zones[0].serial, 9);

	/* Both answer the same bytes. */
	struct buf q = { .n = 0 };
	static uint8_t ra[4096], rb[4096];
	make_query(&q, 1, 0, "x.w.ex.", 15, -1, false);
	size_t na = xd_answer(&a, q.b, q.n, ra, sizeof(ra), NULL, NULL);
	size_t nb = xd_answer(&b, q.b, q.n, rb, sizeof(rb), NULL, NULL);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(ra, rb, na);
	xd_cdb_free(&a);
	xd_cdb_free(&b);
}

static void damaged_files(void **state)
{
	struct stat st;
	struct xd_cdb db;
	const char *why;

	assert_int_equal(stat(path, &st), 0);
	FILE *f = fopen(path, "rb");
	uint8_t *orig = malloc((size_t)st.st_size);
	assert_int_equal(fread(orig, 1, (size_t)st.st_size, f),
			 (size_t)st.st_size);
	fclose(f);

	/* Every single flipped byte is caught; so is every truncation. */
	for (off_t i = 0; i < st.st_size; i++) {
		orig[i] ^= 0x5a;
		f = fopen(path, "wb");
		fwrite(orig, 1, (size_t)st.st_size, f);
		fclose(f);
		why = NULL;
		if (xd_cdb_load(&db, path, &why) == 0)
			fail_msg("flipped byte %ld accepted", (long)i);
		orig[i] ^= 0x5a;
	}
	for (off_t len = 0; len < st.st_size; len += 7) {
		f = fopen(path, "wb");
		fwrite(orig, 1, (size_t)len, f);
		fclose(f);
		if (xd_cdb_load(&db, path, &why) == 0)
			fail_msg("truncated to %ld accepted", (long)len);
	}
	free(orig);
	unlink(path);
}

static void write_failure_keeps_old(void **state)
{
	struct xd_cdb a;

	compile_text(&a, "ex.", zone);
	/* A directory that does not exist: error, nothing created. */
	assert_true(xd_cdb_write(&a, "/nonexistent-dir/x.xdc", false) < 0);
	xd_cdb_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_roundtrip),
		cmocka_unit_test(damaged_files),
		cmocka_unit_test(write_failure_keeps_old),
	};
	return cmocka_run_group_tests_name("cdb", tests, NULL, NULL);
}
