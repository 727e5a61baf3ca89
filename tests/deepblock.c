// SPDX-License-Identifier: MIT
/*
 * deepblock - blocks three calls deep in a slow syscall, for the unwinding
 * test. Built with -O2 -fomit-frame-pointer (tests/CMakeLists.txt), as
 * Debian builds its libraries: no frame-pointer chain to walk.
 *
 * For each line on stdin, sleeps ms (argv[1], default 60) in
 * deep_outer -> deep_middle -> deep_inner -> nanosleep and prints "done";
 * with "spin" (argv[2]) it computes for those ms instead, in
 * deep_inner -> crunch_numbers, for the on-CPU samples' test;
 * exits when stdin closes, so that the test can unwind while the process
 * and its mappings are still there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* noinline, and work after each call so that none is a tail call */
static volatile int sink;
static int spin;

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* The hot function: arithmetic until ms have passed. */
__attribute__((noinline)) unsigned crunch_numbers(long ms)
{
	long long end = now_ms() + ms;
	unsigned x = 1;

	while (now_ms() < end)
		for (int i = 0; i < 100000; i++)
			x = x * 1103515245u + 12345u + (unsigned)sink;
	return x;
}

__attribute__((noinline)) int deep_inner(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (spin)
		sink = (int)crunch_numbers(ms);
	else
		nanosleep(&ts, NULL);
	return sink + 1;
}

__attribute__((noinline)) int deep_middle(long ms)
{
	int r = deep_inner(ms);

	sink = r;
	return r + 2;
}

__attribute__((noinline)) int deep_outer(long ms)
{
	int r = deep_middle(ms);

	sink = r;
	return r + 3;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 60;
	char line[16];

	spin = argc > 2 && !strcmp(argv[2], "spin");
	setvbuf(stdout, NULL, _IONBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		sink = deep_outer(ms);
		printf("done\n");
	}
	return 0;
}
