// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Zone loading and checking: what is refused, what is warned about, and
 * the normalisation (order, TTL, duplicates, zone cuts) the compiler sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "dname.h"
#include "zone.h"

#define HEAD "$ORIGIN z.\n$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n"

static const struct {
	const char *what;
	const char *text;
	unsigned errors, warnings;
	const char *message; /* expected in the output */
} cases[] = {
	{ "clean", HEAD "ns A 192.0.2.1\n", 0, 0, NULL },
	{ "no NS", "$ORIGIN z.\n@ 1 SOA ns h 1 2 3 4 5\n", 1, 0,
	  "no NS records at the zone apex z." },
	{ "two SOA", HEAD "@ SOA ns h 2 2 3 4 5\n", 1, 0,
	  "test.zone:5: error: several SOA records" },
	{ "CNAME and A", HEAD "x CNAME ns\nx A 192.0.2.1\n", 1, 0,
	  "CNAME beside other data (A at test.zone:6)" },
	{ "CNAME beside RRSIG is no CNAME error; the zone is checked as "
	  "signed, and without keys or NSEC refused",
	  HEAD
	  "x CNAME ns\nx RRSIG CNAME 8 2 300 20800101000000 20200101000000 "
	  "1 z. AAAA\n",
	  2, 0,
	  "test.zone: error: zone z. is signed but has no DNSKEY with the "
	  "Zone Key flag at the apex\n"
	  "test.zone: error: zone z. is signed but has no NSEC or NSEC3 "
	  "records\n" },
	{ "two CNAMEs", HEAD "x CNAME a\nx CNAME b\n", 1, 0,
	  "several CNAME records at one name" },
	{ "outside", HEAD "y. A 192.0.2.1\n", 1, 0,
	  "record outside the zone z." },
	{ "not glue below a cut",
	  HEAD "d NS ns.d\nns.d A 192.0.2.1\n"
	       "w.d TXT x\n",
	  1, 0, "data below the delegation at d.z. is not glue" },
	{ "glue at the cut itself", HEAD "d NS d\nd A 192.0.2.1\n", 0, 0,
	  NULL },
	{ "TTL mismatch", HEAD "x 10 A 192.0.2.1\nx 20 A 192.0.2.2\n", 0, 1,
	  "serving all its records with the lowest, 10" },
	{ "duplicate", HEAD "x A 192.0.2.1\nx A 192.0.2.1\n", 0, 1,
	  "test.zone:6: warning: duplicate record dropped (first at line 5)" },
	{ "syntax", HEAD "x A 300.1.1.1\n", 1, 0, "test.zone:5: error:" },
};

static void table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xd_zoneset zs;
		struct xd_diag d;
		char *out = NULL;
		size_t outlen = 0;
		FILE *f = open_memstream(&out, &outlen);

		xd_zoneset_init(&zs);
		xd_diag_init(&d, f);
		xd_zoneset_load_string(&zs, "test.zone", cases[i].text,
				       strlen(cases[i].text), NULL, &d);
		xd_zoneset_check(&zs, &d);
		fclose(f);
		if (d.errors != cases[i].errors ||
		    d.warnings != cases[i].warnings ||
		    (cases[i].message && !strstr(out, cases[i].message)))
			fail_msg("%s: %u errors, %u warnings:\n%s",
				 cases[i].what, d.errors, d.warnings, out);
		free(out);
		xd_zoneset_free(&zs);
	}
}

static void normalised(void **state)
{
	static const char text[] = HEAD
		"x 20 A 192.0.2.9\nx 10 A 192.0.2.1\n"
		"x A 192.0.2.5\nd NS ns.d\nns.d A 192.0.2.1\n"
		"*.w TXT t\n";
	struct xd_zoneset zs;
	struct xd_diag d;
	uint8_t name[XD_DNAME_MAX];

	xd_zoneset_init(&zs);
	xd_diag_init(&d, NULL);
	assert_int_equal(xd_zoneset_load_string(&zs, "t", text, strlen(text),
						NULL, &d),
			 0);
	assert_int_equal(xd_zoneset_check(&zs, &d), 0);
	struct xd_zone *z = zs.zones;
	assert_int_equal(z->serial, 1);

	struct buf b = { .n = 0 };
	bname(&b, "x.z.");
	const struct xd_node *n = xd_zone_find(z, b.b);
	assert_non_null(n);
	const struct xd_rrset *s = xd_node_rrset(n, XD_TYPE_A);
	assert_int_equal(s->count, 3);
	assert_int_equal(s->ttl, 10);
	assert_int_equal(s->rrs->rdata[3], 1); /* sorted: .1 .5 .9 */
	assert_int_equal(s->rrs->next->rdata[3], 5);
	assert_int_equal(s->rrs->next->next->rdata[3], 9);

	b.n = 0;
	bname(&b, "d.z.");
	assert_true(xd_zone_find(z, b.b)->flags & XD_NODE_DELEG);
	b.n = 0;
	bname(&b, "ns.d.z.");
	assert_true(xd_zone_find(z, b.b)->flags & XD_NODE_OCCLUDED);
	b.n = 0;
	bname(&b, "w.z.");
	assert_true(xd_zone_find(z, b.b)->flags & XD_NODE_WILDCARD);
	xd_dname_lower(name, b.b);
	xd_zoneset_free(&zs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(normalised),
	};
	return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
