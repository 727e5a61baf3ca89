// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_names.h"

struct name_slot {
	uint32_t tid; /* 0 = empty */
	char name[FR_COMM_LEN + 1];
};

struct fr_names {
	struct name_slot *slots;
	size_t cap, used; /* cap is a power of two */
};

static struct name_slot *find(struct fr_names *n, uint32_t tid)
{
	size_t i = (tid * 2654435761u) & (n->cap - 1);

	while (n->slots[i].tid && n->slots[i].tid != tid)
		i = (i + 1) & (n->cap - 1);
	return &n->slots[i];
}

static int grow(struct fr_names *n)
{
	struct fr_names bigger = { .cap = n->cap * 2 };

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < n->cap; i++)
		if (n->slots[i].tid)
			*find(&bigger, n->slots[i].tid) = n->slots[i];
	bigger.used = n->used;
	free(n->slots);
	*n = bigger;
	return 0;
}

/* Inserts tid (name to be filled by the caller); NULL on ENOMEM. */
static struct name_slot *insert(struct fr_names *n, uint32_t tid)
{
	struct name_slot *s;

	if ((n->used + 1) * 2 > n->cap && grow(n))
		return NULL;
	s = find(n, tid);
	if (!s->tid) {
		s->tid = tid;
		n->used++;
	}
	return s;
}

struct fr_names *fr_names__new(const struct fr_window *w)
{
	struct fr_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->cap = 64;
	n->slots = calloc(n->cap, sizeof(*n->slots));
	if (!n->slots) {
		free(n);
		return NULL;
	}
	for (size_t i = 0; w && i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		struct name_slot *s;

		if ((r->type != FR_REC_EXIT && r->type != FR_REC_COMM) || !r->tid)
			continue;
		s = insert(n, r->tid);
		if (!s) {
			fr_names__free(n);
			return NULL;
		}
		snprintf(s->name, sizeof(s->name), "%.*s", FR_COMM_LEN, r->ex.comm);
	}
	return n;
}

const char *fr_names__get(struct fr_names *n, pid_t pid, uint32_t tid)
{
	struct name_slot *s = tid ? find(n, tid) : NULL;
	char path[64];
	FILE *f;

	if (!tid)
		return "swapper";
	if (s->tid)
		return s->name;
	s = insert(n, tid);
	if (!s)
		return "?";
	strcpy(s->name, "?");
	snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", pid, tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(s->name, sizeof(s->name), f))
			s->name[strcspn(s->name, "\n")] = '\0';
		fclose(f);
	}
	return s->name;
}

void fr_names__free(struct fr_names *n)
{
	if (!n)
		return;
	free(n->slots);
	free(n);
}
