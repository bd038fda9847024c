/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Outputs of opscope compare for CI systems: markdown (a pull-request or merge-request
 * comment), JUnit XML (Jenkins and GitLab show one test case per scenario and metric,
 * regressions as failures) and JSON. Every file is written with atomic_file_open() and
 * atomic_file_commit() (folded.h), so a reader never sees half a file.
 */
#ifndef OPSCOPE_WRITERS_CI_H
#define OPSCOPE_WRITERS_CI_H

#include <stddef.h>
#include <stdio.h>
#include "stats/compare.h"

/* The current UTC time as 2026-11-24T02:10:00Z (the "created" stamps of the outputs). */
void ci_now_rfc3339(char *buf, size_t len);

/* Escapers, exposed for the tests. */
void ci_xml_escape(FILE *f, const char *s);  /* text and attribute values */
void ci_md_escape(FILE *f, const char *s);   /* one markdown table cell */

int ci_write_markdown(const struct cmp_result *res, const char *path, char *err, size_t errlen);
int ci_write_junit(const struct cmp_result *res, const char *path, char *err, size_t errlen);
int ci_write_json(const struct cmp_result *res, const char *path, char *err, size_t errlen);

/* The same writers to an open stream (tests). */
void ci_markdown(FILE *f, const struct cmp_result *res);
void ci_junit(FILE *f, const struct cmp_result *res);
void ci_json(FILE *f, const struct cmp_result *res);

#endif
