/*
 * The demo's workload: a tiny static program that does a little real work
 * (reads a file, hashes it, writes the result, checks who it runs as).
 *
 *   app           do the work and print the result
 *   app escape    what an attacker in the container might try next:
 *                 ptrace, a new user namespace, mount; print what happened
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <unistd.h>

static void attempt(const char *what, int ret)
{
	printf("  %-26s %s\n", what, ret == 0 ? "ALLOWED" : strerror(errno));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "escape") == 0) {
		printf("trying what the app never did:\n");
		attempt("ptrace(PTRACE_TRACEME)", (int)ptrace(PTRACE_TRACEME, 0, 0, 0));
		attempt("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
		attempt("mount(tmpfs)", mount("none", "/mnt", "tmpfs", 0, 0));
		return 0;
	}
	int fd = open("/etc/hostname", O_RDONLY);
	if (fd < 0) {
		perror("open /etc/hostname");
		return 1;
	}
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	unsigned long h = 5381;
	for (ssize_t i = 0; i < n; i++)
		h = h * 33 + (unsigned char)buf[i];
	printf("hello from the demo app: uid %d, hostname hash %lx\n", (int)getuid(), h);
	return 0;
}
