// SPDX-License-Identifier: MIT
/*
 * testsvc.c - a small multi-threaded "backend" for end-to-end tests: a
 * worker thread answers requests and the service sends one OTLP span per
 * request (JSON over HTTP, with thread.id and process.pid). Most requests
 * are fast; the slow ones have known causes:
 *   fsync  fsync of a 256 MiB file written beforehand
 *   lock   waiting on a mutex another thread holds for 300 ms
 *   cpu    40 ms of CPU work while 3 busy processes share its CPU
 *   sleep  a 250 ms sleep
 *
 * usage: testsvc URL FAST_COUNT [fsync|lock|cpu|sleep ...]
 * Prints "slow NAME trace TRACEHEX span SPANHEX" for every slow request.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *url;
static CURL *curl;
static pid_t worker_tid;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

static void send_span(const char *name, uint64_t start, uint64_t end, const char *trace,
		      const char *span)
{
	char body[2048];
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	long code = 0;

	snprintf(body, sizeof(body),
		 "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"testsvc\"}},"
		 "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"%d\"}}]},"
		 "\"scopeSpans\":[{\"scope\":{\"name\":\"testsvc\"},\"spans\":[{"
		 "\"traceId\":\"%s\",\"spanId\":\"%s\",\"name\":\"%s\",\"kind\":2,"
		 "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
		 "\"attributes\":[{\"key\":\"thread.id\",\"value\":{\"intValue\":\"%d\"}}]}]}]}]}",
		 getpid(), trace, span, name, (unsigned long long)start, (unsigned long long)end,
		 worker_tid);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		fprintf(stderr, "testsvc: span not accepted (%ld)\n", code);
	curl_slist_free_all(h);
}

/* ---- the requests ---- */

static char wal_path[] = "/var/tmp/testsvc-wal-XXXXXX";
static int wal_fd = -1;

static void prepare_fsync(void)
{
	static char block[1 << 20];

	wal_fd = mkstemp(wal_path);
	memset(block, 'w', sizeof(block));
	for (int i = 0; i < 256; i++)
		if (write(wal_fd, block, sizeof(block)) != sizeof(block))
			exit(3);
}

static void *holder(void *arg)
{
	struct timespec t = { 0, 300 * 1000 * 1000 };

	pthread_mutex_lock(&lock);
	*(volatile int *)arg = 1;
	nanosleep(&t, NULL);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static pid_t hogs[3];

static void start_hogs(int cpu)
{
	for (int i = 0; i < 3; i++) {
		hogs[i] = fork();
		if (hogs[i] == 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			prctl(PR_SET_NAME, "hog");
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (volatile unsigned long x = 0;; x++)
				;
		}
	}
	usleep(100000); /* let them take the CPU */
}

static void stop_hogs(void)
{
	for (int i = 0; i < 3; i++) {
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
	}
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct request {
	const char *kind; /* NULL = fast */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state;        /* 0 idle, 1 go, 2 done */
	uint64_t start, end;
};

static struct request req = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void handle(const char *kind)
{
	if (!kind) {
		syscall(SYS_getppid);
		for (volatile int i = 0; i < 20000; i++)
			;
	} else if (!strcmp(kind, "fsync")) {
		fsync(wal_fd);
	} else if (!strcmp(kind, "lock")) {
		pthread_mutex_lock(&lock);
		pthread_mutex_unlock(&lock);
	} else if (!strcmp(kind, "cpu")) {
		uint64_t until = thread_cpu_ns() + 40000000ull;

		while (thread_cpu_ns() < until)
			;
	} else if (!strcmp(kind, "sleep")) {
		struct timespec t = { 0, 250 * 1000 * 1000 };

		nanosleep(&t, NULL);
	}
}

static void *worker(void *arg)
{
	(void)arg;
	worker_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&req.mu);
	for (;;) {
		while (req.state != 1)
			pthread_cond_wait(&req.cv, &req.mu);
		pthread_mutex_unlock(&req.mu);
		req.start = wall_ns();
		handle(req.kind);
		req.end = wall_ns();
		pthread_mutex_lock(&req.mu);
		req.state = 2;
		pthread_cond_broadcast(&req.cv);
	}
	return NULL;
}

/* Runs one request on the worker and sends its span. */
static void request(const char *kind)
{
	char name[64], trace[33], span[17];
	uint8_t id[24];

	pthread_mutex_lock(&req.mu);
	req.kind = kind;
	req.state = 1;
	pthread_cond_broadcast(&req.cv);
	while (req.state != 2)
		pthread_cond_wait(&req.cv, &req.mu);
	req.state = 0;
	pthread_mutex_unlock(&req.mu);
	if (getrandom(id, sizeof(id), 0) != sizeof(id))
		exit(4);
	id[0] |= 1;
	id[16] |= 1;
	hex(id, 16, trace);
	hex(id + 16, 8, span);
	snprintf(name, sizeof(name), kind ? "POST /%s" : "GET /fast", kind);
	send_span(name, req.start, req.end, trace, span);
	if (kind)
		printf("slow %s trace %s span %s\n", kind, trace, span);
}

int main(int argc, char **argv)
{
	pthread_t th;
	int fast, cpu;

	if (argc < 3) {
		fprintf(stderr, "usage: testsvc URL FAST_COUNT [fsync|lock|cpu|sleep ...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	url = argv[1];
	fast = atoi(argv[2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	pthread_create(&th, NULL, worker, NULL);
	while (!worker_tid)
		usleep(1000);
	/* the worker and the hogs share the last CPU */
	cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_setaffinity_np(th, sizeof(set), &set);
	}
	/* the first spans make the recorder follow this process */
	for (int i = 0; i < fast; i++)
		request(NULL);
	usleep(300000);
	for (int i = 3; i < argc; i++) {
		const char *kind = argv[i];

		if (!strcmp(kind, "fsync")) {
			prepare_fsync();
			request(kind);
		} else if (!strcmp(kind, "lock")) {
			pthread_t h;
			volatile int held = 0;

			pthread_create(&h, NULL, holder, (void *)&held);
			while (!held)
				usleep(100);
			request(kind);
			pthread_join(h, NULL);
		} else if (!strcmp(kind, "cpu")) {
			start_hogs(cpu);
			request(kind);
			usleep(300000); /* a noisy neighbour outlives the request */
			stop_hogs();
		} else if (!strcmp(kind, "sleep")) {
			request(kind);
		} else {
			fprintf(stderr, "testsvc: unknown kind %s\n", kind);
			return 2;
		}
		for (int k = 0; k < 20; k++)
			request(NULL); /* fast ones in between */
	}
	if (wal_fd >= 0) {
		close(wal_fd);
		unlink(wal_path);
	}
	curl_easy_cleanup(curl);
	return 0;
}
