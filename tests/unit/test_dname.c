// SPDX-License-Identifier: GPL-3.0-or-later
/* Domain names in wire format: validation, case, order, presentation. */
#include <string.h>

#include "testutil.h"
#include "dname.h"

static void check_table(void **state)
{
	static const struct {
		const char *what;
		const char *hex;
		int want; /* length, or -1 */
	} cases[] = {
		{ "root", "00", 1 },
		{ "www.example.", "03777777076578616d706c6500", 13 },
		{ "no terminating label", "03777777", -1 },
		{ "compression pointer", "c00c", -1 },
		{ "reserved label type 0x40", "4100", -1 },
		{ "label of 64 bytes", "40" /* 64 */, -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = { .n = 0 };
		bhex(&b, cases[i].hex);
		int r = xd_dname_check(b.b, b.n);
		if (r != cases[i].want)
			fail_msg("%s: got %d want %d", cases[i].what, r,
				 cases[i].want);
	}
}

static void check_lengths(void **state)
{
	struct buf b = { .n = 0 };

	/* 63-byte labels are fine; a 255-byte name is the longest. */
	for (int l = 0; l < 3; l++) {
		bput8(&b, 63);
		for (int i = 0; i < 63; i++)
			bput8(&b, 'a');
	}
	bput8(&b, 61);
	for (int i = 0; i < 61; i++)
		bput8(&b, 'b');
	bput8(&b, 0);
	assert_int_equal(b.n, 255);
	assert_int_equal(xd_dname_check(b.b, b.n), 255);
	/* One more byte in the last label: 256, too long. */
	b.n = 0;
	for (int l = 0; l < 3; l++) {
		bput8(&b, 63);
		for (int i = 0; i < 63; i++)
			bput8(&b, 'a');
	}
	bput8(&b, 62);
	for (int i = 0; i < 62; i++)
		bput8(&b, 'b');
	bput8(&b, 0);
	assert_int_equal(b.n, 256);
	assert_int_equal(xd_dname_check(b.b, b.n), -1);
}

static void case_and_order(void **state)
{
	struct buf a = { .n = 0 }, b = { .n = 0 };
	uint8_t low[XD_DNAME_MAX];

	bname(&a, "WwW.Example.");
	bname(&b, "www.example.");
	assert_true(xd_dname_equal(a.b, b.b));
	xd_dname_lower(low, a.b);
	assert_memory_equal(low, b.b, b.n);
	assert_true(xd_dname_in(a.b, b.b + 4));
	assert_false(xd_dname_in(b.b + 4, a.b));
	assert_int_equal(xd_dname_labels(a.b), 2);

	/* RFC 4034 6.1 example order */
	static const char *const sorted[] = {
		"example.",	"a.example.",	   "yljkjljk.a.example.",
		"Z.a.example.", "zABC.a.EXAMPLE.", "z.example.",
		"*.z.example.",
	};
	(void)sorted;
	struct buf x = { .n = 0 }, y = { .n = 0 };
	bname(&x, "a.example.");
	bname(&y, "z.example.");
	assert_true(xd_dname_cmp(x.b, y.b) < 0);
	x.n = y.n = 0;
	bname(&x, "yljkjljk.a.example.");
	bname(&y, "Z.a.example.");
	assert_true(xd_dname_cmp(x.b, y.b) < 0);
	x.n = y.n = 0;
	bname(&x, "example.");
	bname(&y, "a.example.");
	assert_true(xd_dname_cmp(x.b, y.b) < 0);
	assert_int_equal(xd_dname_cmp(a.b, b.b), 0);
}

static void lower_table(void **state)
{
	for (unsigned c = 0; c < 256; c++) {
		unsigned want = (c >= 'A' && c <= 'Z') ? c + 32 : c;
		if (xd_lower((uint8_t)c) != want)
			fail_msg("xd_lower(%u) = %u", c, xd_lower((uint8_t)c));
	}
}

static void lower_every_byte_everywhere(void **state)
{
	/* A name whose labels hold every byte value, at every alignment. */
	uint8_t name[XD_DNAME_MAX], low[XD_DNAME_MAX];
	for (unsigned start = 0; start < 256; start += 50) {
		size_t n = 0;
		unsigned c = start;
		while (n + 1 + 63 + 1 <= XD_DNAME_MAX) {
			name[n++] = 63;
			for (int i = 0; i < 63; i++)
				name[n++] = (uint8_t)(c++ & 0xff);
		}
		name[n++] = 0;
		assert_int_equal(xd_dname_lower(low, name), n);
		for (size_t i = 0; i < n; i++) {
			unsigned want = (i % 64 == 0) ? name[i] :
							xd_lower(name[i]);
			if (low[i] != want)
				fail_msg("byte %zu: %u -> %u", i, name[i],
					 low[i]);
		}
	}
}

static void presentation(void **state)
{
	char s[XD_DNAME_STR_MAX];
	struct buf b = { .n = 0 };

	bhex(&b, "03 612e62 02 5c20 00"); /* "a.b" then "\ " */
	assert_string_equal(xd_dname_str(b.b, s), "a\\.b.\\\\\\032.");
	b.n = 0;
	bput8(&b, 0);
	assert_string_equal(xd_dname_str(b.b, s), ".");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_table),
		cmocka_unit_test(check_lengths),
		cmocka_unit_test(case_and_order),
		cmocka_unit_test(presentation),
		cmocka_unit_test(lower_table),
		cmocka_unit_test(lower_every_byte_everywhere),
	};
	return cmocka_run_group_tests_name("dname", tests, NULL, NULL);
}
