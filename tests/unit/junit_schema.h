/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * For unit tests: check a JUnit XML text against the rules of Jenkins' JUnit schema (the
 * xunit plugin's junit-10.xsd), with check's assertions.
 */
#ifndef OPSCOPE_TEST_JUNIT_SCHEMA_H
#define OPSCOPE_TEST_JUNIT_SCHEMA_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * Jenkins' JUnit schema (the xunit plugin's junit-10.xsd), as facts about it: which
 * attributes each element may carry and which it must, and which children it may hold.
 * Every tag of x is checked against it.
 */
struct jelem {
	const char *name, *parent; /* parent: space-separated allowed parents */
	const char *allowed;       /* space-separated attribute names */
	const char *required;
};

static const struct jelem jenkins_junit[] = {
	{ "testsuites", "", "name time tests failures errors", "" },
	{ "testsuite", "testsuites testsuite",
	  "name tests failures errors group time skipped timestamp hostname id package file "
	  "log url", "name tests failures errors" },
	{ "properties", "testsuite", "", "" },
	{ "property", "properties", "name value", "name value" },
	{ "testcase", "testsuite", "name time classname group", "name" },
	{ "failure", "testcase", "type message", "" },
	{ "error", "testcase", "type message", "" },
	{ "skipped", "testcase", "type message", "" },
	{ "system-out", "testsuite testcase", "", "" },
	{ "system-err", "testsuite testcase", "", "" },
};

static bool word_in(const char *list, const char *w, size_t n)
{
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, " ");

		if (k == n && !strncmp(p, w, n))
			return true;
		p += k;
		p += *p == ' ';
	}
	return n == 0 && !*list;
}

static void check_jenkins_junit(const char *s)
{
	const char *stack[64];
	size_t lens[64];
	int depth = 0;

	while ((s = strchr(s, '<'))) {
		const struct jelem *el = NULL;
		const char *name, *q;
		char seen[512] = " ";
		size_t n;

		if (s[1] == '?') {
			s++;
			continue;
		}
		if (s[1] == '/') {
			ck_assert_int_gt(depth, 0);
			depth--;
			s++;
			continue;
		}
		name = s + 1;
		n = strcspn(name, " />");
		for (size_t i = 0; i < sizeof(jenkins_junit) / sizeof(jenkins_junit[0]); i++) {
			const char *jn = jenkins_junit[i].name;

			if (strlen(jn) == n && !strncmp(name, jn, n))
				el = &jenkins_junit[i];
		}
		ck_assert_msg(el, "element <%.*s> is not in Jenkins' JUnit schema", (int)n, name);
		ck_assert_msg(depth ? word_in(el->parent, stack[depth - 1], lens[depth - 1]) :
				      !strcmp(el->name, "testsuites"),
			      "<%s> inside <%.*s>", el->name, depth ? (int)lens[depth - 1] : 0,
			      depth ? stack[depth - 1] : "");
		for (q = name + n; *q && *q != '>' && !(q[0] == '/' && q[1] == '>');) {
			size_t an;

			q += strspn(q, " \n");
			an = strcspn(q, "=");
			if (*q == '>' || (q[0] == '/' && q[1] == '>'))
				break;
			ck_assert_msg(word_in(el->allowed, q, an),
				      "attribute %.*s= on <%s> is not in Jenkins' JUnit schema",
				      (int)an, q, el->name);
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%.*s ", (int)an,
				 q);
			q = strchr(q + an + 2, '"');
			ck_assert(q);
			q++;
		}
		for (const char *r = el->required; *r;) {
			size_t k = strcspn(r, " ");
			char want[64];

			snprintf(want, sizeof(want), " %.*s ", (int)k, r);
			ck_assert_msg(strstr(seen, want), "<%s> lacks the required %s", el->name,
				      want);
			r += k;
			r += *r == ' ';
		}
		if (!(q[0] == '/' && q[1] == '>')) {
			ck_assert(depth < 64);
			stack[depth] = name;
			lens[depth++] = n;
		}
		s = q;
	}
	ck_assert_int_eq(depth, 0);
}

#endif /* OPSCOPE_TEST_JUNIT_SCHEMA_H */
