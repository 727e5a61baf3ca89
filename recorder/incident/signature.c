// SPDX-License-Identifier: MIT
/*
 * signature.c - cause signatures (fr_signature.h).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_annotate.h"
#include "fr_signature.h"

/* Does token t (n letters and digits) look generated. */
static bool generated(const char *t, size_t n)
{
	bool digit = false, upper = false, lower = false, hex = true;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)t[i];

		digit |= isdigit(ch) != 0;
		upper |= isupper(ch) != 0;
		lower |= islower(ch) != 0;
		hex &= isxdigit(ch) != 0;
	}
	if (n == 6 && (digit || (upper && lower)))
		return true; /* mkstemp's XXXXXX */
	return n >= 8 && hex && digit; /* ids, hashes, container ids */
}

/* The length of a dotted IPv4 address at p, or 0. */
static size_t ipv4_len(const char *p)
{
	size_t n = 0;

	for (int part = 0; part < 4; part++) {
		size_t d = 0;

		while (isdigit((unsigned char)p[n + d]) && d < 4)
			d++;
		if (!d || d > 3)
			return 0;
		n += d;
		if (part < 3) {
			if (p[n] != '.')
				return 0;
			n++;
		}
	}
	return isalnum((unsigned char)p[n]) ? 0 : n;
}

void fr_signature__normalise(const char *text, char *out, size_t len)
{
	const char *ip_end = NULL; /* just past the last address kept */
	size_t o = 0;

	if (!len)
		return;
	for (const char *p = text; *p && o + 1 < len;) {
		size_t n = 0, ip = p == text || !isalnum((unsigned char)p[-1]) ? ipv4_len(p) : 0;
		bool port = p > text + 1 && p[-1] == ':' && (p - 1 == ip_end || p[-2] == ']') &&
			    isdigit((unsigned char)*p);

		/* an address and a port below the ephemeral range name a peer
		 * service: kept; an ephemeral port is the client's, volatile */
		if (ip || port) {
			char *end;
			unsigned long num = ip ? 0 : strtoul(p, &end, 10);

			n = ip ? ip : (size_t)(end - p);
			if ((ip || num < 32768) && !isalnum((unsigned char)p[n])) {
				for (size_t i = 0; i < n && o + 1 < len; i++)
					out[o++] = p[i];
				p += n;
				ip_end = ip ? p : NULL;
				continue;
			}
			n = 0;
		}
		while (isalnum((unsigned char)p[n]))
			n++;
		if (!n) {
			out[o++] = *p++;
			continue;
		}
		if (generated(p, n)) {
			out[o++] = '*';
		} else {
			for (size_t i = 0; i < n && o + 1 < len; i++) {
				if (isdigit((unsigned char)p[i])) {
					out[o++] = '#';
					while (i + 1 < n && isdigit((unsigned char)p[i + 1]))
						i++;
				} else {
					out[o++] = p[i];
				}
			}
		}
		p += n;
	}
	out[o] = '\0';
}

/* FNV-1a over s and its NUL. */
static uint64_t fnv(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	} while (*s++);
	return h;
}

uint64_t fr_signature(const char *service, const char *span_name, const char *kind,
		      const char *cause, char *cause_out, size_t cause_len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	fr_signature__normalise(cause ? cause : "", cause_out, cause_len);
	h = fnv(h, service ? service : "");
	h = fnv(h, span_name ? span_name : "");
	h = fnv(h, kind ? kind : "");
	h = fnv(h, cause_out);
	return h ? h : 1;
}

uint64_t fr_signature__of(const char *service, const char *span_name,
			  const struct fr_evidence *ev, const char *no_context, char *cause_out,
			  size_t cause_len)
{
	static const char *const kinds[] = { [FR_CAUSE_ON_CPU] = "on-cpu",
					     [FR_CAUSE_RUNNABLE] = "runqueue",
					     [FR_CAUSE_BLOCKED] = "blocked",
					     [FR_CAUSE_THROTTLED] = "cpu-limit",
					     [FR_CAUSE_STALL] = "memory-stall" };
	const char *kind = "no-context", *cause = no_context ? no_context : "no window";
	char runq[96], hot[160], disk[320];

	if (ev && ev->chain_root[0]) {
		kind = "chain";
		cause = ev->chain_root;
	} else if (ev && ev->nr_causes && ev->causes[0].kind == FR_CAUSE_RUNNABLE) {
		/* who held the CPU, by name: how many of them and their pids
		 * change from one time to the next */
		const char *open = strchr(ev->causes[0].what, '(');
		const char *close = open ? strchr(open, ')') : NULL;

		kind = kinds[FR_CAUSE_RUNNABLE];
		snprintf(runq, sizeof(runq), "waiting for CPU behind %.*s",
			 close ? (int)(close - open - 1) : 6, close ? open + 1 : "others");
		cause = runq;
	} else if (ev && ev->nr_causes && ev->causes[0].kind == FR_CAUSE_ON_CPU &&
		   ev->hot.func[0]) {
		/* computing: in which function */
		kind = kinds[FR_CAUSE_ON_CPU];
		snprintf(hot, sizeof(hot), "on CPU in %s", ev->hot.func);
		cause = hot;
	} else if (ev && ev->nr_causes && ev->causes[0].kind <= FR_CAUSE_STALL &&
		   kinds[ev->causes[0].kind]) {
		kind = kinds[ev->causes[0].kind];
		cause = ev->causes[0].what;
	} else if (ev) {
		kind = "none";
		cause = "";
	}
	if (ev && ev->disk.nr_users && ev->disk.users[0].pid && strcmp(kind, "no-context") &&
	    strcmp(kind, "none")) {
		/* the disk's other user, by name: a slow fsync behind a backup
		 * job is another problem than the disk being slow */
		const char *who = ev->disk.users[0].who, *paren = strstr(who, " (pid ");

		snprintf(disk, sizeof(disk), "%.200s; %.40s busy with %.*s", cause, ev->disk.dev,
			 paren ? (int)(paren - who) : 40, who);
		cause = disk;
	}
	return fr_signature(service, span_name, kind, cause, cause_out, cause_len);
}
