// SPDX-License-Identifier: MIT
/* fuzz_rules.c - trigger rule texts: a rule that parses formats to text
 * that parses back to the same rule. */
#include <stdlib.h>
#include <string.h>

#include "fr_trigger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char text[1024], back_text[1024];
	struct fr_rule r, back;

	if (len >= sizeof(text))
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (fr_rule__parse(text, &r, NULL, 0))
		return 0;
	fr_rule__format(&r, back_text, sizeof(back_text));
	if (fr_rule__parse(back_text, &back, NULL, 0) || back.type != r.type ||
	    back.kind != r.kind || back.threshold_ns != r.threshold_ns ||
	    back.quantile != r.quantile || back.min_samples != r.min_samples ||
	    back.cooldown_ns != r.cooldown_ns || strcmp(back.service, r.service) ||
	    strcmp(back.name, r.name))
		abort();
	return 0;
}
