// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Channel ping-pong for the overhead benchmark: two threads bounce a message over two
 * capacity-1 channels with no spinning, so every round trip parks and wakes twice. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "chan.h"
#include "oprec.h"

static struct chan *ping, *pong;
static long n;

static void *echo(void *arg)
{
	uint64_t v;

	for (long i = 0; i < n; i++) {
		if (chan_recv(ping, &v) || chan_send(pong, &v))
			break;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	uint64_t t0, t1, v = 0;

	n = argc > 1 ? atol(argv[1]) : 100000;
	if (n <= 0) {
		fprintf(stderr, "usage: loop_pingpong COUNT (a positive number of round trips)\n");
		return 2;
	}
	ping = chan_new(1, sizeof(v), 0, 0);
	pong = chan_new(1, sizeof(v), 0, 0);
	if (!ping || !pong) {
		fprintf(stderr, "loop_pingpong: cannot create channels\n");
		return 1;
	}
	pthread_create(&th, NULL, echo, NULL);
	t0 = ops_now_ns();
	for (long i = 0; i < n; i++) {
		if (chan_send(ping, &v) || chan_recv(pong, &v))
			break;
		v++;
	}
	t1 = ops_now_ns();
	pthread_join(th, NULL);
	printf("RESULT ns_per_op=%.1f ops=%ld\n", (double)(t1 - t0) / n, n);
	return 0;
}
