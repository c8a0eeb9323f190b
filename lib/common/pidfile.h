/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-server's pid file, and how root finds the server by it. The
 * server writes the file as root before it drops privileges, keeps it
 * root's, and holds a POSIX write lock on it for its whole life (the lock
 * survives setuid()). Only a process that may write the file can take
 * that lock, so the lock's holder, not the file's content, says which
 * process serves: 'xdpdns-zonec apply --server-pidfile' signals the
 * holder only, and only when the content names it too. A file left by a
 * stopped server has no holder and is harmless.
 */
#ifndef XDPDNS_PIDFILE_H
#define XDPDNS_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Make path this process's pid file: take the write lock (on the file
 * there, when it is a regular file of the caller's own with one link,
 * else on a new file put in its place: never a link followed), then write
 * the pid, mode 0644. Returns the descriptor to keep open for as long as
 * the process runs (closing any descriptor of the file drops the lock),
 * or -1 with the reason in err: "another xdpdns-server (pid N) holds
 * path" when a live process has the lock.
 */
int xd_pidfile_take(const char *path, char *err, size_t errlen);

/*
 * The process holding a write lock on the file open at fd (for reading
 * is enough); 0 when none does (read locks, which anyone who may read
 * the file can take, do not count), or -errno.
 */
pid_t xd_pidfile_holder(int fd);

#endif
