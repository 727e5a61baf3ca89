// SPDX-License-Identifier: MIT
/*
 * slowaccept - a TCP server whose accept queue is full, for the diagnosis
 * scenario of a connection whose SYN goes unanswered: listens on
 * 127.0.0.1:PORT with a backlog of 0 (one connection waits to be accepted,
 * a second's SYN is dropped), prints "ready PID", accepts nothing for
 * DELAY_MS, then accepts and answers every connection: a byte read, "a"
 * written, closed. Runs until killed.
 *
 * usage: slowaccept PORT DELAY_MS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timespec nap;
	long delay;
	int s, one = 1;

	if (argc != 3 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535 || (delay = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: slowaccept PORT DELAY_MS\n");
		return 2;
	}
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 0)) {
		perror("slowaccept");
		return 1;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	nap.tv_sec = delay / 1000;
	nap.tv_nsec = (delay % 1000) * 1000000L;
	nanosleep(&nap, NULL);
	for (;;) {
		struct timeval limit = { 2, 0 }; /* a client that sends nothing */
		int c = accept(s, NULL, NULL);
		char b;

		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
		if (read(c, &b, 1) == 1 && write(c, "a", 1) != 1)
			perror("slowaccept: write");
		close(c);
	}
}
