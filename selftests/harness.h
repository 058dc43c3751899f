/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selftests/harness.h — the project's selftests run on the kernel's own
 * kselftest harness, tools/testing/selftests/kselftest_harness.h of the
 * reference kernel's source (make deps unpacks it into build/linux-source;
 * the Makefile puts that directory on the include path, and the file is
 * never copied here).  It gives FIXTURE, FIXTURE_VARIANT, TEST and TEST_F,
 * the ASSERT_ and EXPECT_ comparisons (a failure prints both values), TH_LOG,
 * SKIP(statement, reason), TAP output and test selection (-f, -v, -t, -r;
 * -l lists, -h explains).  Each test runs in a child process of its own.
 *
 * Added here, for what the tests of a kernel module's uAPI need:
 *
 *  - each test may take 120 s (the harness's 30 s is short for a test VM
 *    under TCG); HARNESS_TIMEOUT, in seconds, sets every test's limit (the
 *    debug kernel's runs raise it);
 *  - ASSERT_OK(call) / EXPECT_OK(call): the call returns >= 0, and when it
 *    does not, what it returned and errno are printed;
 *  - ASSERT_ERRNO(err, call) / EXPECT_ERRNO(err, call): the call returns -1
 *    with errno @err, and when it does not, what it did is printed;
 *  - RUN_AS_CHILD(...) and CHILD_CHECK(n, cond): a block run in a child
 *    (to change its credentials or limits), failing the test with the
 *    number of the first check that did not hold.
 */
#ifndef IOMMUFD_BPF_HARNESS_H
#define IOMMUFD_BPF_HARNESS_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120

/* A call that must succeed (return >= 0). */
#define __HARNESS_OK(call, is_assert)                                          \
	do {                                                                   \
		long __rc;                                                     \
		int __err;                                                     \
		errno = 0;                                                     \
		__rc = (long)(call);                                           \
		__err = errno;                                                 \
		if (__rc < 0) {                                                \
			__TH_LOG("%s returned %ld, errno %d (%s)", #call,     \
				 __rc, __err, strerror(__err));                \
			_metadata->exit_code = KSFT_FAIL;                      \
			_metadata->trigger = 1;                                \
		}                                                              \
	} while (0);                                                           \
	OPTIONAL_HANDLER(is_assert)
#define ASSERT_OK(call) __HARNESS_OK(call, 1)
#define EXPECT_OK(call) __HARNESS_OK(call, 0)

/* A call that must fail with -1 and errno @err. */
#define __HARNESS_ERRNO(err, call, is_assert)                                  \
	do {                                                                   \
		long __rc;                                                     \
		int __err;                                                     \
		errno = 0;                                                     \
		__rc = (long)(call);                                           \
		__err = errno;                                                 \
		if (__rc != -1 || __err != (err)) {                            \
			__TH_LOG("%s: expected -1 with errno %d (%s), got %ld with errno %d (%s)", \
				 #call, (err), strerror(err), __rc, __err,     \
				 strerror(__err));                             \
			_metadata->exit_code = KSFT_FAIL;                      \
			_metadata->trigger = 1;                                \
		}                                                              \
	} while (0);                                                           \
	OPTIONAL_HANDLER(is_assert)
#define ASSERT_ERRNO(err, call) __HARNESS_ERRNO(err, call, 1)
#define EXPECT_ERRNO(err, call) __HARNESS_ERRNO(err, call, 0)

#define RUN_AS_CHILD(...)                                                      \
	do {                                                                   \
		int __status;                                                  \
		pid_t __pid = fork();                                          \
		ASSERT_GE(__pid, 0);                                           \
		if (!__pid) {                                                  \
			__VA_ARGS__;                                           \
			_exit(0);                                              \
		}                                                              \
		ASSERT_EQ(__pid, waitpid(__pid, &__status, 0));                \
		if (__status)                                                  \
			TH_LOG("child failed at check %d",                     \
			       WEXITSTATUS(__status));                         \
		ASSERT_EQ(0, __status);                                        \
	} while (0)

#define CHILD_CHECK(n, cond)                                                   \
	do {                                                                   \
		if (!(cond))                                                   \
			_exit(n);                                              \
	} while (0)

/*
 * The harness's main, with HARNESS_TIMEOUT applied to every test first;
 * TEST_HARNESS_MAIN is this, and a program with a main of its own (to set
 * up what all its tests share, or to pick its tests) returns it.
 */
static inline int harness_main(int argc, char **argv)
{
	const char *env = getenv("HARNESS_TIMEOUT");
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	if (env && atoi(env) > 0)
		for (f = __fixture_list; f; f = f->next)
			for (t = f->tests; t; t = t->next)
				t->timeout = atoi(env);
	return test_harness_run(argc, argv);
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN                                                      \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return harness_main(argc, argv);                               \
	}

#endif
