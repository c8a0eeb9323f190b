// SPDX-License-Identifier: GPL-3.0-or-later
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"

/* "uid N (name)" of the user uid, for messages. */
static void user_text(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s (uid %u)", pw->pw_name, (unsigned)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

/* Whether st belongs to root or to the caller; else what to run, in err. */
static bool owned_right(const struct stat *st, const char *path, char *err,
			size_t errlen)
{
	char who[64];

	if (st->st_uid == 0 || st->st_uid == geteuid())
		return true;
	user_text(st->st_uid, who, sizeof(who));
	snprintf(err, errlen,
		 "%s is owned by %s, not by root%s: run 'chown root:root %s' "
		 "(or make it again as root)",
		 path, who, geteuid() ? " nor by the user running this" : "",
		 path);
	return false;
}

int xd_secret_read(const char *path, uint8_t out[XD_SECRET_LEN], char *err,
		   size_t errlen)
{
	/* O_NONBLOCK: a FIFO put there must not hang the start. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				    O_CLOEXEC);
	struct stat st;
	char buf[72];
	size_t n = 0;
	int r = -1;

	if (fd < 0) {
		if (errno == ENOENT) {
			snprintf(err, errlen, "%s: no such file", path);
			return -ENOENT;
		}
		if (errno == ELOOP)
			snprintf(err, errlen,
				 "%s is a symbolic link: name the file itself "
				 "(readlink -f %s), or copy it there",
				 path, path);
		else
			snprintf(err, errlen, "cannot open %s: %s", path,
				 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "%s is not a regular file: the secret must be one",
			 path);
		goto out;
	}
	if (!owned_right(&st, path, err, errlen))
		goto out;
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "%s is open to group or others (mode %04o): a secret "
			 "is for its owner alone: run 'chmod 600 %s'",
			 path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path,
				 strerror(errno));
			goto out;
		}
		if (k == 0 || (n += (size_t)k) == sizeof(buf) - 1)
			break;
	}
	buf[n] = 0;
	/* 32 hex digits, the newline an editor or echo adds, nothing else.
	 * The message never shows the content: it is a secret, or near one. */
	if (n && n < sizeof(buf) - 1 && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n != 2 * XD_SECRET_LEN) {
		snprintf(err, errlen,
			 "%s: expected 32 hex digits on one line (a 16-byte "
			 "secret), found %s%zu bytes",
			 path, n == sizeof(buf) - 1 ? "at least " : "", n);
		goto out;
	}
	if (memchr(buf, 0, n) || xd_parse_hex16(buf, out) < 0) {
		snprintf(err, errlen,
			 "%s: expected 32 hex digits on one line (a 16-byte "
			 "secret), found other characters",
			 path);
		goto out;
	}
	uint8_t any = 0;
	for (int i = 0; i < XD_SECRET_LEN; i++)
		any |= out[i];
	if (!any) {
		snprintf(err, errlen, "%s: an all-zero secret is no secret",
			 path);
		goto out;
	}
	r = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	if (r < 0)
		explicit_bzero(out, XD_SECRET_LEN);
	close(fd);
	return r;
}

/* The directory of path, made 0700 when missing; refused when others may
 * write to it (they could put their own file in the secret's place). */
static int secret_dir(const char *path, char *dir, size_t len, char *err,
		      size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make the directory %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	if (!owned_right(&st, dir, err, errlen))
		return -1;
	if (st.st_mode & 022) {
		snprintf(err, errlen,
			 "%s may be written by group or others (mode %04o): "
			 "run 'chmod 700 %s'",
			 dir, (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

/* A fresh secret into a new temporary file in dir, synced; its name in
 * tmp. */
static int secret_write_temp(const char *dir, char *tmp, size_t len, char *err,
			     size_t errlen)
{
	uint8_t key[XD_SECRET_LEN], any = 0;
	char text[2 * XD_SECRET_LEN + 2];
	int r = -1;

	snprintf(tmp, len, "%s/.cookie-secret.XXXXXX", dir);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot make a file in %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	while (!any) {
		if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
			snprintf(err, errlen, "no random bytes: %s",
				 strerror(errno));
			goto out;
		}
		for (int i = 0; i < XD_SECRET_LEN; i++)
			any |= key[i];
	}
	for (int i = 0; i < XD_SECRET_LEN; i++)
		snprintf(text + 2 * i, 3, "%02x", key[i]);
	text[2 * XD_SECRET_LEN] = '\n';
	if (fchmod(fd, 0600) < 0 ||
	    write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(errno));
		goto out;
	}
	r = 0;
out:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(text, sizeof(text));
	if (close(fd) < 0 && r == 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(errno));
		r = -1;
	}
	if (r < 0)
		unlink(tmp);
	return r;
}

int xd_secret_load_or_make(const char *path, uint8_t out[XD_SECRET_LEN],
			   bool *made, char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	int r = xd_secret_read(path, out, err, errlen);

	*made = false;
	if (r != -ENOENT)
		return r;
	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (secret_dir(path, dir, sizeof(dir), err, errlen) < 0 ||
	    secret_write_temp(dir, tmp, sizeof(tmp), err, errlen) < 0)
		return -1;
	/* link(), unlike rename(), never replaces: of processes starting at
	 * once, the first to link wins and the others read its secret. */
	if (link(tmp, path) == 0) {
		*made = true;
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", path,
			 strerror(errno));
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* the new name survives a crash */
		close(dfd);
	}
	return xd_secret_read(path, out, err, errlen) < 0 ? -1 : 0;
}
