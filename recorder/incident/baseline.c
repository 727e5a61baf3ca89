// SPDX-License-Identifier: MIT
/*
 * baseline.c - per-operation samples of normal spans' causes, and the
 * comparison of a slow span with them (fr_baseline.h).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_annotate.h"
#include "annotate_int.h"
#include "fr_baseline.h"
#include "fr_buf.h"
#include "fr_signature.h"

struct sample {
	uint64_t span_ns;
	uint32_t n;
	struct {
		char what[200];
		uint64_t ns;
	} c[FR_BASELINE_CAUSES];
};

struct op {
	char service[128], name[256];
	uint64_t last_want;      /* when a sample was last reserved */
	uint64_t last_used;      /* tick of its last use: the least recent is replaced */
	uint32_t n, next;        /* samples held; where the next goes */
	struct sample *s;        /* samples_per_op, once one was added */
};

struct fr_baselines {
	struct fr_baseline_opts o;
	pthread_mutex_t mu;
	struct op *ops;          /* max_ops */
	uint32_t nr_ops;
	uint64_t tick;
	uint64_t taken, wanted;
};

struct fr_baselines *fr_baselines__new(const struct fr_baseline_opts *o)
{
	struct fr_baselines *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	if (o)
		memcpy(&b->o, o, o->sz < sizeof(b->o) ? o->sz : sizeof(b->o));
	if (!b->o.interval_ns)
		b->o.interval_ns = 5000000000ull;
	if (!b->o.samples_per_op)
		b->o.samples_per_op = 8;
	if (b->o.samples_per_op > 64)
		b->o.samples_per_op = 64; /* the medians look at 64 at most */
	if (!b->o.max_ops)
		b->o.max_ops = 256;
	b->ops = calloc(b->o.max_ops, sizeof(*b->ops));
	if (!b->ops) {
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->mu, NULL);
	return b;
}

void fr_baselines__free(struct fr_baselines *b)
{
	if (!b)
		return;
	for (uint32_t i = 0; i < b->nr_ops; i++)
		free(b->ops[i].s);
	free(b->ops);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* The operation's entry (mu held); made, replacing the least recently
 * used one when full, if make. */
static struct op *op_of(struct fr_baselines *b, const char *service, const char *name, bool make)
{
	struct op *lru = NULL, *o;

	for (uint32_t i = 0; i < b->nr_ops; i++) {
		o = &b->ops[i];
		if (!strcmp(o->name, name) && !strcmp(o->service, service))
			return o;
		if (!lru || o->last_used < lru->last_used)
			lru = o;
	}
	if (!make)
		return NULL;
	if (b->nr_ops < b->o.max_ops) {
		o = &b->ops[b->nr_ops++];
	} else {
		o = lru;
		free(o->s);
	}
	memset(o, 0, sizeof(*o));
	o->last_used = ++b->tick;
	snprintf(o->service, sizeof(o->service), "%s", service);
	snprintf(o->name, sizeof(o->name), "%s", name);
	return o;
}

bool fr_baselines__want(struct fr_baselines *b, const char *service, const char *name,
			uint64_t now)
{
	bool want = false;
	struct op *o;

	pthread_mutex_lock(&b->mu);
	o = op_of(b, service, name, true);
	if (!o->last_want || now - o->last_want >= b->o.interval_ns) {
		o->last_want = now;
		o->last_used = ++b->tick;
		b->wanted++;
		want = true;
	}
	pthread_mutex_unlock(&b->mu);
	return want;
}

/* A cause as compared: its kind in words and the resource normalised. */
static void cause_key(const struct fr_cause *c, char *out, size_t len)
{
	char norm[196]; /* "in " + this fits a cause's 200 */

	switch (c->kind) {
	case FR_CAUSE_RUNNABLE:
		snprintf(out, len, "waiting for CPU");
		return;
	case FR_CAUSE_THROTTLED:
		snprintf(out, len, "throttled by its CPU limit");
		return;
	case FR_CAUSE_STALL: /* "stalled reclaiming memory", without the figures */
		snprintf(out, len, "%.*s", (int)strcspn(c->what, ":("), c->what);
		return;
	case FR_CAUSE_ON_CPU:
		fr_signature__normalise(c->what, out, len);
		return;
	default:
		fr_signature__normalise(c->what, norm, sizeof(norm));
		snprintf(out, len, "%s%s", fr_an_names_call(c->what) ? "in " : "", norm);
	}
}

/* Adds ns to s's cause key (a new one while there is room). */
static void sample_add(struct sample *s, const char *key, uint64_t ns)
{
	uint32_t k;

	for (k = 0; k < s->n && strcmp(s->c[k].what, key); k++)
		;
	if (k == s->n) {
		if (s->n == FR_BASELINE_CAUSES)
			return;
		snprintf(s->c[s->n++].what, sizeof(s->c[0].what), "%s", key);
	}
	s->c[k].ns += ns;
}

/*
 * Folds ev's causes into s: same key, summed. On-CPU time inside a call
 * goes to the call's key, with the time it blocked there ("in
 * fsync(/x)": a write loop's fsyncs are slow on CPU as much as off it);
 * of the rest, on-CPU time goes to the hot
 * function by its share of the samples ("in computeInvoiceTotals"), the
 * rest stays "on CPU", so that a slow span that computed more in one
 * function says which.
 */
static void sample_of(const struct fr_evidence *ev, struct sample *s)
{
	const struct fr_hot *h = &ev->hot;

	memset(s, 0, sizeof(*s));
	s->span_ns = ev->span_ns;
	for (size_t i = 0; i < ev->nr_causes; i++) {
		const struct fr_cause *c = &ev->causes[i];
		char key[200];

		cause_key(c, key, sizeof(key));
		if (c->kind == FR_CAUSE_ON_CPU) {
			uint64_t rest = c->ns;

			for (size_t k = 0; k < ev->nr_call_cpu && rest; k++) {
				struct fr_cause in = { .kind = FR_CAUSE_BLOCKED };
				uint64_t ns = ev->call_cpu[k].ns < rest ? ev->call_cpu[k].ns : rest;
				char call[200];

				snprintf(in.what, sizeof(in.what), "%s", ev->call_cpu[k].what);
				cause_key(&in, call, sizeof(call));
				sample_add(s, call, ns);
				rest -= ns;
			}
			if (h->func[0] && h->with_stack) {
				uint64_t hot = rest * h->through / h->with_stack;
				char fn[200];

				snprintf(fn, sizeof(fn), "in %.190s", h->func);
				sample_add(s, fn, hot);
				rest -= hot;
			}
			sample_add(s, key, rest);
			continue;
		}
		sample_add(s, key, c->ns);
	}
}

void fr_baselines__add(struct fr_baselines *b, const char *service, const char *name,
		       const struct fr_evidence *ev)
{
	struct sample s;
	struct op *o;

	sample_of(ev, &s);
	pthread_mutex_lock(&b->mu);
	o = op_of(b, service, name, true);
	if (!o->s)
		o->s = calloc(b->o.samples_per_op, sizeof(*o->s));
	o->last_used = ++b->tick;
	if (o->s) {
		o->s[o->next] = s;
		o->next = (o->next + 1) % b->o.samples_per_op;
		if (o->n < b->o.samples_per_op)
			o->n++;
		b->taken++;
	}
	pthread_mutex_unlock(&b->mu);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;

	return a < c ? -1 : a > c;
}

/* The median of v[0..n), sorted in place. */
static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n ? v[n / 2] : 0;
}

/* Median over o's samples of cause key (0 where a sample lacks it). */
static uint64_t normal_ns(const struct op *o, const char *key)
{
	uint64_t v[64];
	uint32_t n = o->n < 64 ? o->n : 64;

	for (uint32_t i = 0; i < n; i++) {
		v[i] = 0;
		for (uint32_t k = 0; k < o->s[i].n; k++)
			if (!strcmp(o->s[i].c[k].what, key))
				v[i] = o->s[i].c[k].ns;
	}
	return median(v, n);
}

static uint64_t normal_span(const struct op *o)
{
	uint64_t v[64];
	uint32_t n = o->n < 64 ? o->n : 64;

	for (uint32_t i = 0; i < n; i++)
		v[i] = o->s[i].span_ns;
	return median(v, n);
}

/* Leaves out causes of no time in either (rare in normal spans, absent here). */
static void drop_empty(struct fr_cause_delta *d, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++)
		if (d[i].slow_ns || d[i].normal_ns)
			d[k++] = d[i];
	*n = k;
}

static int by_normal(const void *x, const void *y)
{
	const struct fr_cause_delta *a = x, *c = y;

	return a->normal_ns > c->normal_ns ? -1 : a->normal_ns < c->normal_ns;
}

static int by_extra(const void *x, const void *y)
{
	const struct fr_cause_delta *a = x, *c = y;
	int64_t da = (int64_t)(a->slow_ns - a->normal_ns), dc = (int64_t)(c->slow_ns - c->normal_ns);

	return da > dc ? -1 : da < dc;
}

/* Adds key to out's deltas unless there (slow or normal time set by the caller). */
static struct fr_cause_delta *delta_of(struct fr_comparison *out, const char *key)
{
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->d[i].what, key))
			return &out->d[i];
	if (out->n == sizeof(out->d) / sizeof(out->d[0]))
		return NULL;
	memset(&out->d[out->n], 0, sizeof(out->d[0]));
	snprintf(out->d[out->n].what, sizeof(out->d[0].what), "%s", key);
	return &out->d[out->n++];
}

/* "+182 ms in fsync(/x), +21 ms waiting for CPU; on CPU as usual" */
static void comparison_text(struct fr_comparison *out)
{
	size_t used = 0, extra = 0;
	const char *usual = NULL;
	uint64_t usual_ns = 0;

	out->text[0] = '\0';
	for (size_t i = 0; i < out->n && used < sizeof(out->text); i++) {
		const struct fr_cause_delta *d = &out->d[i];
		char dur[32];

		if (d->slow_ns > d->normal_ns && (d->slow_ns - d->normal_ns) * 10 >= out->normal_span_ns &&
		    extra < 3) {
			fr_fmt_duration(d->slow_ns - d->normal_ns, dur, sizeof(dur));
			used += (size_t)snprintf(out->text + used, sizeof(out->text) - used, "%s+%s %s",
						 extra ? ", " : "", dur, d->what);
			extra++;
		} else if (d->normal_ns && d->slow_ns * 2 <= d->normal_ns * 3 &&
			   (!usual || d->normal_ns > usual_ns)) {
			usual = d->what; /* about as much as normally: the largest such */
			usual_ns = d->normal_ns;
		}
	}
	if (usual && used < sizeof(out->text))
		snprintf(out->text + used, sizeof(out->text) - used, "%s%s as usual", extra ? "; " : "",
			 usual);
}

bool fr_baselines__compare(struct fr_baselines *b, const char *service, const char *name,
			   const struct fr_evidence *ev, struct fr_comparison *out)
{
	struct sample slow;
	struct op *o;

	memset(out, 0, sizeof(*out));
	sample_of(ev, &slow);
	pthread_mutex_lock(&b->mu);
	o = op_of(b, service, name, false);
	if (!o || !o->n) {
		pthread_mutex_unlock(&b->mu);
		return false;
	}
	out->samples = o->n;
	out->normal_span_ns = normal_span(o);
	for (uint32_t k = 0; k < slow.n; k++) {
		struct fr_cause_delta *d = delta_of(out, slow.c[k].what);

		if (d)
			d->slow_ns = slow.c[k].ns;
	}
	/* what normal spans spend time on, whether or not the slow one did */
	for (uint32_t i = 0; i < o->n; i++)
		for (uint32_t k = 0; k < o->s[i].n; k++)
			delta_of(out, o->s[i].c[k].what);
	for (size_t i = 0; i < out->n; i++)
		out->d[i].normal_ns = normal_ns(o, out->d[i].what);
	pthread_mutex_unlock(&b->mu);
	drop_empty(out->d, &out->n);
	qsort(out->d, out->n, sizeof(out->d[0]), by_extra);
	comparison_text(out);
	return true;
}

void fr_baselines__stats(struct fr_baselines *b, struct fr_baseline_stats *out)
{
	pthread_mutex_lock(&b->mu);
	out->taken = b->taken;
	out->wanted = b->wanted;
	out->ops = 0;
	out->bytes = sizeof(*b) + (size_t)b->o.max_ops * sizeof(*b->ops);
	for (uint32_t i = 0; i < b->nr_ops; i++) {
		if (b->ops[i].n)
			out->ops++;
		if (b->ops[i].s)
			out->bytes += (size_t)b->o.samples_per_op * sizeof(struct sample);
	}
	pthread_mutex_unlock(&b->mu);
}

uint32_t fr_baselines__describe(struct fr_baselines *b, const char *service, const char *name,
				struct fr_cause_delta *out, size_t max, size_t *n_out,
				uint64_t *normal_span_ns)
{
	struct fr_comparison c = { 0 };
	struct op *o;
	uint32_t samples = 0;

	*n_out = 0;
	*normal_span_ns = 0;
	pthread_mutex_lock(&b->mu);
	o = op_of(b, service, name, false);
	if (o && o->n) {
		samples = o->n;
		*normal_span_ns = normal_span(o);
		for (uint32_t i = 0; i < o->n; i++)
			for (uint32_t k = 0; k < o->s[i].n; k++)
				delta_of(&c, o->s[i].c[k].what);
		for (size_t i = 0; i < c.n; i++)
			c.d[i].normal_ns = normal_ns(o, c.d[i].what);
	}
	pthread_mutex_unlock(&b->mu);
	drop_empty(c.d, &c.n);
	qsort(c.d, c.n, sizeof(c.d[0]), by_normal);
	for (size_t i = 0; i < c.n && i < max; i++)
		out[(*n_out)++] = c.d[i];
	return samples;
}
