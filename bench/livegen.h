/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by xdp-livegen and its BPF programs: the query frames the
 * generator sends, what a reply to each must look like, and the counters
 * of the replies seen at the client's end.
 */
#ifndef XDPDNS_LIVEGEN_H
#define XDPDNS_LIVEGEN_H

#include <linux/types.h>

/* Every frame is sent from a buffer this long, then cut to its length. */
#define LG_FRAME_MAX 256
#define LG_TEMPLATES 256
/* DNS bytes checked in a reply after its ID: header and question, and the
 * start of the answer; replies must be at least 2 + this long. */
#define LG_CHECK_WORDS 6
#define LG_CHECK_BYTES (8 * LG_CHECK_WORDS)
/* Template i is sent from UDP port LG_PORT_BASE + i; a reply comes back to
 * it, which tells the sink which template it answers. */
#define LG_PORT_BASE 40000

/* One query frame: Ethernet, IPv4 or IPv6, UDP, DNS, checksums valid as
 * stored with the DNS ID's low byte 0 (the generator fills it in). */
struct lg_template {
	__u32 len;
	__u16 id_off; /* offset of the DNS ID in the frame */
	__u16 csum_off; /* offset of the UDP checksum */
	__u8 frame[LG_FRAME_MAX];
};

/* The reply template i must get: its DNS length, and its bytes 2.. (after
 * the ID) compared word by word under a mask (bytes past the reply's end
 * are masked out). The ID's high byte must equal tag. */
struct lg_expect {
	__u32 dns_len;
	__u32 tag;
	__u64 word[LG_CHECK_WORDS];
	__u64 mask[LG_CHECK_WORDS];
};

enum lg_counter {
	LG_SENT, /* frames the generator sent (redirected) */
	LG_OK, /* replies as expected */
	LG_BAD, /* replies to a template, but not as expected */
	LG_OTHER, /* anything else that reached the client (passed) */
	LG_COUNTERS,
};

#endif
