// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-server's locked pid file: written with the pid and a write lock
 * another process sees (POSIX locks are per process: a process does not
 * see its own, so each check runs in a child); refused while a live
 * process holds it; a stale file reused; links and files of others
 * replaced, never followed; read locks, which anyone may take, neither
 * block a start nor count as a holder.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pidfile.h"

struct dir {
	char path[64];
	char file[96];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/xdpdns-pidfile-test-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->file, sizeof(d->file), "%s/server.pid", d->path);
}

static void dir_remove(const struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

/* The file's text. Not for a file this process holds a lock on: closing
 * any descriptor of it drops the lock (hence text_at()). */
static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = 0;
	close(fd);
}

/* The text of the file open at fd. */
static void text_at(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	assert_true(n >= 0);
	buf[n] = 0;
}

/* The holder of path's write lock, as another process sees it. */
static pid_t holder_seen_by_child(const char *path)
{
	int p[2];
	pid_t seen = -1;

	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = open(path, O_RDONLY);
		pid_t h = fd < 0 ? -1 : xd_pidfile_holder(fd);
		(void)!write(p[1], &h, sizeof(h));
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &seen, sizeof(seen)), sizeof(seen));
	close(p[0]);
	waitpid(child, NULL, 0);
	return seen;
}

/* What xd_pidfile_take() says in a child while this process holds it. */
static void take_in_child(const char *path, int *ret, char *err, size_t len)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char e[256] = "";
		int fd = xd_pidfile_take(path, e, sizeof(e));
		(void)!write(p[1], &fd, sizeof(fd));
		(void)!write(p[1], e, sizeof(e));
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], ret, sizeof(*ret)), sizeof(*ret));
	assert_int_equal(read(p[0], err, len), (ssize_t)len);
	close(p[0]);
	waitpid(child, NULL, 0);
}

static void test_written_and_held(void **state)
{
	struct dir d;
	char err[256], text[32], want[32];
	struct stat st;

	dir_make(&d);
	umask(077); /* as systemd's UMask=0077: the mode is set anyway */
	int fd = xd_pidfile_take(d.file, err, sizeof(err));
	umask(022);
	assert_true(fd >= 0);
	text_at(fd, text, sizeof(text));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(text, want);
	assert_int_equal(lstat(d.file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(holder_seen_by_child(d.file), getpid());

	/* A second taker is refused and names the holder. */
	int r;
	char e[256];
	take_in_child(d.file, &r, e, sizeof(e));
	assert_int_equal(r, -1);
	snprintf(want, sizeof(want), "(pid %ld) holds ", (long)getpid());
	assert_non_null(strstr(e, "another xdpdns-server"));
	assert_non_null(strstr(e, want));
	text_at(fd, text, sizeof(text));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(text, want); /* untouched */

	/* Closed (as at exit): no holder, and the next taker succeeds. */
	close(fd);
	assert_int_equal(holder_seen_by_child(d.file), 0);
	take_in_child(d.file, &r, e, sizeof(e));
	assert_true(r >= 0);
	dir_remove(&d);
}

static void test_stale_file_reused(void **state)
{
	struct dir d;
	char err[256], text[32], want[32];
	struct stat before, after;

	dir_make(&d);
	int fd = open(d.file, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "999999999\nmore\n", 15), 15);
	close(fd);
	assert_int_equal(stat(d.file, &before), 0);
	fd = xd_pidfile_take(d.file, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(stat(d.file, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(after.st_mode & 07777, 0644);
	text_at(fd, text, sizeof(text));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(text, want);
	close(fd);
	dir_remove(&d);
}

/* What a link at the pid file's place points to is neither written nor
 * locked: the link is replaced by a file of the taker's. */
static void test_links_replaced(void **state)
{
	for (int hard = 0; hard < 2; hard++) {
		struct dir d;
		char err[256], text[32], victim[128];

		dir_make(&d);
		snprintf(victim, sizeof(victim), "%s/victim", d.path);
		int fd = open(victim, O_WRONLY | O_CREAT, 0600);
		assert_int_equal(write(fd, "precious\n", 9), 9);
		close(fd);
		if (hard)
			assert_int_equal(link(victim, d.file), 0);
		else
			assert_int_equal(symlink(victim, d.file), 0);
		fd = xd_pidfile_take(d.file, err, sizeof(err));
		assert_true(fd >= 0);
		struct stat st, vs;
		assert_int_equal(lstat(d.file, &st), 0);
		assert_int_equal(stat(victim, &vs), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_not_equal(st.st_ino, vs.st_ino);
		assert_int_equal(vs.st_nlink, 1);
		assert_int_equal(vs.st_mode & 07777, 0600);
		read_text(victim, text, sizeof(text));
		assert_string_equal(text, "precious\n");
		assert_int_equal(holder_seen_by_child(victim), 0);
		close(fd);
		dir_remove(&d);
	}
}

/*
 * A read lock, which any user who may read the file can take, blocks no
 * start (the file is replaced) and makes no holder.
 */
static void test_read_lock_is_no_holder(void **state)
{
	struct dir d;
	char err[256];
	int go[2], ready[2];

	dir_make(&d);
	int fd = open(d.file, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "1\n", 2), 2);
	close(fd);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid_t reader = fork();
	assert_true(reader >= 0);
	if (reader == 0) {
		close(go[1]);
		int rfd = open(d.file, O_RDONLY);
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
		char c = fcntl(rfd, F_SETLK, &fl) == 0 ? 'y' : 'n';
		(void)!write(ready[1], &c, 1);
		(void)!read(go[0], &c, 1); /* hold it until told */
		_exit(0);
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(holder_seen_by_child(d.file), 0);
	fd = xd_pidfile_take(d.file, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(holder_seen_by_child(d.file), getpid());
	close(go[1]);
	waitpid(reader, NULL, 0);
	close(fd);
	dir_remove(&d);
}

static void test_not_a_file(void **state)
{
	struct dir d;
	char err[256];

	dir_make(&d);
	assert_int_equal(mkfifo(d.file, 0644), 0);
	assert_int_equal(xd_pidfile_take(d.file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a regular file"));
	dir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_and_held),
		cmocka_unit_test(test_stale_file_reused),
		cmocka_unit_test(test_links_replaced),
		cmocka_unit_test(test_read_lock_is_no_holder),
		cmocka_unit_test(test_not_a_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
