// SPDX-License-Identifier: GPL-3.0-or-later
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pid_t xd_pidfile_holder(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type == F_WRLCK ? fl.l_pid : 0;
}

/* Whether the file at fd may be reused as it is: a regular file of the
 * caller's with no other name (a hard link to another file, or a file of
 * another user, is replaced rather than written). */
static bool ours(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 1 &&
	       st->st_uid == geteuid();
}

int xd_pidfile_take(const char *path, char *err, size_t errlen)
{
	/* A few rounds: each one that finds the file replaced or unfit
	 * starts again on what is there now. */
	for (int round = 0; round < 8; round++) {
		int fd = open(path,
			      O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
				      O_NOCTTY | O_CLOEXEC,
			      0644);
		struct stat st, now;

		if (fd < 0 && errno == ELOOP) {
			/* A symbolic link: replaced, never followed. */
			if (unlink(path) < 0 && errno != ENOENT)
				goto fail;
			continue;
		}
		if (fd < 0 || fstat(fd, &st) < 0)
			goto fail;
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			snprintf(err, errlen, "%s is not a regular file", path);
			return -1;
		}
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int locked = ours(&st) ? fcntl(fd, F_SETLK, &fl) : -1;
		int e = errno;
		if (locked < 0) {
			pid_t holder = xd_pidfile_holder(fd);
			close(fd);
			if (holder > 0) {
				snprintf(err, errlen,
					 "another xdpdns-server (pid %ld) "
					 "holds %s",
					 (long)holder, path);
				return -1;
			}
			if (ours(&st) && e != EAGAIN && e != EACCES) {
				errno = e;
				goto fail;
			}
			/* Not ours, or only a read lock in the way (anyone
			 * who may read the file can take one): a new file
			 * in its place. */
			if (unlink(path) < 0 && errno != ENOENT)
				goto fail;
			continue;
		}
		/* Still the file at path, not one unlinked meanwhile by
		 * another server starting at the same time. */
		if (lstat(path, &now) < 0 || now.st_dev != st.st_dev ||
		    now.st_ino != st.st_ino) {
			close(fd);
			continue;
		}
		char text[32];
		int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) < 0 || fchmod(fd, 0644) < 0 ||
		    pwrite(fd, text, (size_t)n, 0) != n) {
			e = errno;
			close(fd);
			errno = e;
			goto fail;
		}
		return fd;
	}
	snprintf(err, errlen, "%s keeps being replaced while it is written",
		 path);
	return -1;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return -1;
}
