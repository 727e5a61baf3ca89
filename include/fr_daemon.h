/* SPDX-License-Identifier: MIT */
/*
 * fr_daemon.h - the running recorder of `flightrec run`: its components
 * wired from an fr_config, the span pipeline (receive -> follow -> decide
 * -> forward or capture -> snapshot -> store -> export), its lifecycle and
 * its one status gather.
 *
 * Threads: the OTLP server's (the pipeline's sink), one capture worker
 * (snapshots), the store's writer, the exporter's, the web server's, and
 * the caller's (fr_daemon__run).
 */
#ifndef FR_DAEMON_H
#define FR_DAEMON_H

#include <signal.h>

#include "fr_config.h"
#include "fr_status.h"

struct fr_daemon;

/*
 * Starts every component c asks for, in order: kernel capture, store,
 * triggers and rules, capture worker, exporter, OTLP receiver, web UI,
 * demo. c must outlive the daemon (a reload updates it). NULL with errno
 * when one could not start (the reason logged; what had started is
 * stopped again); EINVAL means a bad rule.
 */
struct fr_daemon *fr_daemon__start(struct fr_config *c);

/*
 * Reads the options again into nc (a new config, which it initialises):
 * 0, or not 0 when they are bad (then nc is still freed by the caller's
 * free function). The command line's own parser, handed in from above.
 */
struct fr_daemon_reread {
	int (*read)(void *ctx, struct fr_config *nc);
	void (*free)(struct fr_config *nc);
	void *ctx;
};

/*
 * Prints the status every c->status_interval_s seconds until *stop. When
 * *reload is set (SIGHUP), reads the options again through rr (may be
 * NULL: no reload) and applies them (fr_daemon__reload), then clears it.
 */
void fr_daemon__run(struct fr_daemon *d, volatile sig_atomic_t *stop,
		    volatile sig_atomic_t *reload, const struct fr_daemon_reread *rr);

/*
 * Applies a new config without losing the rings or what is held: rules
 * (when it names any: they replace the current ones, after all parse),
 * processes to follow (added), trusted senders, forwarders and the
 * service map. Options that need a restart (rings, listen addresses, data
 * directory) are named in a warning. 0, or -EINVAL with nothing changed
 * when a rule is bad.
 */
int fr_daemon__reload(struct fr_daemon *d, const struct fr_config *nc);

/* The status figures (the web's status callback has this shape). */
void fr_daemon__status(void *daemon, struct fr_status *out);

/*
 * Stops in the order that loses nothing: the demo, the UI, the receiver,
 * then the captures in flight finish, the store commits and the exporter
 * flushes (for at most c->export_flush_s); logs the final figures and
 * frees everything. NULL is a no-op.
 */
void fr_daemon__stop(struct fr_daemon *d);

#endif /* FR_DAEMON_H */
