// SPDX-License-Identifier: GPL-2.0
/*
 * Running commands, postrx's and pxnic's modules, namespaces and children,
 * and how much traffic this run moves.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "postrx_test.h"

int px_sh(const char *cmd)
{
	int ret = system(cmd);

	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

size_t px_scale(void)
{
	const char *k = getenv("POSTRX_KERNEL");

	return k && !strcmp(k, "debug") ? 8 : 1;
}

bool px_long(void)
{
	const char *l = getenv("POSTRX_LONG");

	return l && !strcmp(l, "1");
}

size_t px_fault_volume(size_t bytes)
{
	return px_long() ? PX_LONG_BYTES : bytes / px_scale();
}

long px_postrx_param(const char *name, long val)
{
	char path[128];
	long old = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/postrx/parameters/%s", name);
	f = fopen(path, "r+");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &old) != 1 || fseek(f, 0, SEEK_SET) ||
	    fprintf(f, "%ld\n", val) < 0)
		old = -1;
	if (fclose(f))
		old = -1;
	return old;
}

int px_pxnic_load(void)
{
	const char *ko = getenv("POSTRX_KO"), *top = getenv("POSTRX_TOP");
	char cmd[1024];

	if (top) {
		snprintf(cmd, sizeof(cmd), "%s/build/iproute2", top);
		setenv("IP_LIB_DIR", cmd, 1);
	}
	if (!access("/sys/module/pxnic", F_OK))
		return 0;
	if (!ko)
		return -1;
	snprintf(cmd, sizeof(cmd), "insmod \"$(dirname \"%s\")/pxnic/pxnic.ko\"",
		 ko);
	return px_sh(cmd) ? -1 : 0;
}

int px_open_with_pxnic(const char **why)
{
	int fd = open(POSTRX_DEVICE_PATH, O_RDWR);

	*why = POSTRX_DEVICE_PATH " cannot be opened";
	if (fd < 0)
		return -1;
	*why = "pxnic.ko cannot be loaded";
	if (px_pxnic_load()) {
		close(fd);
		return -1;
	}
	return fd;
}

static pid_t px_main_pid;

/*
 * Tests run in children of the harness (which leave with _exit()), but a
 * forked sender or peer may leave through exit() and run this too: only
 * the process that registered it unloads.
 */
static void px_unload_pxnic(void)
{
	if (getpid() == px_main_pid)
		px_sh("ip netns del " PX_NETNS " 2>/dev/null; "
		      "rmmod pxnic 2>/dev/null");
}

void px_unload_pxnic_at_exit(void)
{
	px_main_pid = getpid();
	atexit(px_unload_pxnic);
}

int px_enter_netns(const char *name)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

int px_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void *px_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	return p;
}
