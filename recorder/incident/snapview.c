// SPDX-License-Identifier: MIT
/*
 * snapview.c - renderings of a snapshot: whole as JSON (through the
 * protobuf-c descriptors, so every field of the schema appears), and as
 * Chrome/Perfetto trace events. Shared by `flightrec inspect` and the web API.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_record.h"
#include "fr_snapview.h"
#include "fr_syscalls.h"

/* ---------------- JSON through protobuf-c descriptors ---------------- */

static void json_scalar(struct fr_buf *o, const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fr_buf__printf(o, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fr_buf__printf(o, "%" PRIu32, *(const uint32_t *)p);
		break;
	/* 64-bit integers as strings, as OTLP JSON does: JSON numbers are doubles */
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fr_buf__printf(o, "\"%" PRId64 "\"", *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fr_buf__printf(o, "\"%" PRIu64 "\"", *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		fr_buf__printf(o, "%.9g", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE: {
		double d = *(const double *)p;

		if (isfinite(d))
			fr_buf__printf(o, "%.17g", d);
		else
			fr_buf__put(o, "null", 4);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		fr_buf__printf(o, "%s", *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		fr_buf__printf(o, "%d", *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;

		fr_buf__json_str(o, s ? s : "", s ? strlen(s) : 0);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		char hex[3];

		fr_buf__putc(o, '"');
		for (size_t i = 0; i < b->len; i++) {
			fr_hex(&b->data[i], 1, hex);
			fr_buf__put(o, hex, 2);
		}
		fr_buf__putc(o, '"');
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;

		if (sub)
			fr_snapview__json(o, sub);
		else
			fr_buf__put(o, "null", 4);
		break;
	}
	}
}

static size_t type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

void fr_snapview__json(struct fr_buf *o, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;

	fr_buf__putc(o, '{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m + f->offset;

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
				continue;
		}
		fr_buf__printf(o, "%s\"%s\":", first ? "" : ",", f->name);
		first = false;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			const char *arr = *(char *const *)base;

			fr_buf__putc(o, '[');
			for (size_t k = 0; k < n; k++) {
				if (k)
					fr_buf__putc(o, ',');
				json_scalar(o, f, arr + k * type_size(f->type));
			}
			fr_buf__putc(o, ']');
		} else {
			json_scalar(o, f, base);
		}
	}
	fr_buf__putc(o, '}');
}

/* ---------------- helpers over the snapshot ---------------- */

const PbSpan *fr_snapview__span(const PbSnap *s)
{
	if (!s->span || !s->span->n_scope_spans || !s->span->scope_spans[0]->n_spans)
		return NULL;
	return s->span->scope_spans[0]->spans[0];
}

const char *fr_snapview__service(const PbSnap *s)
{
	if (!s->span || !s->span->resource)
		return "";
	for (size_t i = 0; i < s->span->resource->n_attributes; i++) {
		const Opentelemetry__Proto__Common__V1__KeyValue *kv = s->span->resource->attributes[i];

		if (!strcmp(kv->key, "service.name") && kv->value &&
		    kv->value->value_case == OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE)
			return kv->value->string_value;
	}
	return "";
}

const char *fr_snapview__thread_name(const PbSnap *s, uint32_t tid)
{
	for (size_t i = 0; i < s->n_threads; i++)
		if (s->threads[i]->tid == tid)
			return s->threads[i]->name;
	return "";
}


/* ---------------- Chrome / Perfetto trace events ---------------- */

static void pf_slice(struct fr_buf *o, bool *first, const char *name, const char *cat,
		     uint32_t pid, uint32_t tid, double ts_us, double dur_us, const char *args)
{
	fr_buf__put(o, *first ? "\n" : ",\n", *first ? 1 : 2);
	*first = false;
	fr_buf__put(o, "{\"ph\":\"X\",\"name\":", 17);
	fr_buf__json_str(o, name, strlen(name));
	fr_buf__printf(o, ",\"cat\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":%.3f,\"dur\":%.3f", cat, pid,
		       tid, ts_us, dur_us > 0 ? dur_us : 0.001);
	if (args)
		fr_buf__printf(o, ",\"args\":%s", args);
	fr_buf__putc(o, '}');
}

static void pf_name(struct fr_buf *o, bool *first, const char *what, uint32_t pid, uint32_t tid,
		    const char *name)
{
	fr_buf__put(o, *first ? "\n" : ",\n", *first ? 1 : 2);
	*first = false;
	fr_buf__printf(o, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":",
		       what, pid, tid);
	fr_buf__json_str(o, name, strlen(name));
	fr_buf__put(o, "}}", 2);
}

/*
 * An on-CPU sample as an instant on its thread's track, named by its
 * innermost named user frame (else kernel frame), with its whole stack,
 * innermost first, in args.
 */
static void pf_sample(struct fr_buf *o, bool *first, const PbSnap *s, uint64_t c, uint32_t pid,
		      uint32_t tid, double ts_us)
{
	const Flightrec__Snapshot__V1__Stack *st = c && c - 1 < s->n_stacks ? s->stacks[c - 1] : NULL;
	const char *name = "on CPU";

	for (size_t k = 0; st && k < st->n_frames; k++)
		if (st->frames[k]->symbol[0] && !st->frames[k]->kernel) {
			name = st->frames[k]->symbol;
			break;
		}
	if (!strcmp(name, "on CPU") && st && st->n_frames && st->frames[0]->symbol[0])
		name = st->frames[0]->symbol;
	fr_buf__put(o, *first ? "\n" : ",\n", *first ? 1 : 2);
	*first = false;
	fr_buf__put(o, "{\"ph\":\"i\",\"s\":\"t\",\"name\":", 25);
	fr_buf__json_str(o, name, strlen(name));
	fr_buf__printf(o, ",\"cat\":\"sample\",\"pid\":%u,\"tid\":%u,\"ts\":%.3f,\"args\":{"
			  "\"stack\":[", pid, tid, ts_us);
	for (size_t k = 0; st && k < st->n_frames; k++) {
		const Flightrec__Snapshot__V1__Frame *f = st->frames[k];

		if (k)
			fr_buf__putc(o, ',');
		fr_buf__json_str(o, f->symbol[0] ? f->symbol : f->module,
				 strlen(f->symbol[0] ? f->symbol : f->module));
	}
	fr_buf__put(o, "]}}", 3);
}

/* Threads as tracks (syscalls, blocked and runnable slices), the span and
 * its children on a track of their own above them. Times in us from the
 * window's start. */
void fr_snapview__perfetto(const PbSnap *s, struct fr_buf *out)
{
	const Flightrec__Snapshot__V1__Window *w = s->window;
	const PbSpan *sp = fr_snapview__span(s);
	uint64_t base_mono = w ? w->start_mono_ns : 0;
	int64_t off = w ? w->clock_offset_ns : 0;
	uint32_t pid = w ? w->pid : 0, span_tid = 0;
	struct fr_buf args = { 0 };
	struct fr_buf *o_ = out;
	bool first = true;
	char title[300];

	fr_buf__printf(o_, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"incident\":\"%016" PRIx64
			    "\",\"verdict\":", s->incident_id);
	fr_buf__json_str(o_, s->verdict, strlen(s->verdict));
	fr_buf__put(o_, "},\"traceEvents\":[", 17);
	snprintf(title, sizeof(title), "%s (pid %u)", fr_snapview__service(s), pid);
	pf_name(o_, &first, "process_name", pid, 0, title);
	/* the span's track sorts first: tid 0 is taken by no thread we record */
	pf_name(o_, &first, "thread_name", pid, span_tid, sp ? "span" : "span (none)");
	if (sp) {
		double t0 = ((double)(int64_t)(sp->start_time_unix_nano - off - base_mono)) / 1e3;
		double d = (sp->end_time_unix_nano - sp->start_time_unix_nano) / 1e3;

		fr_buf__put(&args, "{\"verdict\":", 11);
		fr_buf__json_str(&args, s->verdict, strlen(s->verdict));
		fr_buf__putc(&args, '}');
		fr_buf__putc(&args, '\0');
		pf_slice(o_, &first, sp->name, "span", pid, span_tid, t0, d, (char *)args.p);
		for (size_t i = 0; i < s->n_child_spans; i++) {
			const PbSpan *c = s->child_spans[i];

			pf_slice(o_, &first, c->name, "child span", pid, span_tid,
				 ((double)(int64_t)(c->start_time_unix_nano - off - base_mono)) / 1e3,
				 (c->end_time_unix_nano - c->start_time_unix_nano) / 1e3, NULL);
		}
	}
	for (size_t i = 0; i < s->n_threads; i++)
		pf_name(o_, &first, "thread_name", pid, s->threads[i]->tid, s->threads[i]->name);
	if (s->records) {
		const Flightrec__Snapshot__V1__Records *r = s->records;
		struct pending {
			uint32_t tid;
			uint64_t since;
			int what; /* 1 blocked, 2 runnable */
			char why[12];
		} pend[256];
		size_t np = 0;
		uint64_t ts = base_mono;

		for (size_t i = 0; i < r->n_type; i++) {
			ts += r->ts_delta[i];
			if (r->pid[i] == pid && r->type[i] == FR_REC_SYSCALL) {
				const char *name = fr_syscall_name(r->aux[i]);
				char a[256];

				/* what a scheduler-centred capture saw of it */
				const char *seen = (r->flags[i] & FR_SYS_START_EST)
							   ? ",\"seen\":\"from its time on CPU before its "
							     "first block (samples) to its return\""
						   : (r->flags[i] & FR_SYS_FROM_BLOCK)
							   ? ",\"seen\":\"from its first block to its return\""
						   : (r->flags[i] & FR_SYS_SAMPLED)
							   ? ",\"seen\":\"on CPU in it, from samples\""
							   : "";

				snprintf(a, sizeof(a), "{\"arg0\":%" PRIu64 ",\"ret\":%" PRId64 "%s}", r->c[i],
					 r->b[i], seen);
				pf_slice(o_, &first, name ? name : "syscall", "syscall", pid, r->tid[i],
					 (double)(ts - r->a[i] - base_mono) / 1e3, r->a[i] / 1e3, a);
			}
			if (r->pid[i] == pid && r->type[i] == FR_REC_SAMPLE)
				pf_sample(o_, &first, s, r->c[i], pid, r->tid[i],
					  (double)(ts - base_mono) / 1e3);
			/* off-CPU: switch out opens, wake-up turns blocked into runnable,
			 * switch in closes */
			for (size_t k = 0; k < np; k++) {
				struct pending *p = &pend[k];
				bool in = r->type[i] == FR_REC_SWITCH && r->a[i] == p->tid &&
					  r->b[i] == pid;
				bool woke = r->type[i] == FR_REC_WAKEUP && r->tid[i] == p->tid &&
					    p->what == 1;

				if (!in && !woke)
					continue;
				pf_slice(o_, &first, p->what == 1 ? p->why : "runnable",
					 p->what == 1 ? "blocked" : "runnable", pid, p->tid,
					 (double)(p->since - base_mono) / 1e3, (double)(ts - p->since) / 1e3,
					 NULL);
				if (woke) {
					p->what = 2;
					p->since = ts;
				} else {
					pend[k] = pend[--np];
				}
				break;
			}
			if (r->type[i] == FR_REC_SWITCH && r->pid[i] == pid && np < 256) {
				struct pending *p = &pend[np++];

				p->tid = r->tid[i];
				p->since = ts;
				p->what = (r->flags[i] & FR_SW_PREEMPT) ? 2 : 1;
				snprintf(p->why, sizeof(p->why), "%s",
					 (r->aux[i] & 2) ? "blocked D" : "blocked S");
			}
		}
	}
	fr_buf__put(o_, "\n]}\n", 4);
	fr_buf__free(&args);
}
