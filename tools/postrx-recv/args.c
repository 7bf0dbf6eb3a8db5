// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: the command line.  The usage text, the options parsed into
 * struct opts, and their checks that need nothing but the options.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "recv.h"

static const char usage_text[] =
"usage: " PROG " -o OUTPUT [OPTIONS]\n"
"\n"
"Receive TCP streams through postrx posted buffers and write them to\n"
"OUTPUT with O_DIRECT, from the same registered buffers, through io_uring:\n"
"no copy in user space.  Needs the postrx module (/dev/postrx), except\n"
"with --plain.\n"
"\n"
"By default " PROG " listens on port " DEFAULT_PORT " (any IPv4 address) and\n"
"receives N connections (-n, default 1), all at the same time.  OUTPUT is\n"
"a file for one connection, or an existing directory: connection k (in\n"
"accept order, from 0) goes to OUTPUT/conn-k.dat.  Each file is written\n"
"as NAME.part and renamed to NAME only when its stream ended cleanly; on\n"
"any failure the .part file is removed.\n"
"\n"
"  -o, --output PATH       file, or directory for conn-<k>.dat files\n"
"  -p, --port PORT         TCP port to listen on (default " DEFAULT_PORT ")\n"
"  -B, --bind ADDR         local address to listen on (IPv4 or IPv6)\n"
"  -6                      listen on IPv6 (::, also takes IPv4-mapped)\n"
"  -c, --connect HOST[:PORT]  connect N times instead of listening;\n"
"                          [IPv6]:PORT; PORT defaults to --port\n"
"  -n, --connections N     connections to receive (default 1, max 1024)\n"
"  -b, --buffer-size BYTES buffer size, a multiple of 4096 up to 1G\n"
"                          (default 1M); suffixes K M G\n"
"  -q, --queue-depth N     buffers per connection (default 16)\n"
"      --no-waitall        complete buffers with whatever has arrived\n"
"                          (recv() semantics) instead of when full;\n"
"                          pieces that are not 4 KiB-aligned in the file\n"
"                          then go through the page cache\n"
"      --plain             receive with recv() into an ordinary buffer and\n"
"                          write with pwrite() instead: the comparison\n"
"                          without postrx (one -b buffer per connection,\n"
"                          -q ignored; no /dev/postrx, no io_uring)\n"
"      --preallocate BYTES allocate each file at this length first (it is\n"
"                          trimmed to the stream's at the end): O_DIRECT\n"
"                          writes within the file run side by side, where\n"
"                          writes that extend it may be serialised (ext4)\n"
"      --fsync             fsync each file (and its directory) before the\n"
"                          rename\n"
"      --verify            check every byte against the postrx test\n"
"                          stream (postrx-send's), from offset 0\n"
"      --seed N            seed of that stream (default 0)\n"
"      --json              one JSON object on stdout instead of the summary\n"
"      --sender-pidfile F  the sending process (on this machine) wrote its\n"
"                          pid to F before connecting: its run time is\n"
"                          the send side of the machine's CPU split\n"
"      --sender-tasks PIDS more send-side tasks (its NIC's NAPI threads)\n"
"      --device-tasks PIDS the NIC's own threads (pxnic engines), apart\n"
"      --quiet             no progress, no summary (errors still printed)\n"
"  -h, --help              this text\n"
"\n"
"Writes: a filled buffer at a 4 KiB-aligned file offset is written with\n"
"O_DIRECT; the final partial buffer of a stream is written rounded up to\n"
"4 KiB and the file is then truncated to the stream's length.  Pieces\n"
"that cannot be written with O_DIRECT (unaligned with --no-waitall, or a\n"
"file system that refuses O_DIRECT, e.g. ramfs: a warning is printed) are\n"
"written from the same registered buffer with IORING_OP_WRITE_FIXED on a\n"
"descriptor without O_DIRECT and counted as fallback bytes.\n"
"\n"
"Summary: bytes, seconds, Gbit/s, CPU seconds per GiB (user + system time\n"
"of this process from getrusage(), from the first connection to the end;\n"
"softirq receive processing is not included), the whole machine's CPU\n"
"seconds per GiB over the same interval, split into receive side (all\n"
"busy time but the send side's and the device's: this process, softirq,\n"
"NAPI, interrupts), send side and device (the tasks named by the three\n"
"options above, by their exact run time), bytes placed by the device /\n"
"copied by the kernel at receive / copied late (POSTRX_CMD_STATS, asked\n"
"before each socket is closed; with --plain 0 / all bytes / 0, since\n"
"recv() copies every byte), bytes written with O_DIRECT / fallback, and\n"
"the mode (postrx or plain).\n"
"A progress line is printed every second when stderr is a terminal.\n"
"\n"
"Exit status: 0 every stream received and its file renamed into place;\n"
"1 a stream or write failed (peer reset, disk full, --verify mismatch,\n"
"interrupted); 2 bad arguments; 3 setup failed (no /dev/postrx, port in\n"
"use, cannot connect, cannot allocate or register buffers).\n";

/* ---- messages and arguments --------------------------------------------- */

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	va_end(ap);
	return EXIT_USAGE;
}

static int num_arg(const char *name, const char *arg, uint64_t *out)
{
	if (st_parse_size(arg, out))
		return usage_error("bad number for %s: '%s'", name, arg);
	return 0;
}

static int parse_opt(struct opts *o, int c)
{
	switch (c) {
	case 'o': o->output = optarg; return 0;
	case 'p': o->port = optarg; return 0;
	case 'B': o->bind_addr = optarg; return 0;
	case '6': o->v6 = true; return 0;
	case 'c': o->connect = optarg; return 0;
	case 'n': return num_arg("--connections", optarg, &o->nconn);
	case 'b': return num_arg("--buffer-size", optarg, &o->bufsize);
	case 'q': return num_arg("--queue-depth", optarg, &o->qdepth);
	case 'W': o->waitall = false; return 0;
	case 'F': o->fsync = true; return 0;
	case 'V': o->verify = true; return 0;
	case 'S': return num_arg("--seed", optarg, &o->seed);
	case 'J': o->json = true; return 0;
	case 'Q': o->quiet = true; return 0;
	case 'P': o->plain = true; return 0;
	case 'A': return num_arg("--preallocate", optarg, &o->prealloc);
	case 'T': o->sender_pidfile = optarg; return 0;
	case 'U': o->roles.sender_tasks = optarg; return 0;
	case 'D': o->roles.device_tasks = optarg; return 0;
	case 'h': fputs(usage_text, stdout); exit(0);
	}
	return usage_error("unknown option or missing argument");
}

static int check_opts(const struct opts *o)
{
	if (!o->output)
		return usage_error("--output is required");
	if (!o->bufsize || o->bufsize % ALIGN || o->bufsize > POSTRX_RECV_MAX)
		return usage_error("--buffer-size must be a non-zero multiple of 4096, at most 1G");
	if (!o->qdepth || !o->nconn || o->nconn > MAX_CONNS)
		return usage_error("--queue-depth and --connections must be 1 or more (connections at most %u)",
				   MAX_CONNS);
	if (o->qdepth * o->nconn > MAX_BUFS)
		return usage_error("--queue-depth x --connections is %llu buffers, at most %u",
				   (unsigned long long)(o->qdepth * o->nconn), MAX_BUFS);
	if (o->connect && o->bind_addr)
		return usage_error("--bind and --connect exclude each other");
	return 0;
}

/* The long options; parse_opt() takes their letters. */
static const struct option lopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "port", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'B' },
	{ "connect", required_argument, NULL, 'c' },
	{ "connections", required_argument, NULL, 'n' },
	{ "buffer-size", required_argument, NULL, 'b' },
	{ "queue-depth", required_argument, NULL, 'q' },
	{ "no-waitall", no_argument, NULL, 'W' },
	{ "fsync", no_argument, NULL, 'F' },
	{ "verify", no_argument, NULL, 'V' },
	{ "seed", required_argument, NULL, 'S' },
	{ "json", no_argument, NULL, 'J' },
	{ "quiet", no_argument, NULL, 'Q' },
	{ "plain", no_argument, NULL, 'P' },
	{ "preallocate", required_argument, NULL, 'A' },
	{ "sender-pidfile", required_argument, NULL, 'T' },
	{ "sender-tasks", required_argument, NULL, 'U' },
	{ "device-tasks", required_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{ }
};

int parse_args(int argc, char **argv, struct opts *o)
{
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:p:B:6c:n:b:q:h", lopts, NULL)) != -1) {
		ret = parse_opt(o, c);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	/* recv() and pwrite() are synchronous: a second buffer would sit idle. */
	if (o->plain)
		o->qdepth = 1;
	return check_opts(o);
}
