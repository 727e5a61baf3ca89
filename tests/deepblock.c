// SPDX-License-Identifier: MIT
/*
 * deepblock - blocks three calls deep in a slow syscall, for the unwinding
 * test. Built with -O2 -fomit-frame-pointer (tests/CMakeLists.txt), as
 * Debian builds its libraries: no frame-pointer chain to walk.
 *
 * For each line on stdin, sleeps ms (argv[1], default 60) in
 * deep_outer -> deep_middle -> deep_inner -> nanosleep and prints "done";
 * exits when stdin closes, so that the test can unwind while the process
 * and its mappings are still there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* noinline, and work after each call so that none is a tail call */
static volatile int sink;

__attribute__((noinline)) int deep_inner(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

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

	setvbuf(stdout, NULL, _IONBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		sink = deep_outer(ms);
		printf("done\n");
	}
	return 0;
}
