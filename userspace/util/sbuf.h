/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A growable NUL-terminated string (prefix sbuf_): explanations, folded stack lines. */
#ifndef OPSCOPE_SBUF_H
#define OPSCOPE_SBUF_H

#include <stddef.h>

/* Zero-initialised is empty; s is NULL until something is added; free(s) when done. */
struct sbuf {
	char *s;
	size_t len, cap;
};

/* Room for `more` bytes plus the NUL. 0 or -ENOMEM (the buffer is left as it was). */
int sbuf_reserve(struct sbuf *b, size_t more);
/* Append formatted text; on -ENOMEM nothing is appended. */
int sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
