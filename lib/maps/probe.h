/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The checks of xdpdns-health: the XDP program run on a canary frame
 * (BPF_PROG_TEST_RUN on the pinned program, with the live maps), the SOA
 * serial over TCP from xdpdns-server, and SOA plus NSID over UDP from a
 * peer. Each returns 0 or -1 with a reason an operator can act on.
 */
#ifndef XDPDNS_PROBE_H
#define XDPDNS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HP_NSID_MAX 256

/* A zone as the pin directory records it: apex and serial last applied. */
struct hp_zone {
	uint8_t apex[256]; /* lowercase wire form */
	char text[1100];
	uint32_t applied;
};

/* Every zone in the pinned zone list, at most max. Returns the count. */
int hp_applied_zones(int zones_fd, struct hp_zone *out, int max);

/* Whether prog_fd (the pinned program) is attached to dev, alone or
 * behind the libxdp dispatcher. On success *run_fd is a new descriptor
 * of what to run the canary on (the caller closes it): the program
 * itself when alone; behind the dispatcher the dispatcher, which runs it
 * as real packets do (the pinned program is then an extension, which
 * the kernel cannot test-run on its own). */
int hp_xdp_attached(const char *dev, int prog_fd, int *run_fd, char *why,
		    size_t len);

/*
 * Run the program on an SOA query for z's apex, as if it came from the
 * wire to dst (an IPv4 address, network order). Good when it answers
 * itself (XDP_TX) with AA and the serial last applied.
 */
int hp_xdp_canary(int prog_fd, const struct hp_zone *z, uint32_t dst, char *why,
		  size_t len);

/* SOA of apex over TCP from ss, within timeout_s; *rtt_s measured. */
int hp_tcp_soa(const struct sockaddr_storage *ss, socklen_t sslen,
	       const uint8_t *apex, double timeout_s, uint32_t *serial,
	       double *rtt_s, char *why, size_t len);

/* SOA of apex over UDP from ss, asking for NSID (one retry). */
int hp_udp_soa_nsid(const struct sockaddr_storage *ss, socklen_t sslen,
		    const uint8_t *apex, double timeout_s, uint32_t *serial,
		    char nsid[HP_NSID_MAX * 4 + 1], double *rtt_s, char *why,
		    size_t len);

/* An SOA query for apex with id, without RD; with the NSID option when
 * nsid. Returns its length (out holds at least 300 bytes). */
size_t hp_query(uint8_t *out, uint16_t id, const uint8_t *apex, bool nsid);

/*
 * Check a reply to hp_query(id, apex): QR, no error, AA, the apex's SOA
 * in the answer section. Fills *serial, and nsid (printable, or hex) when
 * the reply carries one ("" otherwise).
 */
int hp_parse_soa(const uint8_t *r, size_t n, uint16_t id, const uint8_t *apex,
		 uint32_t *serial, char nsid[HP_NSID_MAX * 4 + 1], char *why,
		 size_t len);

#endif
