//go:build ignore

/*
 * pglike: a server with PostgreSQL's kernel footprint, for the AppArmor
 * end-to-end test. What it does is what AppArmor mediates in a database
 * server and what a recording must therefore turn into rules:
 *
 *   - a log opened with O_CREAT through a symlink to /dev/stdout (the
 *     official images link their logs there);
 *   - an anonymous shared mapping (PostgreSQL's main segment: a file of the
 *     kernel's internal shm mount, which AppArmor sees as a disconnected
 *     path);
 *   - POSIX shared memory in /dev/shm (PostgreSQL's dynamic segments);
 *   - a lock file and a unix socket bound to a path in /run/pglike (bind
 *     creates the socket file);
 *   - a child that connects to that socket (a backend's client).
 *
 * Usage:
 *   pglike serve       the above, then answer "ping" with "pong" on the
 *                      socket until SIGTERM or "quit"; exit 0 after
 *                      removing the socket, lock and shared memory
 *   pglike read PATH   open PATH for reading; prints "read PATH: ok" or the
 *                      error, exit 0 either way (the test reads the line)
 *
 * Built static with libc (gcc -static): the image is FROM scratch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR "/run/pglike"
#define SOCK DIR "/.s.PGSQL.5432"
#define LOCK SOCK ".lock"
#define LOG "/var/log/pglike/server.log"

static volatile sig_atomic_t stop;
static char shm_name[64];

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "pglike: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void cleanup(void)
{
	unlink(SOCK);
	unlink(LOCK);
	shm_unlink(shm_name);
}

/* A backend's client: connect, ping, expect pong. */
static int self_check(void)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char buf[8] = {0};

	strcpy(a.sun_path, SOCK);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 1;
	if (write(c, "ping", 4) != 4 || read(c, buf, 4) != 4 || memcmp(buf, "pong", 4) != 0)
		return 1;
	close(c);
	return 0;
}

/* Answers one connection: "ping" gets "pong", "quit" stops the server.
 * Returns -1 to stop. */
static int answer(int s)
{
	int c = accept(s, NULL, NULL);
	if (c < 0) {
		if (errno == EINTR)
			return stop ? -1 : 0;
		die("accept");
	}
	char buf[8] = {0};
	ssize_t n = read(c, buf, 4);
	if (n == 4 && memcmp(buf, "ping", 4) == 0 && write(c, "pong", 4) != 4)
		fprintf(stderr, "pglike: short write\n");
	close(c);
	if (n == 4 && memcmp(buf, "quit", 4) == 0)
		return -1;
	return 0;
}

static int serve(void)
{
	FILE *log;
	int fd, s;

	log = fopen(LOG, "a");
	if (!log)
		die("open " LOG);
	setvbuf(log, NULL, _IOLBF, 0);

	/* The main segment. */
	char *seg = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seg == MAP_FAILED)
		die("mmap shared anonymous");
	memset(seg, 1, 1 << 20);

	/* A dynamic segment. */
	snprintf(shm_name, sizeof(shm_name), "/PostgreSQL.%d", (int)getpid());
	fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("shm_open");
	if (ftruncate(fd, 65536) < 0)
		die("ftruncate shm");
	char *dsm = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dsm == MAP_FAILED)
		die("mmap shm");
	memset(dsm, 2, 65536);
	close(fd);

	fd = open(LOCK, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("open " LOCK);
	dprintf(fd, "%d\n", (int)getpid());
	close(fd);

	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, SOCK);
	unlink(SOCK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind " SOCK);
	if (listen(s, 16) < 0)
		die("listen");

	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pid_t child = fork();
	if (child == 0)
		_exit(self_check());
	if (child < 0)
		die("fork");
	/* The child's connection is the first one. */
	answer(s);
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(log, "self-check FAILED\n");
		return 1;
	}
	fprintf(log, "self-check ok\n");
	printf("ready\n");
	fflush(stdout);

	while (!stop && answer(s) == 0)
		;
	cleanup();
	fprintf(log, "shut down\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "serve") == 0)
		return serve();
	if (argc == 3 && strcmp(argv[1], "read") == 0) {
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			printf("read %s: %s\n", argv[2], strerror(errno));
		else
			printf("read %s: ok\n", argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: pglike serve | pglike read PATH\n");
	return 2;
}
