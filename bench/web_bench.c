// SPDX-License-Identifier: MIT
/*
 * web_bench.c - the incident list API with 10,000 stored incidents: latency
 * (p50/p99) of a page of 50 over one keep-alive connection, and throughput
 * with 4 connections. Baseline in the same run: the same requests for a
 * static asset (what the HTTP stack itself costs).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "fr_clock.h"
#include "fr_log.h"
#include "fr_frsnap.h"
#include "bench_store.h"
#include "fr_series.h"
#include "fr_signature.h"
#include "fr_store.h"
#include "fr_trigger.h"
#include "fr_web.h"

#define N_INCIDENTS 10000

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
	size_t *bytes = ud;

	(void)p;
	*bytes += sz * n;
	return sz * n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct load {
	char url[128];
	double secs;
	uint64_t done;
	double *lat;
	size_t nlat, cap;
};

static void *client(void *arg)
{
	struct load *l = arg;
	CURL *c = curl_easy_init();
	uint64_t end = fr_mono_ns() + (uint64_t)(l->secs * 1e9);
	size_t bytes = 0;

	curl_easy_setopt(c, CURLOPT_URL, l->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
	while (fr_mono_ns() < end) {
		uint64_t t0 = fr_mono_ns();
		long code = 0;

		if (curl_easy_perform(c) != CURLE_OK)
			continue;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200) {
			fprintf(stderr, "web_bench: HTTP %ld\n", code);
			exit(1);
		}
		if (l->nlat < l->cap)
			l->lat[l->nlat++] = (fr_mono_ns() - t0) / 1e6;
		l->done++;
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* p50, p99 over one connection; requests/s over `conns` connections. */
static void measure(uint16_t port, const char *path, double *p50, double *p99, double *rps,
		    int conns)
{
	struct load one = { .secs = 3, .cap = 1000000 }, many[8];
	pthread_t th[8];
	uint64_t t0, total = 0;

	snprintf(one.url, sizeof(one.url), "http://127.0.0.1:%u%s", port, path);
	one.lat = malloc(one.cap * sizeof(double));
	client(&one);
	qsort(one.lat, one.nlat, sizeof(double), cmp);
	*p50 = one.lat[one.nlat / 2];
	*p99 = one.lat[(size_t)(one.nlat * 0.99)];
	free(one.lat);
	t0 = fr_mono_ns();
	for (int i = 0; i < conns; i++) {
		many[i] = (struct load){ .secs = 3 };
		snprintf(many[i].url, sizeof(many[i].url), "http://127.0.0.1:%u%s", port, path);
		pthread_create(&th[i], NULL, client, &many[i]);
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(th[i], NULL);
		total += many[i].done;
	}
	*rps = total / ((fr_mono_ns() - t0) / 1e9);
}

int main(void)
{
	char dir[] = "/tmp/fr-webbench-XXXXXX";
	struct fr_web_opts wo = { .sz = sizeof(wo), .listen = "127.0.0.1:0" };
	struct fr_store *store;
	struct fr_web *w;
	double p50, p99, rps, b50, b99, brps, f50, f99, frps, q50, q99, qrps, c50, c99, crps;
	struct fr_series *series;
	struct fr_problem *probs = calloc(4096, sizeof(*probs));
	int nprob;
	uint64_t t0;

	fr_log_level = FR_LOG_WARN;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	store = bench_store_open(dir, 0);
	if (!store)
		return 1;
	t0 = fr_mono_ns();
	for (int i = 0; i < N_INCIDENTS; i++) {
		struct fr_incident_summary s = { 0 };
		void *snap = malloc(2048);

		s.id = fr_store__new_id(store);
		s.time_unix_nano = fr_wall_ns();
		snprintf(s.service, sizeof(s.service), "svc-%d", i % 7);
		snprintf(s.span_name, sizeof(s.span_name), "GET /api/items/%d", i % 40);
		s.trace_id[0] = (uint8_t)i;
		s.duration_ns = 1000000ull * (uint64_t)(10 + i % 500);
		snprintf(s.verdict, sizeof(s.verdict),
			 "78%% of %d ms blocked in fsync(fd 7 = /var/lib/app/wal-%d)", 10 + i % 500, i);
		snprintf(s.rule, sizeof(s.rule), "p99,kind=server,min=100,cooldown=60s");
		{
			/* a handful of causes per operation: ~1,400 problems */
			char cause[96];

			snprintf(cause, sizeof(cause), "fsync(/var/lib/app/journal-%c)", "abcde"[(i / 40) % 5]);
			s.signature = fr_signature(s.service, s.span_name, "blocked", cause, s.cause,
						   sizeof(s.cause));
		}
		memset(snap, 0, 2048);
		memcpy(snap, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
		while (fr_store__put(store, &s, snap, 2048, NULL, NULL) == -EAGAIN) {
			snap = malloc(2048);
			memcpy(snap, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
			fr_store__sync(store);
		}
	}
	fr_store__sync(store);
	fprintf(stderr, "stored %d incidents in %.1f s\n", N_INCIDENTS, (fr_mono_ns() - t0) / 1e9);
	/* an hour of one operation's spans, 100 a second */
	series = fr_series__new(NULL);
	if (!series)
		return 1;
	for (uint64_t t = fr_wall_ns() - 3600ull * 1000000000ull, i = 0; i < 360000; i++)
		fr_series__add(series, "svc-0", "GET /api/items/0", t + i * 10000000ull,
			       (5 + i % 20) * 1000000ull);
	wo.store = store;
	wo.series = series;
	w = fr_web__start(&wo);
	if (!w)
		return 1;
	measure(fr_web__port(w), "/app.css", &b50, &b99, &brps, 4);
	measure(fr_web__port(w), "/api/incidents?limit=50", &p50, &p99, &rps, 4);
	measure(fr_web__port(w), "/api/incidents?limit=50&service=svc-3&min_ms=400", &f50, &f99, &frps, 4);
	measure(fr_web__port(w), "/api/problems", &q50, &q99, &qrps, 4);
	measure(fr_web__port(w), "/api/operations/chart?service=svc-0&name=GET%20/api/items/0",
		&c50, &c99, &crps, 4);
	nprob = fr_store__problems(store, probs, 4096);
	free(probs);
	fr_web__stop(w);
	fr_series__free(series);
	bench_store_remove(store, dir);

	printf("incident list API, %d incidents stored, pages of 50 (keep-alive; latency on one "
	       "connection, throughput on 4)\n\n", N_INCIDENTS);
	printf("%-44s %10s %10s %12s\n", "request", "p50 ms", "p99 ms", "requests/s");
	printf("%-44s %10.3f %10.3f %12.0f\n", "GET /app.css (baseline: the HTTP stack)", b50, b99, brps);
	printf("%-44s %10.3f %10.3f %12.0f\n", "GET /api/incidents?limit=50", p50, p99, rps);
	printf("%-44s %10.3f %10.3f %12.0f\n", "  filtered (service, min_ms)", f50, f99, frps);
	printf("%-44s %10.3f %10.3f %12.0f\n", "GET /api/problems (all of them)", q50, q99, qrps);
	printf("(%d problems: the incidents' cause signatures)\n", nprob);
	printf("%-44s %10.3f %10.3f %12.0f\n", "GET /api/operations/chart (an hour)", c50, c99, crps);
	printf("(one operation's last hour: 360,000 spans, 60 minutes, its incidents)\n");
	printf("\nlist vs baseline: %.1fx the latency (p50)\n\n", p50 / b50);
	printf("web.list_p50_ms=%.3f\n", p50);
	printf("web.list_p99_ms=%.3f\n", p99);
	printf("web.list_req_per_s=%.0f\n", rps);
	printf("web.problems_p50_ms=%.3f\n", q50);
	printf("web.problems_p99_ms=%.3f\n", q99);
	printf("web.operation_chart_p50_ms=%.3f\n", c50);
	printf("web.operation_chart_p99_ms=%.3f\n", c99);
	return 0;
}
