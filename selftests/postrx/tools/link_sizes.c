// SPDX-License-Identifier: GPL-2.0
/*
 * link_sizes DEV NAME SIZE [NAME SIZE ...]: set a device's GSO and GRO
 * size limits, BIG TCP's knobs (Documentation/networking/big-tcp.rst in
 * the kernel): gso_max_size, gro_max_size (IPv6) and gso_ipv4_max_size,
 * gro_ipv4_max_size (IPv4).  `ip link set` does the same from iproute2
 * 6.3 on; Debian 12's iproute2 (6.1) lacks the IPv4 ones.  One
 * RTM_NEWLINK request; the kernel's answer (0 or an errno) is the exit
 * status's cause.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* From the kernel's uapi if_link.h (6.3 and later); older headers lack them. */
#define LINK_GRO_MAX_SIZE	58	/* IFLA_GRO_MAX_SIZE */
#define LINK_GSO_IPV4_MAX_SIZE	63	/* IFLA_GSO_IPV4_MAX_SIZE */
#define LINK_GRO_IPV4_MAX_SIZE	64	/* IFLA_GRO_IPV4_MAX_SIZE */

static const struct {
	const char	*name;
	unsigned short	type;
} knobs[] = {
	{ "gso_max_size",	IFLA_GSO_MAX_SIZE },
	{ "gro_max_size",	LINK_GRO_MAX_SIZE },
	{ "gso_ipv4_max_size",	LINK_GSO_IPV4_MAX_SIZE },
	{ "gro_ipv4_max_size",	LINK_GRO_IPV4_MAX_SIZE },
};

struct request {
	struct nlmsghdr		nh;
	struct ifinfomsg	ifi;
	char			attrs[8 * RTA_SPACE(sizeof(__u32))];
};

static int knob_type(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (!strcmp(knobs[i].name, name))
			return knobs[i].type;
	return -1;
}

/* Append a u32 attribute; the request has room for every knob twice. */
static void add_u32(struct request *req, unsigned short type, __u32 val)
{
	struct rtattr *rta = (struct rtattr *)((char *)req +
					       NLMSG_ALIGN(req->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(sizeof(val));
	memcpy(RTA_DATA(rta), &val, sizeof(val));
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send @req and return the kernel's answer: 0 or a negative errno. */
static int talk(struct request *req)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	err = n < 0 ? -errno : -EPROTO;
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
	    nh->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	struct request req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_NEWLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.ifi.ifi_family = AF_UNSPEC,
	};
	int i, err;

	if (argc < 4 || argc % 2 || argc > 2 + 2 * 8) {
		fprintf(stderr, "usage: %s DEV NAME SIZE [NAME SIZE ...]\n"
			"NAME: gso_max_size gro_max_size gso_ipv4_max_size gro_ipv4_max_size\n",
			argv[0]);
		return 2;
	}
	req.ifi.ifi_index = if_nametoindex(argv[1]);
	if (!req.ifi.ifi_index) {
		perror(argv[1]);
		return 1;
	}
	for (i = 2; i < argc; i += 2) {
		int type = knob_type(argv[i]);
		char *end;
		unsigned long val = strtoul(argv[i + 1], &end, 0);

		if (type < 0 || *end || !*argv[i + 1] || val > 0xffffffffUL) {
			fprintf(stderr, "%s: bad %s %s\n", argv[0], argv[i],
				argv[i + 1]);
			return 2;
		}
		add_u32(&req, type, val);
	}
	err = talk(&req);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(-err));
		return 1;
	}
	return 0;
}
