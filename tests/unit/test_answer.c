// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The answer engine, byte for byte: each case builds a query and the exact
 * response expected, from the RFC 1035 layout and the compression the
 * engine promises (owners that equal the query name point at offset 12,
 * names below it at the question's suffix).
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static const char zone[] = "$ORIGIN ex.\n"
			   "$TTL 3600\n"
			   "@ SOA ns1 h 1 7200 3600 1209600 300\n"
			   "@ NS ns1\n"
			   "ns1 A 198.51.100.1\n"
			   "www A 198.51.100.80\n"
			   "sub NS ns.sub\n"
			   "ns.sub A 198.51.100.53\n"
			   "*.w TXT \"w\"\n"
			   "big TXT \"%s1\"\n"
			   "big TXT \"%s2\"\n"
			   "big TXT \"%s3\"\n";

static struct xd_cdb db;

static int setup(void **state)
{
	char x[201], text[2048];

	memset(x, 'x', 200);
	x[200] = '\0';
	snprintf(text, sizeof(text), zone, x, x, x);
	compile_text(&db, "ex.", text);
	return 0;
}

static int teardown(void **state)
{
	xd_cdb_free(&db);
	return 0;
}

static struct buf q, want;
static uint8_t got[65536];

static size_t ask(bool tcp)
{
	struct xd_answer_opts o = { .tcp = tcp };
	return xd_answer(&db, q.b, q.n, got, sizeof(got), &o, NULL);
}

static void hdr(uint16_t id, uint8_t b2, uint8_t b3, uint16_t qd, uint16_t an,
		uint16_t ns, uint16_t ar)
{
	want.n = 0;
	bput16(&want, id);
	bput8(&want, b2);
	bput8(&want, b3);
	bput16(&want, qd);
	bput16(&want, an);
	bput16(&want, ns);
	bput16(&want, ar);
}

/* The question of q, copied as the client sent it. */
static void question(void)
{
	size_t end = 12;
	while (q.b[end])
		end += q.b[end] + 1u;
	bput(&want, q.b + 12, end + 1 + 4 - 12);
}

static void soa_ex(uint16_t apex_ptr)
{
	bput16(&want, apex_ptr);
	bhex(&want, "0006 0001 0000012c 001e");
	bhex(&want, "036e7331");
	bput16(&want, apex_ptr);
	bhex(&want, "0168");
	bput16(&want, apex_ptr);
	bhex(&want, "00000001 00001c20 00000e10 00127500 0000012c");
}

static void check(size_t n)
{
	if (n != want.n || memcmp(got, want.b, n) != 0) {
		fprintf(stderr, "got  %zu:", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %02x", got[i]);
		fprintf(stderr, "\nwant %zu:", want.n);
		for (size_t i = 0; i < want.n; i++)
			fprintf(stderr, " %02x", want.b[i]);
		fprintf(stderr, "\n");
	}
	assert_int_equal(n, want.n);
	assert_memory_equal(got, want.b, n);
}

static void a_hit(void **state)
{
	make_query(&q, 0x1234, 0x0100, "www.ex.", 1, -1, false);
	hdr(0x1234, 0x85, 0x00, 1, 1, 0, 0);
	question();
	bhex(&want, "c00c 0001 0001 00000e10 0004 c6336450");
	check(ask(false));
}

static void a_hit_mixed_case(void **state)
{
	make_query(&q, 7, 0, "wWw.Ex.", 1, -1, false);
	hdr(7, 0x84, 0x00, 1, 1, 0, 0);
	question(); /* keeps "wWw.Ex." */
	bhex(&want, "c00c 0001 0001 00000e10 0004 c6336450");
	check(ask(false));
	assert_memory_equal(got + 13, "wWw", 3);
}

static void a_hit_edns_do(void **state)
{
	make_query(&q, 9, 0, "www.ex.", 1, 4096, true);
	hdr(9, 0x84, 0x00, 1, 1, 0, 1);
	question();
	bhex(&want, "c00c 0001 0001 00000e10 0004 c6336450");
	bhex(&want, "00 0029 04d0 00 00 8000 0000"); /* 1232, DO echoed */
	check(ask(false));
}

static void nxdomain_relocated(void **state)
{
	/* "a.b.ex.": the apex is at offset 12 + 2 + 2 = 16. */
	make_query(&q, 1, 0, "a.b.ex.", 1, -1, false);
	hdr(1, 0x84, 0x03, 1, 0, 1, 0);
	question();
	soa_ex(0xc010);
	check(ask(false));
}

static void nodata(void **state)
{
	make_query(&q, 2, 0, "www.ex.", 15, -1, false);
	hdr(2, 0x84, 0x00, 1, 0, 1, 0);
	question();
	soa_ex(0xc010);
	check(ask(false));
}

static void referral_below_cut(void **state)
{
	/* "host.sub.ex.": "sub.ex." is at 12 + 5 = 0x11; the NS rdata name
	 * starts at 12 + 17 + 12 = 41 = 0x29, where the glue owner points. */
	make_query(&q, 3, 0x0100, "host.sub.ex.", 1, -1, false);
	hdr(3, 0x81, 0x00, 1, 0, 1, 1);
	question();
	bhex(&want, "c011 0002 0001 00000e10 0005 026e73 c011");
	bhex(&want, "c029 0001 0001 00000e10 0004 c6336435");
	check(ask(false));
}

static void wildcard_keeps_case(void **state)
{
	make_query(&q, 4, 0, "Foo.Bar.w.ex.", 16, -1, false);
	hdr(4, 0x84, 0x00, 1, 1, 0, 0);
	question();
	bhex(&want, "c00c 0010 0001 00000e10 0002 0177");
	check(ask(false));
}

static void truncated_without_edns(void **state)
{
	/* Three 201-byte strings do not fit 512: TC, no answer (knotd). */
	make_query(&q, 5, 0, "big.ex.", 16, -1, false);
	hdr(5, 0x86, 0x00, 1, 0, 0, 0);
	question();
	check(ask(false));
}

static void edns_512_truncates(void **state)
{
	make_query(&q, 6, 0, "big.ex.", 16, 512, false);
	hdr(6, 0x86, 0x00, 1, 0, 0, 1);
	question();
	bhex(&want, "00 0029 04d0 00 00 0000 0000");
	check(ask(false));
}

static void edns_1232_fits(void **state)
{
	make_query(&q, 6, 0, "big.ex.", 16, 1232, false);
	size_t n = ask(false);
	assert_true(n > 512 && n <= 1232);
	assert_int_equal(got[2], 0x84); /* no TC */
	assert_int_equal(got[7], 3); /* three TXT records */
}

static void tcp_is_whole(void **state)
{
	make_query(&q, 6, 0, "big.ex.", 16, -1, false);
	size_t n = ask(true);
	assert_true(n > 512);
	assert_int_equal(got[2], 0x84);
	assert_int_equal(got[7], 3);
}

static void badvers(void **state)
{
	make_query(&q, 8, 0x0100, "www.ex.", 1, 1232, true);
	q.b[q.n - 5] = 1; /* EDNS version 1 */
	hdr(8, 0x81, 0x00, 1, 0, 0, 1);
	question();
	bhex(&want, "00 0029 04d0 01 00 8000 0000"); /* ext-rcode 1 = 16 */
	check(ask(false));
}

static void refused_out_of_zone(void **state)
{
	make_query(&q, 10, 0x0100, "example.org.", 1, -1, false);
	hdr(10, 0x81, 0x05, 1, 0, 0, 0);
	question();
	check(ask(false));

	make_query(&q, 11, 0, "example.org.", 1, 1232, false);
	hdr(11, 0x80, 0x05, 1, 0, 0, 1);
	question();
	/* EDE 20, Not Authoritative (RFC 8914), as knotd adds */
	bhex(&want, "00 0029 04d0 00 00 0000 0006 000f 0002 0014");
	check(ask(false));
}

static void no_reply_to_responses(void **state)
{
	make_query(&q, 12, 0x8000, "www.ex.", 1, -1, false);
	assert_int_equal(ask(false), 0);
	q.n = 11;
	assert_int_equal(ask(false), 0);
}

static void notimp_opcode(void **state)
{
	make_query(&q, 13, 2 << 11, "www.ex.", 1, -1, false);
	hdr(13, 0x90, 0x04, 1, 0, 0, 0);
	question();
	check(ask(false));
}

static void formerr_qdcount(void **state)
{
	make_query(&q, 14, 0, "www.ex.", 1, -1, false);
	q.b[5] = 0;
	q.n = 12;
	hdr(14, 0x80, 0x01, 0, 0, 0, 0);
	check(ask(false));

	make_query(&q, 15, 0, "www.ex.", 1, -1, false);
	bname(&q, "ns1.ex.");
	bput16(&q, 1);
	bput16(&q, 1);
	q.b[5] = 2; /* RFC 9619: FORMERR */
	hdr(15, 0x80, 0x01, 0, 0, 0, 0);
	check(ask(false));
}

static void formerr_trailing_bytes(void **state)
{
	make_query(&q, 16, 0, "www.ex.", 1, -1, false);
	bput8(&q, 0);
	hdr(16, 0x80, 0x01, 1, 0, 0, 0);
	question();
	check(ask(false));
}

static void formerr_two_opts(void **state)
{
	make_query(&q, 17, 0, "www.ex.", 1, 1232, false);
	bhex(&q, "00 0029 04d0 00 00 0000 0000");
	q.b[11] = 2;
	hdr(17, 0x80, 0x01, 1, 0, 0, 0); /* no OPT in the reply */
	question();
	check(ask(false));
}

static void formerr_pointer_in_question(void **state)
{
	q.n = 0;
	bhex(&q, "0012 0000 0001 0000 0000 0000 c00c 0001 0001");
	hdr(0x12, 0x80, 0x01, 0, 0, 0, 0);
	check(ask(false));
}

static void meta_types(void **state)
{
	make_query(&q, 18, 0, "www.ex.", 0, -1, false);
	hdr(18, 0x80, 0x04, 1, 0, 0, 0); /* qtype 0: NOTIMP */
	question();
	check(ask(false));

	make_query(&q, 19, 0, "ex.", 252, -1, false); /* AXFR over UDP */
	hdr(19, 0x80, 0x04, 1, 0, 0, 0);
	question();
	check(ask(false));

	make_query(&q, 20, 0, "ex.", 251, -1, false); /* IXFR over UDP */
	hdr(20, 0x80, 0x09, 1, 0, 0, 0);
	question();
	check(ask(false));

	make_query(&q, 21, 0, "www.ex.", 252, -1, false); /* not an apex */
	hdr(21, 0x80, 0x05, 1, 0, 0, 0);
	question();
	check(ask(false));
}

static void cd_copied_ad_cleared(void **state)
{
	make_query(&q, 22, 0x0130, "www.ex.", 1, -1, false); /* RD AD CD */
	hdr(22, 0x85, 0x10, 1, 1, 0, 0);
	question();
	bhex(&want, "c00c 0001 0001 00000e10 0004 c6336450");
	check(ask(false));
}

static void class_chaos_refused(void **state)
{
	make_query(&q, 23, 0, "version.bind.", 16, -1, false);
	q.b[q.n - 1] = 3;
	hdr(23, 0x80, 0x05, 1, 0, 0, 0);
	question();
	check(ask(false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_hit),
		cmocka_unit_test(a_hit_mixed_case),
		cmocka_unit_test(a_hit_edns_do),
		cmocka_unit_test(nxdomain_relocated),
		cmocka_unit_test(nodata),
		cmocka_unit_test(referral_below_cut),
		cmocka_unit_test(wildcard_keeps_case),
		cmocka_unit_test(truncated_without_edns),
		cmocka_unit_test(edns_512_truncates),
		cmocka_unit_test(edns_1232_fits),
		cmocka_unit_test(tcp_is_whole),
		cmocka_unit_test(badvers),
		cmocka_unit_test(refused_out_of_zone),
		cmocka_unit_test(no_reply_to_responses),
		cmocka_unit_test(notimp_opcode),
		cmocka_unit_test(formerr_qdcount),
		cmocka_unit_test(formerr_trailing_bytes),
		cmocka_unit_test(formerr_two_opts),
		cmocka_unit_test(formerr_pointer_in_question),
		cmocka_unit_test(meta_types),
		cmocka_unit_test(cd_copied_ad_cleared),
		cmocka_unit_test(class_chaos_refused),
	};
	return cmocka_run_group_tests_name("answer", tests, setup, teardown);
}
