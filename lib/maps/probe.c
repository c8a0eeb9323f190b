// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <libknot/libknot.h>
#include <linux/bpf.h>
#include <xdp/libxdp.h>

#include "attached.h"
#include "parse.h"
#include "pins.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define UDP_LEN 8
#define CANARY_SPORT 40053

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t random_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(now_s() * 1e6);
	return id;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int hp_applied_zones(int zones_fd, struct hp_zone *out, int max)
{
	struct xd_zone_key key, next;
	void *prev = NULL;
	int n = 0;

	while (n < max && !bpf_map_get_next_key(zones_fd, prev, &next)) {
		struct xd_zone_val v;
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(zones_fd, &key, &v))
			continue;
		size_t alen = knot_dname_size(key.name);
		if (alen == 0 || alen > sizeof(out[n].apex))
			continue;
		memcpy(out[n].apex, key.name, alen);
		if (!knot_dname_to_str(out[n].text, key.name,
				       sizeof(out[n].text)))
			snprintf(out[n].text, sizeof(out[n].text), "?");
		out[n].applied = v.serial;
		n++;
	}
	return n;
}

int hp_xdp_attached(const char *dev, int prog_fd, int *run_fd, char *why,
		    size_t len)
{
	struct bpf_prog_info info = { 0 };
	uint32_t ilen = sizeof(info);
	int ifindex = (int)if_nametoindex(dev);

	if (!ifindex) {
		snprintf(why, len, "xdp: interface %s is gone", dev);
		return -1;
	}
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &ilen)) {
		snprintf(why, len, "xdp: cannot read the pinned program: %s",
			 strerror(errno));
		return -1;
	}
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	bool found = false, legacy;
	uint32_t run_id = info.id;
	if (!libxdp_get_error(mp)) {
		found = xd_find_attached(mp, info.id, &legacy) != NULL;
		/* Behind the dispatcher, the dispatcher is what runs. */
		struct xdp_program *d = xdp_multiprog__main_prog(mp);
		if (found && !legacy && d)
			run_id = xdp_program__id(d);
		xdp_multiprog__close(mp);
	}
	if (!found) {
		snprintf(why, len,
			 "xdp: program %u is pinned but not attached to %s",
			 info.id, dev);
		return -1;
	}
	*run_fd = run_id == info.id ? dup(prog_fd) :
				      bpf_prog_get_fd_by_id(run_id);
	if (*run_fd < 0) {
		snprintf(why, len, "xdp: cannot open program %u: %s", run_id,
			 strerror(errno));
		return -1;
	}
	return 0;
}

size_t hp_query(uint8_t *out, uint16_t id, const uint8_t *apex, bool nsid)
{
	size_t alen = knot_dname_size(apex), n = 12;

	memset(out, 0, 12);
	put16(out, id);
	out[5] = 1; /* QDCOUNT */
	memcpy(out + n, apex, alen);
	n += alen;
	put16(out + n, KNOT_RRTYPE_SOA);
	put16(out + n + 2, KNOT_CLASS_IN);
	n += 4;
	if (nsid) {
		out[11] = 1; /* ARCOUNT: OPT, payload 1232, NSID empty */
		out[n++] = 0;
		put16(out + n, KNOT_RRTYPE_OPT);
		put16(out + n + 2, 1232);
		memset(out + n + 4, 0, 4);
		put16(out + n + 8, 4);
		put16(out + n + 10, KNOT_EDNS_OPTION_NSID);
		put16(out + n + 12, 0);
		n += 14;
	}
	return n;
}

static void nsid_text(const uint8_t *p, size_t n, char *out)
{
	bool printable = n > 0;

	for (size_t i = 0; i < n; i++)
		printable = printable && p[i] >= 0x20 && p[i] < 0x7f;
	if (printable) {
		memcpy(out, p, n);
		out[n] = 0;
		return;
	}
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

int hp_parse_soa(const uint8_t *r, size_t n, uint16_t id, const uint8_t *apex,
		 uint32_t *serial, char nsid[HP_NSID_MAX * 4 + 1], char *why,
		 size_t len)
{
	int rc = -1;

	nsid[0] = 0;
	if (n < 12 || n > 65535) {
		snprintf(why, len, "reply too short (%zu bytes)", n);
		return -1;
	}
	knot_pkt_t *pkt = knot_pkt_new((void *)r, (uint16_t)n, NULL);
	if (!pkt || knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		snprintf(why, len, "malformed reply");
		goto out;
	}
	if (knot_wire_get_id(r) != id || !knot_wire_get_qr(r)) {
		snprintf(why, len, "not a reply to the query");
		goto out;
	}
	uint16_t rcode = knot_pkt_ext_rcode(pkt);
	if (rcode != KNOT_RCODE_NOERROR) {
		const knot_lookup_t *l =
			knot_lookup_by_id(knot_rcode_names, rcode);
		snprintf(why, len, "rcode %s", l ? l->name : "?");
		goto out;
	}
	if (!knot_wire_get_aa(r)) {
		snprintf(why, len, "not authoritative (AA clear)");
		goto out;
	}
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count && rc; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type == KNOT_RRTYPE_SOA && rr->rrs.count == 1 &&
		    knot_dname_is_case_equal(rr->owner, apex)) {
			*serial = knot_soa_serial(rr->rrs.rdata);
			rc = 0;
		}
	}
	if (rc) {
		snprintf(why, len, "no SOA in the answer");
		goto out;
	}
	if (pkt->opt_rr) {
		uint8_t *o = knot_edns_get_option(pkt->opt_rr,
						  KNOT_EDNS_OPTION_NSID, NULL);
		if (o)
			nsid_text(knot_edns_opt_get_data(o),
				  knot_edns_opt_get_length(o), nsid);
	}
out:
	knot_pkt_free(pkt);
	return rc;
}

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int hp_xdp_canary(int prog_fd, const struct hp_zone *z, uint32_t dst, char *why,
		  size_t len)
{
	uint8_t in[ETH_LEN + IP4_LEN + UDP_LEN + 300], out[4096];
	uint16_t id = random_id();
	size_t dlen =
		hp_query(in + ETH_LEN + IP4_LEN + UDP_LEN, id, z->apex, false);
	uint8_t *eth = in, *ip = in + ETH_LEN, *udp = ip + IP4_LEN;
	uint32_t src = htonl(INADDR_LOOPBACK);

	/* Locally administered MACs; the program swaps them. */
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	memcpy(eth, macs, 12);
	put16(eth + 12, 0x0800);
	memset(ip, 0, IP4_LEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP4_LEN + UDP_LEN + dlen));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, ip_checksum(ip, IP4_LEN));
	put16(udp, CANARY_SPORT);
	put16(udp + 2, 53);
	put16(udp + 4, (uint16_t)(UDP_LEN + dlen));
	put16(udp + 6, 0); /* no checksum: allowed over IPv4 */

	size_t inlen = ETH_LEN + IP4_LEN + UDP_LEN + dlen;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = (uint32_t)inlen, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	if (bpf_prog_test_run_opts(prog_fd, &o) < 0) {
		snprintf(why, len, "xdp: cannot run the program: %s",
			 strerror(errno));
		return -1;
	}
	if (o.retval != XDP_TX) {
		snprintf(why, len,
			 "xdp: %s SOA not answered by the XDP program "
			 "(verdict %s)",
			 z->text,
			 o.retval == XDP_PASS ? "pass" :
			 o.retval == XDP_DROP ? "drop" :
						"other");
		return -1;
	}
	size_t off = ETH_LEN + IP4_LEN + UDP_LEN;
	if (o.data_size_out < off || out[ETH_LEN] != 0x45) {
		snprintf(why, len, "xdp: %s SOA: malformed reply frame",
			 z->text);
		return -1;
	}
	char nsid[HP_NSID_MAX * 4 + 1], reason[128];
	uint32_t serial;
	if (hp_parse_soa(out + off, o.data_size_out - off, id, z->apex, &serial,
			 nsid, reason, sizeof(reason))) {
		snprintf(why, len, "xdp: %s SOA: %s", z->text, reason);
		return -1;
	}
	if (serial != z->applied) {
		snprintf(why, len,
			 "xdp: %s serves serial %u, the last applied is %u",
			 z->text, serial, z->applied);
		return -1;
	}
	return 0;
}

/* Wait until fd is ready for events, or the deadline passes. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		double left = deadline - now_s();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = { .fd = fd, .events = events };
		int r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int read_full(int fd, uint8_t *p, size_t n, double deadline)
{
	for (size_t got = 0; got < n;) {
		int r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return r;
		ssize_t k = recv(fd, p + got, n - got, MSG_DONTWAIT);
		if (k == 0)
			return -ECONNRESET;
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (k > 0)
			got += (size_t)k;
	}
	return 0;
}

int hp_tcp_soa(const struct sockaddr_storage *ss, socklen_t sslen,
	       const uint8_t *apex, double timeout_s, uint32_t *serial,
	       double *rtt_s, char *why, size_t len)
{
	uint8_t q[2 + 300], lp[2];
	static uint8_t r[65535];
	char addr[64], nsid[HP_NSID_MAX * 4 + 1], reason[128];
	double t0 = now_s(), deadline = t0 + timeout_s;
	uint16_t id = random_id();
	size_t qlen = hp_query(q + 2, id, apex, false);
	int fd = socket(ss->ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int e = 0;

	xd_sockaddr_text(ss, addr, sizeof(addr));
	if (fd < 0) {
		snprintf(why, len, "server %s: socket: %s", addr,
			 strerror(errno));
		return -1;
	}
	put16(q, (uint16_t)qlen);
	if (connect(fd, (const struct sockaddr *)ss, sslen) < 0 &&
	    errno != EINPROGRESS) {
		e = -errno;
		goto fail;
	}
	if ((e = wait_fd(fd, POLLOUT, deadline)) < 0)
		goto fail;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr) {
		e = -soerr;
		goto fail;
	}
	if (send(fd, q, qlen + 2, MSG_NOSIGNAL) != (ssize_t)(qlen + 2)) {
		e = -errno;
		goto fail;
	}
	if ((e = read_full(fd, lp, 2, deadline)) < 0)
		goto fail;
	size_t n = (size_t)lp[0] << 8 | lp[1];
	if ((e = read_full(fd, r, n, deadline)) < 0)
		goto fail;
	*rtt_s = now_s() - t0;
	close(fd);
	if (hp_parse_soa(r, n, id, apex, serial, nsid, reason,
			 sizeof(reason))) {
		snprintf(why, len, "server %s: SOA over TCP: %s", addr, reason);
		return -1;
	}
	return 0;
fail:
	close(fd);
	if (e == -ETIMEDOUT)
		snprintf(why, len,
			 "server %s: no answer over TCP within %.0f ms", addr,
			 timeout_s * 1000);
	else
		snprintf(why, len, "server %s: TCP: %s", addr, strerror(-e));
	return -1;
}

int hp_udp_soa_nsid(const struct sockaddr_storage *ss, socklen_t sslen,
		    const uint8_t *apex, double timeout_s, uint32_t *serial,
		    char nsid[HP_NSID_MAX * 4 + 1], double *rtt_s, char *why,
		    size_t len)
{
	uint8_t q[300], r[4096];
	char addr[64];
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	xd_sockaddr_text(ss, addr, sizeof(addr));
	if (fd < 0) {
		snprintf(why, len, "%s: socket: %s", addr, strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)ss, sslen) < 0) {
		snprintf(why, len, "%s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	int rc = -1;
	snprintf(why, len, "%s: no answer within %.0f ms (2 tries)", addr,
		 timeout_s * 1000);
	for (int attempt = 0; attempt < 2 && rc; attempt++) {
		uint16_t id = random_id();
		size_t qlen = hp_query(q, id, apex, true);
		double t0 = now_s(), deadline = t0 + timeout_s;
		if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
			snprintf(why, len, "%s: %s", addr, strerror(errno));
			break;
		}
		/* Skip stray datagrams (a late reply to the first try). */
		while (wait_fd(fd, POLLIN, deadline) == 0) {
			ssize_t k = recv(fd, r, sizeof(r), MSG_DONTWAIT);
			if (k < 0 && errno == ECONNREFUSED) {
				snprintf(why, len, "%s: connection refused",
					 addr);
				break;
			}
			if (k < 12 || knot_wire_get_id(r) != id)
				continue;
			char reason[128];
			*rtt_s = now_s() - t0;
			if (hp_parse_soa(r, (size_t)k, id, apex, serial, nsid,
					 reason, sizeof(reason)))
				snprintf(why, len, "%s: %s", addr, reason);
			else
				rc = 0;
			break;
		}
		if (rc && strstr(why, "refused"))
			break;
	}
	close(fd);
	return rc;
}
