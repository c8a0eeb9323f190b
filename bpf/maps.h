/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The XDP program's maps. Answers live in inner maps, one set per
 * generation (see xdpdns.h); the outer maps are arrays of two inner maps.
 */
#ifndef XDPDNS_BPF_MAPS_H
#define XDPDNS_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdpdns.h"

/* Names of up to N bytes, keyed by the right-aligned name. */
#define NAMES_INNER(N)                                                       \
	struct {                                                             \
		__uint(type, BPF_MAP_TYPE_HASH);                             \
		__uint(max_entries, 1);                                      \
		__uint(key_size, N);                                         \
		__uint(value_size, sizeof(struct xd_node_val));              \
	}

#define NAMES_OUTER(c, N)                                                    \
	struct {                                                             \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);                    \
		__uint(max_entries, 2);                                      \
		__type(key, __u32);                                          \
		__array(values, NAMES_INNER(N));                             \
	} xd_names##c SEC(".maps")

/* Names by length class: what each name answers. */
NAMES_OUTER(0, 16);
NAMES_OUTER(1, 32);
NAMES_OUTER(2, 64);
NAMES_OUTER(3, 128);
NAMES_OUTER(4, 256);

/* (name, type) pairs of names with more types than a node holds. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 1);
		__uint(key_size, sizeof(struct xd_type_key));
		__uint(value_size, sizeof(__u32));
	});
} xd_types SEC(".maps");

/* Answer templates, as runs of XD_CHUNK-byte chunks. */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 1);
		__uint(map_flags, BPF_F_INNER_MAP);
		__uint(key_size, sizeof(__u32));
		__uint(value_size, XD_CHUNK);
	});
} xd_chunks SEC(".maps");

/* Run-time settings; entry 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xd_config);
} xd_config SEC(".maps");

/* Counters, one struct per CPU; entry 0. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xd_stats);
} xd_stats SEC(".maps");

/* Per-CPU working memory for one packet. */
struct xd_scratch {
	__u8 lead[XD_NAME_BUF]; /* room for variable-offset copies */
	__u8 name[XD_NAME_BUF]; /* the qname, lowercase, right-aligned */
	__u16 type;		/* with name: the key of xd_types */
	__u16 pad;
	__u32 pad2;
	__u8 tail[XD_NAME_BUF];
	__u8 raw[XD_NAME_BUF];		/* the qname as received */
	__u8 labels[XD_MAX_LABELS + 1]; /* label starts within the name */
	__u8 move[512]; /* headers moved to grow at the front */
	__u8 cbuf[2 * XD_CHUNK]; /* a template chunk on its way out */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xd_scratch);
} xd_scratch SEC(".maps");

#endif
