// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * The cookie secret's file: which files are read and which refused, with
 * the message for each (never the secret itself); the default file made
 * once, 0600 in a 0700 directory, and the same secret for processes that
 * start at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
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

#include "secret.h"

#define HEX "00112233445566778899aabbccddeeff"

static const uint8_t hex_bytes[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				       0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				       0xcc, 0xdd, 0xee, 0xff };

/* A fresh directory for one test, removed by rm_tree(). */
static void make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/xdpdns-secret-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *text, size_t n,
		       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* ---- which files are read ---------------------------------------------- */

enum kind { PLAIN, SYMLINK, DIRECTORY, FIFO, MISSING };

struct read_case {
	const char *name;
	enum kind kind;
	const char *text; /* NULL with kind other than PLAIN */
	size_t len; /* 0: strlen(text) */
	mode_t mode;
	int want; /* 0, -1 or -ENOENT */
	const char *why; /* in the message when refused */
};

static const struct read_case read_cases[] = {
	{ "32 hex digits and a newline", PLAIN, HEX "\n", 0, 0600, 0, NULL },
	{ "32 hex digits without a newline", PLAIN, HEX, 0, 0600, 0, NULL },
	{ "upper case", PLAIN, "00112233445566778899AABBCCDDEEFF\n", 0, 0600, 0,
	  NULL },
	{ "read only for its owner", PLAIN, HEX "\n", 0, 0400, 0, NULL },
	{ "31 digits", PLAIN, "00112233445566778899aabbccddeef\n", 0, 0600, -1,
	  "expected 32 hex digits on one line (a 16-byte secret), "
	  "found 31 bytes" },
	{ "33 digits", PLAIN, HEX "0\n", 0, 0600, -1, "found 33 bytes" },
	{ "two newlines", PLAIN, HEX "\n\n", 0, 0600, -1, "found 33 bytes" },
	{ "a CR before the newline", PLAIN, HEX "\r\n", 0, 0600, -1,
	  "found 33 bytes" },
	{ "a space before the newline", PLAIN, HEX " \n", 0, 0600, -1,
	  "found 33 bytes" },
	{ "a second line", PLAIN, HEX "\n" HEX "\n", 0, 0600, -1,
	  "found 65 bytes" },
	{ "a long file", PLAIN, HEX HEX HEX HEX, 0, 0600, -1,
	  "found at least 71 bytes" },
	{ "empty", PLAIN, "", 0, 0600, -1, "found 0 bytes" },
	{ "a letter that is no hex digit", PLAIN,
	  "0011223344556677889gaabbccddeeff\n", 0, 0600, -1,
	  "found other characters" },
	{ "a NUL byte", PLAIN,
	  "0011223344556677\0"
	  "899aabbccddeeff\n",
	  33, 0600, -1, "found other characters" },
	{ "0x in front", PLAIN, "0x112233445566778899aabbccddeeff\n", 0, 0600,
	  -1, "found other characters" },
	{ "all zeroes", PLAIN, "00000000000000000000000000000000\n", 0, 0600,
	  -1, "an all-zero secret is no secret" },
	{ "readable by group", PLAIN, HEX "\n", 0, 0640, -1,
	  "is open to group or others (mode 0640): a secret is for its owner "
	  "alone: run 'chmod 600 " },
	{ "readable by others", PLAIN, HEX "\n", 0, 0604, -1, "(mode 0604)" },
	{ "writable by group", PLAIN, HEX "\n", 0, 0620, -1, "(mode 0620)" },
	{ "executable by others", PLAIN, HEX "\n", 0, 0601, -1, "(mode 0601)" },
	{ "a symbolic link to a good file", SYMLINK, NULL, 0, 0600, -1,
	  "is a symbolic link: name the file itself" },
	{ "a directory", DIRECTORY, NULL, 0, 0700, -1,
	  "is not a regular file" },
	{ "a FIFO", FIFO, NULL, 0, 0600, -1, "is not a regular file" },
	{ "no such file", MISSING, NULL, 0, 0, -ENOENT, ": no such file" },
};

static void test_read_cases(void **state)
{
	char dir[64], path[128], target[128], err[512];
	int failed = 0;

	for (size_t i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]);
	     i++) {
		const struct read_case *c = &read_cases[i];
		uint8_t out[16];

		make_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/secret", dir);
		snprintf(target, sizeof(target), "%s/target", dir);
		switch (c->kind) {
		case PLAIN:
			write_file(path, c->text,
				   c->len ? c->len : strlen(c->text), c->mode);
			break;
		case SYMLINK:
			write_file(target, HEX "\n", 33, 0600);
			assert_int_equal(symlink(target, path), 0);
			break;
		case DIRECTORY:
			assert_int_equal(mkdir(path, c->mode), 0);
			break;
		case FIFO:
			assert_int_equal(mkfifo(path, c->mode), 0);
			break;
		case MISSING:
			break;
		}
		err[0] = 0;
		int r = xd_secret_read(path, out, err, sizeof(err));
		bool ok = r == c->want;
		if (ok && r == 0)
			ok = !memcmp(out, hex_bytes, 16);
		if (ok && r < 0)
			ok = strstr(err, c->why) &&
			     !strncmp(err, path, strlen(path));
		/* The message never shows the secret, nor a near one. */
		if (ok && strstr(err, "2233445566"))
			ok = false;
		if (!ok) {
			print_error("case '%s': returned %d, message '%s'\n",
				    c->name, r, err);
			failed++;
		}
		rm_tree(dir);
	}
	assert_int_equal(failed, 0);
}

/* Owned by another user: refused (root only: chown needs it). */
static void test_read_other_owner(void **state)
{
	char dir[64], path[128], err[512];
	uint8_t out[16];

	if (geteuid() != 0)
		skip();
	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, HEX "\n", 33, 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(xd_secret_read(path, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(uid 65534), not by root: run 'chown "
				    "root:root "));
	/* Given back to root: read. */
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(xd_secret_read(path, out, err, sizeof(err)), 0);
	assert_memory_equal(out, hex_bytes, 16);
	rm_tree(dir);
}

/* ---- the default file, made at first start ------------------------------- */

static void test_made_once(void **state)
{
	char dir[64], sub[128], path[160], err[512], text[40];
	uint8_t first[16], again[16];
	struct stat st;
	bool made;

	make_dir(dir, sizeof(dir));
	/* The directory is made too (0700), as /var/lib/xdpdns. */
	snprintf(sub, sizeof(sub), "%s/xdpdns", dir);
	snprintf(path, sizeof(path), "%s/cookie-secret", sub);
	assert_int_equal(xd_secret_load_or_make(path, first, &made, err,
						sizeof(err)),
			 0);
	assert_true(made);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_nlink, 1); /* the temporary name is gone */
	assert_int_equal(st.st_size, 33);
	/* 32 hex digits and a newline: the bytes returned. */
	int fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, text, sizeof(text)), 33);
	close(fd);
	for (int i = 0; i < 16; i++) {
		char pair[3];
		snprintf(pair, sizeof(pair), "%02x", first[i]);
		assert_memory_equal(text + 2 * i, pair, 2);
	}
	assert_int_equal(text[32], '\n');
	/* Read, not made again. */
	assert_int_equal(xd_secret_load_or_make(path, again, &made, err,
						sizeof(err)),
			 0);
	assert_false(made);
	assert_memory_equal(first, again, 16);
	rm_tree(dir);
}

static void test_made_refusals(void **state)
{
	char dir[64], path[128], err[512];
	uint8_t out[16];
	bool made = true;

	/* A file there that is refused is not replaced. */
	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/cookie-secret", dir);
	write_file(path, HEX "\n", 33, 0644);
	assert_int_equal(
		xd_secret_load_or_make(path, out, &made, err, sizeof(err)), -1);
	assert_false(made);
	assert_non_null(strstr(err, "chmod 600"));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 33);
	rm_tree(dir);

	/* A directory others may write to: nothing made in it. */
	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/cookie-secret", dir);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(
		xd_secret_load_or_make(path, out, &made, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "may be written by group or others (mode "
				    "0777): run 'chmod 700 "));
	assert_int_equal(stat(path, &st), -1);
	rm_tree(dir);
}

/*
 * Processes starting at once, each making the file it finds missing: one
 * makes it, every one returns that secret, and no temporary file is
 * left.
 */
static void test_made_by_racers(void **state)
{
	enum { RACERS = 8 };
	char dir[64], path[128];
	int go[2], results[2];
	pid_t pids[RACERS];

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/cookie-secret", dir);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(results), 0);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c, err[512];
			struct {
				uint8_t secret[16];
				int made, r;
			} res = { 0 };
			bool made = false;
			close(go[1]);
			/* Released all at once: the pipe's end closes. */
			(void)!read(go[0], &c, 1);
			res.r = xd_secret_load_or_make(path, res.secret, &made,
						       err, sizeof(err));
			res.made = made;
			(void)!write(results[1], &res, sizeof(res));
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	close(results[1]);
	uint8_t first[16];
	int made = 0;
	for (int i = 0; i < RACERS; i++) {
		struct {
			uint8_t secret[16];
			int made, r;
		} res;
		assert_int_equal(read(results[0], &res, sizeof(res)),
				 sizeof(res));
		assert_int_equal(res.r, 0);
		if (i == 0)
			memcpy(first, res.secret, 16);
		assert_memory_equal(first, res.secret, 16);
		made += res.made;
	}
	for (int i = 0; i < RACERS; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(results[0]);
	assert_int_equal(made, 1);
	/* The directory holds the secret alone. */
	DIR *d = opendir(dir);
	struct dirent *e;
	int entries = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			assert_string_equal(e->d_name, "cookie-secret");
			entries++;
		}
	closedir(d);
	assert_int_equal(entries, 1);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_cases),
		cmocka_unit_test(test_read_other_owner),
		cmocka_unit_test(test_made_once),
		cmocka_unit_test(test_made_refusals),
		cmocka_unit_test(test_made_by_racers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
