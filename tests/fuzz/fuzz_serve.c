// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * libFuzzer target: xdpdns-server's packet handler (the engine, cookies,
 * NSID)
 * on arbitrary bytes, over UDP and TCP. A response must parse as DNS,
 * carry the query's ID with QR set, and stay within the size the
 * transport allows; with an NSID asked for and room left, it carries it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <libknot/libknot.h>

#include "compile.h"
#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
	"$ORIGIN f.\n$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n@ MX 1 mail\n"
	"ns A 192.0.2.1\nmail AAAA 2001:db8::1\nwww A 192.0.2.2\n"
	"c CNAME www\n*.w TXT wild\nd NS ns.d\nns.d A 192.0.2.3\n";

static struct xd_cdb db;
static struct xd_serve_ctx ctx;

static void setup(void)
{
	struct xd_zoneset zs;
	struct xd_diag d;
	char big[4096];
	size_t n = 0;

	n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", zone);
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "many A 192.0.2.%d\n", i + 10);
	xd_zoneset_init(&zs);
	xd_diag_init(&d, NULL);
	xd_cdb_init(&db);
	if (xd_zoneset_load_string(&zs, "f", big, n, "f.", &d) ||
	    xd_zoneset_check(&zs, &d) || xd_compile(&zs, &db, &d, NULL))
		abort();
	xd_zoneset_free(&zs);
	static const uint8_t secret[16] = { 1, 2, 3 };
	xd_serve_init(&ctx, "fuzz-node", 9, secret, secret);
}

static void verify(const uint8_t *q, const uint8_t *r, size_t rlen,
		   size_t limit)
{
	if (!rlen)
		return;
	if (rlen < 12 || rlen > limit || r[0] != q[0] || r[1] != q[1] ||
	    !(r[2] & 0x80))
		abort();
	knot_pkt_t *p = knot_pkt_new((void *)r, (uint16_t)rlen, NULL);
	if (!p || knot_pkt_parse(p, 0) != KNOT_EOK)
		abort();
	knot_pkt_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	static bool ready;

	if (!ready) {
		setup();
		ready = true;
	}
	struct sockaddr_storage client = { .ss_family = AF_INET };
	size_t n = xd_serve(&ctx, &db, data, size, out, 4096, false, &client,
			    1700000000, NULL);
	verify(data, out, n, 1232);
	n = xd_serve(&ctx, &db, data, size, out, sizeof(out), true, &client,
		     1700000000, NULL);
	verify(data, out, n, 65535);
	return 0;
}
