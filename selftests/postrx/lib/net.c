// SPDX-License-Identifier: GPL-2.0
/*
 * Links (loopback, and a veth or pxnic pair into a namespace of our own,
 * optionally with netem), sockets on them, and the processes at the
 * other end: a sender of the stream or a peer running a test's function.
 */
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "postrx_test.h"
#include "../../../tools/common/zerocopy.h"

const struct px_link px_lo4 = {
	.name = "lo4", .family = AF_INET, .rx_addr = "127.0.0.1",
};
const struct px_link px_lo6 = {
	.name = "lo6", .family = AF_INET6, .rx_addr = "::1",
};
const struct px_link px_veth4 = {
	.name = "veth4", .family = AF_INET, .rx_addr = "10.99.0.1",
	.veth = true,
};
const struct px_link px_veth6 = {
	.name = "veth6", .family = AF_INET6, .rx_addr = "fd00:99::1",
	.veth = true,
};
const struct px_link px_pxnic4 = {
	.name = "pxnic4", .family = AF_INET, .rx_addr = "10.99.0.1",
	.veth = true, .kind = "pxnic", .mtu = 1500,
};

bool px_link_is_pxnic(const struct px_link *l)
{
	return l->kind && !strcmp(l->kind, "pxnic");
}

void px_link_down(const struct px_link *l)
{
	if (l->veth)
		px_sh("printf 'netns del " PX_NETNS "\\nlink del px0\\n' | "
		      "ip -force -b - 2>/dev/null");
}

/*
 * One ip(8) in batch mode per side: under TCG each program started costs
 * a tenth of a second or more, and the long suite sets links up
 * thousands of times.
 */
int px_link_up(const struct px_link *l)
{
	char mtu0[64] = "", mtu1[64] = "", cmd[1024];

	if (!l->veth)
		return 0;
	px_link_down(l);
	if (l->mtu) {
		snprintf(mtu0, sizeof(mtu0), "link set px0 mtu %d\\n", l->mtu);
		snprintf(mtu1, sizeof(mtu1), "link set px1 mtu %d\\n", l->mtu);
	}
	snprintf(cmd, sizeof(cmd),
		 "printf 'netns add " PX_NETNS "\\n"
		 "link add px0 type %s peer name px1 netns " PX_NETNS "\\n"
		 "%saddr add 10.99.0.1/24 dev px0\\n"
		 "addr add fd00:99::1/64 dev px0 nodad\\n"
		 "link set px0 up\\n' | ip -b - && "
		 "printf '%saddr add 10.99.0.2/24 dev px1\\n"
		 "addr add fd00:99::2/64 dev px1 nodad\\n"
		 "link set px1 up\\nlink set lo up\\n' | ip -n " PX_NETNS " -b -",
		 l->kind ? l->kind : "veth", mtu0, mtu1);
	if (px_sh(cmd))
		return -1;
	if (l->netem) {
		snprintf(cmd, sizeof(cmd),
			 "ip netns exec " PX_NETNS " tc qdisc add dev px1 root netem %s",
			 l->netem);
		if (px_sh(cmd))
			return -1;
	}
	return 0;
}

socklen_t px_sockaddr(const struct px_link *l, const char *addr, int port,
		      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (l->family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (void *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, addr, &a->sin_addr);
	return sizeof(*a);
}

int px_listen(const struct px_link *l, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = px_sockaddr(l, l->rx_addr, 0, &ss);
	int one = 1, fd;

	fd = socket(l->family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&ss, len) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (void *)&ss, &len);
	*port = ntohs(l->family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
					      ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int px_connect_mss(const struct px_link *l, int port, int mss)
{
	struct sockaddr_storage ss;
	socklen_t len = px_sockaddr(l, l->rx_addr, port, &ss);
	int fd = socket(l->family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if ((mss && setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss))) ||
	    connect(fd, (void *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int px_connect(const struct px_link *l, int port)
{
	return px_connect_mss(l, port, 0);
}

int px_wait_queued(int fd, int n)
{
	int i, q = 0;

	for (i = 0; i < 5000; i++) {
		if (ioctl(fd, FIONREAD, &q) == 0 && q >= n)
			return q;
		usleep(1000);
	}
	return q;
}

int px_write_stream(int fd, uint64_t seed, uint64_t off, size_t n,
		    size_t chunk)
{
	char *buf = malloc(chunk);
	uint64_t end = off + n;

	while (buf && off < end) {
		size_t k = end - off < chunk ? end - off : chunk;
		ssize_t w;

		px_pattern(seed, off, buf, k);
		w = write(fd, buf, k);
		if (w <= 0)
			break;
		off += w;
	}
	free(buf);
	return off == end ? 0 : -1;
}

unsigned int px_sender_delay_us;
bool px_sender_zerocopy;

/* The sender's loop with MSG_ZEROCOPY; returns its exit code. */
static int px_send_zerocopy(int fd, uint64_t seed, size_t total,
			    size_t chunk)
{
	char *buf = px_alloc(total ? total : 1);
	struct zc_sender zc = { 0 };
	size_t off;

	if (!buf || zc_enable(fd))
		return 6;
	px_pattern(seed, 0, buf, total);
	for (off = 0; off < total; ) {
		size_t n = total - off < chunk ? total - off : chunk;
		ssize_t w = zc_send(&zc, fd, buf + off, n);

		if (w <= 0)
			return 4;
		off += w;
	}
	zc_finish(&zc, fd, 10000);
	fprintf(stderr, "# zerocopy sender: %lu sends, %lu completed, %lu copied\n",
		zc.sends, zc.done, zc.copied);
	return zc.sends && zc.copied == zc.sends ? 5 : 0;
}

/* px_sender()'s child: its exit status says where it stopped. */
static int px_send(const struct px_link *l, int port, uint64_t seed,
		   size_t total, size_t chunk, enum px_end end)
{
	int fd;

	if (l->veth && px_enter_netns(PX_NETNS))
		return 2;
	fd = px_connect(l, port);
	if (fd < 0)
		return 3;
	if (px_sender_delay_us)
		usleep(px_sender_delay_us);
	if (px_sender_zerocopy) {
		int ret = px_send_zerocopy(fd, seed, total, chunk);

		if (ret)
			return ret;
	} else if (px_write_stream(fd, seed, 0, total, chunk)) {
		return 4;
	}
	if (end == PX_END_RESET) {
		struct linger lg = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	} else if (end == PX_END_HOLD) {
		for (;;)
			pause();
	}
	close(fd);
	return 0;
}

pid_t px_sender(const struct px_link *l, int port, uint64_t seed,
		size_t total, size_t chunk, enum px_end end)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	_exit(px_send(l, port, seed, total, chunk, end));
}

pid_t px_peer(const struct px_link *l, int port, int mss,
	      int (*fn)(int fd, void *arg), void *arg)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	if (l->veth && px_enter_netns(PX_NETNS))
		_exit(2);
	fd = px_connect_mss(l, port, mss);
	if (fd < 0)
		_exit(3);
	_exit(fn(fd, arg));
}

int px_tcp_info(int fd, struct px_tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len))
		return -1;
	return len >= sizeof(*ti) ? 0 : -1;
}
