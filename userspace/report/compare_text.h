/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* compare's text table (<= 100 columns), a view of one struct cmp_result. */
#ifndef OPSCOPE_COMPARE_TEXT_H
#define OPSCOPE_COMPARE_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include "stats/compare.h"

/* all: also the rows within threshold and the ungated ones. */
void cmp_print_text(FILE *f, const struct cmp_result *res, bool all);

#endif
