// SPDX-License-Identifier: GPL-3.0-or-later
#include "io.h"

#include <errno.h>

unsigned io_send_batch(struct mmsghdr *msgs, unsigned n, io_sendmmsg_fn send,
		       void *ctx)
{
	unsigned at = 0, failed = 0;

	while (at < n) {
		int k = send(ctx, msgs + at, n - at);
		if (k > 0) {
			/* A short count: the next call starts at the message
			 * that failed, and fails on it alone. */
			at += (unsigned)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* The socket's buffer is full: so it is for the rest
			 * of the batch too. */
			failed += n - at;
			break;
		}
		failed++; /* this destination only: skip it */
		at++;
	}
	return failed;
}

int io_sendmmsg(void *ctx, struct mmsghdr *msgs, unsigned n)
{
	return sendmmsg(*(const int *)ctx, msgs, n, 0);
}
