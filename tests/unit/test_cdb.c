// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The compiled file: round trip, refusal of damaged files, and a loaded
 * database that nothing done to its file afterwards changes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static const char zone[] = "$ORIGIN ex.\n$TTL 60\n"
			   "@ SOA ns1 h 9 1 2 3 4\n@ NS ns1\nns1 A 192.0.2.1\n"
			   "*.w MX 1 ns1\nsub NS ns1\n";

static char path[64];

static void file_roundtrip(void **state)
{
	struct xd_cdb a, b;
	const char *why = NULL;

	compile_text(&a, "ex.", zone);
	snprintf(path, sizeof(path), "/tmp/xdpdns-test-%d.xdc", getpid());
	assert_int_equal(xd_cdb_write(&a, path, true), 0);
	assert_true(xd_cdb_is_compiled(path));
	assert_int_equal(xd_cdb_load(&b, path, &why), 0);
	assert_int_equal(a.nentries, b.nentries);
	assert_int_equal(a.nzones, b.nzones);
	assert_int_equal(a.tmpls_len, b.tmpls_len);
	assert_memory_equal(a.tmpls, b.tmpls, a.tmpls_len);
	assert_memory_equal(a.entries, b.entries,
			    a.nentries * sizeof(*a.entries));
	assert_int_equal(b.zones[0].serial, 9);

	/* Both answer the same bytes. */
	struct buf q = { .n = 0 };
	static uint8_t ra[4096], rb[4096];
	make_query(&q, 1, 0, "x.w.ex.", 15, -1, false);
	size_t na = xd_answer(&a, q.b, q.n, ra, sizeof(ra), NULL, NULL);
	size_t nb = xd_answer(&b, q.b, q.n, rb, sizeof(rb), NULL, NULL);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(ra, rb, na);
	xd_cdb_free(&a);
	xd_cdb_free(&b);
}

static void damaged_files(void **state)
{
	struct stat st;
	struct xd_cdb db;
	const char *why;

	assert_int_equal(stat(path, &st), 0);
	FILE *f = fopen(path, "rb");
	uint8_t *orig = malloc((size_t)st.st_size);
	assert_int_equal(fread(orig, 1, (size_t)st.st_size, f),
			 (size_t)st.st_size);
	fclose(f);

	/* Every single flipped byte is caught; so is every truncation. */
	for (off_t i = 0; i < st.st_size; i++) {
		orig[i] ^= 0x5a;
		f = fopen(path, "wb");
		fwrite(orig, 1, (size_t)st.st_size, f);
		fclose(f);
		why = NULL;
		if (xd_cdb_load(&db, path, &why) == 0)
			fail_msg("flipped byte %ld accepted", (long)i);
		orig[i] ^= 0x5a;
	}
	for (off_t len = 0; len < st.st_size; len += 7) {
		f = fopen(path, "wb");
		fwrite(orig, 1, (size_t)len, f);
		fclose(f);
		if (xd_cdb_load(&db, path, &why) == 0)
			fail_msg("truncated to %ld accepted", (long)len);
	}
	free(orig);
	unlink(path);
}

static void write_failure_keeps_old(void **state)
{
	struct xd_cdb a;

	compile_text(&a, "ex.", zone);
	/* A directory that does not exist: error, nothing created. */
	assert_true(xd_cdb_write(&a, "/nonexistent-dir/x.xdc", false) < 0);
	xd_cdb_free(&a);
}

/* ---- a loaded file is the server's own -------------------------------- */

/*
 * A zone big enough that its file spans many pages: a mapping of it would
 * raise SIGBUS on the pages past the end of a shorter file.
 */
static char *big_zone(unsigned serial, unsigned hosts, const char *extra)
{
	size_t cap = 256 + hosts * 48 + strlen(extra);
	char *t = malloc(cap);
	size_t n;

	assert_non_null(t);
	n = (size_t)snprintf(t, cap,
			     "$ORIGIN ex.\n$TTL 60\n@ SOA ns1 h %u 1 2 3 4\n"
			     "@ NS ns1\nns1 A 192.0.2.1\n*.w MX 1 ns1\n",
			     serial);
	for (unsigned i = 0; i < hosts; i++)
		n += (size_t)snprintf(t + n, cap - n, "h%u A 198.18.%u.%u\n", i,
				      i >> 8 & 255, i & 255);
	snprintf(t + n, cap - n, "%s", extra);
	return t;
}

/* Compile text and write it to file; the file's size. */
static off_t write_compiled(const char *file, const char *text)
{
	struct xd_cdb db;
	struct stat st;

	compile_text(&db, "ex.", text);
	assert_int_equal(xd_cdb_write(&db, file, false), 0);
	xd_cdb_free(&db);
	assert_int_equal(stat(file, &st), 0);
	return st.st_size;
}

static uint8_t *read_whole(const char *file, size_t *len)
{
	struct stat st;
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *b = malloc((size_t)st.st_size);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/*
 * Write len bytes over file in place, as cp, scp and rsync --inplace do:
 * the same inode, truncated first (cp) or not (rsync --inplace), in
 * page-sized writes.
 */
static void overwrite_in_place(const char *file, const uint8_t *b, size_t len,
			       bool trunc)
{
	struct stat before, after;

	assert_int_equal(stat(file, &before), 0);
	int fd = open(file, O_WRONLY | (trunc ? O_TRUNC : 0));
	assert_true(fd >= 0);
	for (size_t off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;
		assert_int_equal(write(fd, b + off, n), (ssize_t)n);
	}
	if (!trunc)
		assert_int_equal(ftruncate(fd, (off_t)len), 0);
	close(fd);
	assert_int_equal(stat(file, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_size, (off_t)len);
}

/* The queries whose answers must not change: data, NODATA, a wildcard,
 * NXDOMAIN, names from the first and the last pages of the file. */
static const struct {
	const char *name;
	uint16_t type;
} probes[] = {
	{ "ex.", 6 },	    { "ex.", 2 },      { "ns1.ex.", 1 },
	{ "h0.ex.", 1 },    { "h500.ex.", 1 }, { "h999.ex.", 1 },
	{ "h999.ex.", 28 }, { "x.w.ex.", 15 }, { "nope.ex.", 1 },
	{ "other.", 1 },
};

#define NPROBES (sizeof(probes) / sizeof(probes[0]))

struct answers {
	uint8_t b[NPROBES][1024];
	size_t n[NPROBES];
};

static void answer_probes(const struct xd_cdb *db, struct answers *a)
{
	struct buf q;

	for (size_t i = 0; i < NPROBES; i++) {
		make_query(&q, (uint16_t)(0x100 + i), 0, probes[i].name,
			   probes[i].type, 1232, false);
		a->n[i] = xd_answer(db, q.b, q.n, a->b[i], sizeof(a->b[i]),
				    NULL, NULL);
		assert_true(a->n[i] > 0);
	}
}

static bool answers_equal(const struct answers *x, const struct answers *y)
{
	for (size_t i = 0; i < NPROBES; i++)
		if (x->n[i] != y->n[i] || memcmp(x->b[i], y->b[i], x->n[i]))
			return false;
	return true;
}

struct overwrite_case {
	const char *what;
	unsigned serial, hosts; /* of the file written over; 0 hosts: none */
	const char *extra;
	bool trunc;
};

static const struct overwrite_case overwrites[] = {
	{ "a shorter file", 10, 3, "", true },
	{ "a same-size file with other bytes", 8, 1000, "", false },
	{ "a longer file", 10, 1000, "more A 198.18.9.9\nmore TXT \"x\"\n",
	  true },
	{ "nothing (truncated to 0 bytes)", 0, 0, "", true },
};

/*
 * Load a compiled file, overwrite it in place, and check that the
 * loaded database answers exactly as before: it is the process's own
 * copy, not a view of the file.
 */
static void overwritten_file(void **state)
{
	const struct overwrite_case *c = *state;
	char loaded[64], other[64];
	struct answers before, after;
	struct xd_cdb db;
	const char *why = NULL;

	snprintf(loaded, sizeof(loaded), "/tmp/xdpdns-test-%d-in-place.xdc",
		 getpid());
	snprintf(other, sizeof(other), "/tmp/xdpdns-test-%d-other.xdc",
		 getpid());
	char *text = big_zone(9, 1000, "");
	off_t size = write_compiled(loaded, text);
	free(text);
	assert_true(size > 16 * 4096);
	assert_int_equal(xd_cdb_load(&db, loaded, &why), 0);
	answer_probes(&db, &before);
	/* The SOA answer carries serial 9: the probes see the zone. */
	assert_true(memmem(before.b[0], before.n[0], "\0\0\0\x09", 4));

	uint8_t *bytes = NULL;
	size_t len = 0;
	if (c->hosts) {
		text = big_zone(c->serial, c->hosts, c->extra);
		off_t osize = write_compiled(other, text);
		free(text);
		if (c->trunc)
			assert_true(c->hosts < 1000 ? osize < size :
						      osize > size);
		else
			assert_int_equal(osize, size);
		bytes = read_whole(other, &len);
		unlink(other);
	}
	overwrite_in_place(loaded, bytes, len, c->trunc);
	answer_probes(&db, &after);
	if (!answers_equal(&before, &after))
		fail_msg("answers changed after overwriting the file with %s",
			 c->what);
	xd_cdb_free(&db);
	free(bytes);
	unlink(loaded);
}

struct rewriter {
	const char *path;
	const uint8_t *b[2];
	size_t len[2];
	atomic_bool stop;
	unsigned rounds;
};

/* Write the two versions over the file in place, in turn, until told to
 * stop: a reader sees every state of a cp in progress. */
static void *rewrite_loop(void *arg)
{
	struct rewriter *w = arg;

	while (!atomic_load(&w->stop)) {
		unsigned v = w->rounds++ & 1;
		int fd = open(w->path, O_WRONLY | O_TRUNC);
		if (fd < 0)
			break;
		for (size_t off = 0; off < w->len[v]; off += 4096) {
			size_t n = w->len[v] - off < 4096 ? w->len[v] - off :
							    4096;
			if (write(fd, w->b[v] + off, n) != (ssize_t)n)
				break;
		}
		close(fd);
		/* A moment with the file whole, for loads to succeed too. */
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return NULL;
}

/*
 * Loading while another thread writes the file over: every load gives
 * exactly one of the two versions, or is refused with a reason; never a
 * mix, never a crash. Bounded: 400 loads or 20 s.
 */
static void loaded_while_written(void **state)
{
	static char busy[64];
	struct answers want[2], got;
	/* Static: the thread must not outlive the frame it writes to when a
	 * crash (cmocka's signal handler) ends this test early. */
	static struct rewriter w;
	unsigned loads = 0, refused = 0, seen[2] = { 0, 0 };
	pthread_t t;

	snprintf(busy, sizeof(busy), "/tmp/xdpdns-test-%d-busy.xdc", getpid());
	w = (struct rewriter){ .path = busy };
	for (int v = 0; v < 2; v++) {
		struct xd_cdb db;
		char *text = big_zone(20 + (unsigned)v, v ? 5 : 1000, "");
		write_compiled(busy, text);
		free(text);
		w.b[v] = read_whole(busy, &w.len[v]);
		const char *why = NULL;
		assert_int_equal(xd_cdb_load(&db, busy, &why), 0);
		answer_probes(&db, &want[v]);
		xd_cdb_free(&db);
	}
	assert_false(answers_equal(&want[0], &want[1]));
	assert_int_equal(pthread_create(&t, NULL, rewrite_loop, &w), 0);
	time_t end = time(NULL) + 20;
	for (; loads < 400 && time(NULL) < end; loads++) {
		struct xd_cdb db;
		const char *why = NULL;
		int r = xd_cdb_load(&db, busy, &why);
		if (r < 0) {
			if (!why)
				fail_msg("load %u refused without a reason: %s",
					 loads, strerror(-r));
			refused++;
			continue;
		}
		answer_probes(&db, &got);
		xd_cdb_free(&db);
		if (answers_equal(&got, &want[0]))
			seen[0]++;
		else if (answers_equal(&got, &want[1]))
			seen[1]++;
		else
			fail_msg("load %u accepted a file neither version",
				 loads);
	}
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	print_message("%u loads while written over %u times: %u refused, "
		      "%u big, %u small\n",
		      loads, w.rounds, refused, seen[0], seen[1]);
	free((void *)w.b[0]);
	free((void *)w.b[1]);
	unlink(busy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_roundtrip),
		cmocka_unit_test(damaged_files),
		cmocka_unit_test(write_failure_keeps_old),
		{ "overwritten_shorter", overwritten_file, NULL, NULL,
		  (void *)&overwrites[0] },
		{ "overwritten_same_size", overwritten_file, NULL, NULL,
		  (void *)&overwrites[1] },
		{ "overwritten_longer", overwritten_file, NULL, NULL,
		  (void *)&overwrites[2] },
		{ "overwritten_empty", overwritten_file, NULL, NULL,
		  (void *)&overwrites[3] },
		cmocka_unit_test(loaded_while_written),
	};
	return cmocka_run_group_tests_name("cdb", tests, NULL, NULL);
}
