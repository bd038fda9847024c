// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The loader's failure explanations: every branch, without root. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/collector.h"
#include "kernel/kcompat.h"

/* the kernel-internal ENOTSUPP a BPF program load returns for an unsupported type */
#define ENOTSUPP_FOR_TEST 524

static char msg[1024];

static const char *explain(struct load_env e)
{
	collector_explain(&e, msg, sizeof(msg));
	return msg;
}

static const struct load_env ok_env = {
	.is_root = true, .has_cap_bpf = true, .has_cap_perfmon = true,
	.has_cap_sys_admin = true, .has_btf = true, .stage = "load",
};

START_TEST(not_root)
{
	struct load_env e = ok_env;

	e.is_root = false;
	e.has_cap_bpf = e.has_cap_perfmon = e.has_cap_sys_admin = false;
	e.err = -EPERM;
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "root or CAP_BPF and CAP_PERFMON"));
	ck_assert_ptr_nonnull(strstr(msg, "sudo"));
	ck_assert_ptr_null(strchr(msg, '\n'));
}
END_TEST

START_TEST(caps_without_root_are_enough)
{
	struct load_env e = ok_env;

	e.is_root = false;
	e.has_cap_sys_admin = false;
	e.err = -EINVAL;
	e.verifier_tail = "R1 invalid mem access 'scalar'";
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "verifier rejected"));
	ck_assert_ptr_nonnull(strstr(msg, "R1 invalid mem access"));
}
END_TEST

START_TEST(no_btf)
{
	struct load_env e = ok_env;

	e.has_btf = false;
	e.err = -ESRCH;
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "BTF"));
	ck_assert_ptr_nonnull(strstr(msg, "CONFIG_DEBUG_INFO_BTF"));
}
END_TEST

START_TEST(verifier_names_program)
{
	struct load_env e = ok_env;

	e.err = -EACCES;
	e.prog = "handle_switch";
	e.verifier_tail = "processed 12 insns | invalid access to map value";
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "handle_switch"));
	ck_assert_ptr_nonnull(strstr(msg, "invalid access to map value"));
}
END_TEST

START_TEST(unsupported_program_type)
{
	struct load_env e = ok_env;

	e.stage = "attach";
	e.err = -EOPNOTSUPP;
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "cannot attach"));
	ck_assert_ptr_nonnull(strstr(msg, "tp_btf"));
}
END_TEST

START_TEST(memory)
{
	struct load_env e = ok_env;

	e.err = -ENOMEM;
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "memory cgroup"));
}
END_TEST

START_TEST(verifier_log_wins_over_errno)
{
	struct load_env e = ok_env;

	e.err = -ENOENT;
	e.prog = "handle_switch";
	e.verifier_tail = "ldimm64 failed to find the address for kernel symbol 'runqueues'";
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "runqueues"));
	ck_assert_ptr_null(strstr(msg, "Linux"));
}
END_TEST

START_TEST(unsupported_states_the_minimum_kernel)
{
	struct load_env e = ok_env;

	e.err = -ENOTSUPP_FOR_TEST;
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "Linux " KCOMPAT_MIN_KERNEL "+"));
}
END_TEST

START_TEST(unknown_helper_names_the_minimum_kernel)
{
	struct load_env e = ok_env;

	e.err = -EINVAL;
	e.prog = "handle_switch";
	e.verifier_tail = "unknown func bpf_task_pt_regs#175";
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, "bpf_task_pt_regs"));
	ck_assert_ptr_nonnull(strstr(msg, "Linux " KCOMPAT_MIN_KERNEL "+"));
}
END_TEST

START_TEST(other_error_keeps_errno_text)
{
	struct load_env e = ok_env;

	e.err = -EBUSY;
	explain(e);
	ck_assert_ptr_nonnull(strstr(msg, strerror(EBUSY)));
}
END_TEST

START_TEST(truncates_safely)
{
	struct load_env e = ok_env;
	char small[16];

	e.err = -EINVAL;
	e.verifier_tail = "a very long verifier message that will not fit";
	collector_explain(&e, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("collector");
	TCase *tc = tcase_create("explain");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, not_root);
	tcase_add_test(tc, caps_without_root_are_enough);
	tcase_add_test(tc, no_btf);
	tcase_add_test(tc, verifier_names_program);
	tcase_add_test(tc, unsupported_program_type);
	tcase_add_test(tc, memory);
	tcase_add_test(tc, verifier_log_wins_over_errno);
	tcase_add_test(tc, unsupported_states_the_minimum_kernel);
	tcase_add_test(tc, unknown_helper_names_the_minimum_kernel);
	tcase_add_test(tc, other_error_keeps_errno_text);
	tcase_add_test(tc, truncates_safely);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
