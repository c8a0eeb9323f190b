/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-server's batched UDP sends. sendmmsg(2) stops at the first
 * message the kernel refuses (no route to a spoofed source, say) and
 * says nothing of the ones after it: they are sent here all the same,
 * each once and in order, and the refused ones counted. The send is a
 * parameter, so that tests can refuse chosen messages.
 */
#ifndef XDPDNS_IO_H
#define XDPDNS_IO_H

#include <sys/socket.h>

/*
 * Sends msgs[0..n) in order as sendmmsg(2) does: returns how many were
 * sent, from the first, or -1 with errno when the first could not be.
 */
typedef int (*io_sendmmsg_fn)(void *ctx, struct mmsghdr *msgs, unsigned n);

/*
 * Sends every one of msgs[0..n) through send (ctx is its first argument),
 * skipping those it refuses; once the socket is full (EAGAIN), the rest
 * are not tried. Returns how many were not sent.
 */
unsigned io_send_batch(struct mmsghdr *msgs, unsigned n, io_sendmmsg_fn send,
		       void *ctx);

/* An io_sendmmsg_fn for a socket: ctx points to its descriptor. */
int io_sendmmsg(void *ctx, struct mmsghdr *msgs, unsigned n);

#endif
