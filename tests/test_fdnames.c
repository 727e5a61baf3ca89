// SPDX-License-Identifier: MIT
/*
 * test_fdnames.c - against the real kernel (root): slow syscalls of a
 * followed process get their fd named in the kernel at the call (a file
 * lock's path, a TCP loopback connection's addresses through the fd an
 * epoll wait returned ready, a unix socket's path and peer, a pipe), wake-ups
 * say which task and syscall did them, and the unfollowed process that
 * woke the followed one becomes followed as a link, named while it lived,
 * until the link expires.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_names.h"
#include "fr_syscalls.h"
#include "fr_test_util.h"

#define MS 1000000ull

struct setup {
	char dir[64], lock_path[96], sock_path[96];
	int tcp_listen, unix_listen, pipe_fd[2];
	uint16_t port;
};

static void nap_ms(int ms)
{
	struct timespec t = { 0, (long)ms * 1000000L };

	nanosleep(&t, NULL);
}

static void must(bool ok, int code)
{
	if (!ok)
		_exit(code);
}

/* The unfollowed server: holds the lock until told to go, then answers
 * one TCP and one unix request, each after a pause, then writes the pipe. */
static void server(const struct setup *s, int go_fd, int ready_fd)
{
	int lock = open(s->lock_path, O_RDWR), c;
	char buf[8];

	prctl(PR_SET_NAME, "fr-names-srv");
	must(lock >= 0 && flock(lock, LOCK_EX) == 0, 10);
	must(write(ready_fd, "r", 1) == 1, 11);
	must(read(go_fd, buf, 1) == 1, 12);
	nap_ms(40);
	close(lock); /* releases the lock: wakes the follower */

	c = accept(s->tcp_listen, NULL, NULL);
	must(c >= 0 && read(c, buf, 1) == 1, 13);
	nap_ms(30);
	must(write(c, "a", 1) == 1, 14);
	c = accept(s->unix_listen, NULL, NULL);
	must(c >= 0 && read(c, buf, 1) == 1, 15);
	nap_ms(30);
	must(write(c, "b", 1) == 1, 16);
	nap_ms(30);
	must(write(s->pipe_fd[1], "c", 1) == 1, 17);
	nap_ms(50);
	_exit(0);
}

/* The followed client: waits on each of the server's resources in turn. */
static void client(const struct setup *s, int go_fd)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(s->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int lock = open(s->lock_path, O_RDWR), tcp, ux, ep;
	char buf[8];

	must(read(go_fd, buf, 1) == 1, 20);
	must(lock >= 0 && flock(lock, LOCK_EX) == 0, 21);
	tcp = socket(AF_INET, SOCK_STREAM, 0);
	must(tcp >= 0 && connect(tcp, (struct sockaddr *)&in, sizeof(in)) == 0, 22);
	ep = epoll_create1(0);
	ev.data.fd = tcp; /* as libuv and most event loops do */
	must(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, tcp, &ev) == 0, 23);
	must(write(tcp, "q", 1) == 1, 24);
	must(epoll_wait(ep, &got, 1, 5000) == 1, 25);
	must(read(tcp, buf, 1) == 1, 26);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", s->sock_path);
	ux = socket(AF_UNIX, SOCK_STREAM, 0);
	must(ux >= 0 && connect(ux, (struct sockaddr *)&un, sizeof(un)) == 0, 27);
	must(write(ux, "q", 1) == 1, 28);
	must(read(ux, buf, 1) == 1, 29);
	must(read(s->pipe_fd[0], buf, 1) == 1, 30);
	_exit(0);
}

static void make_setup(struct setup *s)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(in);
	int fd;

	snprintf(s->dir, sizeof(s->dir), "/tmp/fr-fdnames-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->lock_path, sizeof(s->lock_path), "%s/lockfile", s->dir);
	snprintf(s->sock_path, sizeof(s->sock_path), "%s/app.sock", s->dir);
	fd = open(s->lock_path, O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	s->tcp_listen = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(s->tcp_listen, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(s->tcp_listen, 4), 0);
	assert_int_equal(getsockname(s->tcp_listen, (struct sockaddr *)&in, &len), 0);
	s->port = ntohs(in.sin_port);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", s->sock_path);
	s->unix_listen = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(s->unix_listen, (struct sockaddr *)&un, sizeof(un)), 0);
	assert_int_equal(listen(s->unix_listen, 4), 0);
	assert_int_equal(pipe(s->pipe_fd), 0);
}

/* The syscall record of the window's process named nr with a name, or NULL. */
static const struct fr_fdname *named(const struct fr_window *w, uint32_t pid, const char *nr,
				     const struct fr_rec **rec)
{
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		const struct fr_fdname *n = fr_window__name(w, r);

		if (r->type == FR_REC_SYSCALL && r->pid == pid && r->aux == fr_syscall_nr(nr) && n) {
			if (rec)
				*rec = r;
			return n;
		}
	}
	return NULL;
}

static void test_names_and_links(void **state)
{
	struct fr_capture_opts o = { .sz = sizeof(o), .ring_bytes = 32ull << 20 };
	struct fr_capture *cap = fr_capture__open(&o);
	struct setup s;
	int go_srv[2], go_cli[2], ready[2], st;
	pid_t srv, cli;
	struct fr_window_req req = { 0 };
	struct fr_window *w;
	const struct fr_fdname *n;
	const struct fr_rec *r;
	struct fr_names *names;
	char text[200], want[200];
	bool linked_wake = false, srv_sys = false;

	(void)state;
	assert_non_null(cap);
	assert_int_equal(fr_capture__attach(cap), 0);
	make_setup(&s);
	assert_int_equal(pipe(go_srv), 0);
	assert_int_equal(pipe(go_cli), 0);
	assert_int_equal(pipe(ready), 0);
	srv = fork();
	assert_true(srv >= 0);
	if (!srv)
		server(&s, go_srv[0], ready[1]);
	cli = fork();
	assert_true(cli >= 0);
	if (!cli)
		client(&s, go_cli[0]);
	assert_int_equal(read(ready[0], text, 1), 1); /* the server holds the lock */
	assert_false(fr_capture__is_followed(cap, srv));
	assert_int_equal(fr_capture__follow_pid(cap, cli, true), 0);
	req.t0 = fr_mono_ns();
	assert_int_equal(write(go_cli[1], "g", 1), 1);
	nap_ms(10); /* the client blocks in flock */
	assert_int_equal(write(go_srv[1], "g", 1), 1);
	assert_int_equal(waitpid(cli, &st, 0), cli);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* the server woke the client from its own syscalls: a link now */
	assert_true(fr_capture__is_followed(cap, srv));
	assert_true(fr_capture__is_link(cap, srv));
	assert_int_equal(waitpid(srv, &st, 0), srv);
	assert_int_equal(WEXITSTATUS(st), 0);
	req.t1 = fr_mono_ns();
	req.pid = (uint32_t)cli;
	req.also[req.nr_also++] = (uint32_t)srv;
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);

	/* the lock's file, by its path */
	n = named(w, cli, "flock", &r);
	assert_non_null(n);
	assert_int_equal(n->kind, FR_NAME_FILE);
	assert_true(fr_rec__sys_dur(r) >= 30 * MS);
	assert_string_equal(fr_fdname__format(n, text, sizeof(text)), s.lock_path);
	/* the TCP connection the epoll wait returned ready, by its addresses */
	n = named(w, cli, "epoll_wait", &r);
	assert_non_null(n);
	assert_int_equal(n->role, FR_NAME_ROLE_READY);
	assert_int_equal(n->kind, FR_NAME_INET);
	assert_int_equal(n->dport, s.port);
	fr_fdname__format(n, text, sizeof(text));
	snprintf(want, sizeof(want), "\xe2\x86\x92 127.0.0.1:%u", s.port);
	print_message("epoll ready: %s\n", text);
	assert_non_null(strstr(text, "tcp 127.0.0.1:"));
	assert_non_null(strstr(text, want));
	/* the unix socket, by the path it connected to, and its peer; the pipe */
	{
		const struct fr_fdname *ux = NULL, *pipe_n = NULL;

		for (size_t i = 0; i < w->nr_events; i++) {
			const struct fr_fdname *m = fr_window__name(w, &w->events[i].rec);

			if (!m || w->events[i].rec.pid != (uint32_t)cli ||
			    w->events[i].rec.aux != fr_syscall_nr("read"))
				continue;
			if (m->kind == FR_NAME_UNIX)
				ux = m;
			if (m->kind == FR_NAME_PIPE)
				pipe_n = m;
		}
		assert_non_null(ux);
		snprintf(want, sizeof(want), "unix %s", s.sock_path);
		assert_string_equal(fr_fdname__format(ux, text, sizeof(text)), want);
		assert_int_equal(ux->peer_pid, (uint32_t)getpid()); /* it listened */
		assert_non_null(pipe_n);
		assert_non_null(strstr(fr_fdname__format(pipe_n, text, sizeof(text)), "pipe:["));
	}
	/* wake-ups by the server from its syscalls; the first made it a link */
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *x = &w->events[i].rec;

		if (x->type == FR_REC_WAKEUP && x->pid == (uint32_t)cli &&
		    x->wk.waker_pid == (uint32_t)srv && (x->flags & FR_WK_LINKED)) {
			linked_wake = true;
			assert_true(x->wk.waker_sys != FR_NO_SYSCALL);
		}
		srv_sys |= x->type == FR_REC_SYSCALL && x->pid == (uint32_t)srv;
	}
	assert_true(linked_wake);
	assert_true(srv_sys); /* followed from then on */
	/* named while it lived, though gone now */
	names = fr_names__new(w);
	assert_non_null(names);
	assert_string_equal(fr_names__get(names, srv, (uint32_t)srv), "fr-names-srv");
	fr_names__free(names);
	fr_window__free(w);

	/* the link expires (the process is gone), and is no longer followed */
	assert_true(fr_capture__expire_links(cap, fr_mono_ns(), FR_CAPTURE_DEFAULT_LINK_TTL_NS) >= 1);
	assert_false(fr_capture__is_link(cap, srv));
	assert_false(fr_capture__is_followed(cap, srv));
	{
		struct fr_capture_counters c;

		fr_capture__counters(cap, &c);
		assert_true(c.names >= 4);
		assert_true(c.links_made >= 1);
	}
	unlink(s.lock_path);
	unlink(s.sock_path);
	rmdir(s.dir);
	fr_capture__free(cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_links),
	};

	return fr_test_run_as_root(tests, "test_fdnames loads BPF programs", NULL, NULL);
}
