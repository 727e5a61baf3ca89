/* SPDX-License-Identifier: MIT */
/*
 * fr_peer.h - who is at the other end of a local TCP connection, and may
 * that one see a process: the rules by which a sender of spans may bring a
 * process under kernel capture. Thread-safe.
 */
#ifndef FR_PEER_H
#define FR_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * The user owning the socket at peer of the TCP connection peer <-> local
 * on this host, asked of the kernel (NETLINK_SOCK_DIAG). 0 with *uid set;
 * -ENOENT when no such socket is on this host (a remote sender), other
 * -errno on failure.
 */
int fr_peer_uid(const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
		uid_t *uid);

/* The same, with the socket's inode (for fr_socket_pid). */
int fr_peer_socket(const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
		   uid_t *uid, uint64_t *ino);

/*
 * The same for a sender in another network namespace of this host (a
 * container's, a pod's), which the kernel's socket table of flightrec's own
 * namespace does not hold: the TCP socket whose local address is peer, in
 * /proc/PID/net/tcp{,6} of one process per namespace, and the process of
 * that namespace holding it. 0 with *uid, *ino and *pid set; -ENOENT.
 * A scan of /proc: callers remember the answer per connection.
 */
int fr_peer_socket_any_ns(const struct sockaddr_storage *peer, uid_t *uid, uint64_t *ino,
			  pid_t *pid);

/* The real user of process pid (/proc/PID/status); -errno when gone. */
int fr_proc_uid(pid_t pid, uid_t *uid);

/*
 * The TCP socket listening on local's port (on local's address or on every
 * address) in this network namespace: its owner's uid and inode. 0 or
 * -ENOENT. A connection to local came in through it.
 */
int fr_peer_listener(const struct sockaddr_storage *local, uid_t *uid, uint64_t *ino);

#endif /* FR_PEER_H */
