// SPDX-License-Identifier: MIT
/*
 * snapview_pprof.c - an incident's on-CPU samples as a pprof profile
 * (perftools.profiles.Profile, gzipped), which pprof, Pyroscope, Parca and
 * speedscope open. Each sample keeps its process, thread and whether it
 * fell within the span as labels, so that a viewer can focus on the
 * span's thread; JIT frames are named as the hot function names them
 * (function, file, line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_annotate.h"
#include "fr_otlp.h"
#include "fr_record.h"
#include "fr_snapview.h"
#include "fr_usyms.h"
#include "perftools/profiles/profile.pb-c.h"

typedef Perftools__Profiles__Profile PpProfile;
typedef Perftools__Profiles__Sample PpSample;
typedef Perftools__Profiles__Location PpLocation;
typedef Perftools__Profiles__Function PpFunction;
typedef Perftools__Profiles__Mapping PpMapping;
typedef Perftools__Profiles__Line PpLine;
typedef Perftools__Profiles__Label PpLabel;
typedef Perftools__Profiles__ValueType PpValueType;

/* What is being built: tables that grow, all freed at the end. */
struct pp {
	char **str;
	size_t nstr, capstr;
	PpFunction **fn;
	size_t nfn, capfn;
	PpLocation **loc;
	size_t nloc, caploc;
	uint32_t *loc_pid; /* per location: the process its address is in */
	PpMapping **map;
	size_t nmap, capmap;
	PpSample **smp;
	size_t nsmp, capsmp;
	int oom;
};

static void *grow(void *p, size_t *cap, size_t need, size_t size, int *oom)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	q = realloc(p, c * size);
	if (!q) {
		*oom = 1;
		return NULL;
	}
	*cap = c;
	return q;
}

/* The string table index of s (added when new). */
static int64_t str_of(struct pp *p, const char *s)
{
	char **t;

	for (size_t i = 0; i < p->nstr; i++)
		if (!strcmp(p->str[i], s))
			return (int64_t)i;
	t = grow(p->str, &p->capstr, p->nstr + 1, sizeof(*t), &p->oom);
	if (!t)
		return 0;
	p->str = t;
	t[p->nstr] = strdup(s);
	if (!t[p->nstr]) {
		p->oom = 1;
		return 0;
	}
	return (int64_t)p->nstr++;
}

static uint64_t mapping_of(struct pp *p, const char *module)
{
	int64_t name = str_of(p, module);
	PpMapping **t, *m;

	for (size_t i = 0; i < p->nmap; i++)
		if (p->map[i]->filename == name)
			return p->map[i]->id;
	t = grow(p->map, &p->capmap, p->nmap + 1, sizeof(*t), &p->oom);
	m = calloc(1, sizeof(*m));
	if (!t || !m) {
		free(m);
		p->oom = 1;
		return 0;
	}
	p->map = t;
	perftools__profiles__mapping__init(m);
	m->id = p->nmap + 1;
	m->filename = name;
	m->has_functions = true; /* named already: nothing to symbolize */
	t[p->nmap++] = m;
	return m->id;
}

static uint64_t function_of(struct pp *p, const char *name, const char *system_name,
			    const char *file)
{
	int64_t n = str_of(p, name), sn = str_of(p, system_name), f = str_of(p, file);
	PpFunction **t, *fn;

	for (size_t i = 0; i < p->nfn; i++)
		if (p->fn[i]->name == n && p->fn[i]->filename == f && p->fn[i]->system_name == sn)
			return p->fn[i]->id;
	t = grow(p->fn, &p->capfn, p->nfn + 1, sizeof(*t), &p->oom);
	fn = calloc(1, sizeof(*fn));
	if (!t || !fn) {
		free(fn);
		p->oom = 1;
		return 0;
	}
	p->fn = t;
	perftools__profiles__function__init(fn);
	fn->id = p->nfn + 1;
	fn->name = n;
	fn->system_name = sn;
	fn->filename = f;
	t[p->nfn++] = fn;
	return fn->id;
}

/* A frame's location (one per process and address). */
static uint64_t location_of(struct pp *p, uint32_t pid, const Flightrec__Snapshot__V1__Frame *f)
{
	char name[256], where[256], file[256];
	const char *module = f->kernel ? "[kernel]" : f->module[0] ? f->module : "[unknown]";
	struct fr_uframe uf = { .ip = f->addr, .module = f->module[0] ? f->module : NULL,
				.sym = f->symbol[0] ? f->symbol : NULL, .off = f->offset };
	int64_t line = 0;
	PpLocation **t, *l;
	uint32_t *lp;
	bool own;

	for (size_t i = 0; i < p->nloc; i++)
		if (p->loc[i]->address == f->addr && p->loc_pid[i] == (f->kernel ? 0 : pid))
			return p->loc[i]->id;
	if (f->kernel || !fr_hot__frame_words(&uf, name, sizeof(name), where, sizeof(where), &own)) {
		if (f->symbol[0])
			snprintf(name, sizeof(name), "%s", f->symbol);
		else
			snprintf(name, sizeof(name), "%s+0x%llx", module,
				 (unsigned long long)f->offset);
		snprintf(file, sizeof(file), "%s", module);
	} else {
		/* "/srv/app.js:41": the file, and its line apart */
		char *colon = strrchr(where, ':');

		snprintf(file, sizeof(file), "%s", where);
		if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
			line = atoll(colon + 1);
			file[colon - where] = '\0';
		}
		if (!strcmp(file, module) || !file[0] || !strcmp(file, "?"))
			snprintf(file, sizeof(file), "%s", module);
	}
	t = grow(p->loc, &p->caploc, p->nloc + 1, sizeof(*t), &p->oom);
	if (!t)
		return 0;
	p->loc = t;
	lp = realloc(p->loc_pid, p->caploc * sizeof(*lp));
	l = calloc(1, sizeof(*l));
	if (!lp || !l) {
		if (lp)
			p->loc_pid = lp;
		free(l);
		p->oom = 1;
		return 0;
	}
	p->loc_pid = lp;
	perftools__profiles__location__init(l);
	l->id = p->nloc + 1;
	l->address = f->addr;
	l->mapping_id = mapping_of(p, module);
	l->line = calloc(1, sizeof(*l->line));
	if (!l->line || !(l->line[0] = calloc(1, sizeof(PpLine)))) {
		free(l->line);
		free(l);
		p->oom = 1;
		return 0;
	}
	perftools__profiles__line__init(l->line[0]);
	l->n_line = 1;
	l->line[0]->function_id = function_of(p, name, f->symbol[0] ? f->symbol : name, file);
	l->line[0]->line = line;
	p->loc_pid[p->nloc] = f->kernel ? 0 : pid;
	t[p->nloc++] = l;
	return l->id;
}

static PpLabel *label(struct pp *p, const char *key, const char *str, int64_t num)
{
	PpLabel *l = calloc(1, sizeof(*l));

	if (!l) {
		p->oom = 1;
		return NULL;
	}
	perftools__profiles__label__init(l);
	l->key = str_of(p, key);
	if (str)
		l->str = str_of(p, str);
	else
		l->num = num;
	return l;
}

static void add_sample(struct pp *p, const PbSnap *s, size_t stack, uint32_t pid, uint32_t tid,
		       bool in_span, int64_t period)
{
	const Flightrec__Snapshot__V1__Stack *st = s->stacks[stack];
	PpSample **t, *sm;
	const char *thread = fr_snapview__thread_name(s, tid);

	t = grow(p->smp, &p->capsmp, p->nsmp + 1, sizeof(*t), &p->oom);
	sm = calloc(1, sizeof(*sm));
	if (!t || !sm) {
		free(sm);
		p->oom = 1;
		return;
	}
	p->smp = t;
	perftools__profiles__sample__init(sm);
	t[p->nsmp++] = sm;
	sm->location_id = calloc(st->n_frames ? st->n_frames : 1, sizeof(uint64_t));
	sm->value = calloc(2, sizeof(int64_t));
	sm->label = calloc(4, sizeof(PpLabel *));
	if (!sm->location_id || !sm->value || !sm->label) {
		p->oom = 1;
		return;
	}
	for (size_t k = 0; k < st->n_frames; k++) {
		uint64_t id = location_of(p, pid, st->frames[k]);

		if (id)
			sm->location_id[sm->n_location_id++] = id;
	}
	sm->n_value = 2;
	sm->value[0] = 1;
	sm->value[1] = period;
	sm->label[sm->n_label++] = label(p, "pid", NULL, pid);
	sm->label[sm->n_label++] = label(p, "tid", NULL, tid);
	sm->label[sm->n_label++] = label(p, "thread", thread[0] ? thread : "?", 0);
	sm->label[sm->n_label++] = label(p, "span", in_span ? "inside" : "outside", 0);
	for (size_t k = 0; k < sm->n_label; k++)
		if (!sm->label[k])
			p->oom = 1;
}

static void pp_free(struct pp *p, PpProfile *prof)
{
	for (size_t i = 0; i < p->nsmp; i++) {
		for (size_t k = 0; p->smp[i]->label && k < p->smp[i]->n_label; k++)
			free(p->smp[i]->label[k]);
		free(p->smp[i]->label);
		free(p->smp[i]->location_id);
		free(p->smp[i]->value);
		free(p->smp[i]);
	}
	for (size_t i = 0; i < p->nloc; i++) {
		if (p->loc[i]->line)
			free(p->loc[i]->line[0]);
		free(p->loc[i]->line);
		free(p->loc[i]);
	}
	for (size_t i = 0; i < p->nfn; i++)
		free(p->fn[i]);
	for (size_t i = 0; i < p->nmap; i++)
		free(p->map[i]);
	for (size_t i = 0; i < p->nstr; i++)
		free(p->str[i]);
	free(p->smp);
	free(p->loc);
	free(p->loc_pid);
	free(p->fn);
	free(p->map);
	free(p->str);
	if (prof) {
		free(prof->sample_type);
	}
}

int fr_snapview__pprof(const PbSnap *s, struct fr_buf *out)
{
	const Flightrec__Snapshot__V1__Window *w = s->window;
	const PbSpan *sp = fr_snapview__span(s);
	uint32_t hz = w ? w->sample_hz : 0;
	int64_t period = hz ? (int64_t)(1000000000ull / hz) : 0;
	uint64_t span0 = 0, span1 = 0;
	struct pp p = { 0 };
	PpProfile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	PpValueType vt[2] = { PERFTOOLS__PROFILES__VALUE_TYPE__INIT,
			      PERFTOOLS__PROFILES__VALUE_TYPE__INIT };
	PpValueType pt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	struct fr_buf raw = { 0 };
	int64_t comment;
	int err = 0;

	str_of(&p, ""); /* index 0 is "" */
	if (w) {
		span0 = w->span_start_mono_ns;
		span1 = w->span_end_mono_ns;
	}
	if (s->records && w) {
		const Flightrec__Snapshot__V1__Records *r = s->records;
		uint64_t ts = w->start_mono_ns;

		for (size_t i = 0; i < r->n_type && i < r->n_ts_delta; i++) {
			ts += r->ts_delta[i];
			if (r->type[i] != FR_REC_SAMPLE || i >= r->n_c || !r->c[i] ||
			    r->c[i] - 1 >= s->n_stacks)
				continue;
			add_sample(&p, s, (size_t)(r->c[i] - 1), r->pid[i], r->tid[i],
				   ts >= span0 && ts <= span1, period);
		}
	}
	vt[0].type = str_of(&p, "samples");
	vt[0].unit = str_of(&p, "count");
	vt[1].type = str_of(&p, "cpu");
	vt[1].unit = str_of(&p, "nanoseconds");
	pt.type = vt[1].type;
	pt.unit = vt[1].unit;
	prof.n_sample_type = 2;
	prof.sample_type = calloc(2, sizeof(PpValueType *));
	if (prof.sample_type) {
		prof.sample_type[0] = &vt[0];
		prof.sample_type[1] = &vt[1];
	}
	prof.period_type = &pt;
	prof.period = period;
	prof.default_sample_type = vt[1].type;
	if (sp) {
		prof.time_nanos = (int64_t)sp->start_time_unix_nano;
		prof.duration_nanos = (int64_t)(sp->end_time_unix_nano - sp->start_time_unix_nano);
	}
	{
		char c[160];

		snprintf(c, sizeof(c), "flightrec incident %016llx", (unsigned long long)s->incident_id);
		comment = str_of(&p, c);
		prof.comment = &comment;
		prof.n_comment = 1;
	}
	if (p.oom || !prof.sample_type) {
		err = -ENOMEM;
		goto out;
	}
	prof.sample = p.smp;
	prof.n_sample = p.nsmp;
	prof.location = p.loc;
	prof.n_location = p.nloc;
	prof.function = p.fn;
	prof.n_function = p.nfn;
	prof.mapping = p.map;
	prof.n_mapping = p.nmap;
	prof.string_table = p.str;
	prof.n_string_table = p.nstr;
	fr_buf__reserve(&raw, perftools__profiles__profile__get_packed_size(&prof));
	if (raw.oom) {
		err = -ENOMEM;
		goto out;
	}
	raw.len = perftools__profiles__profile__pack(&prof, raw.p);
	err = fr_otlp__gzip(raw.p, raw.len, 6, out);
out:
	fr_buf__free(&raw);
	pp_free(&p, &prof);
	return err;
}
