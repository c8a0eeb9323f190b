// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * libFuzzer target: arbitrary bytes as a query to the answer engine, over
 * UDP and TCP, against a zone with every kind of answer. Any response must
 * parse as DNS, answer the query's ID with QR set, and stay within the size
 * the client allows.
 */
#include <stdbool.h>
#include <stdint.h>

#include "answer.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
	"$ORIGIN f.\n$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n@ MX 1 mail\n"
	"ns A 192.0.2.1\nmail AAAA 2001:db8::1\nwww A 192.0.2.2\n"
	"c CNAME www\nc2 CNAME nope\n*.w TXT wild\n*.w MX 1 m.w\n"
	"d NS ns.d\nd NS ns.other.\nns.d A 192.0.2.3\na.b.c.e A 192.0.2.4\n";

static struct xd_cdb db;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	static bool ready;

	if (!ready) {
		fuzz_compile(&db, zone, 40);
		ready = true;
	}
	struct xd_answer_opts udp = { 0 }, tcp = { .tcp = true };
	size_t n = xd_answer(&db, data, size, out, sizeof(out), &udp, NULL);
	/* UDP: at most 1232 with EDNS, 512 without; errors are small. */
	fuzz_check_response(data, out, n, 1232);
	n = xd_answer(&db, data, size, out, sizeof(out), &tcp, NULL);
	fuzz_check_response(data, out, n, 65535);
	return 0;
}
