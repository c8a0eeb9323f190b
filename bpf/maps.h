/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The XDP program's maps. Plain arrays, so that lookups compile to direct
 * memory accesses; each holds two generations, one per half, and is sized
 * by the loader before the program is loaded (bpf_map__set_max_entries).
 */
#ifndef XDPDNS_BPF_MAPS_H
#define XDPDNS_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdpdns.h"
#include "proto.h"

#define ARRAY_MAP_FLAGS(name, value_type, entries, flags) \
	struct {                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);         \
		__uint(max_entries, entries);             \
		__uint(map_flags, flags);                 \
		__type(key, __u32);                       \
		__type(value, value_type);                \
	} name SEC(".maps")

#define ARRAY_MAP(name, value_type, entries) \
	ARRAY_MAP_FLAGS(name, value_type, entries, 0)

/* Mmap-able arrays have their values start on a page: a 64-byte value is
 * then one cache line, not two. */
#define ALIGNED_ARRAY_MAP(name, value_type, entries) \
	ARRAY_MAP_FLAGS(name, value_type, entries, BPF_F_MMAPABLE)

struct xd_chunk {
	__u8 b[XD_CHUNK] __attribute__((aligned(8)));
};

/* Open-addressing table of name hashes, pointing into xd_nodes: buckets
 * of XD_BUCKET slots. */
ALIGNED_ARRAY_MAP(xd_slots, struct xd_sbucket, 256);
/* What each name answers. */
ALIGNED_ARRAY_MAP(xd_nodes, struct xd_xnode, 1024);
/* Names over XD_NODE_INAME bytes, lowercase wire form, 8-aligned. */
ALIGNED_ARRAY_MAP(xd_names, struct xd_chunk, 1024);
/* Answer templates, runs of 64-byte chunks. */
ALIGNED_ARRAY_MAP(xd_chunks, struct xd_chunk, 2048);
/* (node, type) pairs of names with more types than a node holds. */
ARRAY_MAP(xd_tslots, struct xd_tslot, 64);
/* Run-time settings and generation sizes; entry 0. */
ARRAY_MAP(xd_config, struct xd_config, 1);

/* Response rate limiting: buckets (a power of two, sized by the loader). */
ARRAY_MAP(xd_rrl, struct xd_rrl_bucket, 65536);

/* Client prefixes never rate-limited. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xd_rrl_exempt_key);
	__type(value, __u8);
} xd_rrl_exempt SEC(".maps");

/* Counters, one struct per CPU; entry 0. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xd_stats);
} xd_stats SEC(".maps");

/*
 * Per-CPU working memory for one packet, a part for each stage: what one
 * stage leaves there, the next reads (the program's verdicts depend on
 * values read back from memory, so that the verifier walks what follows
 * once, whichever way led there).
 */

/* The question name, as the parse read it. */
struct xd_qname {
	/* The name, lowercase, at buf + 8 (XD_QNAME), a zero word after
	 * it; the 8 bytes before it take the first word's masked bytes. */
	__u8 buf[8 + XD_NAME_MAX + 1 + 8];
	__u8 labels[XD_MAX_LABELS + 1]; /* label starts within the name */
	__u32 len, nl; /* its length and label count */
	__u32 guessed; /* the length was guessed, the labels not walked */
	__u32 pad;
	__u64 hst[32]; /* name hash state after j words from its end */
};

/* What the lookup found. */
struct xd_found {
	__u32 key_off, key_len; /* the name being compared */
	__u64 hash; /* the hash of the name found */
	__u32 hit, k; /* its node index + 1; labels below it the query is */
	__u32 probe; /* name_probe()'s result, or PROBE_MISMATCH */
	__u32 pad;
	__u64 skip_depths; /* label counts suffix_lookup() leaves out */
};

/* The reply: what respond() chose, then what building it leaves. */
struct xd_plan {
	__u64 cut; /* the chosen cut: struct xd_xcut as one word */
	__u64 th; /* the template's header: struct xd_xtmpl as one word */
	__u32 has_cut; /* a cut was chosen */
	__u32 rsum; /* the relocations' change to the cut's sum */
	__u64 hsum; /* the UDP checksum's part from headers(): pseudo
		     * header, UDP header, DNS header */
	__u8 opt[40]; /* the reply's OPT record and COOKIE option */
	__u32 optlen, osum; /* its length (0, 11 or 39) and sum */
	__u32 cookie_valid; /* a server cookie of ours, in its lifetime */
	__u32 slipped; /* rate-limited, sent as TC=1 without records */
	__s32 delta; /* relocation */
	__u32 frame; /* the reply's frame length */
	__u32 from; /* how far in the query's bytes start */
	__u32 tbase; /* the template's first chunk in xd_chunks */
};

/* DNS cookies: the query's, what the hash covers, and the wall clock's
 * second at jiffy `jiffies`, for the clock offset it was read with. */
struct xd_cookie_work {
	__u8 cookie[24]; /* the query's client and server cookies */
	__u8 msg[72]; /* what the cookie hash covers (and slack the
		       * verifier wants for the hash's loops) */
	__u64 jiffies, offset, now;
};

/* Rate limiting: the credit a jiffy earns, in 2^-30 thousandths of a
 * response, for the rate it was computed for (one division per CPU when
 * a rate changes, not one per query). */
struct xd_rrl_cache {
	__u32 rate_seen[XD_RRL_CLASSES];
	__u64 k[XD_RRL_CLASSES];
};

struct xd_scratch {
	struct xd_qname q;
	struct xd_found f;
	struct xd_plan r;
	struct xd_cookie_work ck;
	struct xd_rrl_cache rrl;
	struct pkt pk; /* the parse */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xd_scratch);
} xd_scratch SEC(".maps");

#define XD_QNAME(s) ((s)->q.buf + 8)

#endif
