/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* compare's text table (<= 100 columns), a view of one struct cmp_result. */
#ifndef OPSCOPE_COMPARE_TEXT_H
#define OPSCOPE_COMPARE_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include "stats/compare.h"

/* all: also the rows within threshold and the ungated ones. */
void cmp_print_text(FILE *f, const struct cmp_result *res, bool all);
/* "+10.3% [+9.8,+10.9]": a row's effect with its 95% confidence interval. */
void cmp_format_change(char *buf, size_t len, const struct cmp_row *r);

#endif
