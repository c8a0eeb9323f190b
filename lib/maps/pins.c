// SPDX-License-Identifier: GPL-3.0-or-later
#include "pins.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>

int xd_pins_dir(char *buf, size_t len, const char *ifname)
{
	size_t n = strlen(ifname);

	/* Interface names: at most 15 bytes, no slash, not . or .. */
	if (n == 0 || n > 15 || strchr(ifname, '/') || !strcmp(ifname, ".") ||
	    !strcmp(ifname, ".."))
		return -1;
	return snprintf(buf, len, "%s/%s", XD_PIN_ROOT, ifname) < (int)len ? 0 :
									     -1;
}

static int get(const struct xd_pins *p, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	return bpf_obj_get(path);
}

/* 0 when the pinned map fd has values of size bytes; else why is set
 * (what names the map) and -errno or -EPROTO returned. */
static int check_size(int fd, long size, const char *what, const char **why)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	static char msg[160];

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int e = errno;
		snprintf(msg, sizeof(msg),
			 "cannot read the description of the pinned %s", what);
		*why = msg;
		return -e;
	}
	if ((long)info.value_size == size)
		return 0;
	snprintf(msg, sizeof(msg),
		 "the pinned %s was made by another version of xdpdns (its "
		 "values differ in size from this version's): detach and "
		 "attach again",
		 what);
	*why = msg;
	return -EPROTO;
}

static int open_all(struct xd_pins *p, const char *ifname, bool lock,
		    const char **why)
{
	int r;

#define X(field, name, size) p->maps.field = -1;
	XD_PIN_MAPS
#undef X
	p->zones = p->prog = p->lock = -1;
	if (xd_pins_dir(p->dir, sizeof(p->dir), ifname) < 0) {
		*why = "not an interface name";
		return -EINVAL;
	}
	if (access(p->dir, F_OK) < 0) {
		*why = "xdpdns is not attached there (no pins)";
		return -ENOENT;
	}
	if (lock) {
		p->lock = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (p->lock < 0 || flock(p->lock, LOCK_EX) < 0) {
			*why = "cannot lock the pin directory";
			return -errno;
		}
	}
#define X(field, name, size)                                                  \
	if ((p->maps.field = get(p, name)) < 0) {                             \
		*why = "a pinned map is missing: " name;                      \
		return -ENOENT;                                               \
	}                                                                     \
	if ((r = check_size(p->maps.field, (long)(size), "map " name, why)) < \
	    0)                                                                \
		return r;
	XD_PIN_MAPS
#undef X
	p->zones = get(p, "zones");
	p->prog = get(p, "prog");
	if (p->zones < 0 || p->prog < 0) {
		*why = "the pinned program or zone list is missing";
		return -ENOENT;
	}
	return check_size(p->zones, sizeof(struct xd_zone_val), "zone list",
			  why);
}

int xd_pins_open(struct xd_pins *p, const char *ifname, bool lock,
		 const char **why)
{
	memset(p, 0, sizeof(*p));
	int r = open_all(p, ifname, lock, why);
	if (r < 0)
		xd_pins_close(p); /* nothing left open on failure */
	return r;
}

void xd_pins_close(struct xd_pins *p)
{
#define X(field, name, size)    \
	if (p->maps.field >= 0) \
		close(p->maps.field);
	XD_PIN_MAPS
#undef X
	if (p->zones >= 0)
		close(p->zones);
	if (p->prog >= 0)
		close(p->prog);
	if (p->lock >= 0)
		close(p->lock); /* releases the lock */
	p->zones = p->prog = p->lock = -1;
}

bool xd_serial_gt(uint32_t a, uint32_t b)
{
	/* RFC 1982 3.2, SERIAL_BITS 32: equal, or 2^31 apart, is neither. */
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}
