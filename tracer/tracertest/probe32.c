//go:build ignore

/*
 * probe32: 32-bit x86 ground truth. Built with -m32 -nostdlib: it makes
 * getpid, write and exit through int 0x80 and nothing else, so a recording
 * of it must list SCMP_ARCH_X86 with exactly those.
 */
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

void _start(void)
{
	sys3(20, 0, 0, 0);			 /* getpid */
	sys3(4, 1, (long)"probe32: done\n", 14); /* write */
	sys3(1, 0, 0, 0);			 /* exit */
	for (;;)
		;
}
