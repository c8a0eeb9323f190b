// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * NSEC3 hashing (nsec3.h), with Nettle's SHA-1.
 */
#include "nsec3.h"

#include <nettle/sha1.h>

void xd_nsec3_hash(const uint8_t *lname, size_t nlen, const uint8_t *salt,
		   size_t salt_len, unsigned iterations,
		   uint8_t out[XD_NSEC3_HASH_LEN])
{
	struct sha1_ctx ctx;

	sha1_init(&ctx);
	sha1_update(&ctx, nlen, lname);
	sha1_update(&ctx, salt_len, salt);
	sha1_digest(&ctx, XD_NSEC3_HASH_LEN, out);
	for (unsigned i = 0; i < iterations; i++) {
		sha1_update(&ctx, XD_NSEC3_HASH_LEN, out);
		sha1_update(&ctx, salt_len, salt);
		sha1_digest(&ctx, XD_NSEC3_HASH_LEN, out);
	}
}

static int b32hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'v')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'V')
		return c - 'A' + 10;
	return -1;
}

bool xd_nsec3_owner_hash(const uint8_t *name, uint8_t out[XD_NSEC3_HASH_LEN])
{
	/* 20 bytes are 160 bits, 32 characters of 5 bits, no padding. */
	if (name[0] != 32)
		return false;
	uint64_t acc = 0;
	unsigned bits = 0, o = 0;
	for (unsigned i = 1; i <= 32; i++) {
		int v = b32hex_value(name[i]);
		if (v < 0)
			return false;
		acc = acc << 5 | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == XD_NSEC3_HASH_LEN;
}
