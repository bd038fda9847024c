/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A growable pool of NUL-terminated names addressed by offset, for the symbol tables of
 * symbols.c and ksyms.c (offsets stay valid when the pool moves). Internal to stacks/.
 */
#ifndef OPSCOPE_STRPOOL_H
#define OPSCOPE_STRPOOL_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct strpool {
	char *buf;
	size_t len, cap;
};

static inline long strpool_add(struct strpool *p, const char *s)
{
	size_t n = strlen(s) + 1;

	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		char *nb;

		while (cap < p->len + n)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (!nb)
			return -ENOMEM;
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	return (long)(p->len - n);
}


#endif /* OPSCOPE_STRPOOL_H */
