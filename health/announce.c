// SPDX-License-Identifier: GPL-3.0-or-later
#include "announce.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifaddrmsg ifa;
		struct ifinfomsg ifi;
	};
	char attrs[128];
};

static struct rtattr *put_attr(struct nl_req *r, unsigned short type,
			       const void *data, size_t len)
{
	struct rtattr *a =
		(struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* Send one request and return the kernel's answer: 0 or -errno. */
static int nl_talk(struct nl_req *r)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[4096];
	int e;

	if (fd < 0)
		return -errno;
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		e = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = -errno;
			goto out;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *err = NLMSG_DATA(h);
				e = err->error;
				goto out;
			}
		}
	}
out:
	close(fd);
	return e;
}

int ha_dummy_ensure(const char *name)
{
	int ifindex = (int)if_nametoindex(name);

	if (!ifindex) {
		struct nl_req r;
		memset(&r, 0, sizeof(r));
		r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
		r.h.nlmsg_type = RTM_NEWLINK;
		r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
		r.ifi.ifi_family = AF_UNSPEC;
		put_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
		struct rtattr *info = put_attr(&r, IFLA_LINKINFO, NULL, 0);
		put_attr(&r, IFLA_INFO_KIND, "dummy", 5);
		info->rta_len = (unsigned short)((char *)&r + r.h.nlmsg_len -
						 (char *)info);
		int e = nl_talk(&r);
		if (e < 0 && e != -EEXIST)
			return e;
		ifindex = (int)if_nametoindex(name);
		if (!ifindex)
			return -ENODEV;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	int e = 0;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		e = -errno;
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			e = -errno;
	}
	close(fd);
	return e < 0 ? e : ifindex;
}

int ha_addr_set(int ifindex, const struct hs_addr *a, bool present)
{
	struct nl_req r;
	size_t alen = a->family == AF_INET ? 4 : 16;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = present ? RTM_NEWADDR : RTM_DELADDR;
	r.h.nlmsg_flags = present ? NLM_F_CREATE | NLM_F_EXCL : 0;
	r.ifa.ifa_family = (unsigned char)a->family;
	r.ifa.ifa_prefixlen = (unsigned char)(alen * 8);
	r.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	r.ifa.ifa_index = (unsigned)ifindex;
	/* No duplicate address detection: the same address is on every
	 * node of the service by design. */
	r.ifa.ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	put_attr(&r, IFA_LOCAL, &a->a, alen);
	put_attr(&r, IFA_ADDRESS, &a->a, alen);
	int e = nl_talk(&r);
	if (e == 0)
		return 1;
	if (present && e == -EEXIST)
		return 0;
	if (!present && e == -EADDRNOTAVAIL)
		return 0;
	return e;
}
