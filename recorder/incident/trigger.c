// SPDX-License-Identifier: MIT
/*
 * trigger.c - rules, windowed per-operation sketches, cooldowns, budget
 * (fr_trigger.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_buf.h"
#include "fr_clock.h"
#include "fr_sketch.h"
#include "fr_trigger.h"

#define SLICES 5      /* the window in five slices: expiry granularity window/5 */
#define QCACHE 4      /* cached quantiles per operation */

/* ---------------- rule text ---------------- */

static const char *const kind_names[] = { "unspecified", "internal", "server", "client",
					  "producer", "consumer" };

static void format_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns && ns % 60000000000ull == 0)
		snprintf(buf, len, "%" PRIu64 "m", ns / UINT64_C(60000000000));
	else if (ns && ns % 1000000000ull == 0)
		snprintf(buf, len, "%" PRIu64 "s", ns / UINT64_C(1000000000));
	else if (ns && ns % 1000000ull == 0)
		snprintf(buf, len, "%" PRIu64 "ms", ns / UINT64_C(1000000));
	else if (ns && ns % 1000ull == 0)
		snprintf(buf, len, "%" PRIu64 "us", ns / UINT64_C(1000));
	else
		snprintf(buf, len, "%" PRIu64 "ns", ns);
}

/*
 * The percentile of quantile q in the fewest digits that parse back to q
 * exactly (p99, p99.9, p99.99999): rules are stored as text, and must come
 * back the same after a restart.
 */
static void format_percentile(double q, char *buf, size_t len)
{
	for (int digits = 1; digits <= 17; digits++) {
		snprintf(buf, len, "%.*g", digits, q * 100);
		if (strtod(buf, NULL) / 100.0 == q)
			break;
	}
	if (!strchr(buf, 'e'))
		return;
	/* a tiny percentile: in plain decimals rather than p1e-06 */
	for (int decimals = 1; decimals <= 30; decimals++) {
		char plain[48];

		snprintf(plain, sizeof(plain), "%.*f", decimals, q * 100);
		if (strtod(plain, NULL) / 100.0 == q) {
			snprintf(buf, len, "%s", plain);
			return;
		}
	}
}

/* Next comma-separated item of *p (quotes '...' allowed in values). */
static bool next_item(const char **p, char *item, size_t len)
{
	const char *s = *p;
	size_t n = 0;
	bool quoted = false;

	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	for (; *s && (quoted || *s != ','); s++) {
		if (*s == '\'') {
			quoted = !quoted;
			continue;
		}
		if (n + 1 < len)
			item[n++] = *s;
	}
	while (n && item[n - 1] == ' ')
		n--;
	item[n] = '\0';
	*p = *s == ',' ? s + 1 : s;
	return true;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

int fr_rule__parse(const char *text, struct fr_rule *out, char *err, size_t errlen)
{
	const char *p = text;
	char item[512];
	bool first = true;

	memset(out, 0, sizeof(*out));
	out->kind = -1;
	out->min_samples = 100;
	out->cooldown_ns = 60000000000ull;
	if (!text)
		return fail(err, errlen, "empty rule%s", "");
	while (next_item(&p, item, sizeof(item))) {
		char *eq = strchr(item, '='), *val = eq ? eq + 1 : NULL;

		if (eq)
			*eq = '\0';
		if (first) {
			first = false;
			if (!strcmp(item, "threshold") && val) {
				out->type = FR_RULE_THRESHOLD;
				if (fr_parse_duration(val, &out->threshold_ns) || !out->threshold_ns)
					return fail(err, errlen, "bad threshold '%s'", val);
				continue;
			}
			if (!strcmp(item, "error") && !val) {
				out->type = FR_RULE_ERROR;
				continue;
			}
			if ((item[0] == 'p' || item[0] == 'P') && !val) {
				char *end;
				double q = strtod(item + 1, &end);

				if (end == item + 1 || *end || !(q > 0 && q < 100)) /* NaN too */
					return fail(err, errlen, "bad percentile '%s' (e.g. p99, p99.9)",
						    item);
				out->type = FR_RULE_PERCENTILE;
				out->quantile = q / 100.0;
				continue;
			}
			return fail(err, errlen,
				    "a rule starts with threshold=DURATION, pNN or error, not '%s'", item);
		}
		if (!val)
			return fail(err, errlen, "'%s' needs a value (key=value)", item);
		if (!strcmp(item, "service")) {
			if (strlen(val) >= sizeof(out->service))
				return fail(err, errlen, "service too long: '%s'", val);
			strcpy(out->service, val);
		} else if (!strcmp(item, "name")) {
			if (strlen(val) >= sizeof(out->name))
				return fail(err, errlen, "name too long: '%s'", val);
			strcpy(out->name, val);
		} else if (!strcmp(item, "kind")) {
			out->kind = -2;
			if (!strcmp(val, "any"))
				out->kind = -1;
			for (int k = 0; k <= 5; k++)
				if (!strcasecmp(val, kind_names[k]))
					out->kind = (int8_t)k;
			if (out->kind == -2)
				return fail(err, errlen, "unknown kind '%s'", val);
		} else if (!strcmp(item, "min")) {
			char *end;
			long v = strtol(val, &end, 10);

			if (out->type != FR_RULE_PERCENTILE)
				return fail(err, errlen, "min=%s: only percentile rules have a minimum",
					    val);

			if (*end || v < 1 || v > 100000000)
				return fail(err, errlen, "bad min samples '%s'", val);
			out->min_samples = (uint32_t)v;
		} else if (!strcmp(item, "cooldown")) {
			if (fr_parse_duration(val, &out->cooldown_ns))
				return fail(err, errlen, "bad cooldown '%s'", val);
		} else {
			return fail(err, errlen, "unknown rule key '%s'", item);
		}
	}
	if (first)
		return fail(err, errlen, "empty rule%s", "");
	return 0;
}

void fr_rule__format(const struct fr_rule *r, char *buf, size_t len)
{
	char d[32], cd[32];
	int n;

	format_duration(r->cooldown_ns, cd, sizeof(cd));
	if (r->type == FR_RULE_THRESHOLD) {
		format_duration(r->threshold_ns, d, sizeof(d));
		n = snprintf(buf, len, "threshold=%s", d);
	} else if (r->type == FR_RULE_PERCENTILE) {
		char q[64];

		format_percentile(r->quantile, q, sizeof(q));
		n = snprintf(buf, len, "p%s,min=%u", q, r->min_samples);
	} else {
		n = snprintf(buf, len, "error");
	}
	if (n < 0 || (size_t)n >= len)
		return;
	if (r->service[0])
		n += snprintf(buf + n, len - n, ",service='%s'", r->service);
	if ((size_t)n < len && r->name[0])
		n += snprintf(buf + n, len - n, ",name='%s'", r->name);
	if ((size_t)n < len && r->kind >= 0)
		n += snprintf(buf + n, len - n, ",kind=%s", kind_names[r->kind]);
	if ((size_t)n < len)
		snprintf(buf + n, len - n, ",cooldown=%s", cd);
}

/* ---------------- operations ---------------- */

struct qcache {
	double q;
	uint64_t value;
	uint64_t at_count;
	uint64_t at_epoch;
};

struct op {
	struct op *hnext;          /* hash chain */
	struct op *prev, *next;    /* LRU, most recent at head */
	uint64_t hash;
	char service[128];
	char name[256];
	uint8_t kind;
	uint64_t captures;
	uint64_t epoch;            /* current slice epoch */
	uint64_t slice_epoch[SLICES];
	struct qcache qc[QCACHE];
	uint64_t last_fire[FR_MAX_RULES]; /* by rule slot; 0 = never */
	struct fr_sketch agg;      /* sum of the live slices */
	struct fr_sketch slice[SLICES];
};

struct fr_trigger {
	struct fr_trigger_opts o;
	pthread_mutex_t mu;
	struct fr_rule rules[FR_MAX_RULES];
	bool used[FR_MAX_RULES];
	uint32_t next_id;
	struct op **table;
	size_t table_size; /* power of two */
	struct op *lru_head, *lru_tail;
	uint64_t minute, minute_captures;
	struct fr_trigger_stats st;
};

static uint64_t hash_op(const char *service, size_t slen, const char *name, size_t nlen)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < slen; i++)
		h = (h ^ (uint8_t)service[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (size_t i = 0; i < nlen; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	return h;
}

static void lru_unlink(struct fr_trigger *t, struct op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else
		t->lru_head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		t->lru_tail = op->prev;
	op->prev = op->next = NULL;
}

static void lru_push_front(struct fr_trigger *t, struct op *op)
{
	op->next = t->lru_head;
	op->prev = NULL;
	if (t->lru_head)
		t->lru_head->prev = op;
	t->lru_head = op;
	if (!t->lru_tail)
		t->lru_tail = op;
}

static void table_remove(struct fr_trigger *t, struct op *op)
{
	struct op **pp = &t->table[op->hash & (t->table_size - 1)];

	while (*pp && *pp != op)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = op->hnext;
}

static uint64_t slice_len(const struct fr_trigger *t)
{
	uint64_t l = t->o.window_ns / SLICES;

	return l ? l : 1;
}

/* Expires slices that left the window; starts the current one. */
static void advance(struct fr_trigger *t, struct op *op, uint64_t now)
{
	uint64_t epoch = now / slice_len(t);

	if (epoch == op->epoch && op->agg.count)
		return;
	for (int i = 0; i < SLICES; i++) {
		if (op->slice[i].count && op->slice_epoch[i] + SLICES <= epoch) {
			fr_sketch__subtract(&op->agg, &op->slice[i]);
			fr_sketch__clear(&op->slice[i]);
		}
	}
	op->epoch = epoch;
	{
		int cur = (int)(epoch % SLICES);

		if (op->slice_epoch[cur] != epoch) {
			if (op->slice[cur].count) {
				fr_sketch__subtract(&op->agg, &op->slice[cur]);
				fr_sketch__clear(&op->slice[cur]);
			}
			op->slice_epoch[cur] = epoch;
		}
	}
}

static struct op *find_op(struct fr_trigger *t, const struct fr_span *s, uint64_t now)
{
	const struct fr_str *svc = s->scope ? &s->scope->resource->service_name : NULL;
	const char *sp = svc ? svc->p : "";
	size_t sl = svc ? svc->len : 0, nl = s->name.len;
	uint64_t h = hash_op(sp, sl, s->name.p, nl);
	struct op *op;

	for (op = t->table[h & (t->table_size - 1)]; op; op = op->hnext) {
		if (op->hash == h && !strncmp(op->service, sp, sizeof(op->service) - 1) &&
		    !strncmp(op->name, s->name.p, sizeof(op->name) - 1)) {
			if (op != t->lru_head) {
				lru_unlink(t, op);
				lru_push_front(t, op);
			}
			return op;
		}
	}
	if (t->st.ops >= t->o.max_ops && t->lru_tail) {
		op = t->lru_tail;
		lru_unlink(t, op);
		table_remove(t, op);
		t->st.ops--;
		t->st.ops_evicted++;
		memset(op, 0, sizeof(*op));
	} else {
		op = calloc(1, sizeof(*op));
		if (!op)
			return NULL;
	}
	op->hash = h;
	snprintf(op->service, sizeof(op->service), "%.*s", (int)sl, sp);
	snprintf(op->name, sizeof(op->name), "%.*s", (int)nl, s->name.p);
	op->kind = s->kind;
	op->epoch = now / slice_len(t);
	op->hnext = t->table[h & (t->table_size - 1)];
	t->table[h & (t->table_size - 1)] = op;
	lru_push_front(t, op);
	t->st.ops++;
	return op;
}

/* The q-quantile of the window, recomputed when enough changed. */
static uint64_t quantile(struct op *op, double q)
{
	struct qcache *c = NULL, *oldest = &op->qc[0];
	uint64_t stale_after;

	for (int i = 0; i < QCACHE; i++) {
		if (op->qc[i].q == q)
			c = &op->qc[i];
		if (op->qc[i].at_epoch < oldest->at_epoch)
			oldest = &op->qc[i];
	}
	stale_after = op->agg.count / 64 > 16 ? op->agg.count / 64 : 16;
	if (c && c->at_epoch == op->epoch && op->agg.count >= c->at_count &&
	    op->agg.count - c->at_count < stale_after)
		return c->value;
	if (!c) {
		c = oldest;
		c->q = q;
	}
	c->value = fr_sketch__quantile(&op->agg, q);
	c->at_count = op->agg.count;
	c->at_epoch = op->epoch;
	return c->value;
}

struct fr_trigger *fr_trigger__new(const struct fr_trigger_opts *opts)
{
	struct fr_trigger *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (opts)
		fr_opts_copy(&t->o, opts);
	if (!t->o.window_ns)
		t->o.window_ns = 300000000000ull;
	if (!t->o.max_ops)
		t->o.max_ops = 1024;
	if (!t->o.budget_per_min)
		t->o.budget_per_min = 60;
	if (!t->o.now)
		t->o.now = fr_mono_ns;
	t->table_size = 64;
	while (t->table_size < 2 * (size_t)t->o.max_ops)
		t->table_size *= 2;
	t->table = calloc(t->table_size, sizeof(*t->table));
	if (!t->table) {
		free(t);
		return NULL;
	}
	t->next_id = 1;
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void fr_trigger__free(struct fr_trigger *t)
{
	struct op *op, *next;

	if (!t)
		return;
	for (op = t->lru_head; op; op = next) {
		next = op->next;
		free(op);
	}
	free(t->table);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int fr_trigger__add_rule(struct fr_trigger *t, const struct fr_rule *r, uint32_t *id_out)
{
	int slot = -1, err = 0;

	pthread_mutex_lock(&t->mu);
	for (int i = 0; i < FR_MAX_RULES; i++) {
		if (t->used[i] && r->id && t->rules[i].id == r->id) {
			err = -EEXIST;
			goto out;
		}
		if (!t->used[i] && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		err = -ENOSPC;
		goto out;
	}
	t->rules[slot] = *r;
	t->rules[slot].fired = t->rules[slot].cooled = 0;
	if (!r->id)
		t->rules[slot].id = t->next_id;
	if (t->rules[slot].id >= t->next_id)
		t->next_id = t->rules[slot].id + 1;
	t->used[slot] = true;
	for (struct op *op = t->lru_head; op; op = op->next)
		op->last_fire[slot] = 0; /* a new rule in a reused slot starts cool */
	if (id_out)
		*id_out = t->rules[slot].id;
out:
	pthread_mutex_unlock(&t->mu);
	return err;
}

int fr_trigger__remove_rule(struct fr_trigger *t, uint32_t id)
{
	int err = -ENOENT;

	pthread_mutex_lock(&t->mu);
	for (int i = 0; i < FR_MAX_RULES; i++) {
		if (t->used[i] && t->rules[i].id == id) {
			t->used[i] = false;
			err = 0;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return err;
}

size_t fr_trigger__rules(struct fr_trigger *t, struct fr_rule *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&t->mu);
	for (int i = 0; i < FR_MAX_RULES; i++) {
		if (!t->used[i])
			continue;
		if (n < max)
			out[n] = t->rules[i];
		n++;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

static bool rule_matches(const struct fr_rule *r, const struct fr_span *s, const struct op *op)
{
	if (r->kind >= 0 && r->kind != s->kind)
		return false;
	if (r->service[0] && fnmatch(r->service, op->service, 0))
		return false;
	if (r->name[0] && fnmatch(r->name, op->name, 0))
		return false;
	return true;
}

void fr_trigger__observe(struct fr_trigger *t, const struct fr_span *s, struct fr_decision *d)
{
	uint64_t now = t->o.now(), dur = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;
	struct op *op;

	memset(d, 0, sizeof(*d));
	pthread_mutex_lock(&t->mu);
	t->st.spans++;
	op = find_op(t, s, now);
	if (!op)
		goto out;
	advance(t, op, now);
	for (int i = 0; i < FR_MAX_RULES; i++) {
		struct fr_rule *r = &t->rules[i];
		uint64_t limit = 0;
		bool hit = false;
		char what[48];

		if (!t->used[i] || !rule_matches(r, s, op))
			continue;
		switch (r->type) {
		case FR_RULE_THRESHOLD:
			limit = r->threshold_ns;
			hit = dur > limit;
			snprintf(what, sizeof(what), "threshold");
			break;
		case FR_RULE_PERCENTILE:
			if (op->agg.count < r->min_samples)
				break;
			limit = quantile(op, r->quantile);
			hit = dur > limit;
			snprintf(what, sizeof(what), "p%g", r->quantile * 100);
			break;
		case FR_RULE_ERROR:
			hit = s->status_code == FR_STATUS_ERROR;
			snprintf(what, sizeof(what), "error status");
			break;
		}
		if (!hit)
			continue;
		if (op->last_fire[i] && now - op->last_fire[i] < r->cooldown_ns) {
			r->cooled++;
			t->st.cooled++;
			continue;
		}
		if (now / 60000000000ull != t->minute) {
			t->minute = now / 60000000000ull;
			t->minute_captures = 0;
		}
		if (t->minute_captures >= t->o.budget_per_min) {
			t->st.over_budget++;
			break;
		}
		t->minute_captures++;
		op->last_fire[i] = now ? now : 1;
		op->captures++;
		r->fired++;
		t->st.fired++;
		d->fire = true;
		d->rule_id = r->id;
		d->threshold_ns = limit;
		if (r->type == FR_RULE_ERROR)
			snprintf(d->reason, sizeof(d->reason), "error status (rule %u)", r->id);
		else
			snprintf(d->reason, sizeof(d->reason), "%.1f ms > %s %.1f ms (rule %u)",
				 dur / 1e6, what, limit / 1e6, r->id);
		break;
	}
	fr_sketch__add(&op->agg, dur);
	fr_sketch__add(&op->slice[op->epoch % SLICES], dur);
out:
	pthread_mutex_unlock(&t->mu);
}

bool fr_trigger__take_budget(struct fr_trigger *t)
{
	uint64_t now = t->o.now();
	bool ok;

	pthread_mutex_lock(&t->mu);
	if (now / 60000000000ull != t->minute) {
		t->minute = now / 60000000000ull;
		t->minute_captures = 0;
	}
	ok = t->minute_captures < t->o.budget_per_min;
	if (ok)
		t->minute_captures++;
	else
		t->st.over_budget++;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

size_t fr_trigger__ops(struct fr_trigger *t, struct fr_op_stats *out, size_t max)
{
	uint64_t now = t->o.now();
	size_t n = 0;

	pthread_mutex_lock(&t->mu);
	for (struct op *op = t->lru_head; op; op = op->next) {
		if (n < max) {
			struct fr_op_stats *o = &out[n];

			advance(t, op, now);
			snprintf(o->service, sizeof(o->service), "%s", op->service);
			snprintf(o->name, sizeof(o->name), "%s", op->name);
			o->kind = op->kind;
			o->count = op->agg.count;
			o->p50_ns = fr_sketch__quantile(&op->agg, 0.5);
			o->p99_ns = fr_sketch__quantile(&op->agg, 0.99);
			o->captures = op->captures;
		}
		n++;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

void fr_trigger__stats(struct fr_trigger *t, struct fr_trigger_stats *out)
{
	pthread_mutex_lock(&t->mu);
	*out = t->st;
	pthread_mutex_unlock(&t->mu);
}
