// SPDX-License-Identifier: MIT
/*
 * inspect_cmd.c - `flightrec inspect`: a snapshot (.frsnap file, or an
 * incident of a store) for a person, as JSON, or as Chrome/Perfetto
 * trace-event JSON.
 */
#define FR_LOG_MOD "inspect"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flightrec/snapshot/v1/snapshot.pb-c.h"
#include "fr_annotate.h"
#include "fr_commands.h"
#include "fr_log.h"
#include "fr_snapshot.h"
#include "fr_store.h"
#include "fr_syscalls.h"

typedef Flightrec__Snapshot__V1__Snapshot PbSnap;
typedef Opentelemetry__Proto__Trace__V1__Span PbSpan;

/* ---------------- JSON through protobuf-c descriptors ---------------- */

static void json_message(struct fr_buf *o, const ProtobufCMessage *m);

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
			json_message(o, sub);
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

static void json_message(struct fr_buf *o, const ProtobufCMessage *m)
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

static const PbSpan *the_span(const PbSnap *s)
{
	if (!s->span || !s->span->n_scope_spans || !s->span->scope_spans[0]->n_spans)
		return NULL;
	return s->span->scope_spans[0]->spans[0];
}

static const char *service_of(const PbSnap *s)
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

static const char *thread_name(const PbSnap *s, uint32_t tid)
{
	for (size_t i = 0; i < s->n_threads; i++)
		if (s->threads[i]->tid == tid)
			return s->threads[i]->name;
	return "";
}

static void dur(uint64_t ns, char *buf, size_t len)
{
	fr_fmt_duration(ns, buf, len);
}

/* ---------------- for a person ---------------- */

static void print_text(FILE *out, const PbSnap *s)
{
	const PbSpan *sp = the_span(s);
	const Flightrec__Snapshot__V1__Window *w = s->window;
	char d1[32], d2[32], d3[32], hex[33], when[64] = "";
	const char *kinds[] = { "unspecified", "internal", "server", "client", "producer",
				"consumer" };

	fprintf(out, "incident %016" PRIx64 "\n", s->incident_id);
	if (sp) {
		time_t t = (time_t)(sp->end_time_unix_nano / 1000000000ull);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		dur(sp->end_time_unix_nano - sp->start_time_unix_nano, d1, sizeof(d1));
		fprintf(out, "span      %s  %s (%s)  %s, ended %s\n", service_of(s), sp->name,
			sp->kind <= 5 ? kinds[sp->kind] : "?", d1, when);
		if (sp->trace_id.len == 16) {
			fr_hex(sp->trace_id.data, 16, hex);
			fprintf(out, "trace     %s", hex);
		}
		if (sp->span_id.len == 8) {
			fr_hex(sp->span_id.data, 8, hex);
			fprintf(out, "  span %s\n", hex);
		}
	}
	fprintf(out, "trigger   %s  [%s]\n", s->trigger_reason, s->rule);
	fprintf(out, "verdict   %s\n", s->verdict);
	if (w && w->kernel_context) {
		dur(w->end_mono_ns - w->start_mono_ns, d1, sizeof(d1));
		fprintf(out, "window    pid %u, %s around the span, %zu records, %s", w->pid, d1,
			s->records ? s->records->n_type : 0, w->missing_ns ? "" : "complete\n");
		if (w->missing_ns) {
			dur(w->missing_ns, d2, sizeof(d2));
			fprintf(out, "the first %s missing from the rings\n", d2);
		}
	} else if (w) {
		fprintf(out, "window    no kernel context: %s\n", w->no_context_reason);
	}
	if (s->n_threads) {
		fprintf(out, "\nthreads (within the span; the one that mattered first)\n");
		fprintf(out, "  %8s %-16s %10s %10s %10s %8s\n", "tid", "name", "on-cpu", "runnable",
			"blocked", "syscalls");
		for (size_t i = 0; i < s->n_threads && i < 20; i++) {
			const Flightrec__Snapshot__V1__Thread *t = s->threads[i];

			dur(t->on_cpu_ns, d1, sizeof(d1));
			dur(t->runnable_ns, d2, sizeof(d2));
			dur(t->blocked_ns, d3, sizeof(d3));
			fprintf(out, "  %8u %-16s %10s %10s %10s %8u\n", t->tid, t->name, d1, d2, d3,
				t->syscalls);
		}
	}
	if (s->n_causes) {
		fprintf(out, "\nwhere the time went (thread %u)\n", w ? w->focus_tid : 0);
		for (size_t i = 0; i < s->n_causes; i++) {
			dur(s->causes[i]->ns, d1, sizeof(d1));
			fprintf(out, "  %10s  %s\n", d1, s->causes[i]->what);
		}
	}
	if (s->n_syscalls) {
		fprintf(out, "\ntop syscalls (process, within the span)\n  %-20s %8s %10s %10s\n",
			"syscall", "count", "total", "max");
		for (size_t i = 0; i < s->n_syscalls && i < 10; i++) {
			dur(s->syscalls[i]->total_ns, d1, sizeof(d1));
			dur(s->syscalls[i]->max_ns, d2, sizeof(d2));
			fprintf(out, "  %-20s %8" PRIu64 " %10s %10s\n", s->syscalls[i]->name,
				s->syscalls[i]->count, d1, d2);
		}
	}
	if (s->n_child_spans) {
		fprintf(out, "\nchild spans exported\n");
		for (size_t i = 0; i < s->n_child_spans; i++) {
			dur(s->child_spans[i]->end_time_unix_nano - s->child_spans[i]->start_time_unix_nano,
			    d1, sizeof(d1));
			fprintf(out, "  %10s  %s\n", d1, s->child_spans[i]->name);
		}
	}
	/* the blocking stacks of the thread that mattered, inside the span */
	if (s->records && s->n_stacks && w) {
		const Flightrec__Snapshot__V1__Records *r = s->records;
		uint64_t ts = w->start_mono_ns;
		int shown = 0;

		for (size_t i = 0; i < r->n_type && shown < 3; i++) {
			ts += r->ts_delta[i];
			if (r->type[i] != FR_REC_SWITCH || r->tid[i] != w->focus_tid || !r->c[i] ||
			    r->c[i] > s->n_stacks || ts < w->span_start_mono_ns || ts > w->span_end_mono_ns)
				continue;
			{
				const Flightrec__Snapshot__V1__Stack *st = s->stacks[r->c[i] - 1];

				fprintf(out, "\nblocking stack of %u (%s) at +%.3f ms\n", r->tid[i],
					thread_name(s, r->tid[i]), (ts - w->span_start_mono_ns) / 1e6);
				for (size_t k = 0; k < st->n_frames; k++) {
					const Flightrec__Snapshot__V1__Frame *f = st->frames[k];

					if (f->symbol[0])
						fprintf(out, "    %s+0x%" PRIx64 " [%s]\n", f->symbol, f->offset,
							f->module);
					else
						fprintf(out, "    0x%" PRIx64 " [%s]\n", f->addr,
							f->module[0] ? f->module : "?");
				}
				shown++;
			}
		}
	}
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

/* Threads as tracks (syscalls, blocked and runnable slices), the span and
 * its children on a track of their own above them. Times in us from the
 * window's start. */
static void print_perfetto(FILE *out, const PbSnap *s)
{
	const Flightrec__Snapshot__V1__Window *w = s->window;
	const PbSpan *sp = the_span(s);
	uint64_t base_mono = w ? w->start_mono_ns : 0;
	int64_t off = w ? w->clock_offset_ns : 0;
	uint32_t pid = w ? w->pid : 0, span_tid = 0;
	struct fr_buf o = { 0 }, args = { 0 };
	bool first = true;
	char title[300];

	fr_buf__printf(&o, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"incident\":\"%016" PRIx64
			    "\",\"verdict\":", s->incident_id);
	fr_buf__json_str(&o, s->verdict, strlen(s->verdict));
	fr_buf__put(&o, "},\"traceEvents\":[", 17);
	snprintf(title, sizeof(title), "%s (pid %u)", service_of(s), pid);
	pf_name(&o, &first, "process_name", pid, 0, title);
	/* the span's track sorts first: tid 0 is taken by no thread we record */
	pf_name(&o, &first, "thread_name", pid, span_tid, sp ? "span" : "span (none)");
	if (sp) {
		double t0 = ((double)(int64_t)(sp->start_time_unix_nano - off - base_mono)) / 1e3;
		double d = (sp->end_time_unix_nano - sp->start_time_unix_nano) / 1e3;

		fr_buf__put(&args, "{\"verdict\":", 11);
		fr_buf__json_str(&args, s->verdict, strlen(s->verdict));
		fr_buf__putc(&args, '}');
		fr_buf__putc(&args, '\0');
		pf_slice(&o, &first, sp->name, "span", pid, span_tid, t0, d, (char *)args.p);
		for (size_t i = 0; i < s->n_child_spans; i++) {
			const PbSpan *c = s->child_spans[i];

			pf_slice(&o, &first, c->name, "child span", pid, span_tid,
				 ((double)(int64_t)(c->start_time_unix_nano - off - base_mono)) / 1e3,
				 (c->end_time_unix_nano - c->start_time_unix_nano) / 1e3, NULL);
		}
	}
	for (size_t i = 0; i < s->n_threads; i++)
		pf_name(&o, &first, "thread_name", pid, s->threads[i]->tid, s->threads[i]->name);
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
				char a[96];

				snprintf(a, sizeof(a), "{\"arg0\":%" PRIu64 ",\"ret\":%" PRId64 "}", r->c[i],
					 r->b[i]);
				pf_slice(&o, &first, name ? name : "syscall", "syscall", pid, r->tid[i],
					 (double)(ts - r->a[i] - base_mono) / 1e3, r->a[i] / 1e3, a);
			}
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
				pf_slice(&o, &first, p->what == 1 ? p->why : "runnable",
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
	fr_buf__put(&o, "\n]}\n", 4);
	if (!o.oom)
		fwrite(o.p, 1, o.len, out);
	fr_buf__free(&o);
	fr_buf__free(&args);
}

/* ---------------- the command ---------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec inspect [--json | --perfetto] [-o OUT] FILE.frsnap\n"
		"       flightrec inspect [--json | --perfetto | --save FILE] --data-dir DIR ID\n"
		"       flightrec inspect --data-dir DIR --list\n"
		"Prints a snapshot for a person (default), whole as JSON (--json), or as\n"
		"Chrome/Perfetto trace-event JSON (--perfetto) for ui.perfetto.dev.\n");
}

static int read_file(const char *path, struct fr_buf *out)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fr_buf__put(out, chunk, n);
	fclose(f);
	return out->oom ? -ENOMEM : 0;
}

static int list_store(struct fr_store *st, FILE *out)
{
	struct fr_incident_summary sums[50];
	struct fr_store_query q = { .limit = 50 };
	uint64_t cursor = 0;
	int n;

	do {
		n = fr_store__list(st, &q, sums, &cursor);
		for (int i = 0; i < n; i++) {
			char d[32];

			fr_fmt_duration(sums[i].duration_ns, d, sizeof(d));
			fprintf(out, "%016" PRIx64 "  %-16s %-32s %9s  %s\n", sums[i].id, sums[i].service,
				sums[i].span_name, d, sums[i].verdict);
		}
		q.before_id = cursor;
	} while (n > 0 && cursor);
	return n < 0 ? 1 : 0;
}

int fr_cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "perfetto", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ "save", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *output = NULL, *data_dir = NULL, *save = NULL;
	struct fr_buf file = { 0 }, pb = { 0 };
	bool json = false, perfetto = false, list = false;
	struct fr_store *st = NULL;
	PbSnap *snap = NULL;
	FILE *out = stdout;
	int opt, ret = 1, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'P': perfetto = true; break;
		case 'o': output = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'l': list = true; break;
		case 's': save = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((json && perfetto) || (!list && optind != argc - 1) || (list && !data_dir)) {
		usage(stderr);
		return 2;
	}
	if (data_dir) {
		struct fr_store_opts so = { .sz = sizeof(so), .dir = data_dir, .read_only = true };

		st = fr_store__open(&so);
		if (!st) {
			fprintf(stderr, "flightrec inspect: cannot open the store in %s\n", data_dir);
			return 1;
		}
		if (list) {
			ret = list_store(st, stdout);
			goto done;
		}
		{
			char *end;
			uint64_t id = strtoull(argv[optind], &end, 16);

			if (*end || !id) {
				fprintf(stderr, "flightrec inspect: bad incident id '%s'\n", argv[optind]);
				ret = 2;
				goto done;
			}
			rc = fr_store__snapshot(st, id, &file);
			if (rc) {
				fprintf(stderr, "flightrec inspect: incident %s: %s\n", argv[optind],
					rc == -ENOENT ? "not found" : strerror(-rc));
				goto done;
			}
		}
	} else {
		rc = read_file(argv[optind], &file);
		if (rc) {
			fprintf(stderr, "flightrec inspect: cannot read %s: %s\n", argv[optind],
				strerror(-rc));
			goto done;
		}
	}
	if (save) {
		FILE *f = fopen(save, "wb");

		if (!f || fwrite(file.p, 1, file.len, f) != file.len) {
			fprintf(stderr, "flightrec inspect: cannot write %s\n", save);
			if (f)
				fclose(f);
			goto done;
		}
		fclose(f);
		ret = 0;
		goto done;
	}
	if (fr_frsnap__unwrap(file.p, file.len, &pb)) {
		fprintf(stderr, "flightrec inspect: not a flightrec snapshot (bad magic or data)\n");
		goto done;
	}
	snap = flightrec__snapshot__v1__snapshot__unpack(NULL, pb.len, pb.p);
	if (!snap) {
		fprintf(stderr, "flightrec inspect: the snapshot does not decode\n");
		goto done;
	}
	if (output) {
		out = fopen(output, "w");
		if (!out) {
			fprintf(stderr, "flightrec inspect: cannot write %s: %s\n", output,
				strerror(errno));
			out = stdout;
			goto done;
		}
	}
	if (json) {
		struct fr_buf o = { 0 };

		json_message(&o, &snap->base);
		fr_buf__putc(&o, '\n');
		fwrite(o.p, 1, o.len, out);
		fr_buf__free(&o);
	} else if (perfetto) {
		print_perfetto(out, snap);
	} else {
		print_text(out, snap);
	}
	ret = 0;
done:
	if (snap)
		flightrec__snapshot__v1__snapshot__free_unpacked(snap, NULL);
	if (out != stdout)
		fclose(out);
	fr_buf__free(&file);
	fr_buf__free(&pb);
	fr_store__close(st);
	return ret;
}
