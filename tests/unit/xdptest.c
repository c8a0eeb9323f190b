// SPDX-License-Identifier: GPL-3.0-or-later
#include "xdptest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "compile.h"
#include "xdpdns.h"
#include "xdpdns.skel.h"

static const uint8_t mac_server[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac_client[6] = { 2, 0, 0, 0, 0, 2 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* One's complement sum of big-endian 16-bit words. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t pseudo_sum(const uint8_t *ip, bool v6, size_t l4len,
			   uint8_t proto)
{
	uint32_t sum = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
	return sum + proto + (uint32_t)l4len;
}

size_t frame_build(uint8_t *out, const uint8_t *dns, size_t dnslen,
		   const struct frame_opts *o)
{
	size_t n = 0;

	memcpy(out, mac_server, 6);
	memcpy(out + 6, mac_client, 6);
	n = 12;
	if (o->vlans == 2) {
		put16(out + n, 0x88a8);
		put16(out + n + 2, 100);
		n += 4;
	}
	if (o->vlans >= 1) {
		put16(out + n, 0x8100);
		put16(out + n + 2, 200);
		n += 4;
	}
	put16(out + n, o->ipv6 ? 0x86dd : 0x0800);
	n += 2;
	uint8_t *ip = out + n;
	uint8_t proto = o->tcp ? 6 : 17;
	size_t l4hdr = o->tcp ? 20 : 8;
	size_t l4len = l4hdr + dnslen;
	size_t iphl;
	if (o->ipv6) {
		size_t ext = o->ipv6_ext ? 8 : 0;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(ext + l4len));
		ip[6] = o->ipv6_ext ? 0 : proto;
		ip[7] = 64;
		static const uint8_t cli[16] = { 0x20, 0x01, 0x0d,
						 0xb8, [15] = 2 };
		static const uint8_t srv[16] = { 0x20, 0x01, 0x0d,
						 0xb8, [15] = 1 };
		memcpy(ip + 8, o->src ? o->src : cli, 16);
		memcpy(ip + 24, srv, 16);
		iphl = 40;
		if (o->ipv6_ext) {
			uint8_t *e = ip + 40;
			memset(e, 0, 8);
			e[0] = proto;
			e[2] = 1; /* PadN of 4 bytes */
			e[3] = 4;
			iphl += 8;
		}
	} else {
		size_t opt = o->ip_options ? 4 : 0;
		memset(ip, 0, 20 + opt);
		ip[0] = (uint8_t)(0x40 | (5 + opt / 4));
		put16(ip + 2, (uint16_t)(20 + opt + l4len));
		put16(ip + 4, 0x1234);
		if (o->fragment)
			put16(ip + 6, 0x2000);
		ip[8] = 64;
		ip[9] = proto;
		ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 2;
		if (o->src)
			memcpy(ip + 12, o->src, 4);
		ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 1;
		if (opt)
			memset(ip + 20, 1, 4); /* NOPs */
		put16(ip + 10, (uint16_t)~fold(sum16(ip, 20 + opt, 0)));
		if (o->bad_ip_csum)
			ip[10] ^= 0x40;
		iphl = 20 + opt;
	}
	uint8_t *l4 = ip + iphl;
	memset(l4, 0, l4hdr);
	put16(l4, o->sport ? o->sport : 40000);
	put16(l4 + 2, o->dport ? o->dport : 53);
	if (o->tcp) {
		l4[12] = 5 << 4;
		l4[13] = 0x18;
	} else {
		put16(l4 + 4, (uint16_t)(l4len + (size_t)o->udp_len_skew));
	}
	memcpy(l4 + l4hdr, dns, dnslen);
	if (!o->tcp) {
		uint32_t s = pseudo_sum(ip, o->ipv6, l4len, proto);
		uint16_t c = (uint16_t)~fold(sum16(l4, l4len, s));
		put16(l4 + 6, c ? c : 0xffff);
	}
	memset(l4 + l4len, 0xee, (size_t)o->pad);
	return (size_t)(l4 + l4len + o->pad - out);
}

int xdp_run(struct xdp_env *env, const uint8_t *in, size_t inlen, uint8_t *out,
	    size_t *outlen)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = (uint32_t)inlen, .data_out = out,
		    .data_size_out = 4096, .repeat = 1);

	if (bpf_prog_test_run_opts(env->prog_fd, &o) < 0)
		return -1;
	*outlen = o.data_size_out;
	return (int)o.retval;
}

/* Offsets of the layers of a frame we built (or a reply to one). */
struct layers {
	size_t l3, l4, dns;
	bool v6;
};

static bool parse_layers(const uint8_t *f, size_t len, struct layers *l)
{
	size_t n = 12;
	while (n + 2 <= len &&
	       (get16(f + n) == 0x8100 || get16(f + n) == 0x88a8))
		n += 4;
	if (n + 2 > len)
		return false;
	uint16_t type = get16(f + n);
	l->l3 = n + 2;
	l->v6 = type == 0x86dd;
	if (type != 0x0800 && type != 0x86dd)
		return false;
	l->l4 = l->l3 + (l->v6 ? 40 : (size_t)(f[l->l3] & 0xf) * 4);
	l->dns = l->l4 + 8;
	return l->dns <= len;
}

int frame_dns(const uint8_t *f, size_t len, const uint8_t **dns, size_t *dnslen)
{
	struct layers l;

	if (!parse_layers(f, len, &l))
		return -1;
	size_t ulen = get16(f + l.l4 + 4);
	if (ulen < 8 || l.l4 + ulen > len)
		return -1;
	*dns = f + l.dns;
	*dnslen = ulen - 8;
	return 0;
}

const char *reply_check(const uint8_t *in, size_t inlen, const uint8_t *out,
			size_t outlen, const uint8_t **dns, size_t *dnslen)
{
	struct layers a, b;

	if (!parse_layers(in, inlen, &a) || !parse_layers(out, outlen, &b))
		return "reply does not parse as Ethernet/IP/UDP";
	if (a.l3 != b.l3 || a.v6 != b.v6)
		return "layer 2 changed";
	if (memcmp(out, in + 6, 6) || memcmp(out + 6, in, 6))
		return "MAC addresses not swapped";
	if (memcmp(out + 12, in + 12, a.l3 - 12))
		return "VLAN tags changed";
	const uint8_t *qi = in + a.l3, *ri = out + b.l3;
	size_t l4len = outlen - b.l4;
	if (b.v6) {
		if (memcmp(ri + 8, qi + 24, 16) || memcmp(ri + 24, qi + 8, 16))
			return "IPv6 addresses not swapped";
		if (get16(ri + 4) != l4len)
			return "IPv6 payload length wrong";
		if (ri[7] != 64 || ri[6] != 17)
			return "IPv6 hop limit or next header wrong";
	} else {
		if (memcmp(ri + 12, qi + 16, 4) || memcmp(ri + 16, qi + 12, 4))
			return "IPv4 addresses not swapped";
		if ((ri[0] & 0xf) != 5 || get16(ri + 2) != outlen - b.l3)
			return "IPv4 header or total length wrong";
		if (ri[8] != 64 || ri[9] != 17)
			return "IPv4 TTL or protocol wrong";
		if (fold(sum16(ri, 20, 0)) != 0xffff)
			return "IPv4 header checksum invalid";
	}
	const uint8_t *qu = in + a.l4, *ru = out + b.l4;
	if (get16(ru) != get16(qu + 2) || get16(ru + 2) != get16(qu))
		return "UDP ports not swapped";
	if (get16(ru + 4) != l4len)
		return "UDP length wrong";
	if (get16(ru + 6) == 0 ||
	    fold(sum16(ru, l4len, pseudo_sum(ri, b.v6, l4len, 17))) != 0xffff)
		return "UDP checksum invalid";
	*dns = out + b.dns;
	*dnslen = outlen - b.dns;
	return NULL;
}

int xdp_stats(struct xdp_env *env, uint64_t *fields, size_t nfields)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t per = (sizeof(struct xd_stats) + 7) & ~(size_t)7;
	uint8_t *buf = calloc((size_t)ncpu, per);
	uint32_t zero = 0;

	if (!buf || ncpu <= 0)
		return -1;
	if (bpf_map_lookup_elem(env->maps.stats, &zero, buf) < 0) {
		free(buf);
		return -1;
	}
	memset(fields, 0, nfields * sizeof(*fields));
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < nfields; i++) {
			uint64_t v;
			memcpy(&v, buf + (size_t)c * per + i * 8, 8);
			fields[i] += v;
		}
	free(buf);
	return 0;
}

/* Rate limiting off: the tests of answers send many queries from one
 * address. The limiter's own tests turn it on. */
static int xdp_env_unlimited(struct xdp_env *env)
{
	struct xd_config c;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(env->maps.config, &zero, &c) < 0)
		return -1;
	memset(c.rrl_rate, 0, sizeof(c.rrl_rate));
	return bpf_map_update_elem(env->maps.config, &zero, &c, BPF_ANY);
}

int xdp_env_open(struct xdp_env *env, char *const *specs, int n,
		 const char **why)
{
	struct xd_diag d;
	struct xd_fill_report rep;
	struct xd_xdp_sizes sz;

	memset(env, 0, sizeof(*env));
	if (geteuid() != 0) {
		*why = "not root: BPF_PROG_TEST_RUN needs CAP_BPF";
		return -1;
	}
	xd_diag_init(&d, stderr);
	xd_cdb_init(&env->db);
	if (xd_compile_files(specs, n, &env->db, &d, NULL) < 0) {
		*why = "test zones do not compile";
		return -1;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	env->skel = xdpdns__open();
	if (!env->skel) {
		*why = "the XDP program does not open";
		return -1;
	}
	/* Arrays of two generations, sized for the test zones. */
	xd_xdp_sizes_for(&env->db, &sz);
	struct xdpdns *k = env->skel;
	if (bpf_map__set_max_entries(k->maps.xd_slots,
				     2 * sz.slots / XD_BUCKET) ||
	    bpf_map__set_max_entries(k->maps.xd_nodes, 2 * sz.nodes) ||
	    bpf_map__set_max_entries(k->maps.xd_names, 2 * sz.name_chunks) ||
	    bpf_map__set_max_entries(k->maps.xd_chunks, 2 * sz.chunks) ||
	    bpf_map__set_max_entries(k->maps.xd_tslots, 2 * sz.tslots) ||
	    xdpdns__load(k)) {
		*why = "the XDP program does not load here";
		return -1;
	}
	env->prog_fd = bpf_program__fd(k->progs.xdpdns_xdp);
	struct xd_xdp_maps *m = &env->maps;
	m->slots = bpf_map__fd(k->maps.xd_slots);
	m->nodes = bpf_map__fd(k->maps.xd_nodes);
	m->names = bpf_map__fd(k->maps.xd_names);
	m->chunks = bpf_map__fd(k->maps.xd_chunks);
	m->tslots = bpf_map__fd(k->maps.xd_tslots);
	m->config = bpf_map__fd(k->maps.xd_config);
	m->stats = bpf_map__fd(k->maps.xd_stats);
	m->rrl = bpf_map__fd(k->maps.xd_rrl);
	m->exempt = bpf_map__fd(k->maps.xd_rrl_exempt);
	const char *full = NULL;
	if (xd_xdp_init(m, &sz) < 0 || xdp_env_unlimited(env) < 0 ||
	    xd_xdp_fill(m, &env->db, 0, NULL, &rep, &full) < 0 ||
	    xd_xdp_serve(m, 0, true) < 0) {
		*why = full ? full : "filling the maps failed";
		return -1;
	}
	return 0;
}

void xdp_env_close(struct xdp_env *env)
{
	if (env->skel)
		xdpdns__destroy(env->skel);
	xd_cdb_free(&env->db);
	memset(env, 0, sizeof(*env));
}
