/* SPDX-License-Identifier: MIT */
/* fr_assets.h - the web UI's static files, compiled into the binary. */
#ifndef FR_ASSETS_H
#define FR_ASSETS_H

#include <stddef.h>

struct fr_asset {
	const char *path;  /* "/app.js" */
	const char *mime;
	const unsigned char *data;
	size_t len;
};

extern const struct fr_asset fr_assets[];
extern const size_t fr_nr_assets;

#endif /* FR_ASSETS_H */
