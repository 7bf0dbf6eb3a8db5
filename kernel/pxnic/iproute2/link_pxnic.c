// SPDX-License-Identifier: GPL-2.0
/*
 * link_pxnic.so: `ip link add A type pxnic peer name B [netns NS] ...`
 *
 * ip(8) dlopen()s $IP_LIB_DIR/link_<kind>.so for a kind it does not know
 * and looks up <kind>_link_util.  The plugin calls back into the ip binary
 * (Debian builds it with -export-dynamic) for iplink_parse() and the
 * netlink helpers.  iproute2 installs no headers, so the few declarations
 * needed are repeated here; they match iproute2 6.1 (ip/ip_common.h,
 * include/libnetlink.h, include/utils.h).  Later versions (6.12 onwards)
 * changed parse_opt and iplink_parse to take a netns fd pointer: this
 * plugin must be rebuilt against those.
 *
 * pxnic parses its peer exactly as veth does (attribute 1, VETH_INFO_PEER:
 * a struct ifinfomsg followed by IFLA_* attributes), so this is
 * ip/link_veth.c of that version.
 */
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* ip/ip_common.h, iproute2 6.1 */
struct iplink_req {
	struct nlmsghdr		n;
	struct ifinfomsg	i;
	char			buf[1024];
};

struct link_util {
	struct link_util	*next;
	const char		*id;
	int			maxattr;
	int			(*parse_opt)(struct link_util *, int, char **,
					     struct nlmsghdr *);
	void			(*print_opt)(struct link_util *, FILE *,
					     struct rtattr *[]);
	void			(*print_xstats)(struct link_util *, FILE *,
						struct rtattr *);
	void			(*print_help)(struct link_util *, int, char **,
					      FILE *);
	int			(*parse_ifla_xstats)(struct link_util *,
						     int, char **);
	int			(*print_ifla_xstats)(struct nlmsghdr *, void *);
};

/* Provided by the ip binary. */
int iplink_parse(int argc, char **argv, struct iplink_req *req, char **type);
struct rtattr *addattr_nest(struct nlmsghdr *n, int maxlen, int type);
int addattr_nest_end(struct nlmsghdr *n, struct rtattr *nest);
void duparg(const char *key, const char *arg) __attribute__((noreturn));

static void print_usage(FILE *f)
{
	fprintf(f,
		"Usage: ip link <options> type pxnic [peer <options>]\n"
		"To get <options> type 'ip link add help'\n");
}

static int pxnic_parse_opt(struct link_util *lu, int argc, char **argv,
			   struct nlmsghdr *n)
{
	unsigned int ifi_flags, ifi_change, ifi_index;
	struct ifinfomsg *ifm, *peer_ifm;
	struct rtattr *data;
	char *type = NULL;
	int err;

	if (strcmp(argv[0], "peer") != 0) {
		print_usage(stderr);
		return -1;
	}

	/* The peer's ifinfomsg starts as a copy-free, zeroed header. */
	ifm = NLMSG_DATA(n);
	ifi_flags = ifm->ifi_flags;
	ifi_change = ifm->ifi_change;
	ifi_index = ifm->ifi_index;
	ifm->ifi_flags = 0;
	ifm->ifi_change = 0;
	ifm->ifi_index = 0;

	data = addattr_nest(n, 1024, VETH_INFO_PEER);
	n->nlmsg_len += sizeof(struct ifinfomsg);

	/* Parses the peer's options into the same message, after it. */
	err = iplink_parse(argc - 1, argv + 1, (struct iplink_req *)n, &type);
	if (err < 0)
		return err;
	if (type)
		duparg("type", argv[err]);

	peer_ifm = RTA_DATA(data);
	peer_ifm->ifi_index = ifm->ifi_index;
	peer_ifm->ifi_flags = ifm->ifi_flags;
	peer_ifm->ifi_change = ifm->ifi_change;
	ifm->ifi_flags = ifi_flags;
	ifm->ifi_change = ifi_change;
	ifm->ifi_index = ifi_index;

	addattr_nest_end(n, data);
	return argc - 1 - err;
}

static void pxnic_print_help(struct link_util *lu, int argc, char **argv,
			     FILE *f)
{
	print_usage(f);
}

struct link_util pxnic_link_util = {
	.id		= "pxnic",
	.maxattr	= VETH_INFO_MAX,
	.parse_opt	= pxnic_parse_opt,
	.print_help	= pxnic_print_help,
};
