// SPDX-License-Identifier: MIT
/*
 * demo.c - flightrec-demo: a small multi-threaded "shop" backend that sends
 * an OTLP span for every request it serves, so that flightrec has something
 * to watch. Four worker threads serve a steady stream of requests on four
 * endpoints; every few seconds one request hits a real anomaly:
 *   POST /checkout    fsync of a 256 MiB write-ahead log
 *   GET /api/cart     waits on a lock another thread holds
 *   GET /search       CPU work while busy processes share its CPU
 *   GET /api/products a slow downstream call (sleep)
 *   GET /recommendations  250 ms computing in score_recommendations
 *
 * usage: flightrec-demo [OTLP_URL]   (default http://127.0.0.1:4318/v1/traces)
 * Runs until killed.
 */
#include <curl/curl.h>
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

#define WORKERS 4

static const char *url = "http://127.0.0.1:4318/v1/traces";
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static char *batch;         /* spans waiting to be sent, JSON objects joined by ',' */
static size_t batch_len, batch_cap;
static pthread_mutex_t cart_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int anomaly[WORKERS]; /* 0 none, 1 fsync, 2 lock, 3 cpu, 4 sleep, 5 hot */
static char wal_dir[256] = "/var/tmp";

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(double ms)
{
	struct timespec t = { (time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6) };

	nanosleep(&t, NULL);
}

static void add_span(const char *name, uint64_t start, uint64_t end, pid_t tid, int status)
{
	uint8_t id[24];
	char trace[33], span[17], obj[768];
	int n;

	if (getrandom(id, sizeof(id), 0) != sizeof(id))
		return;
	id[0] |= 1;
	id[16] |= 1;
	for (int i = 0; i < 16; i++)
		sprintf(trace + 2 * i, "%02x", id[i]);
	for (int i = 0; i < 8; i++)
		sprintf(span + 2 * i, "%02x", id[16 + i]);
	n = snprintf(obj, sizeof(obj),
		     "{\"traceId\":\"%s\",\"spanId\":\"%s\",\"name\":\"%s\",\"kind\":2,"
		     "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
		     "\"attributes\":[{\"key\":\"thread.id\",\"value\":{\"intValue\":\"%d\"}},"
		     "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"%.*s\"}}],"
		     "\"status\":{\"code\":%d}}",
		     trace, span, name, (unsigned long long)start, (unsigned long long)end, tid,
		     (int)strcspn(name, " "), name, status);
	pthread_mutex_lock(&out_mu);
	if (batch_len + n + 2 > batch_cap) {
		size_t nc = batch_cap ? batch_cap * 2 : 65536;
		char *p = realloc(batch, nc);

		if (!p) {
			pthread_mutex_unlock(&out_mu);
			return;
		}
		batch = p;
		batch_cap = nc;
	}
	if (batch_len)
		batch[batch_len++] = ',';
	memcpy(batch + batch_len, obj, (size_t)n);
	batch_len += (size_t)n;
	pthread_mutex_unlock(&out_mu);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

/* Sends what is batched, every 200 ms, like an SDK's batch processor. */
static void *exporter(void *arg)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char head[512];

	(void)arg;
	snprintf(head, sizeof(head),
		 "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"shop\"}},"
		 "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"1.4.2\"}},"
		 "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"%d\"}}]},"
		 "\"scopeSpans\":[{\"scope\":{\"name\":\"flightrec-demo\"},\"spans\":[",
		 getpid());
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	for (;;) {
		char *body = NULL;
		size_t len;

		sleep_ms(200);
		pthread_mutex_lock(&out_mu);
		len = batch_len;
		if (len) {
			body = malloc(strlen(head) + len + 8);
			if (body) {
				strcpy(body, head);
				memcpy(body + strlen(head), batch, len);
				strcpy(body + strlen(head) + len, "]}]}]}");
			}
			batch_len = 0;
		}
		pthread_mutex_unlock(&out_mu);
		if (!body)
			continue;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_perform(c); /* nobody listening yet: spans are dropped, as an SDK would */
		free(body);
	}
	return NULL;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cpu_work(double ms)
{
	uint64_t until = thread_cpu_ns() + (uint64_t)(ms * 1e6);
	volatile uint64_t x = 0;

	while (thread_cpu_ns() < until)
		for (int i = 0; i < 1000; i++)
			x += (uint64_t)i * i;
	(void)x;
}

static void *lock_holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cart_lock);
	sleep_ms(350); /* e.g. a slow cache refresh under the lock */
	pthread_mutex_unlock(&cart_lock);
	return NULL;
}

static void hogs_for(int cpu, double ms)
{
	pid_t h[3];

	for (int i = 0; i < 3; i++) {
		h[i] = fork();
		if (h[i] == 0) {
			cpu_set_t set;
			uint64_t until;
			struct timespec ts;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			prctl(PR_SET_NAME, "batch-report");
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			clock_gettime(CLOCK_MONOTONIC, &ts);
			until = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + (uint64_t)ms;
			for (;;) {
				clock_gettime(CLOCK_MONOTONIC, &ts);
				if ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 > until)
					_exit(0);
				for (volatile int k = 0; k < 100000; k++)
					;
			}
		}
	}
	(void)h; /* reaped by the SIGCHLD handler */
}

/*
 * The hot function of GET /recommendations: arithmetic for ms of wall time,
 * in a function of its own, so that the verdict can name it from the
 * on-CPU samples.
 */
__attribute__((noinline)) static unsigned score_recommendations(double ms)
{
	uint64_t until = wall_ns() + (uint64_t)(ms * 1e6);
	volatile unsigned score = 1;

	while (wall_ns() < until)
		for (int i = 0; i < 20000; i++)
			score = score * 2654435761u + (unsigned)i;
	return score;
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int cpu = me % (int)sysconf(_SC_NPROCESSORS_ONLN);
	char walpath[300];
	int wal;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	snprintf(walpath, sizeof(walpath), "%s/flightrec-demo-wal-%d-%d", wal_dir, getpid(), me);
	wal = open(walpath, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	unlink(walpath); /* gone at exit; still a file while open */
	for (unsigned n = 0;; n++) {
		static const char *const names[] = { "GET /api/products", "GET /api/cart",
						     "POST /checkout", "GET /search",
						     "GET /recommendations" };
		const char *name = names[(n + me) % 5];
		int kind = __atomic_exchange_n(&anomaly[me], 0, __ATOMIC_ACQ_REL);
		uint64_t start = wall_ns();

		if (kind == 1) {
			static char block[1 << 20];

			name = "POST /checkout";
			memset(block, 'w', sizeof(block));
			for (int i = 0; i < 256; i++)
				if (write(wal, block, sizeof(block)) < 0)
					break;
			start = wall_ns(); /* the request: commit the order to the log */
			fsync(wal);
			if (ftruncate(wal, 0) == 0)
				lseek(wal, 0, SEEK_SET);
		} else if (kind == 2) {
			pthread_t h;

			name = "GET /api/cart";
			pthread_create(&h, NULL, lock_holder, NULL);
			sleep_ms(5);
			start = wall_ns();
			pthread_mutex_lock(&cart_lock);
			cpu_work(1);
			pthread_mutex_unlock(&cart_lock);
			pthread_detach(h);
		} else if (kind == 3) {
			name = "GET /search";
			hogs_for(cpu, 400);
			sleep_ms(20);
			start = wall_ns();
			cpu_work(60);
		} else if (kind == 4) {
			name = "GET /api/products";
			start = wall_ns();
			sleep_ms(300); /* the pricing service is slow today */
		} else if (kind == 5) {
			name = "GET /recommendations";
			start = wall_ns();
			score_recommendations(250); /* a new model, much slower */
		} else {
			/* normal work: some CPU, a short wait */
			cpu_work(1 + (n % 5) * 0.4);
			if (write(wal, "x", 1) < 0)
				perror("write");
			sleep_ms(2 + (n % 3));
		}
		add_span(name, start, wall_ns(), tid, 1);
		sleep_ms(15); /* ~50 requests/s per worker */
	}
	close(wal);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[WORKERS], ex;
	unsigned seed;

	if (argc > 1)
		url = argv[1];
	if (getenv("TMPDIR"))
		snprintf(wal_dir, sizeof(wal_dir), "%s", getenv("TMPDIR"));
	signal(SIGCHLD, SIG_IGN); /* hog processes reap themselves */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_create(&ex, NULL, exporter, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	fprintf(stderr, "flightrec-demo: pid %d sending spans to %s\n", getpid(), url);
	seed = (unsigned)wall_ns();
	sleep_ms(6000); /* let the percentiles learn what normal is */
	for (unsigned k = 0;; k++) {
		int w = (int)(rand_r(&seed) % WORKERS);

		__atomic_store_n(&anomaly[w], (int)(k % 5) + 1, __ATOMIC_RELEASE);
		sleep_ms(4000 + rand_r(&seed) % 4000);
	}
	return 0;
}
