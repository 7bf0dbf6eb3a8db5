/* SPDX-License-Identifier: GPL-2.0 */
/*
 * postrx-recv's internal header: the limits, the state every part works
 * on (struct rx: the options, the ring, the connections and their
 * buffers), and the functions the parts call in each other, by file.
 */
#ifndef POSTRX_RECV_H
#define POSTRX_RECV_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include <liburing/postrx.h>

#include "../common/stream.h"
#include "../common/busytime.h"

#define PROG		"postrx-recv"
#define DEFAULT_PORT	"5210"
#define ALIGN		4096u	/* O_DIRECT offset, length and memory alignment */
#define MAX_BUFS	4096u	/* registered buffers, all connections */
#define MAX_CONNS	1024u
#define SQ_ENTRIES	128u	/* get_sqe() submits when it is full */

enum { EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_SETUP = 3 };

/* What a completion is for: the top byte of user_data. */
enum op { OP_RECV = 1, OP_WRITE, OP_STATS, OP_CANCEL, OP_ACCEPT };

static inline __u64 ud_make(enum op op, unsigned int buf, unsigned int piece)
{
	return (__u64)op << 56 | (__u64)buf << 8 | piece;
}

struct opts {
	const char *port;
	const char *bind_addr;
	const char *connect;
	const char *output;
	uint64_t bufsize;
	uint64_t qdepth;
	uint64_t nconn;
	uint64_t seed;
	uint64_t prealloc;	/* --preallocate: bytes per file, 0: none */
	bool v6, waitall, fsync, verify, json, quiet, plain;
	/* the machine's CPU split (--sender-pidfile, ...): busytime.h */
	const char *sender_pidfile;
	struct bt_roles roles;
	char sender_pid[32];
};

/* One write of part of a buffer: O_DIRECT, or through the page cache. */
struct piece {
	uint64_t foff;		/* file offset */
	uint32_t boff;		/* offset in the buffer */
	uint32_t len;		/* bytes to write (may include zero padding) */
	uint32_t data;		/* stream bytes among them, not yet counted */
	bool direct;
};

struct buf {
	uint8_t *mem;
	unsigned int idx;	/* registered buffer index */
	uint64_t off;		/* stream offset of its data */
	uint32_t len;		/* stream bytes in it */
	unsigned int pending;	/* pieces being written (planned, --plain) */
	struct piece piece[2];
};

struct conn {
	unsigned int id;
	int sock, fd_direct, fd_buf;	/* fd_direct -1: no O_DIRECT */
	char *path, *part;
	struct buf *bufs;
	unsigned int *fifo, head, tail;	/* posting order */
	unsigned int posted, writes;
	uint64_t rx_bytes, direct_bytes, fallback_bytes;
	bool started, eof, ended_short, failed, finished;
	bool cancel_pending, stats_pending, stats_done;
	int err;
	char errmsg[256];	/* what went wrong, as printed */
	struct postrx_stats st;
};

struct rx {
	struct opts o;
	struct io_uring ring;
	int devfd, lfd;
	bool out_is_dir, odirect_warned, stop, progress;
	unsigned int accepted, active, nfailed;
	struct conn *conns;
	uint8_t *mem;
	uint64_t total_rx;
	double t0, t1, last_progress;
	double cpu0;		/* CPU time of the process at t0 */
	struct bt_snap snap0, snap1;	/* the machine at t0, at the end */
	bool snapped;
};

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system time of the process (all threads, io-wq workers too). */
static inline double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* main.c: the signal that ends the run (SIGINT, SIGTERM), or 0 */
extern volatile sig_atomic_t interrupted;

/* args.c */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int parse_args(int argc, char **argv, struct opts *o);

/* setup.c */
int check_postrx(const struct opts *o);
int check_output(struct rx *rx);
int alloc_buffers(struct rx *rx);
int setup_ring(struct rx *rx);
int setup_conns(struct rx *rx);

/* sockets.c */
int setup_listen(struct rx *rx);
int connect_all(struct rx *rx, int *socks);

/* submit.c */
struct io_uring_sqe *get_sqe(struct rx *rx);
void post_buf(struct rx *rx, struct conn *c, struct buf *b);
void submit_piece(struct rx *rx, struct conn *c, struct buf *b, unsigned int pi);
void write_buf(struct rx *rx, struct conn *c, struct buf *b, bool last);
void request_stats(struct rx *rx, struct conn *c);
void arm_accept(struct rx *rx);

/* pieces.c */
void plan_pieces(struct conn *c, struct buf *b, bool last);
bool piece_done(struct conn *c, struct piece *p, int res);

/* conn.c */
void conn_start(struct rx *rx, unsigned int id, int sock);
void conn_fail(struct rx *rx, struct conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void maybe_finish(struct rx *rx, struct conn *c);
void conn_finish(struct rx *rx, struct conn *c);
void stop_all(struct rx *rx);

/* output.c */
int open_output(struct rx *rx, struct conn *c);
int commit_output(struct rx *rx, struct conn *c);

/* complete.c */
void on_accept(struct rx *rx, int res);
int event_loop(struct rx *rx);

/* plain.c */
int plain_loop(struct rx *rx);

/* report.c */
void show_progress(struct rx *rx);
void report(struct rx *rx);

#endif /* POSTRX_RECV_H */
