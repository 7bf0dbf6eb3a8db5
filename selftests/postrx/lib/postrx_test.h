/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The postrx selftests' helper library (libpostrx_test.a), compiled once
 * and linked into every test and selftests/postrx/tools/ program:
 *
 *   cmd.c     running commands, module parameters, pxnic, namespaces,
 *             the scale of the run (debug kernel, long suite)
 *   uring.c   postrx uring commands: prepare, submit, wait
 *   net.c     links (loopback, veth, pxnic), sockets, forked senders
 *             and peers, TCP_INFO, MSG_ZEROCOPY
 *   rx.c      struct px_rx: what a test over one link holds, set up and
 *             torn down once for every fixture that uses it
 *   stream.c  receiving a whole stream through postrx and checking it
 *
 * Functions return 0 or a count on success and a negative value on
 * failure, as their comments say; none of them asserts, so that the
 * kselftest harness (postrx_fixture.h) decides what a failure means.
 */
#ifndef POSTRX_TEST_H
#define POSTRX_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <liburing.h>
#include <linux/postrx.h>

/*
 * The stream: byte i of stream @seed is a function of (seed, i).  One
 * definition, shared with the tools (postrx-send writes it, postrx-recv
 * --verify checks it).
 */
#include "../../../tools/common/stream.h"

#define px_pattern	st_pattern	/* fill a buffer with the stream */
#define px_verify	st_verify	/* first wrong offset, or -1 */

/* ---- cmd.c: commands, module parameters, the run's scale */

/* Run @cmd with sh -c: its exit status, or -1 if it did not exit. */
int px_sh(const char *cmd);

/*
 * Divide the volume of traffic by this much: the debug kernel (KASAN,
 * lockdep, kmemleak) under TCG moves data some 20 times slower.
 */
size_t px_scale(void);

/* The long suite (make check LONG=1) runs with POSTRX_LONG=1. */
bool px_long(void);

#define PX_LONG_BYTES	(1ULL << 30)	/* per fault path in the long suite */

/*
 * Bytes to move through one fault path: @bytes scaled down for the debug
 * kernel, or 1 GiB on any kernel in the long suite.
 */
size_t px_fault_volume(size_t bytes);

/*
 * Set postrx.ko's module parameter @name to @val; returns the value it
 * had, or -1 if it cannot be read or written.
 */
long px_postrx_param(const char *name, long val);

/*
 * Load pxnic.ko from beside postrx.ko (and point ip(8) at our pxnic link
 * plugin); 0 if the module is there.
 */
int px_pxnic_load(void);

/*
 * /dev/postrx opened and pxnic loaded: the descriptor, or -1 with *@why
 * saying which is missing (the caller SKIPs).
 */
int px_open_with_pxnic(const char **why);

/*
 * The runner wants postrx's references back at 0 after each program, and
 * pxnic holds one.  A program that loads pxnic calls this from main(),
 * before the harness runs: pxnic is unloaded (and the sender's namespace
 * deleted) when that process exits, and never by a child that happens to
 * leave through exit().
 */
void px_unload_pxnic_at_exit(void);

/* Enter the network namespace /run/netns/@name; 0 or -1. */
int px_enter_netns(const char *name);

/* Wait for @pid: its exit status, 128 + the signal, or -1. */
int px_wait_child(pid_t pid);

/* Anonymous memory for registered buffers, touched so it is present. */
void *px_alloc(size_t len);

/* ---- uring.c: postrx uring commands */

/* Size of one SQE of @ring: 64 bytes, or 128 with IORING_SETUP_SQE128. */
size_t postrx_sqe_size(const struct io_uring *ring);

/* The command area of an SQE: 16 bytes, 80 with IORING_SETUP_SQE128. */
size_t postrx_cmd_area_size(const struct io_uring *ring);

/* A zeroed SQE prepared for postrx command @op on @fd, or NULL. */
struct io_uring_sqe *postrx_get_cmd_sqe(struct io_uring *ring, int fd,
					__u32 op, void *addr, __u32 len);

/* Submit what is queued, wait for one completion, return its res. */
int postrx_submit_wait(struct io_uring *ring);

/* A POSTRX_CMD_RECV of fixed buffer @buf_index, queued; NULL if full. */
struct io_uring_sqe *px_prep_recv(struct io_uring *ring, int devfd,
				  int sockfd, void *addr, __u32 len,
				  __u16 buf_index, __u32 flags,
				  __u64 user_data);

/* POSTRX_CMD_STATS of @sockfd into @st: sizeof(*st) or -errno. */
int px_stats(struct io_uring *ring, int devfd, int sockfd,
	     struct postrx_stats *st);

/*
 * Queue a POSTRX_CMD_CANCEL of the buffer posted with @user_data on
 * @sockfd (@flags: POSTRX_CANCEL_*), its own user_data @cancel_ud; NULL
 * if the ring is full.
 */
struct io_uring_sqe *px_prep_cancel(struct io_uring *ring, int devfd,
				    int sockfd, __u64 user_data, __u32 flags,
				    __u64 cancel_ud);

/* Wait for a CQE with a timeout in ms; 0 and *res on success. */
int px_wait_cqe(struct io_uring *ring, int ms, __u64 *user_data, int *res);

/* ---- net.c: links, sockets, senders and peers */

struct px_link {
	const char *name;
	int family;
	const char *rx_addr;	/* where the receiver listens */
	bool veth;		/* sender in namespace PX_NETNS over a pair */
	const char *netem;	/* netem arguments on the sender's side */
	const char *kind;	/* the pair's link type: "veth" if NULL */
	int mtu;		/* the pair's MTU, if not 0 */
};

#define PX_NETNS	"pxtx"

/*
 * The links the tests run over: loopback and a veth pair into namespace
 * PX_NETNS, IPv4 and IPv6 (postrx_fixture.h makes them variants), and a
 * pxnic pair at MTU 1500.
 */
extern const struct px_link px_lo4, px_lo6, px_veth4, px_veth6, px_pxnic4;

/* Whether @l is a pxnic pair (the device places). */
bool px_link_is_pxnic(const struct px_link *l);

/*
 * Create the sender's namespace and the pair (nothing for loopback); 0 on
 * success.
 */
int px_link_up(const struct px_link *l);

/* Remove the sender's namespace (and the pair with it), if there. */
void px_link_down(const struct px_link *l);

/* @addr and @port as a sockaddr of @l's family; its length. */
socklen_t px_sockaddr(const struct px_link *l, const char *addr, int port,
		      struct sockaddr_storage *ss);

/* A listening socket on the link's receive address; *port is set. */
int px_listen(const struct px_link *l, int *port);

/*
 * Connect to @port on the link's receive address.  A non-zero @mss is set
 * as TCP_MAXSEG first: it only clamps the segment size when set before
 * the SYN.
 */
int px_connect_mss(const struct px_link *l, int port, int mss);
int px_connect(const struct px_link *l, int port);

/* Wait until @fd has at least @n bytes queued for reading; how many. */
int px_wait_queued(int fd, int n);

/*
 * Write bytes [@off, @off + @n) of stream @seed to @fd, in writes of up to
 * @chunk bytes; 0 once all are written, -1 if a write fails.
 */
int px_write_stream(int fd, uint64_t seed, uint64_t off, size_t n,
		    size_t chunk);

/* Set by a test: the sender sleeps this long after connecting. */
extern unsigned int px_sender_delay_us;
/*
 * Set by a test: the sender writes with MSG_ZEROCOPY from one buffer that
 * holds the whole stream, and exits with 5 if the kernel copied every
 * send anyway (SO_EE_CODE_ZEROCOPY_COPIED).
 */
extern bool px_sender_zerocopy;

enum px_end {
	PX_END_CLOSE,	/* orderly close: the receiver sees end of stream */
	PX_END_RESET,	/* abortive close: the receiver sees ECONNRESET */
	PX_END_HOLD,	/* keep the connection open until killed */
};

/*
 * Fork a sender that connects to @port over @l and writes @total bytes of
 * stream @seed in writes of up to @chunk bytes, then ends as @end says.
 */
pid_t px_sender(const struct px_link *l, int port, uint64_t seed,
		size_t total, size_t chunk, enum px_end end);

/*
 * Fork a peer that connects to @port over @l (from namespace PX_NETNS on a
 * veth link; TCP_MAXSEG @mss if not 0), runs @fn on the connected socket
 * and exits with what @fn returns: for peers that do more than write a
 * stream and close (half close, stalls, resets, tiny segments).
 */
pid_t px_peer(const struct px_link *l, int port, int mss,
	      int (*fn)(int fd, void *arg), void *arg);

/*
 * struct tcp_info as Linux 6.12 fills it.  glibc's copy stops at
 * tcpi_total_retrans and <linux/tcp.h> cannot be included beside
 * <netinet/tcp.h>, so the later fields are spelled out in the kernel's
 * order (uapi <linux/tcp.h>).
 */
struct px_tcp_info {
	struct tcp_info base;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
	uint32_t data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd;
};

/* TCP_INFO of @fd up to snd_wnd; -1 if the kernel fills less. */
int px_tcp_info(int fd, struct px_tcp_info *ti);

/* ---- rx.c: one receiving end over one link */

/*
 * What a test over one link holds: /dev/postrx, a ring, a listening
 * socket on the link and the accepted socket, the process at the other
 * end, and optionally a registered buffer and a connecting socket of our
 * own.  Every fixture that receives over a link embeds one, so that it
 * is set up and torn down in one place.
 */
struct px_rx {
	struct io_uring ring;
	const struct px_link *link;
	int devfd;		/* /dev/postrx, or -1 */
	int lfd, port;		/* listening on link->rx_addr */
	int fd;			/* the accepted, receiving socket, or -1 */
	int peer;		/* our own connecting end, or -1 */
	pid_t pid;		/* a forked sender or peer, or 0 */
	uint8_t *buf;		/* registered buffer 0 (px_rx_register) */
	size_t buflen;
};

/* px_rx_open()'s result when the device or pxnic is missing. */
#define PX_RX_MISSING	(-2)

/*
 * Nothing held yet: what px_rx_close() needs to do nothing.  For a
 * fixture that may skip before px_rx_open().
 */
void px_rx_init(struct px_rx *rx);

/*
 * Open /dev/postrx (loading pxnic for a pxnic link), bring @l up, make a
 * ring of @entries with @ring_flags and listen on @l.  0; PX_RX_MISSING
 * if the device or pxnic is missing; -1 if a step failed.  *@why says
 * which.
 */
int px_rx_open(struct px_rx *rx, const struct px_link *l,
	       unsigned int entries, unsigned int ring_flags,
	       const char **why);

/* Map @len bytes and register them as the ring's buffer 0; 0 or -1. */
int px_rx_register(struct px_rx *rx, size_t len);

/* Connect our own socket (rx->peer) and accept it (rx->fd); 0 or -1. */
int px_rx_connect(struct px_rx *rx);

/*
 * Fork a sender of @total bytes of stream @seed (px_sender()) and accept
 * its connection: the accepted socket, or -1.
 */
int px_rx_start(struct px_rx *rx, uint64_t seed, size_t total, size_t chunk,
		enum px_end end);

/* End the current stream: no sender or peer, no receiving socket. */
void px_rx_stop(struct px_rx *rx);

/* Undo px_rx_open() and the rest, as far as they got. */
void px_rx_close(struct px_rx *rx);

/* ---- stream.c: receiving a stream through postrx */

/*
 * For px_stream()'s @flags: every other buffer waits for all, the others
 * complete at a push (POSTRX_RECV_WAITALL alternating on one socket).
 */
#define PX_RECV_MIXED	(1U << 31)

/* The POSTRX_RECV_* flags of buffer @idx under px_stream()'s @flags. */
__u32 px_buf_flags(__u32 flags, unsigned int idx);

/*
 * Say how @buf (stream offset @off) differs from the stream: each stretch
 * of wrong bytes, its length, and whether it is the bitwise complement of
 * the stream (what pxnic's fault_forge delivers).  At most 8 stretches.
 */
void px_describe_diff(uint64_t seed, uint64_t off, const uint8_t *buf,
		      size_t len);

/*
 * How the last px_stream() ended: the first failed completion's result (0
 * if none failed), and how many bytes were verified before it.
 */
extern int px_stream_err;
extern uint64_t px_stream_verified;

/*
 * Receive a whole stream through postrx: @nbufs buffers of @bufsize bytes
 * (one registered region, buffer index 0), re-posted as they complete.
 * Checks that completions come in posting order and that every byte equals
 * stream @seed; returns the bytes received before end of stream, or a
 * negative value on the first error (printed).
 */
int64_t px_stream(struct io_uring *ring, int devfd, int sockfd,
		  size_t bufsize, unsigned int nbufs, __u32 flags,
		  uint64_t seed);

#endif /* POSTRX_TEST_H */
