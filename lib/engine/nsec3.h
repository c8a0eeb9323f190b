/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * NSEC3 hashed owner names (RFC 5155 5): SHA-1 over the name in canonical
 * form and the salt, iterated, written as base32hex in the first label.
 */
#ifndef XDPDNS_NSEC3_H
#define XDPDNS_NSEC3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XD_NSEC3_HASH_LEN 20 /* SHA-1, the only algorithm defined */

/* H(name) of lowercase wire name lname, RFC 5155 5. */
void xd_nsec3_hash(const uint8_t *lname, size_t nlen, const uint8_t *salt,
		   size_t salt_len, unsigned iterations,
		   uint8_t out[XD_NSEC3_HASH_LEN]);

/*
 * The hash an NSEC3 owner name carries in its first label (32 base32hex
 * characters, either case). Returns false when the label is not one.
 */
bool xd_nsec3_owner_hash(const uint8_t *name, uint8_t out[XD_NSEC3_HASH_LEN]);

#endif
