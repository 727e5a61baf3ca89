// SPDX-License-Identifier: MIT
/* fuzz_frsnap.c - .frsnap files through every output of `flightrec
 * inspect`: the text, --json and --perfetto. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fr_commands.h"
#include "fr_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int fd = -1;
	char path[64];

	if (fd < 0) {
		fd = memfd_create("frsnap", 0);
		fr_log_level = -1; /* quiet */
	}
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, len, 0) != (ssize_t)len)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	{
		char *text[] = { "inspect", "-o", "/dev/null", path, NULL };
		char *json[] = { "inspect", "--json", "-o", "/dev/null", path, NULL };
		char *perfetto[] = { "inspect", "--perfetto", "-o", "/dev/null", path, NULL };

		fr_cmd_inspect(4, text);
		fr_cmd_inspect(5, json);
		fr_cmd_inspect(5, perfetto);
	}
	return 0;
}
