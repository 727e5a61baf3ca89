/* SPDX-License-Identifier: MIT */
/*
 * snapshot_int.h - private to recorder/incident: what the snapshot stages'
 * files share.
 */
#ifndef FR_SNAPSHOT_INT_H
#define FR_SNAPSHOT_INT_H

#include "fr_snapshot.h"
#include "fr_unwind.h"
#include "fr_usyms.h"

struct fr_snapshotter {
	struct fr_snapshot_opts o;
	struct fr_capture *cap;
	const struct fr_ksyms *ksyms;
	struct fr_usyms *usyms;
	struct fr_unwinder *unwinder;
};

/* n zeroed objects of type from arena a (at least one); NULL on ENOMEM. */
#define FR_ANEW(a, type, n) ((type *)fr_arena__zalloc((a), sizeof(type) * ((n) ? (n) : 1)))

#endif /* FR_SNAPSHOT_INT_H */
