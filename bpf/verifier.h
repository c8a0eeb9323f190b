/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The few ways the program talks to the verifier, named once. The
 * verifier follows every path through the program with what it knows of
 * each register; it accepts a memory access only when it can bound the
 * offset, and its budget (a million instructions walked) runs out when
 * paths that differ only in what registers held stay apart.
 */
#ifndef XDPDNS_BPF_VERIFIER_H
#define XDPDNS_BPF_VERIFIER_H

/*
 * Values are read back from memory after this point. Where paths meet
 * (after a loop whose exits narrow a count's range, after branches that
 * leave different constants in registers), clang would carry each path's
 * registers on, and the verifier would walk what follows once per path;
 * read back from memory, the paths join into one state. Also keeps a
 * value written to memory from being kept in a register instead.
 */
#define join_states() asm volatile("" ::: "memory")

/*
 * Bounds an offset or a length is masked to, so that the verifier knows
 * its range where clang's own checks do not tell it (a check on one copy
 * of a value says nothing of another). Each is a power of two less one,
 * over the largest value the program meets.
 */
#define XD_BOUND_L3 0x1f /* the IP header's offset: at most 2 VLAN tags */
#define XD_BOUND_HDR 0x7f /* offsets of headers in a frame */
#define XD_BOUND_NAME 0xff /* offsets within a name, the name buffer */
#define XD_BOUND_NAME_LEN 0x1ff /* a name's length (at most 255) */
#define XD_BOUND_QEND 0x3ff /* the question's end in a frame */
#define XD_BOUND_FRAME 0x7ff /* offsets within a reply frame, under 2 KiB */
#define XD_BOUND_QUERY 0xfff /* offsets within a query frame */

/* A value whose range clang proves to itself but the verifier cannot
 * follow (a loop's count, a sum of bounded parts): kept opaque to clang,
 * so that the mask or check after it is not dropped. */
#define opaque(v) asm volatile("" : "+r"(v))

#endif
