// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_ksyms.h"

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset into names */
};

struct fr_ksyms {
	struct ksym *syms;
	size_t nr;
	char *names;
	size_t names_len;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int append(struct fr_ksyms *ks, size_t *cap, size_t *names_cap, uint64_t addr,
		  const char *name)
{
	size_t len = strlen(name) + 1;

	if (ks->nr == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		void *p = realloc(ks->syms, ncap * sizeof(*ks->syms));

		if (!p)
			return -ENOMEM;
		ks->syms = p;
		*cap = ncap;
	}
	if (ks->names_len + len > *names_cap) {
		size_t ncap = *names_cap ? *names_cap * 2 : 1 << 20;
		void *p;

		while (ncap < ks->names_len + len)
			ncap *= 2;
		p = realloc(ks->names, ncap);
		if (!p)
			return -ENOMEM;
		ks->names = p;
		*names_cap = ncap;
	}
	memcpy(ks->names + ks->names_len, name, len);
	ks->syms[ks->nr].addr = addr;
	ks->syms[ks->nr].name = (uint32_t)ks->names_len;
	ks->names_len += len;
	ks->nr++;
	return 0;
}

struct fr_ksyms *fr_ksyms__load(const char *path)
{
	size_t cap = 0, names_cap = 0;
	struct fr_ksyms *ks;
	char line[512];
	int err = 0;
	FILE *f;

	f = fopen(path ? path : "/proc/kallsyms", "r");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (!addr)
			continue;
		err = append(ks, &cap, &names_cap, addr, name);
		if (err)
			break;
	}
	fclose(f);
	if (!err && !ks->nr)
		err = -EPERM; /* zeroed addresses: kptr_restrict without root */
	if (err) {
		fr_ksyms__free(ks);
		errno = -err;
		return NULL;
	}
	qsort(ks->syms, ks->nr, sizeof(*ks->syms), cmp_ksym);
	return ks;
}

const char *fr_ksyms__lookup(const struct fr_ksyms *ks, uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi;

	if (!ks || !ks->nr || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->nr;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (offset)
		*offset = addr - ks->syms[lo].addr;
	return ks->names + ks->syms[lo].name;
}

void fr_ksyms__free(struct fr_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->names);
	free(ks);
}
