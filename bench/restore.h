/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the bench wrapper (restore.bpf.c) and xdp-bench share: the saved
 * query frames the wrapper puts back before each run, taken in turn.
 */
#ifndef XDPDNS_BENCH_RESTORE_H
#define XDPDNS_BENCH_RESTORE_H

#include <linux/types.h>

#define RS_SAVED_MAX 64 /* frames in the saved map */

struct rs_frame {
	__u32 len;
	__u8 bytes[1020]; /* a frame of up to 508 bytes, and slack */
};

struct rs_turn {
	__u32 n; /* frames in use (0 or 1: the first alone) */
	__u32 next;
	/* Where the frame's data started on the batch's first run (0: not
	 * yet seen): a reply grown at the front is moved back there. */
	__u64 base;
	__u64 now; /* this run's start, read back as a number */
};

#endif
