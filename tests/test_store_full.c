// SPDX-License-Identifier: MIT
/*
 * test_store_full.c - the store on a small tmpfs filled to the brim, with a
 * size limit far beyond what the filesystem holds: the oldest incidents are
 * evicted, new ones are committed, and every count matches what the store
 * holds (a commit that failed is never counted as stored). Needs root
 * (mounts a tmpfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_frsnap.h"
#include "fr_store.h"
#include "fr_test_util.h"

#define PUTS 400
#define SNAP_BYTES (64u << 10)

static char mnt[64];

static struct {
	pthread_mutex_t mu;
	uint64_t ok, failed;
	bool committed[PUTS];
} done = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void on_done(void *ctx, uint64_t id, int err)
{
	size_t i = (size_t)(uintptr_t)ctx;

	(void)id;
	pthread_mutex_lock(&done.mu);
	if (err) {
		done.failed++;
	} else {
		done.ok++;
		done.committed[i] = true;
	}
	pthread_mutex_unlock(&done.mu);
}

/* Fills the filesystem at dir until only about `leave` bytes are free. */
static void fill(const char *dir, uint64_t leave)
{
	char path[128], chunk[65536];
	struct statvfs fs;
	int fd;

	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(chunk, 0x5a, sizeof(chunk));
	for (;;) {
		assert_int_equal(statvfs(dir, &fs), 0);
		if ((uint64_t)fs.f_bavail * fs.f_frsize <= leave + sizeof(chunk))
			break;
		assert_int_equal(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
	}
	close(fd);
}

static void test_full_filesystem(void **state)
{
	struct fr_store_opts o = { .sz = sizeof(o), .max_bytes = 1ull << 30 };
	struct fr_store_stats st;
	struct fr_store *s;
	uint64_t ids[PUTS];
	char storedir[128];

	(void)state;
	snprintf(storedir, sizeof(storedir), "%s/store", mnt);
	o.dir = storedir;
	s = fr_store__open(&o);
	assert_non_null(s);
	fill(mnt, 6u << 20); /* 6 MiB left: room for about 90 of the 400 */
	for (size_t i = 0; i < PUTS; i++) {
		struct fr_incident_summary sum = { 0 };
		uint8_t *snap = malloc(SNAP_BYTES);

		assert_non_null(snap);
		memcpy(snap, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
		/* incompressible, as a zstd frame is */
		assert_int_equal(getrandom(snap + 8, SNAP_BYTES - 8, 0), (ssize_t)(SNAP_BYTES - 8));
		ids[i] = fr_store__new_id(s);
		sum.id = ids[i];
		sum.time_unix_nano = 1700000000000000000ull + i;
		snprintf(sum.service, sizeof(sum.service), "svc");
		snprintf(sum.span_name, sizeof(sum.span_name), "op %zu", i);
		sum.trace_id[0] = (uint8_t)i;
		while (fr_store__put(s, &sum, snap, SNAP_BYTES, on_done, (void *)(uintptr_t)i) == -EAGAIN) {
			/* the queue is full: the snapshot was freed; make it again */
			fr_store__sync(s);
			snap = malloc(SNAP_BYTES);
			assert_non_null(snap);
			memcpy(snap, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
		}
		if (i % 32 == 31)
			fr_store__sync(s);
	}
	fr_store__sync(s);
	fr_store__stats(s, &st);
	print_message("committed %lu, failed %lu, held %lu (%lu bytes), evicted %lu, disk full %lu\n",
		      (unsigned long)done.ok, (unsigned long)done.failed,
		      (unsigned long)st.incidents, (unsigned long)st.bytes,
		      (unsigned long)(st.evicted_size + st.evicted_age), (unsigned long)st.disk_full);
	/* every outcome reported, and counted as it was */
	assert_int_equal(done.ok + done.failed, PUTS);
	assert_int_equal(st.puts, done.ok);
	assert_int_equal(st.put_errors, done.failed);
	/* what the store holds is what was committed less what was evicted */
	assert_int_equal(st.incidents, st.puts - st.evicted_size - st.evicted_age);
	assert_true(st.evicted_size > 0);
	/* the oldest went, the newest are there and whole */
	assert_int_equal(fr_store__summary(s, ids[0], &(struct fr_incident_summary){ 0 }), -ENOENT);
	for (size_t i = PUTS - 20; i < PUTS; i++) {
		struct fr_buf b = { 0 };

		assert_true(done.committed[i]);
		assert_int_equal(fr_store__snapshot(s, ids[i], &b), 0);
		assert_int_equal(b.len, SNAP_BYTES);
		fr_buf__free(&b);
	}
	/* most were committed at all: the store made room instead of failing */
	assert_true(done.ok >= PUTS * 9 / 10);
	fr_store__close(s);
}

static int setup(void **state)
{
	(void)state;
	snprintf(mnt, sizeof(mnt), "/tmp/fr-storefull-%d-XXXXXX", getpid());
	if (!mkdtemp(mnt))
		return -1;
	if (mount("fr-test", mnt, "tmpfs", 0, "size=24m,mode=0700")) {
		fprintf(stderr, "cannot mount a tmpfs at %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	umount(mnt);
	rmdir(mnt);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_filesystem),
	};

	return fr_test_run_as_root(tests, "test_store_full mounts a tmpfs", setup, teardown);
}
