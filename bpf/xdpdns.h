/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the XDP program and userspace: map layouts, template references,
 * counters and limits. Fixed-width types and explicit padding only.
 *
 * The answers live in two generations of maps (map-in-map): every outer
 * map has one slot per generation, and the config map says which one is
 * served. A new zone set fills the other generation's inner maps, then one
 * write flips the config; each packet reads the generation once, so it
 * sees the old zones or the new ones, never a mix.
 */
#ifndef XDPDNS_BPF_SHARED_H
#define XDPDNS_BPF_SHARED_H

#include <linux/types.h>

/* ---- names ----------------------------------------------------------
 * A name's key is its lowercase wire form right-aligned in a zeroed buffer
 * of the class's size; class c holds names of up to 16 << c bytes. So a
 * suffix of a name is the tail of the same buffer: walking up to an
 * ancestor only clears the label it leaves behind.
 */
#define XD_NAME_CLASSES 5
#define XD_NAME_BUF 256
#define XD_NODE_TYPES 4 /* (type, template) pairs kept in a node */

/* Node flags, shared with the compiled file's node entries. */
#define XD_NF_APEX 0x01
#define XD_NF_DELEG 0x02
#define XD_NF_WILDCARD 0x04
#define XD_NF_SIGNED 0x08   /* its zone is signed: DO=1 goes to userspace */
#define XD_NF_OVERFLOW 0x10 /* more types than XD_NODE_TYPES: see xd_types */

/* Template reference: class in bits 31..29, index in the class's array. */
#define XD_TREF_CLASS(r) ((r) >> 29)
#define XD_TREF_INDEX(r) ((r)&0x1fffffff)
#define XD_TREF(c, i) ((__u32)(c) << 29 | (__u32)(i))
#define XD_TREF_PASS 0xffffffffu /* not answered here: pass to userspace */

struct xd_type_ref {
	__u16 type;
	__u16 pad;
	__u32 tmpl;
};

/* Value of the names maps: what a name answers. */
struct xd_node_val {
	__u8 flags;  /* XD_NF_* */
	__u8 ntypes; /* used entries of types[] */
	__u16 pad;
	__u32 dflt;	/* template for types without their own */
	__u32 nxdomain; /* the zone's NXDOMAIN, for names below this one */
	__u32 pad2;
	struct xd_type_ref types[XD_NODE_TYPES];
};

/* Key of the overflow map: the 256-byte name buffer, then the type. */
struct xd_type_key {
	__u8 name[XD_NAME_BUF];
	__u16 type;
};

/* ---- templates -------------------------------------------------------
 * The XDP form of an answer template (zonec/tmpl.h) is a run of 64-byte
 * chunks in one array: header, cuts, relocations, then the section bytes,
 * each part 8-byte aligned so that no field straddles two chunks. A
 * template reference is the index of its first chunk.
 */
#define XD_CHUNK 64
#define XD_TMPL_MAX_CUTS 16
#define XD_TMPL_MAX_RELOCS 64
#define XD_TMPL_MAX_BYTES 1216 /* no XDP reply carries more sections */

#define XD_XT_AA 0x01
#define XD_XT_RELOC 0x08
#define XD_XT_TC0 0x10	     /* the empty cut sets TC */
#define XD_XT_CUTS_PART 0x20 /* smaller cuts left out: if none fits, pass */

#define XD_XCUT_TC 0x8000 /* in xd_xcut.len */

struct xd_xcut {
	__u16 len; /* bytes kept; XD_XCUT_TC: the reply has TC */
	__u16 an;
	__u16 ns;
	__u16 ar;
};

struct xd_xtmpl {
	__u8 kind; /* counters: 1 positive, 2 NODATA, 3 NXDOMAIN, 4 referral */
	__u8 rcode;
	__u8 flags; /* XD_XT_* */
	__u8 base_len;
	__u8 ncuts;   /* cuts after the header (the empty one is implicit) */
	__u8 nrelocs; /* relocations after the cuts */
	__u16 len;    /* section bytes after the relocations */
};

/* Offset of the section bytes within a template. */
static inline __u32 xd_xtmpl_bytes_off(__u32 ncuts, __u32 nrelocs)
{
	return (__u32)(8 + 8 * ncuts + ((2 * nrelocs + 7) & ~7u));
}

/* ---- settings and generations -------------------------------------- */

struct xd_config {
	__u32 generation; /* 0 or 1: which inner maps are served */
	__u32 enabled;	  /* 0: pass every query (nothing loaded yet) */
	__u16 edns_udp;	  /* our EDNS UDP size, 1232 */
	__u16 pad;
	__u32 pad2;
};

/* ---- counters --------------------------------------------------------
 * One per-CPU struct; every packet the program sees increments exactly one
 * field (DESIGN.md invariant 5). bpftool prints the field names.
 */
struct xd_stats {
	/* answered with XDP_TX */
	__u64 answer_positive;
	__u64 answer_nodata;
	__u64 answer_nxdomain;
	__u64 answer_referral;
	__u64 answer_truncated; /* TC set: the client retries over TCP */
	/* passed to the kernel stack (xdpdns-server) */
	__u64 pass_not_dns;	 /* not IPv4/IPv6 UDP to port 53 */
	__u64 pass_tcp;		 /* TCP to port 53 */
	__u64 pass_fragment;	 /* IPv4 fragment */
	__u64 pass_ip_options;	 /* IPv4 header with options */
	__u64 pass_ipv6_ext;	 /* IPv6 extension header */
	__u64 pass_not_loaded;	 /* no zones loaded */
	__u64 pass_miss;	 /* name in no compiled zone */
	__u64 pass_opcode;	 /* opcode other than QUERY */
	__u64 pass_shape;	 /* QDCOUNT != 1, answers in a query, ... */
	__u64 pass_class;	 /* class other than IN */
	__u64 pass_qtype;	 /* meta types: AXFR, IXFR, 0 */
	__u64 pass_edns_version; /* EDNS version other than 0 */
	__u64 pass_edns_option;	 /* EDNS options (cookies, NSID, ...) */
	__u64 pass_signed_do;	 /* DO=1 for a signed zone */
	__u64 pass_long_name;	 /* more labels than the walk follows */
	__u64 pass_template;	 /* answer not in the fast path's maps */
	__u64 pass_no_room;	 /* the frame cannot hold the reply */
	/* dropped */
	__u64 drop_response;   /* QR=1: never answer a response */
	__u64 drop_malformed;  /* truncated header, bad name, bad lengths */
	__u64 drop_reflection; /* from a port no client uses (0, 7, 19...) */
};

#define XD_MAX_LABELS 127

#endif
