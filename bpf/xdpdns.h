/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the XDP program and userspace: map layouts, the name hash,
 * template references, counters and limits. Fixed-width types and
 * explicit padding only.
 *
 * The answers live in plain arrays, which the verifier turns into direct
 * memory accesses (no helper call to find an answer): an open-addressing
 * table of name hashes, the nodes it points to with their names (to
 * verify every hit byte for byte; names over 80 bytes apart), and the
 * answer templates. Every array
 * holds two generations, one per half; the config entry says which one
 * is served. A new zone set fills the other half, then one write flips
 * the config: each packet reads the generation once, so it sees the old
 * zones or the new ones, never a mix.
 */
#ifndef XDPDNS_BPF_SHARED_H
#define XDPDNS_BPF_SHARED_H

#include <linux/types.h>

#include "dns.h"
#include "dnscookie.h"
#include "dnsname.h"

/* ---- names ----------------------------------------------------------- */

#define XD_NAME_MAX 255
#define XD_MAX_LABELS 127
#define XD_BUCKET 8 /* slots per bucket of the name and overflow tables */
#define XD_NODE_TYPES 4 /* (type, template) pairs kept in a node */

/* Node flags, the same bits as the compiled file's node entries. */
#define XD_NF_APEX 0x01
#define XD_NF_DELEG 0x02
#define XD_NF_WILDCARD 0x04
#define XD_NF_SIGNED 0x08 /* its zone is signed: DO=1 goes to userspace */
#define XD_NF_OVERFLOW 0x10 /* more types than XD_NODE_TYPES: see xd_tslots */
#define XD_NF_PARTIAL 0x20 /* some children not loaded: pass names below */

/* A slot of the name table: a hash tag and the node's index + 1. */
struct xd_slot {
	__u32 tag; /* upper half of the hash, low bit set */
	__u32 node; /* 0: empty */
};

/* A bucket of the name table: one map entry, one lookup a probe. */
struct xd_sbucket {
	struct xd_slot s[XD_BUCKET];
};

struct xd_type_ref {
	__u16 type;
	__u16 pad;
	__u32 tmpl;
};

/* Names up to this long are kept in their node, zero-padded; longer
 * ones in xd_names. A hit then reads one page, not two. */
#define XD_NODE_INAME 80

/* What a name answers: 128 bytes, two cache lines of one page. */
struct xd_xnode {
	__u8 flags; /* XD_NF_* */
	__u8 ntypes; /* used entries of types[] */
	__u8 nlen; /* length of the name */
	__u8 pad;
	__u32 name; /* longer names: byte offset in xd_names, 8-aligned */
	__u32 dflt; /* template for types without their own */
	/* For names below this one that do not exist: the zone's NXDOMAIN
	 * template or, with XD_NF_WILDCARD, the wildcard child's index + 1. */
	__u32 below;
	struct xd_type_ref types[XD_NODE_TYPES];
	__u8 iname[XD_NODE_INAME]; /* the name, when it fits */
};

/* The bytes of xd_names a name takes. */
static inline __u32 xd_name_bytes(__u32 nlen)
{
	return nlen <= XD_NODE_INAME ? 0 : (nlen + 7) & ~7u;
}

/* The overflow table: (node, type) pairs of names with many types. */
struct xd_tslot {
	__u32 node; /* index + 1; 0: empty */
	__u16 type;
	__u16 pad;
	__u32 tmpl;
	__u32 pad2;
};

#define XD_NAMES_CHUNK 64 /* xd_names holds names in 64-byte chunks */

/*
 * The name hash, keyed by a per-generation seed, reads a name's lowercase
 * wire bytes (root label included) as 8-byte little-endian words that end
 * where the name ends, from the last word to the first, the first one
 * zero-filled in front: the state starts as the seed, takes each word,
 * and xd_hash_end() finishes it. The words of a suffix are then the
 * name's own from the end, but for the suffix's first one: the program
 * reads the query name once and keeps the state after each word, and a
 * suffix's hash costs one more word.
 */
#define XD_HASH_M1 0x9e3779b97f4a7c15ull
#define XD_HASH_M2 0xbf58476d1ce4e5b9ull
#define XD_HASH_WORD(h, w)                      \
	do {                                    \
		(h) = ((h) ^ (w)) * XD_HASH_M1; \
		(h) ^= (h) >> 29;               \
	} while (0)

static inline __u64 xd_hash_end(__u64 h)
{
	h *= XD_HASH_M2;
	return h ^ (h >> 31);
}

/*
 * Both tables are bucketed two-choice hashes: an entry lives in its
 * primary bucket (from the hash's low half, scaled to the bucket count)
 * or, only when that one is full, in its secondary bucket (from bits
 * 16..47). Buckets fill from their first slot and never lose
 * an entry, so a lookup that meets a free slot in the primary bucket
 * knows the entry is absent without looking further.
 */
static inline __u32 xd_bucket1(__u64 h, __u32 nbuckets)
{
	return (__u32)(((h & 0xffffffffull) * nbuckets) >> 32);
}

static inline __u32 xd_bucket2(__u64 h, __u32 nbuckets)
{
	return (__u32)((((h >> 16) & 0xffffffffull) * nbuckets) >> 32);
}

/* The overflow table's hash of a (node index + 1, type) pair. */
static inline __u64 xd_type_hash(__u32 node, __u16 type, __u64 seed)
{
	__u64 h = (((__u64)node << 16 | type) ^ seed) * XD_HASH_M1;

	h ^= h >> 29;
	return xd_hash_end(h);
}

/* ---- templates -------------------------------------------------------
 * The XDP form of an answer template (lib/engine/tmpl.h) is a run of 64-byte
 * chunks: header, cuts, relocations, then the section bytes, each part
 * 8-byte aligned so that no field straddles two chunks. A template
 * reference is the index of its first chunk within the generation.
 */
#define XD_CHUNK 64
#define XD_TMPL_MAX_CUTS 16
#define XD_TMPL_MAX_RELOCS 64
#define XD_TMPL_MAX_BYTES 1216 /* no XDP reply carries more sections */
#define XD_TREF_PASS 0xffffffffu /* not answered here: pass to userspace */

#define XD_XT_AA 0x01
#define XD_XT_RELOC 0x08
#define XD_XT_TC0 0x10 /* the empty cut sets TC */
#define XD_XT_CUTS_PART 0x20 /* smaller cuts left out: if none fits, pass */

#define XD_XCUT_TC 0x8000 /* in xd_xcut.len */

struct xd_xcut {
	__u16 len; /* bytes kept; XD_XCUT_TC: the reply has TC */
	__u8 an; /* record counts of the sections */
	__u8 ns;
	__u8 ar;
	__u8 pad;
	/* Ones' complement sum of the kept bytes as 16-bit little-endian
	 * words from the first (an odd last byte padded with zero): the
	 * program adds it to the UDP checksum instead of reading them. */
	__u16 sum;
};

/* The program reads a cut as one little-endian word. */
_Static_assert(sizeof(struct xd_xcut) == 8 &&
		       __builtin_offsetof(struct xd_xcut, an) == 2 &&
		       __builtin_offsetof(struct xd_xcut, ns) == 3 &&
		       __builtin_offsetof(struct xd_xcut, ar) == 4 &&
		       __builtin_offsetof(struct xd_xcut, sum) == 6,
	       "cut layout");

struct xd_xtmpl {
	__u8 kind; /* counters: 1 positive, 2 NODATA, 3 NXDOMAIN, 4 referral */
	__u8 rcode;
	__u8 flags; /* XD_XT_* */
	__u8 base_len;
	__u8 ncuts; /* cuts after the header (the empty one is implicit) */
	__u8 nrelocs; /* relocations after the cuts */
	__u16 len; /* section bytes after the relocations */
};

/*
 * A relocation: a compression pointer at pos in the section bytes that
 * moves with the query name's length, and its value as the template
 * holds it (for a name of base_len bytes). The program writes the moved
 * value without reading the pointer back from the reply it just wrote.
 * Read as one little-endian word: pos low, ptr high.
 */
struct xd_xreloc {
	__u16 pos;
	__u16 ptr; /* host order: offset | 0xc000 */
};

/* Offset of the section bytes within a template. */
static inline __u32 xd_xtmpl_bytes_off(__u32 ncuts, __u32 nrelocs)
{
	return (__u32)(8 + 8 * ncuts + ((4 * nrelocs + 7) & ~7u));
}

/* ---- response rate limiting ------------------------------------------ */

/* Classes of responses, and of queries passed to userspace. */
enum {
	XD_RRL_POSITIVE, /* per name and type */
	XD_RRL_NODATA, /* per name and type */
	XD_RRL_NXDOMAIN, /* per zone */
	XD_RRL_REFERRAL, /* per delegation */
	XD_RRL_ERROR, /* queries passed that get an error, per prefix */
	XD_RRL_PASSED, /* queries passed to userspace, per prefix */
	XD_RRL_CLASSES
};

/* The program takes a template's kind (1-4) less one as the class. */
_Static_assert(XD_RRL_POSITIVE == 0 && XD_RRL_NODATA == 1 &&
		       XD_RRL_NXDOMAIN == 2 && XD_RRL_REFERRAL == 3,
	       "answer classes");

/*
 * A bucket, in an array the program indexes itself (an array lookup is a
 * few instructions; a hash map's is most of the limiter's cost). Its tag
 * is a keyed 64-bit hash of the client's prefix (IPv4 mapped into IPv6),
 * the class and what the class is keyed by; it lives in one of two
 * neighbouring slots, and a new bucket takes the one idle longer. Tag 0:
 * free. CPUs update buckets without locks: a race costs a response's
 * worth of accuracy, never a wrong answer.
 */
struct xd_rrl_bucket {
	__u64 tag;
	__s64 balance; /* thousandths of a response */
	__u64 last; /* jiffies at the last response */
	__u32 limited; /* responses limited since the bucket was made */
	__u32 frac; /* credit short of a thousandth, in 2^-30ths */
};

/*
 * Defaults, on from the start (BIND's advice for an authoritative server:
 * 5 to 10 responses a second per prefix and response, slip 2, window
 * 15): xdpdns-loader attach writes them, xdpdns-server starts with them.
 * Real resolvers stay well under them, and what they lose to a slip
 * they get over TCP. Queries passed to xdpdns-server are limited per
 * prefix at a higher rate, to shed floods rather than to bound replies
 * (the server limits its own replies).
 */
#define XD_RRL_DEFAULT_RATE 10
#define XD_RRL_DEFAULT_PASSED 1000
#define XD_RRL_DEFAULT_WINDOW 15
#define XD_RRL_DEFAULT_SLIP 2
#define XD_RRL_DEFAULT_V4_PREFIX 24
#define XD_RRL_DEFAULT_V6_PREFIX 56
#define XD_RRL_RATE_MAX 1000000

/* Every class's rate: the defaults (on), or 0 (off). */
static inline void xd_rrl_rates(__u32 rate[XD_RRL_CLASSES], int on)
{
	for (int i = 0; i < XD_RRL_CLASSES; i++)
		rate[i] = !on		     ? 0 :
			  i == XD_RRL_PASSED ? XD_RRL_DEFAULT_PASSED :
					       XD_RRL_DEFAULT_RATE;
}

/* A 64-bit finaliser (the multiply-xorshift of splitmix64's output). */
static inline __u64 xd_rrl_mix(__u64 x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

/*
 * The tag of the bucket of a client, class cls and id (what the class
 * is keyed by): the client's IPv6 address (IPv4 mapped) as two
 * big-endian halves a0 and a1, cut to plen bits, hashed with the table's
 * seed. Never 0 (a free bucket); its upper half picks the bucket pair.
 */
static inline __u64 xd_rrl_tag(__u64 seed, __u64 a0, __u64 a1, __u32 plen,
			       __u32 cls, __u64 id)
{
	if (plen < 64) {
		a0 = plen ? a0 & ~0ull << (64 - plen) : 0;
		a1 = 0;
	} else if (plen < 128) {
		a1 = plen > 64 ? a1 & ~0ull << (128 - plen) : 0;
	}
	__u64 h = xd_rrl_mix(seed ^ a0) ^ a1;
	h = xd_rrl_mix(h) ^ id;
	h = xd_rrl_mix(h ^ (__u64)cls << 56);
	return h | 1;
}

/* The credit a clock tick earns at rate responses a second, in 2^-30
 * thousandths of a response, for a clock of hz ticks a second. */
static inline __u64 xd_rrl_credit(__u64 rate, __u64 hz)
{
	return (rate * 1000 << 30) / hz;
}

/*
 * Spend one response from the bucket of tag, which lives in b0 or its
 * neighbour b1, at time now (ticks of a clock of hz a second), with k
 * from xd_rrl_credit(rate, hz) and a debt of at most window seconds'
 * worth. A new bucket takes the slot idle longer, full but for this
 * response. Returns 1 when the balance is below zero (the response is
 * over the rate: limited, unless exempt), else 0; *hit gets the bucket.
 * The XDP program and xdpdns-server both decide with this one routine.
 */
static inline int xd_rrl_spend(struct xd_rrl_bucket *b0,
			       struct xd_rrl_bucket *b1, __u64 tag, __u64 now,
			       __u64 hz, __u64 k, __u64 rate, __u32 window,
			       struct xd_rrl_bucket **hit)
{
	struct xd_rrl_bucket *b = b0;
	__s64 full = (__s64)(rate * 1000);

	if (b->tag != tag) {
		if (b1->tag == tag) {
			b = b1;
		} else {
			if (b1->last < b->last)
				b = b1;
			b->tag = tag;
			b->balance = full - 1000;
			b->last = now;
			b->limited = 0;
			b->frac = 0;
			*hit = b;
			return 0;
		}
	}
	*hit = b;
	/* Credit since the last response, in thousandths of a response:
	 * ticks elapsed x k, the remainder kept in the bucket, whole
	 * seconds as a second's worth each (a division only after a second
	 * idle). Idle longer than the window and one second: every debt
	 * forgiven, as BIND does. */
	__u64 el = now - b->last;
	if ((__s64)el < 0)
		el = 0;
	b->last = now;
	__s64 floor = -(__s64)window * full;
	__s64 bal;
	if (el > ((__u64)window + 1) * hz) {
		b->frac = 0;
		b->limited = 0;
		bal = full;
	} else {
		__u64 secs = 0;
		if (el >= hz) {
			secs = el / hz;
			el -= secs * hz;
		}
		__u64 credit = el * k + b->frac;
		b->frac = (__u32)(credit & ((1u << 30) - 1));
		bal = b->balance + (__s64)secs * full + (__s64)(credit >> 30);
	}
	if (bal > full)
		bal = full;
	bal -= 1000;
	if (bal < floor)
		bal = floor;
	b->balance = bal;
	if (bal >= 0) {
		/* Out of debt: the slip count starts again. */
		if (b->limited)
			b->limited = 0;
		return 0;
	}
	return 1;
}

/* Whether the n-th limited response in a row (from 1) slips out as
 * TC=1, for slip 0 (never), 1 (always) or every slip-th. */
static inline int xd_rrl_slips(__u32 slip, __u32 n)
{
	return slip && n % slip == 0;
}

/* Prefixes never limited: an LPM trie over IPv6 addresses, IPv4 ones
 * mapped (::ffff:a.b.c.d, prefix length + 96). */
struct xd_rrl_exempt_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* ---- settings and generations -------------------------------------- */

/* Sizes of one generation's half of each array. */
struct xd_gen {
	__u64 seed; /* name hash key */
	__u32 buckets; /* name table buckets in the generation */
	__u32 tbuckets; /* overflow table buckets in the generation */
	/* Bit d: some name has d labels (root label not counted; bit 63:
	 * 63 or more). A suffix of a label count with no name is not looked
	 * for: a query far below the deepest name, or in no zone, costs
	 * fewer probes and finds the same closest encloser. */
	__u64 depths;
};

/* The bit of xd_gen.depths for a name of n labels. */
static inline __u64 xd_depth_bit(__u32 n)
{
	return 1ull << (n < 63 ? n : 63);
}

struct xd_config {
	__u32 generation; /* 0 or 1: which half of the arrays is served */
	__u32 enabled; /* 0: pass every query (nothing loaded yet) */
	__u16 edns_udp; /* our EDNS UDP size, 1232 */
	__u16 pad;
	__u32 disabled; /* operator's switch: 1 passes every query */
	struct xd_gen gen[2];
	/* Capacities of one half: set when the program is loaded. */
	__u32 slots, nodes, name_chunks, chunks, tslots;
	/* DNS cookies: XD_CK_* flags, the secrets, and the offset from
	 * CLOCK_BOOTTIME to the wall clock (ns) for cookie timestamps. */
	__u32 cookie_flags;
	__u8 cookie_secret[16];
	__u8 cookie_previous[16];
	__u64 clock_offset_ns;
	/* Response rate limiting, as BIND does it: responses a second per
	 * bucket (client prefix, class, name), by class (XD_RRL_*; 0: not
	 * limited); the balance may fall to -window x rate; every slip-th
	 * limited response goes out as TC=1 with no records. */
	__u32 rrl_rate[XD_RRL_CLASSES];
	__u32 rrl_window; /* seconds */
	__u32 rrl_slip; /* 0: never, 1: always, n: every n-th */
	__u8 rrl_v4_prefix, rrl_v6_prefix; /* bits of the client prefix */
	__u8 rrl_log_only; /* count what would be limited, limit nothing */
	__u8 rrl_pad;
	__u32 rrl_mask; /* buckets - 1 (a power of two), set at attach */
	__u64 rrl_seed; /* keys the buckets' hash, random at attach */
};

#define XD_CK_ON 0x1 /* answer queries with a COOKIE option here */
#define XD_CK_PREVIOUS 0x2 /* cookie_previous is still accepted */

/* ---- counters --------------------------------------------------------
 * One per-CPU struct; every packet the program sees increments exactly one
 * field (docs/design.md, invariant 5). bpftool prints the field names.
 */
struct xd_stats {
	/* answered with XDP_TX */
	__u64 answer_positive;
	__u64 answer_nodata;
	__u64 answer_nxdomain;
	__u64 answer_referral;
	__u64 answer_truncated; /* TC set: the client retries over TCP */
	__u64 answer_slipped; /* rate-limited: TC=1 with no records (slip) */
	/* passed to the kernel stack (xdpdns-server) */
	__u64 pass_not_dns; /* not IPv4/IPv6 UDP to port 53 */
	__u64 pass_tcp; /* TCP to port 53 */
	__u64 pass_fragment; /* IPv4 fragment */
	__u64 pass_ip_options; /* IPv4 header with options */
	__u64 pass_ipv6_ext; /* IPv6 extension header */
	__u64 pass_not_loaded; /* no zones loaded */
	__u64 pass_disabled; /* the operator turned the fast path off */
	__u64 pass_miss; /* name in no compiled zone */
	__u64 pass_opcode; /* opcode other than QUERY */
	__u64 pass_shape; /* QDCOUNT != 1, answers in a query, ... */
	__u64 pass_class; /* class other than IN */
	__u64 pass_qtype; /* meta types: AXFR, IXFR, 0 */
	__u64 pass_edns_version; /* EDNS version other than 0 */
	__u64 pass_edns_option; /* EDNS options other than a cookie */
	__u64 pass_signed_do; /* DO=1 for a signed zone */
	__u64 pass_long_name; /* more probes or labels than followed */
	__u64 pass_partial; /* below a name whose children are not all
			     * loaded (zones over capacity, hot list) */
	__u64 pass_template; /* answer not in the fast path's maps */
	__u64 pass_no_room; /* the frame cannot hold the reply */
	/* dropped */
	__u64 drop_response; /* QR=1: never answer a response */
	__u64 drop_malformed; /* truncated header, bad name, bad lengths */
	__u64 drop_ip_checksum; /* IPv4 header checksum wrong */
	__u64 drop_reflection; /* from a port no client uses (0, 7, 19...) */
	__u64 drop_rrl; /* response rate limiting */
	__u64 drop_rrl_error; /* the same, for queries that get an error */
	__u64 drop_pass_limit; /* passed queries over their per-prefix rate */
	__u64 drop_unbuilt; /* reply begun, template table inconsistent */
	/* observed, not verdicts: the packet is also counted above */
	__u64 seen_rrl_log_only; /* would have been limited (log-only) */
	__u64 seen_cookie_valid; /* carried a valid server cookie of ours */
};

/* The program picks an answer's counter by its template's kind (1-4). */
_Static_assert(__builtin_offsetof(struct xd_stats, answer_nodata) == 8 &&
		       __builtin_offsetof(struct xd_stats, answer_nxdomain) ==
			       16 &&
		       __builtin_offsetof(struct xd_stats, answer_referral) ==
			       24,
	       "answer counters");

#endif
