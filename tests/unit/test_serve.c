// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-server's packet handler: DNS cookies with RFC 9018's Appendix A
 * test vectors (exact bytes of the server cookie returned), malformed
 * cookies answered FORMERR (RFC 7873 5.2.2), the previous secret still
 * accepted, room kept for the options in UDP replies, NSID.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "serve.h"

static struct xd_cdb db;

static const char zone[] =
	"$ORIGIN example.\n$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\n"
	"ns A 192.0.2.1\nwww A 192.0.2.80\n"
	/* 30 TXT of 40 bytes: over 1232 in all, cut to fit. */
	"big TXT \"0123456789012345678901234567890123456789\"\n"
	"big TXT \"1123456789012345678901234567890123456789\"\n"
	"big TXT \"2123456789012345678901234567890123456789\"\n"
	"big TXT \"3123456789012345678901234567890123456789\"\n"
	"big TXT \"4123456789012345678901234567890123456789\"\n"
	"big TXT \"5123456789012345678901234567890123456789\"\n"
	"big TXT \"6123456789012345678901234567890123456789\"\n"
	"big TXT \"7123456789012345678901234567890123456789\"\n"
	"big TXT \"8123456789012345678901234567890123456789\"\n"
	"big TXT \"9123456789012345678901234567890123456789\"\n";

static int setup(void **state)
{
	compile_text(&db, "example.", zone);
	return 0;
}

static int teardown(void **state)
{
	xd_cdb_free(&db);
	return 0;
}

static void hex(uint8_t *out, const char *h)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		fail_msg("bad address %s", text);
	return ss;
}

/* A query for name/type with an OPT holding one option. */
static void query_with(struct buf *b, const char *name, uint16_t type,
		       uint16_t code, const char *opt_hex, uint16_t size)
{
	uint8_t data[64];
	size_t n = strlen(opt_hex) / 2;

	hex(data, opt_hex);
	make_query(b, 0x1234, 0, name, type, -1, false);
	b->b[11] = 1;
	bput8(b, 0);
	bput16(b, 41);
	bput16(b, size);
	bput32(b, 0);
	bput16(b, (uint16_t)(4 + n));
	bput16(b, code);
	bput16(b, (uint16_t)n);
	bput(b, data, n);
}

/* The data of option code in the response's OPT (the last record). */
static size_t reply_option(const uint8_t *r, size_t n, uint16_t code,
			   uint8_t *out)
{
	/* Walk the options from the end: find the OPT by its RDLENGTH. */
	for (size_t at = 12; at + 11 <= n; at++) {
		if (r[at] != 0 || r[at + 1] != 0 || r[at + 2] != 41)
			continue;
		size_t rdlen = (size_t)(r[at + 9] << 8 | r[at + 10]);
		if (at + 11 + rdlen != n)
			continue;
		size_t o = at + 11;
		while (o + 4 <= n) {
			uint16_t c = (uint16_t)(r[o] << 8 | r[o + 1]);
			size_t l = (size_t)(r[o + 2] << 8 | r[o + 3]);
			if (c == code) {
				memcpy(out, r + o + 4, l);
				return l;
			}
			o += 4 + l;
		}
	}
	return 0;
}

struct vector {
	const char *what, *secret, *previous, *query_cookie, *ip;
	uint32_t now;
	bool valid;
	const char *reply_cookie;
};

/* RFC 9018 Appendix A. */
static const struct vector vectors[] = {
	{ "A.1 learning a new server cookie",
	  "e5e973e5a6b2a43f48e7dc849e37bfcf", NULL, "2464c4abcf10c957",
	  "198.51.100.100", 1559731985, false,
	  "2464c4abcf10c957010000005cf79f111f8130c3eee29480" },
	{ "A.2 the same client, 40 minutes later",
	  "e5e973e5a6b2a43f48e7dc849e37bfcf", NULL,
	  "2464c4abcf10c957010000005cf79f111f8130c3eee29480", "198.51.100.100",
	  1559734385, true,
	  "2464c4abcf10c957010000005cf7a871d4a564a1442aca77" },
	{ "A.3 another client, a cookie over an hour old",
	  "e5e973e5a6b2a43f48e7dc849e37bfcf", NULL,
	  "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", "203.0.113.203",
	  1559734700, false,
	  "fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e" },
	{ "A.4 IPv6 client after the secret rolled over",
	  "445536bcd2513298075a5d379663c962",
	  "dd3bdf9344b678b185a6f5cb60fca715",
	  "22681ab97d52c298010000005cf7c57926556bd0934c72f8",
	  "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741961, true,
	  "22681ab97d52c298010000005cf7c609a6bb79d16625507a" },
};

static void rfc9018_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint8_t secret[16], previous[16], want[40], got[40];
		struct xd_serve_ctx ctx;
		struct xd_serve_info info;
		struct buf q;
		static uint8_t out[4096];

		hex(secret, v->secret);
		if (v->previous)
			hex(previous, v->previous);
		xd_serve_init(&ctx, NULL, 0, secret,
			      v->previous ? previous : NULL);
		query_with(&q, "www.example.", 1, 10, v->query_cookie, 1232);
		struct sockaddr_storage client = addr(v->ip);
		size_t n = xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out),
				    false, &client, v->now, &info);
		assert_true(n > 12);
		assert_int_equal(out[3] & 0xf, 0); /* NOERROR */
		assert_int_equal(out[7], 1); /* the answer */
		assert_true(info.cookie);
		if (info.cookie_valid != v->valid)
			fail_msg("%s: valid %d, expected %d", v->what,
				 info.cookie_valid, v->valid);
		size_t l = reply_option(out, n, 10, got);
		hex(want, v->reply_cookie);
		assert_int_equal(l, 24);
		if (memcmp(got, want, 24))
			fail_msg("%s: wrong server cookie", v->what);
	}
}

static void forged_or_expired_is_not_valid(void **state)
{
	uint8_t secret[16];
	struct xd_serve_ctx ctx;
	struct xd_serve_info info;
	struct buf q;
	static uint8_t out[4096];
	struct sockaddr_storage client = addr("198.51.100.100");

	hex(secret, "e5e973e5a6b2a43f48e7dc849e37bfcf");
	xd_serve_init(&ctx, NULL, 0, secret, NULL);
	/* A.1's cookie, one hour and a second later: expired. */
	query_with(&q, "www.example.", 1, 10,
		   "2464c4abcf10c957010000005cf79f111f8130c3eee29480", 1232);
	xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false, &client,
		 1559731985 + 3601, &info);
	assert_true(info.cookie && !info.cookie_valid);
	/* Within the hour it holds. */
	xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false, &client,
		 1559731985 + 3600, &info);
	assert_true(info.cookie_valid);
	/* One hash bit off: forged. */
	query_with(&q, "www.example.", 1, 10,
		   "2464c4abcf10c957010000005cf79f111f8130c3eee29481", 1232);
	xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false, &client,
		 1559731985, &info);
	assert_true(info.cookie && !info.cookie_valid);
	/* A.3's cookie, in its hour: the reserved octets the client sent
	 * are part of the hash (RFC 9018 4.2). */
	struct sockaddr_storage a3 = addr("203.0.113.203");
	query_with(&q, "www.example.", 1, 10,
		   "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", 1232);
	xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false, &a3,
		 0x5cf78f71 + 60, &info);
	assert_true(info.cookie_valid);
	/* Another client's address. */
	struct sockaddr_storage other = addr("198.51.100.101");
	query_with(&q, "www.example.", 1, 10,
		   "2464c4abcf10c957010000005cf79f111f8130c3eee29480", 1232);
	size_t n = xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false,
			    &other, 1559731985, &info);
	assert_true(info.cookie && !info.cookie_valid);
	/* Still answered, with a fresh cookie. */
	assert_int_equal(out[3] & 0xf, 0);
	assert_int_equal(out[7], 1);
	uint8_t got[40];
	assert_int_equal(reply_option(out, n, 10, got), 24);
}

static void malformed_cookie_is_formerr(void **state)
{
	/* 0, 7, 9, 15 and 41 bytes: no client cookie, or a server cookie
	 * under 8 or over 32 bytes. */
	static const char *bad[] = {
		"",
		"2464c4abcf10c9",
		"2464c4abcf10c95701",
		"2464c4abcf10c957010000005cf79f",
		("2464c4abcf10c957010000005cf79f111f8130c3eee294800000000000000000"
		 "000000000000000000"),
	};
	uint8_t secret[16] = { 0 };
	struct xd_serve_ctx ctx;
	struct buf q;
	static uint8_t out[4096];
	struct sockaddr_storage client = addr("192.0.2.7");

	xd_serve_init(&ctx, NULL, 0, secret, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		query_with(&q, "www.example.", 1, 10, bad[i], 1232);
		size_t n = xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out),
				    false, &client, 1700000000, NULL);
		assert_true(n >= 12 + 11);
		assert_int_equal(out[0], 0x12);
		assert_int_equal(out[1], 0x34);
		assert_int_equal(out[2] & 0x80, 0x80);
		assert_int_equal(out[3] & 0xf, 1); /* FORMERR */
		assert_int_equal(out[7], 0); /* no answer */
		assert_int_equal(out[11], 1); /* the OPT */
	}
}

/* A malformed cookie in a query whose question is not well formed: the
 * FORMERR carries no question (it would not parse). */
static void malformed_cookie_bad_question(void **state)
{
	uint8_t secret[16] = { 0 };
	struct xd_serve_ctx ctx;
	struct buf q;
	static uint8_t out[4096];
	struct sockaddr_storage client = addr("192.0.2.7");

	xd_serve_init(&ctx, NULL, 0, secret, NULL);
	/* Header, a question whose name is a compression pointer, an OPT
	 * with a 2-byte cookie. */
	q.n = 0;
	bhex(&q, "1234 0000 0001 0000 0000 0001 c00c 0001 0001");
	bhex(&q, "00 0029 04d0 00000000 0006 000a 0002 0102");
	size_t n = xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false,
			    &client, 1700000000, NULL);
	assert_int_equal(n, 12 + 11);
	assert_int_equal(out[3] & 0xf, 1);
	assert_int_equal(out[5], 0); /* QDCOUNT 0 */
	assert_int_equal(out[11], 1);
}

static void room_for_options_and_nsid(void **state)
{
	uint8_t secret[16] = { 7 }, got[300];
	struct xd_serve_ctx ctx;
	struct buf q;
	static uint8_t out[4096];
	struct sockaddr_storage client = addr("192.0.2.7");

	xd_serve_init(&ctx, "node-7", 6, secret, NULL);
	/* A cookie and NSID on an answer cut to a 512-byte buffer. */
	query_with(&q, "big.example.", 16, 10, "0102030405060708", 512);
	/* Add NSID to the same OPT. */
	q.b[q.n - 8 - 4 - 1] += 4; /* RDLENGTH's low byte: 4 more */
	bput16(&q, 3);
	bput16(&q, 0);
	size_t n = xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false,
			    &client, 1700000000, NULL);
	assert_true(n <= 512);
	assert_int_equal(reply_option(out, n, 10, got), 24);
	assert_memory_equal(got, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(reply_option(out, n, 3, got), 6);
	assert_memory_equal(got, "node-7", 6);
	/* No cookie asked, none given; NSID not asked, none given: the
	 * plain answer with an OPT of no options, byte for byte. */
	make_query(&q, 0x1234, 0, "www.example.", 1, 1232, false);
	n = xd_serve(&ctx, &db, q.b, q.n, out, sizeof(out), false, &client,
		     1700000000, NULL);
	assert_int_equal(reply_option(out, n, 10, got), 0);
	assert_int_equal(reply_option(out, n, 3, got), 0);
	static struct buf want;
	want.n = 0;
	bhex(&want, "1234 8400"); /* QR, AA, NOERROR */
	bhex(&want, "0001 0001 0000 0001"); /* the answer; the OPT */
	bname(&want, "www.example.");
	bhex(&want, "0001 0001");
	bhex(&want, "c00c 0001 0001 0000012c 0004 c0000250");
	bhex(&want, "00 0029 04d0 00000000 0000"); /* 1232, DO clear */
	assert_int_equal(out[3] & 0xf, 0);
	assert_int_equal(out[6] << 8 | out[7], 1);
	assert_int_equal(out[10] << 8 | out[11], 1);
	assert_int_equal(n, want.n);
	assert_memory_equal(out, want.b, n);
}

/* ---- response rate limiting ---------------------------------------- */

static const char limit_zone[] = "$ORIGIN lim.example.\n$TTL 300\n"
				 "@ SOA ns h 1 2 3 4 5\n@ NS ns\n"
				 "ns A 192.0.2.1\nwww A 192.0.2.80\n"
				 "mail A 192.0.2.25\n*.w TXT \"wild\"\n"
				 "sub NS ns.sub\nns.sub A 192.0.2.53\n";

static uint64_t fake_ms;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

struct limit_env {
	struct xd_cdb db;
	struct xd_limiter l;
	struct xd_serve_ctx ctx;
};

/* A limiter at rate per class (window 1, slip 2) on the clock above. */
static void limit_open(struct limit_env *e, uint32_t rate)
{
	struct xd_limit_settings set;
	uint8_t secret[16] = { 9 };
	char why[128];

	compile_text(&e->db, "lim.example.", limit_zone);
	xd_limit_defaults(&set);
	char r[16];
	snprintf(r, sizeof(r), "%u", rate);
	assert_int_equal(xd_limit_set(&set, "rrl-responses-per-second", r, why,
				      sizeof(why)),
			 0);
	assert_int_equal(
		xd_limit_set(&set, "rrl-window", "1", why, sizeof(why)), 0);
	assert_int_equal(xd_limit_init(&e->l, &set), 0);
	e->l.now_ms = fake_clock;
	fake_ms = 1000000;
	xd_serve_init(&e->ctx, NULL, 0, secret, NULL);
	e->ctx.limit = &e->l;
}

static void limit_close(struct limit_env *e)
{
	xd_limit_free(&e->l);
	xd_cdb_free(&e->db);
}

/* What a response to q from client was: its length (0: not sent), and
 * in *slip whether it was a slip (TC=1, no records). */
static size_t limit_ask(struct limit_env *e, const struct buf *q,
			const char *client, bool tcp, bool *slip)
{
	static uint8_t out[65536];
	struct sockaddr_storage ss = addr(client);
	size_t n = xd_serve(&e->ctx, &e->db, q->b, q->n, out, sizeof(out), tcp,
			    &ss, 1700000000, NULL);
	*slip = n >= 12 && (out[2] & 0x02) && !out[6] && !out[7] && !out[8] &&
		!out[9];
	return n;
}

/* The n-th (from 0) of queries in a row to one bucket allowing rate,
 * slip 2: answered, then dropped and slipped in turn. */
static void limit_expect(const char *what, int i, int rate, size_t n, bool slip)
{
	bool ok = i < rate	      ? n > 0 && !slip :
		  (i - rate) % 2 == 1 ? n > 0 && slip :
					n == 0;
	if (!ok)
		fail_msg("%s: response %d: %zu bytes%s", what, i, n,
			 slip ? ", slipped" : "");
}

static void rate_limited(void **state)
{
	struct limit_env e;
	struct buf q;
	bool slip;
	size_t n;

	limit_open(&e, 2);
	/* One name: two answered, then dropped and slipped in turn. */
	make_query(&q, 1, 0, "www.lim.example.", 1, -1, false);
	for (int i = 0; i < 8; i++) {
		n = limit_ask(&e, &q, "198.18.7.1", false, &slip);
		limit_expect("www A", i, 2, n, slip);
	}
	/* The same /24: the same bucket. Another /24: its own. */
	n = limit_ask(&e, &q, "198.18.7.200", false, &slip);
	limit_expect("www A, same /24", 8, 2, n, slip);
	n = limit_ask(&e, &q, "198.18.8.1", false, &slip);
	assert_true(n > 0 && !slip);
	/* Another name from the limited client: its own bucket. */
	struct buf q2;
	make_query(&q2, 2, 0, "mail.lim.example.", 1, -1, false);
	assert_true(limit_ask(&e, &q2, "198.18.7.1", false, &slip) && !slip);
	/* TCP is never limited. */
	for (int i = 0; i < 4; i++) {
		n = limit_ask(&e, &q, "198.18.7.1", true, &slip);
		assert_true(n > 40 && !slip);
	}

	/* Names under a wildcard, below a delegation, or not there: one
	 * bucket for the wildcard, the delegation, the zone's NXDOMAIN. */
	static const struct {
		const char *under, *client;
		uint16_t type;
	} shared[] = {
		{ "w.lim.example.", "198.18.9.1", 16 },
		{ "sub.lim.example.", "198.18.10.1", 1 },
		{ "lim.example.", "198.18.11.1", 1 },
	};
	for (size_t k = 0; k < 3; k++)
		for (int i = 0; i < 6; i++) {
			char name[64];
			snprintf(name, sizeof(name), "r%d.%s", i,
				 shared[k].under);
			make_query(&q2, 3, 0, name, shared[k].type, -1, false);
			n = limit_ask(&e, &q2, shared[k].client, false, &slip);
			limit_expect(name, i, 2, n, slip);
		}

	/* Errors (REFUSED: a name in no zone): per prefix, dropped, never
	 * slipped. */
	for (int i = 0; i < 5; i++) {
		char name[64];
		snprintf(name, sizeof(name), "n%d.example.org.", i);
		make_query(&q2, 4, 0, name, 1, -1, false);
		n = limit_ask(&e, &q2, "198.18.12.1", false, &slip);
		assert_int_equal(n > 0, i < 2);
	}

	/* A slip with EDNS: header with TC, the question, the OPT alone. */
	make_query(&q2, 5, 0, "www.lim.example.", 1, 1232, false);
	for (int i = 0; i < 4; i++)
		n = limit_ask(&e, &q2, "198.18.13.1", false, &slip);
	assert_true(slip);
	static struct buf want;
	want.n = 0;
	bhex(&want, "0005 8600 0001 0000 0000 0001"); /* QR AA TC */
	bname(&want, "www.lim.example.");
	bhex(&want, "0001 0001 00 0029 04d0 00000000 0000");
	assert_int_equal(n, want.n);
	static uint8_t out[4096];
	struct sockaddr_storage ss = addr("198.18.13.1");
	/* (the fifth is dropped, the sixth slips: look at its bytes) */
	limit_ask(&e, &q2, "198.18.13.1", false, &slip);
	n = xd_serve(&e.ctx, &e.db, q2.b, q2.n, out, sizeof(out), false, &ss,
		     1700000000, NULL);
	assert_int_equal(n, want.n);
	assert_memory_equal(out, want.b, n);

	/* Credit comes back at the rate: idle over the window and a
	 * second, every debt is forgiven. */
	fake_ms += 2001;
	for (int i = 0; i < 4; i++) {
		n = limit_ask(&e, &q, "198.18.7.1", false, &slip);
		limit_expect("www A after 2 s", i, 2, n, slip);
	}
	/* A second earns two responses at 2 a second: one pays the debt
	 * of the limited one before it, one is answered; half a second
	 * earns only the debt back. */
	fake_ms += 2001;
	limit_ask(&e, &q, "198.18.7.1", false, &slip);
	limit_ask(&e, &q, "198.18.7.1", false, &slip);
	assert_int_equal(limit_ask(&e, &q, "198.18.7.1", false, &slip), 0);
	fake_ms += 500;
	assert_int_equal(limit_ask(&e, &q, "198.18.7.1", false, &slip) && !slip,
			 false);
	fake_ms += 1000;
	n = limit_ask(&e, &q, "198.18.7.1", false, &slip);
	assert_true(n > 0 && !slip);
	limit_close(&e);
}

/* A valid cookie of ours, an exempt prefix, log-only: never limited. */
static void rate_limit_exemptions(void **state)
{
	struct limit_env e;
	struct buf q;
	bool slip;
	char why[128];

	limit_open(&e, 1);
	uint8_t cc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, sc[16];
	uint8_t head[8] = { 1, 0, 0, 0 };
	uint32_t now = 1700000000;
	head[4] = (uint8_t)(now >> 24);
	head[5] = (uint8_t)(now >> 16);
	head[6] = (uint8_t)(now >> 8);
	head[7] = (uint8_t)now;
	uint8_t ip[4] = { 198, 18, 20, 1 };
	xd_server_cookie(e.ctx.secret, cc, head, ip, 4, sc);
	char opt[49];
	for (int i = 0; i < 8; i++)
		snprintf(opt + 2 * i, 3, "%02x", cc[i]);
	for (int i = 0; i < 16; i++)
		snprintf(opt + 16 + 2 * i, 3, "%02x", sc[i]);
	query_with(&q, "www.lim.example.", 1, 10, opt, 1232);
	for (int i = 0; i < 6; i++) {
		assert_true(limit_ask(&e, &q, "198.18.20.1", false, &slip));
		assert_false(slip);
	}
	/* The same bytes from another address: not its cookie. */
	int limited = 0;
	for (int i = 0; i < 6; i++)
		limited += !limit_ask(&e, &q, "198.18.21.1", false, &slip) ||
			   slip;
	assert_int_equal(limited, 5);
	xd_limit_free(&e.l);

	/* An exempt prefix; log-only counts what it would limit. */
	struct xd_limit_settings set;
	xd_limit_defaults(&set);
	assert_int_equal(xd_limit_set(&set, "rrl-exempt", "198.18.22.0/24", why,
				      128),
			 0);
	assert_int_equal(xd_limit_set(&set, "rrl-responses-per-second", "1",
				      why, 128),
			 0);
	assert_int_equal(xd_limit_init(&e.l, &set), 0);
	e.l.now_ms = fake_clock;
	make_query(&q, 1, 0, "www.lim.example.", 1, -1, false);
	for (int i = 0; i < 5; i++)
		assert_true(limit_ask(&e, &q, "198.18.22.9", false, &slip) &&
			    !slip);
	assert_int_equal(
		limit_ask(&e, &q, "198.18.23.9", false, &slip) &&
			limit_ask(&e, &q, "198.18.23.9", false, &slip) && !slip,
		false);
	xd_limit_free(&e.l);
	assert_int_equal(xd_limit_set(&set, "rrl-log-only", "on", why, 128), 0);
	assert_int_equal(xd_limit_init(&e.l, &set), 0);
	e.l.now_ms = fake_clock;
	struct sockaddr_storage ss = addr("198.18.24.9");
	static uint8_t out[4096];
	for (int i = 0; i < 5; i++) {
		struct xd_serve_info info;
		size_t n = xd_serve(&e.ctx, &e.db, q.b, q.n, out, sizeof(out),
				    false, &ss, 1700000000, &info);
		assert_true(n > 0 && !(out[2] & 0x02));
		assert_int_equal(info.limited,
				 i ? XD_LIMIT_LOG_ONLY : XD_LIMIT_SEND);
	}
	limit_close(&e);
}

/* Settings: names and values checked, with what is wrong. */
static void rate_limit_settings(void **state)
{
	struct xd_limit_settings s;
	char why[128];

	xd_limit_defaults(&s);
	assert_int_equal(s.rate[XD_RRL_POSITIVE], 10);
	assert_int_equal(s.rate[XD_RRL_ERROR], 10);
	assert_int_equal(s.window, 15);
	assert_int_equal(s.slip, 2);
	assert_int_equal(xd_limit_set(&s, "rrl", "off", why, 128), 0);
	for (int c = 0; c < XD_RRL_CLASSES; c++)
		assert_int_equal(s.rate[c], 0);
	assert_int_equal(xd_limit_set(&s, "rrl", "maybe", why, 128), -1);
	assert_string_equal(why, "rrl is on or off, not 'maybe'");
	assert_int_equal(xd_limit_set(&s, "rrl-window", "0", why, 128), -1);
	assert_string_equal(
		why, "rrl-window wants a number from 1 to 3600, not '0'");
	assert_int_equal(
		xd_limit_set(&s, "rrl-exempt", "198.18.0.0/33", why, 128), -1);
	assert_int_equal(xd_limit_set(&s, "rrl-nonsense", "1", why, 128), -2);
	assert_int_equal(
		xd_limit_set(&s, "rrl-nodata-per-second", "7", why, 128), 0);
	assert_int_equal(s.rate[XD_RRL_NODATA], 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc9018_vectors),
		cmocka_unit_test(forged_or_expired_is_not_valid),
		cmocka_unit_test(malformed_cookie_is_formerr),
		cmocka_unit_test(malformed_cookie_bad_question),
		cmocka_unit_test(room_for_options_and_nsid),
		cmocka_unit_test(rate_limited),
		cmocka_unit_test(rate_limit_exemptions),
		cmocka_unit_test(rate_limit_settings),
	};
	return cmocka_run_group_tests_name("serve", tests, setup, teardown);
}
