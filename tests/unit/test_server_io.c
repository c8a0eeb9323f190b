// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-server's batched UDP sends (io_send_batch): with a stand-in for
 * sendmmsg(2) that refuses chosen messages as the kernel does (-1 when
 * the first of a call fails, the count sent before it otherwise), every
 * other reply of the batch goes out exactly once, in order, and the
 * refused ones are counted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io.h"

#define MAX_MSGS 64

/*
 * The stand-in's script, a letter per message: '.' sent; 'x' refused
 * (ENETUNREACH: no route to it); 'i' interrupted once (EINTR), then sent;
 * 'a' the socket full (EAGAIN) from it on.
 */
struct fake {
	const char *script;
	bool interrupted[MAX_MSGS];
	int sent[MAX_MSGS * 2]; /* indexes, in the order sent */
	int nsent;
	int calls;
	uint8_t payload[MAX_MSGS]; /* message i's iov_base is &payload[i] */
};

static int fake_sendmmsg(void *ctx, struct mmsghdr *msgs, unsigned n)
{
	struct fake *f = ctx;
	int done = 0;

	f->calls++;
	assert_true(n > 0); /* never asked to send nothing */
	for (unsigned k = 0; k < n; k++) {
		int i = (int)((uint8_t *)msgs[k].msg_hdr.msg_iov->iov_base -
			      f->payload);
		int err = 0;
		switch (f->script[i]) {
		case 'x':
			err = ENETUNREACH;
			break;
		case 'a':
			err = EAGAIN;
			break;
		case 'i':
			if (!f->interrupted[i]) {
				f->interrupted[i] = true;
				err = EINTR;
			}
			break;
		}
		if (err) {
			/* As the kernel: the error only when nothing went. */
			if (done)
				return done;
			errno = err;
			return -1;
		}
		f->sent[f->nsent++] = i;
		done++;
	}
	return done;
}

/* Runs a batch of strlen(script) messages; the number not sent. */
static unsigned run(struct fake *f, const char *script)
{
	struct mmsghdr msgs[MAX_MSGS];
	struct iovec iov[MAX_MSGS];
	unsigned n = (unsigned)strlen(script);

	memset(f, 0, sizeof(*f));
	f->script = script;
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ &f->payload[i], 1 };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return io_send_batch(msgs, n, fake_sendmmsg, f);
}

struct batch_case {
	const char *name;
	const char *script;
	const char *sent; /* the indexes sent, in order, as letters a.. */
	unsigned failed;
	int calls;
};

static const struct batch_case batch_cases[] = {
	{ "all sent in one call", "........", "abcdefgh", 0, 1 },
	{ "the first refused: the rest still go", "x.......", "bcdefgh", 1, 2 },
	{ "one in the middle refused", "...x....", "abcefgh", 1, 3 },
	{ "the last refused", ".......x", "abcdefg", 1, 2 },
	{ "every other refused", "x.x.x.x.", "bdfh", 4, 8 },
	{ "two in a row refused", "..xx..", "abef", 2, 4 },
	{ "all refused", "xxxx", "", 4, 4 },
	{ "the socket full: the rest not tried", "..aaaa", "ab", 4, 2 },
	{ "interrupted first: tried again, sent once", "i.....", "abcdef", 0,
	  2 },
	{ "interrupted after others: sent in the next call", "..i...", "abcdef",
	  0, 2 },
	{ "nothing to send", "", "", 0, 0 },
};

static void test_batches(void **state)
{
	for (size_t c = 0; c < sizeof(batch_cases) / sizeof(batch_cases[0]);
	     c++) {
		const struct batch_case *bc = &batch_cases[c];
		struct fake f;
		char got[MAX_MSGS + 1] = "";
		unsigned failed = run(&f, bc->script);
		for (int i = 0; i < f.nsent; i++)
			got[i] = (char)('a' + f.sent[i]);
		got[f.nsent] = 0;
		if (strcmp(got, bc->sent) || failed != bc->failed ||
		    f.calls != bc->calls)
			fail_msg("%s: sent '%s' (want '%s'), %u failed (want "
				 "%u), %d calls (want %d)",
				 bc->name, got, bc->sent, failed, bc->failed,
				 f.calls, bc->calls);
	}
}

/* The finding: one unroutable source in a full batch of 32 lost every
 * reply after it. Whichever it is, the 31 others go, once, in order. */
static void test_one_refused_anywhere_in_a_full_batch(void **state)
{
	for (int k = 0; k < 32; k++) {
		char script[33];
		struct fake f;
		memset(script, '.', 32);
		script[32] = 0;
		script[k] = 'x';
		unsigned failed = run(&f, script);
		assert_int_equal(failed, 1);
		assert_int_equal(f.nsent, 31);
		for (int i = 0, want = 0; i < f.nsent; i++, want++) {
			if (want == k)
				want++;
			if (f.sent[i] != want)
				fail_msg("message %d refused: sent #%d is %d, "
					 "want %d",
					 k, i, f.sent[i], want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_one_refused_anywhere_in_a_full_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
