// SPDX-License-Identifier: MIT
/*
 * faulter - reads a memory-mapped file that the page cache does not hold,
 * for the page-fault tests: evicts FILE from the page cache
 * (POSIX_FADV_DONTNEED), maps it with MADV_RANDOM (no readahead: one disk
 * read per fault) and touches every STRIDE-th page, then prints "done".
 * Each touch is a major fault that waits for the disk, outside any syscall.
 *
 * usage: faulter FILE [STRIDE [PROCS]]   (the file must exist; default
 * stride 16). PROCS: a cgroup's cgroup.procs to join first (one whose disk
 * reads are throttled, so that each fault waits as on a slow disk).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long stride = argc > 2 ? atol(argv[2]) : 16, page = sysconf(_SC_PAGESIZE);
	volatile unsigned sum = 0;
	struct stat st;
	unsigned char *p;
	int fd;

	if (argc < 2 || stride < 1) {
		fprintf(stderr, "usage: faulter FILE [STRIDE [PROCS]]\n");
		return 2;
	}
	if (argc > 3 && argv[3][0]) {
		FILE *f = fopen(argv[3], "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
			perror(argv[3]);
			return 1;
		}
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		perror(argv[1]);
		return 1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(p, (size_t)st.st_size, MADV_RANDOM);
	for (off_t off = 0; off < st.st_size; off += stride * page)
		sum += p[off];
	printf("done %u\n", sum);
	return 0;
}
