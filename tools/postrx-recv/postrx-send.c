// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-send: send the project's pseudo-random stream over TCP, the
 * counterpart of postrx-recv for tests and demonstrations.  See --help.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"

#define PROG		"postrx-send"
#define DEFAULT_PORT	"5210"

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct opts {
	const char *host;
	const char *port;
	uint64_t size;
	uint64_t chunk;
	uint64_t seed;
	uint64_t reset_after;	/* ~0: orderly close */
	bool listen;
	bool to_stdout;
	bool quiet;
};

static const char usage_text[] =
"usage: " PROG " [OPTIONS] [HOST]\n"
"\n"
"Connect to HOST (default 127.0.0.1) and send SIZE bytes of the postrx\n"
"test stream: the pseudo-random pattern of selftests/postrx/postrx_net.h\n"
"(px_pattern) for SEED, from stream offset 0, with send().  Then close the\n"
"connection (FIN), or reset it with --reset-after.\n"
"\n"
"  -H, --host HOST        peer (or local address with --listen)\n"
"  -p, --port PORT        TCP port (default " DEFAULT_PORT ", as postrx-recv)\n"
"  -s, --size BYTES       bytes to send (default 1G); suffixes K M G T\n"
"  -C, --chunk BYTES      bytes per send() (default 1M)\n"
"      --seed N           stream seed (default 0)\n"
"      --reset-after BYTES  send this many bytes (at most SIZE), then\n"
"                         close with SO_LINGER 0: the peer sees a reset\n"
"  -l, --listen           listen on HOST:PORT (default any address) and\n"
"                         send to the first connection (for postrx-recv -c)\n"
"      --stdout           write the stream to standard output instead of a\n"
"                         socket (a reference file for tests)\n"
"  -q, --quiet            no summary line on stderr\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 all bytes sent (or the reset done), 1 failure, 2 bad\n"
"arguments.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return EXIT_USAGE;
}

static int size_arg(const char *name, const char *arg, uint64_t *out)
{
	if (st_parse_size(arg, out))
		return usage_error("bad size for %s", name);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_SEED = 256, OPT_RESET, OPT_STDOUT };
	static const struct option lopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'C' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "reset-after", required_argument, NULL, OPT_RESET },
		{ "listen", no_argument, NULL, 'l' },
		{ "stdout", no_argument, NULL, OPT_STDOUT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, ret = 0;

	while (!ret && (c = getopt_long(argc, argv, "H:p:s:C:lqh", lopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = optarg; break;
		case 's': ret = size_arg("--size", optarg, &o->size); break;
		case 'C': ret = size_arg("--chunk", optarg, &o->chunk); break;
		case OPT_SEED: ret = size_arg("--seed", optarg, &o->seed); break;
		case OPT_RESET:
			ret = size_arg("--reset-after", optarg, &o->reset_after);
			break;
		case 'l': o->listen = true; break;
		case OPT_STDOUT: o->to_stdout = true; break;
		case 'q': o->quiet = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: return usage_error("%s", "unknown option or missing argument");
		}
	}
	if (ret)
		return ret;
	if (optind < argc)
		o->host = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->chunk || o->chunk > (1ULL << 30))
		return usage_error("%s", "--chunk must be 1 byte to 1G");
	return 0;
}

static int listen_and_accept(const struct opts *o, struct addrinfo *ai)
{
	int one = 1, lfd, fd;

	lfd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 1)) {
		fprintf(stderr, PROG ": listen on port %s: %s\n", o->port,
			strerror(errno));
		close(lfd);
		return -1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fprintf(stderr, PROG ": accept: %s\n", strerror(errno));
	close(lfd);
	return fd;
}

/* A connected TCP socket, or -1 (reported). */
static int open_socket(const struct opts *o)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	const char *host = o->host;
	struct addrinfo *ai;
	int fd = -1, err;

	if (o->listen)
		hints.ai_flags |= AI_PASSIVE;
	else if (!host)
		host = "127.0.0.1";
	err = getaddrinfo(host, o->port, &hints, &ai);
	if (err) {
		fprintf(stderr, PROG ": %s port %s: %s\n", host ? host : "*",
			o->port, gai_strerror(err));
		return -1;
	}
	if (o->listen) {
		fd = listen_and_accept(o, ai);
	} else {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			fprintf(stderr, PROG ": connect to %s port %s: %s\n",
				host, o->port, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

/* Write all of @buf; 0 or -errno. */
static int send_all(int fd, bool is_sock, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = is_sock ? send(fd, buf, len, MSG_NOSIGNAL) :
				      write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

static int send_stream(int fd, bool is_sock, const struct opts *o,
		       uint64_t total)
{
	uint8_t *buf = malloc(o->chunk);
	uint64_t off = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!err && off < total) {
		size_t n = total - off < o->chunk ? total - off : o->chunk;

		st_pattern(o->seed, off, buf, n);
		err = send_all(fd, is_sock, buf, n);
		if (!err)
			off += n;
	}
	free(buf);
	if (err)
		fprintf(stderr, PROG ": send at byte %llu: %s\n",
			(unsigned long long)off, strerror(-err));
	return err;
}

/* Abortive close: SO_LINGER 0 makes close() send RST, not FIN. */
static void reset_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

int main(int argc, char **argv)
{
	struct opts o = { .port = DEFAULT_PORT, .size = 1ULL << 30,
			  .chunk = 1 << 20, .reset_after = ~0ULL };
	bool reset;
	uint64_t total;
	int fd, ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	reset = o.reset_after != ~0ULL;
	total = reset && o.reset_after < o.size ? o.reset_after : o.size;
	if (o.to_stdout)
		return send_stream(STDOUT_FILENO, false, &o, total) ? EXIT_FAIL : 0;

	signal(SIGPIPE, SIG_IGN);
	fd = open_socket(&o);
	if (fd < 0)
		return EXIT_FAIL;
	if (send_stream(fd, true, &o, total)) {
		close(fd);
		return EXIT_FAIL;
	}
	if (reset) {
		reset_close(fd);
	} else if (close(fd)) {
		fprintf(stderr, PROG ": close: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	if (!o.quiet)
		fprintf(stderr, PROG ": sent %llu bytes%s\n",
			(unsigned long long)total, reset ? ", then reset" : "");
	return 0;
}
