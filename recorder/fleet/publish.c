// SPDX-License-Identifier: MIT
/*
 * publish.c - incident summaries into the fleet's JetStream stream
 * (fr_fleet.h), as IncidentSummary protobuf on flightrec.incidents.<node>,
 * for the fleet view; the stream keeps them for a week or 128 MiB (a server's own limits
 * may be lower: then the stream is not made, and said so).
 */
#define FR_LOG_MOD "fleet"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_int.h"
#include "fr_log.h"

#define STREAM_MAX_AGE_NS (7ll * 24 * 3600 * 1000000000ll)
#define STREAM_MAX_BYTES (128ll << 20)

int fr_fleet_stream_start(struct fr_fleet *f)
{
	static const char *subjects[] = { "flightrec.incidents.>" };
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	natsStatus s;

	if (f->stream_ready)
		return 0;
	if (!f->js)
		return -EIO;
	jsStreamConfig_Init(&sc);
	sc.Name = FR_FLEET_STREAM;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.MaxAge = STREAM_MAX_AGE_NS;
	sc.MaxBytes = STREAM_MAX_BYTES;
	sc.Storage = js_FileStorage;
	s = js_AddStream(NULL, f->js, &sc, NULL, &jerr);
	if (s != NATS_OK && jerr != JSStreamNameExistErr) {
		pr_warn("incident stream %s: %s (%d)", FR_FLEET_STREAM, fr_fleet_status_text(s),
			(int)jerr);
		return -EIO;
	}
	f->stream_ready = true;
	return 0;
}

void fr_fleet__publish(struct fr_fleet *f, const struct fr_incident_summary *sum)
{
	struct fr_incident_summary *copy;
	struct fr_buf b = { 0 };
	char subj[128];
	int err;

	if (!f)
		return;
	snprintf(subj, sizeof(subj), "flightrec.incidents.%s", f->node);
	copy = malloc(sizeof(*copy));
	if (copy) {
		*copy = *sum;
		copy->origin_id = sum->id;
		snprintf(copy->node, sizeof(copy->node), "%s", f->node);
	}
	err = copy ? fr_summary__encode(copy, &b) : -ENOMEM;
	free(copy);
	if (err) {
		FLEET_COUNT(f, send_failed);
	} else if (!fr_fleet_publish(f, subj, b.p, b.len)) {
		FLEET_COUNT(f, published);
	}
	fr_buf__free(&b);
}
