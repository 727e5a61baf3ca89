// SPDX-License-Identifier: MIT
/*
 * causes.c - the finders of causes the chain cannot see, and what they
 * share (causes.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "causes.h"

const struct fr_cause_finder *const fr_cause_finders[] = {
	&fr_cause_hot_function,
	NULL,
};

void fr_causes__append(struct fr_evidence *ev, const char *fmt, ...)
{
	size_t used = strlen(ev->verdict);
	va_list ap;

	if (used + 1 >= sizeof(ev->verdict))
		return;
	va_start(ap, fmt);
	vsnprintf(ev->verdict + used, sizeof(ev->verdict) - used, fmt, ap);
	va_end(ap);
}

int fr_causes__find(const struct fr_window *w, const struct fr_annotate_ctx *c,
		    struct fr_evidence *ev)
{
	for (size_t i = 0; fr_cause_finders[i]; i++) {
		int err = fr_cause_finders[i]->find(w, c, ev);

		if (err)
			return err;
	}
	return 0;
}
