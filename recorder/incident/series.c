// SPDX-License-Identifier: MIT
/*
 * series.c - operations' latency over the last hour (fr_series.h).
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_series.h"

#define BUCKETS 64
#define BASE 1.4      /* bucket i: [1 us * BASE^i, 1 us * BASE^(i+1)) */
#define MINUTE_NS 60000000000ull

struct minute {
	uint64_t t;               /* its start (Unix ns); 0 = empty */
	uint64_t count;
	uint32_t hist[BUCKETS];
	uint32_t n;               /* points kept */
	struct fr_series_point pts[FR_SERIES_POINTS];
};

struct op {
	uint64_t hash, last_seen;
	char service[128], name[256];
	struct minute *m;         /* FR_SERIES_MINUTES, by minute number modulo */
};

struct fr_series {
	uint32_t max_ops, nr_ops;
	pthread_mutex_t mu;
	uint64_t rng;
	struct op *ops;
};

struct fr_series *fr_series__new(const struct fr_series_opts *o)
{
	struct fr_series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max_ops = o && o->max_ops ? o->max_ops : 128;
	s->ops = calloc(s->max_ops, sizeof(*s->ops));
	if (!s->ops) {
		free(s);
		return NULL;
	}
	s->rng = 0x9e3779b97f4a7c15ull;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void fr_series__free(struct fr_series *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nr_ops; i++)
		free(s->ops[i].m);
	free(s->ops);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static uint64_t hash_op(const char *service, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = service; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	h = (h ^ 0xff) * 0x100000001b3ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return h;
}

static struct op *find(struct fr_series *s, uint64_t h, const char *service, const char *name)
{
	for (uint32_t i = 0; i < s->nr_ops; i++)
		if (s->ops[i].hash == h && !strcmp(s->ops[i].name, name) &&
		    !strcmp(s->ops[i].service, service))
			return &s->ops[i];
	return NULL;
}

static int bucket(uint64_t dur_ns)
{
	double us = (double)dur_ns / 1000.0;
	int b = us < 1.0 ? 0 : (int)(log(us) / log(BASE));

	return b < 0 ? 0 : b >= BUCKETS ? BUCKETS - 1 : b;
}

static uint64_t next_rand(struct fr_series *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

void fr_series__add(struct fr_series *s, const char *service, const char *name,
		    uint64_t end_unix_ns, uint64_t dur_ns)
{
	uint64_t h = hash_op(service, name), t = end_unix_ns / MINUTE_NS * MINUTE_NS;
	struct minute *m;
	struct op *o;

	pthread_mutex_lock(&s->mu);
	o = find(s, h, service, name);
	if (!o) {
		if (s->nr_ops < s->max_ops) {
			o = &s->ops[s->nr_ops++];
		} else {
			o = &s->ops[0]; /* the least recently seen makes room */
			for (uint32_t i = 1; i < s->nr_ops; i++)
				if (s->ops[i].last_seen < o->last_seen)
					o = &s->ops[i];
			free(o->m);
		}
		memset(o, 0, sizeof(*o));
		o->hash = h;
		snprintf(o->service, sizeof(o->service), "%s", service);
		snprintf(o->name, sizeof(o->name), "%s", name);
	}
	if (!o->m)
		o->m = calloc(FR_SERIES_MINUTES, sizeof(*o->m));
	if (!o->m) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	o->last_seen = end_unix_ns;
	m = &o->m[(end_unix_ns / MINUTE_NS) % FR_SERIES_MINUTES];
	if (m->t != t) {
		if (m->t > t) { /* a span older than the hour kept: dropped */
			pthread_mutex_unlock(&s->mu);
			return;
		}
		memset(m, 0, sizeof(*m));
		m->t = t;
	}
	m->count++;
	m->hist[bucket(dur_ns)]++;
	/* reservoir: each of the minute's spans kept with equal chance */
	if (m->n < FR_SERIES_POINTS)
		m->pts[m->n++] = (struct fr_series_point){ end_unix_ns, dur_ns };
	else if (next_rand(s) % m->count < FR_SERIES_POINTS)
		m->pts[next_rand(s) % FR_SERIES_POINTS] = (struct fr_series_point){ end_unix_ns, dur_ns };
	pthread_mutex_unlock(&s->mu);
}

/* The q-quantile of a minute's histogram: its bucket's middle. */
static uint64_t quantile(const struct minute *m, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)m->count), seen = 0;

	for (int b = 0; b < BUCKETS; b++) {
		seen += m->hist[b];
		if (seen >= want && m->hist[b])
			return (uint64_t)(1000.0 * pow(BASE, b + 0.5));
	}
	return 0;
}

bool fr_series__get(struct fr_series *s, const char *service, const char *name,
		    uint64_t from_unix_ns, struct fr_series_minute *mins, size_t *nmins,
		    struct fr_series_point *pts, size_t max_pts, size_t *npts)
{
	struct op *o;
	const struct minute *order[FR_SERIES_MINUTES];
	size_t n = 0;

	*nmins = *npts = 0;
	pthread_mutex_lock(&s->mu);
	o = find(s, hash_op(service, name), service, name);
	if (!o || !o->m) {
		pthread_mutex_unlock(&s->mu);
		return false;
	}
	for (int i = 0; i < FR_SERIES_MINUTES; i++)
		if (o->m[i].t && o->m[i].t + MINUTE_NS > from_unix_ns &&
		    o->m[i].t + (uint64_t)FR_SERIES_MINUTES * MINUTE_NS > o->last_seen)
			order[n++] = &o->m[i];
	/* oldest first */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && order[j - 1]->t > order[j]->t; j--) {
			const struct minute *x = order[j];

			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	for (size_t i = 0; i < n; i++) {
		const struct minute *m = order[i];

		mins[i] = (struct fr_series_minute){ m->t, m->count, quantile(m, 0.5),
						     quantile(m, 0.99) };
		for (uint32_t k = 0; k < m->n && *npts < max_pts; k++)
			if (m->pts[k].t_unix_ns >= from_unix_ns)
				pts[(*npts)++] = m->pts[k];
	}
	*nmins = n;
	pthread_mutex_unlock(&s->mu);
	return true;
}

size_t fr_series__bytes(struct fr_series *s)
{
	size_t b;

	pthread_mutex_lock(&s->mu);
	b = sizeof(*s) + (size_t)s->max_ops * sizeof(*s->ops);
	for (uint32_t i = 0; i < s->nr_ops; i++)
		if (s->ops[i].m)
			b += FR_SERIES_MINUTES * sizeof(struct minute);
	pthread_mutex_unlock(&s->mu);
	return b;
}
