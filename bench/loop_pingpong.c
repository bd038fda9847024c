// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Channel ping-pong for the overhead benchmark: pairs of threads bounce a message over
 * two capacity-1 channels with no spinning, so every round trip parks and wakes twice.
 * usage: loop_pingpong ROUND_TRIPS [PAIRS]; prints ns per round trip of one pair. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "workloads/chan.h"
#include "kernel/oprec.h"

struct pair {
	struct chan *ping, *pong;
	pthread_t echo, drive;
	uint64_t ns;
};
static long n;

static void *echo(void *arg)
{
	struct pair *p = arg;
	uint64_t v;

	for (long i = 0; i < n; i++) {
		if (chan_recv(p->ping, &v) || chan_send(p->pong, &v))
			break;
	}
	return NULL;
}

static void *drive(void *arg)
{
	struct pair *p = arg;
	uint64_t t0 = ops_now_ns(), v = 0;

	for (long i = 0; i < n; i++) {
		if (chan_send(p->ping, &v) || chan_recv(p->pong, &v))
			break;
		v++;
	}
	p->ns = ops_now_ns() - t0;
	return NULL;
}

int main(int argc, char **argv)
{
	long pairs = argc > 2 ? atol(argv[2]) : 1;
	struct pair *p;
	double sum = 0;

	n = argc > 1 ? atol(argv[1]) : 100000;
	if (n <= 0 || pairs <= 0 || pairs > 256) {
		fprintf(stderr, "usage: loop_pingpong ROUND_TRIPS [PAIRS] (positive; at most 256 "
				"pairs)\n");
		return 2;
	}
	p = calloc(pairs, sizeof(*p));
	for (long i = 0; p && i < pairs; i++) {
		p[i].ping = chan_new(1, sizeof(uint64_t), CHAN_SP | CHAN_SC, 0);
		p[i].pong = chan_new(1, sizeof(uint64_t), CHAN_SP | CHAN_SC, 0);
		if (!p[i].ping || !p[i].pong) {
			fprintf(stderr, "loop_pingpong: cannot create channels\n");
			return 1;
		}
	}
	if (!p)
		return 1;
	for (long i = 0; i < pairs; i++) {
		pthread_create(&p[i].echo, NULL, echo, &p[i]);
		pthread_create(&p[i].drive, NULL, drive, &p[i]);
	}
	for (long i = 0; i < pairs; i++) {
		pthread_join(p[i].drive, NULL);
		pthread_join(p[i].echo, NULL);
		sum += (double)p[i].ns / n;
	}
	printf("RESULT ns_per_op=%.1f ops=%ld\n", sum / pairs, n * pairs);
	return 0;
}
