// SPDX-License-Identifier: MIT
/*
 * test_dos.c - the real recorder (flightrec run --no-kernel) under the
 * denial-of-service attempts a hostile local user can make: a flood of
 * 1,000 connect-then-close connections, 300 slowloris connections on each
 * listener, 60 concurrent 19 MiB bodies, a chunked body over the limit.
 * A normal OTLP request and a UI request must still be answered within a
 * second, and the recorder's peak memory must stay under the documented cap.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_clock.h"
#include "fr_test_http.h"
#include "fr_test_util.h"

/* The recorder's documented memory cap under hostile load (README). */
#define RSS_CAP_MB 512

static pid_t rec;
static uint16_t otlp_port, web_port;
static char dir[128];

static int connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A normal OTLP request and a UI request: each answered, and how long the
 * slower took, in ms. */
static double normal_requests_ms(void)
{
	const char *span = "{\"resourceSpans\":[]}";
	const char *json[] = { "Content-Type: application/json", NULL };
	uint64_t t0 = fr_mono_ns(), t1;
	struct fr_test_resp r = fr_test_http(otlp_port, "POST", "/v1/traces", json, span,
					     strlen(span));
	double worst;

	assert_int_equal(r.status, 200);
	fr_test_resp_free(&r);
	t1 = fr_mono_ns();
	worst = (t1 - t0) / 1e6;
	r = fr_test_http(web_port, "GET", "/api/status", NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	fr_test_resp_free(&r);
	if ((fr_mono_ns() - t1) / 1e6 > worst)
		worst = (fr_mono_ns() - t1) / 1e6;
	return worst;
}

static long peak_rss_mb(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", rec);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

static void test_flood_then_slowloris(void **state)
{
	int slow[600], n = 0;
	double ms;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		int fd = connect_to(otlp_port);

		if (fd >= 0)
			close(fd);
	}
	ms = normal_requests_ms();
	print_message("after 1,000 connect-then-close connections: %.1f ms\n", ms);
	assert_true(ms < 1000);
	/* slowloris: headers begun, never finished */
	for (int i = 0; i < 300; i++) {
		uint16_t ports[2] = { otlp_port, web_port };

		for (int k = 0; k < 2; k++) {
			int fd = connect_to(ports[k]);

			assert_true(fd >= 0);
			assert_true(write(fd, "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ", 48) > 0);
			slow[n++] = fd;
		}
	}
	usleep(200 * 1000);
	ms = normal_requests_ms();
	print_message("during 300 slowloris connections on each listener: %.1f ms\n", ms);
	assert_true(ms < 1000);
	for (int i = 0; i < n; i++)
		close(slow[i]);
}

#define BIG (19u << 20)
#define SENDERS 60

static void *send_big(void *arg)
{
	static char chunk[1 << 16];
	char hdr[256];
	int fd = connect_to(otlp_port), len;
	size_t sent = 0;

	(void)arg;
	if (fd < 0)
		return NULL;
	len = snprintf(hdr, sizeof(hdr), "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
					 "Content-Type: application/x-protobuf\r\n"
					 "Content-Length: %u\r\n\r\n", BIG);
	if (write(fd, hdr, (size_t)len) == len)
		while (sent < BIG) {
			ssize_t w = write(fd, chunk, BIG - sent < sizeof(chunk) ? BIG - sent : sizeof(chunk));

			if (w <= 0)
				break; /* refused early: the recorder closed */
			sent += (size_t)w;
		}
	{
		char resp[512];

		(void)!read(fd, resp, sizeof(resp));
	}
	close(fd);
	return NULL;
}

static void test_big_bodies_bounded(void **state)
{
	pthread_t th[SENDERS];
	long mb;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < SENDERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, send_big, NULL), 0);
	for (int i = 0; i < SENDERS; i++)
		pthread_join(th[i], NULL);
	mb = peak_rss_mb();
	print_message("60 concurrent 19 MiB bodies: recorder peak RSS %ld MiB (cap %d)\n", mb,
		      RSS_CAP_MB);
	assert_true(mb > 0 && mb < RSS_CAP_MB);
	assert_true(normal_requests_ms() < 1000);
}

static void test_chunked_over_limit(void **state)
{
	const char *hdr = "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			  "Content-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n";
	static char chunk[(1 << 20) + 16];
	char resp[1024] = "";
	int fd = connect_to(otlp_port), len;
	ssize_t got;

	(void)state;
	assert_true(fd >= 0);
	assert_true(write(fd, hdr, strlen(hdr)) == (ssize_t)strlen(hdr));
	/* 21 chunks of 1 MiB: past the 20 MiB limit */
	len = snprintf(chunk, sizeof(chunk), "100000\r\n");
	memset(chunk + len, 'x', 1 << 20);
	memcpy(chunk + len + (1 << 20), "\r\n", 2);
	for (int i = 0; i < 21; i++)
		if (write(fd, chunk, (size_t)len + (1 << 20) + 2) <= 0)
			break;
	(void)!write(fd, "0\r\n\r\n", 5);
	got = read(fd, resp, sizeof(resp) - 1);
	close(fd);
	assert_true(got > 12);
	resp[got] = '\0';
	assert_non_null(strstr(resp, "HTTP/1.1 413"));
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int setup(void **state)
{
	const char *bin = getenv("FLIGHTREC_BIN") ? getenv("FLIGHTREC_BIN") : "./flightrec";
	char otlp[32], web[32], data[160], log[160];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fr-dos-%d-XXXXXX", getpid());
	if (!mkdtemp(dir))
		return -1;
	otlp_port = (uint16_t)free_port();
	web_port = (uint16_t)free_port();
	snprintf(otlp, sizeof(otlp), "127.0.0.1:%u", otlp_port);
	snprintf(web, sizeof(web), "127.0.0.1:%u", web_port);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/recorder.log", dir);
	rec = fork();
	if (rec == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		execl(bin, "flightrec", "run", "--no-kernel", "--no-auth", "--otlp-listen", otlp,
		      "--web-listen", web, "--data-dir", data, "-i", "0", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		int a = connect_to(otlp_port), b = connect_to(web_port);

		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
		if (a >= 0 && b >= 0)
			return 0;
		usleep(50 * 1000);
	}
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	kill(rec, SIGTERM);
	waitpid(rec, NULL, 0);
	return fr_test_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_then_slowloris),
		cmocka_unit_test(test_big_bodies_bounded),
		cmocka_unit_test(test_chunked_over_limit),
	};
	struct rlimit nofile;

	/* 600 connections of our own */
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < 4096) {
		nofile.rlim_cur = nofile.rlim_max < 4096 ? nofile.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
