// SPDX-License-Identifier: MIT
/*
 * span.c - the reference-counted batch of the span model (fr_span.h).
 */
#include <stdlib.h>

#include "fr_span.h"

struct fr_batch *fr_batch__new(size_t arena_hint)
{
	struct fr_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->arena = fr_arena__new(arena_hint);
	if (!b->arena) {
		free(b);
		return NULL;
	}
	b->refs = 1;
	return b;
}

struct fr_batch *fr_batch__get(struct fr_batch *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void fr_batch__put(struct fr_batch *b)
{
	if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	fr_batch__put(b->hold);
	fr_arena__free(b->arena);
	free(b);
}
