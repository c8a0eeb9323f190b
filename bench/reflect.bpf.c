// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The bare reflector, the ceiling of make bench's side-by-side section:
 * sends every UDP frame straight back (MAC, IP addresses and ports
 * swapped, checksums unchanged since the sums are the same) with no DNS
 * logic at all. Anything else is passed.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u8 mac[ETH_ALEN];
	__u16 port;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 a;

		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end || ip->ihl != 5 ||
		    ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct in6_addr a;

		udp = (void *)(ip6 + 1);
		if ((void *)(udp + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
	} else {
		return XDP_PASS;
	}
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return XDP_TX;
}
