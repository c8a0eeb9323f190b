/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Running the XDP program on crafted frames (BPF_PROG_TEST_RUN), for the
 * packet tests and the fuzzing of the fast path: frame building, reply
 * checking (addresses, lengths, checksums), and the program loaded with
 * compiled zones.
 */
#ifndef XDPDNS_XDPTEST_H
#define XDPDNS_XDPTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdb.h"
#include "xdpmaps.h"

struct xdpdns;

struct xdp_env {
	struct xdpdns *skel;
	struct xd_xdp_maps maps;
	int prog_fd;
	struct xd_cdb db;
};

/* How to wrap a DNS message into a frame. */
struct frame_opts {
	int vlans; /* 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) */
	bool ipv6;
	bool ip_options; /* IPv4 header with a 4-byte option */
	bool fragment; /* IPv4 MF set */
	bool ipv6_ext; /* IPv6 hop-by-hop header before UDP */
	bool tcp; /* a TCP segment instead of UDP */
	bool bad_ip_csum; /* the IPv4 header checksum off by one bit */
	uint16_t sport; /* source port, 0 means 40000 */
	uint16_t dport; /* destination port, 0 means 53 */
	int udp_len_skew; /* added to the UDP length field */
	int pad; /* bytes after the datagram, as Ethernet padding leaves */
	const uint8_t *src; /* the client's address (4 or 16 bytes); NULL:
			     * 198.18.0.2 or 2001:db8::2 */
};

/*
 * Load the program and fill generation 0 with zone specs (ZONE=FILE).
 * Returns 0, or -1 with a reason when BPF is not usable here (not root,
 * no BTF...).
 */
int xdp_env_open(struct xdp_env *env, char *const *specs, int n,
		 const char **why);
void xdp_env_close(struct xdp_env *env);

size_t frame_build(uint8_t *out, const uint8_t *dns, size_t dnslen,
		   const struct frame_opts *o);

/* Run the program on a frame; returns the XDP action, or -1. */
int xdp_run(struct xdp_env *env, const uint8_t *in, size_t inlen, uint8_t *out,
	    size_t *outlen);

/*
 * Check that out is a well-formed reply to the frame in: MACs, addresses
 * and ports swapped, TTL or hop limit 64, lengths consistent, IPv4 header
 * and UDP checksums valid. On success sets *dns and *dnslen to the reply's
 * DNS message and returns NULL; otherwise returns what is wrong.
 */
const char *reply_check(const uint8_t *in, size_t inlen, const uint8_t *out,
			size_t outlen, const uint8_t **dns, size_t *dnslen);

/* The DNS message a frame carries (as its UDP length says); -1 if none. */
int frame_dns(const uint8_t *f, size_t len, const uint8_t **dns,
	      size_t *dnslen);

/* Sum of the per-CPU counters, field by field (struct xd_stats). */
int xdp_stats(struct xdp_env *env, uint64_t *fields, size_t nfields);

#endif
