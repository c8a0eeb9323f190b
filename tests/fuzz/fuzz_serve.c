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

#include <netinet/in.h>

#include "fuzz_common.h"
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
	static const uint8_t secret[16] = { 1, 2, 3 };

	fuzz_compile(&db, zone, 60);
	xd_serve_init(&ctx, "fuzz-node", 9, secret, secret);
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
	fuzz_check_response(data, out, n, 1232);
	n = xd_serve(&ctx, &db, data, size, out, sizeof(out), true, &client,
		     1700000000, NULL);
	fuzz_check_response(data, out, n, 65535);
	return 0;
}
