/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selftests/harness.h — fixtures, assertions and TAP output for the
 * iommufd-bpf selftests, in the manner of the kernel's kselftest harness.
 *
 *	FIXTURE(ioas) { int fd; };
 *	FIXTURE_SETUP(ioas) { self->fd = open(...); ASSERT_GE(self->fd, 0); }
 *	FIXTURE_TEARDOWN(ioas) { close(self->fd); }
 *	TEST_F(ioas, alloc_and_destroy) { ... ASSERT_EQ(0, ioctl(...)); }
 *	TEST(no_fixture_needed) { ... }
 *	TEST_HARNESS_MAIN
 *
 * Every test runs in a child process of its own, so a crash, a leaked fd or a
 * failed assertion touches no other test.  Teardown runs even when the setup
 * or the test failed part-way.  ASSERT_* ends the test at the first failure;
 * EXPECT_* records it and goes on; SKIP() ends it as skipped with a reason,
 * which is reported as skipped, never as passed.
 *
 * Output is TAP 13 ("ok N fixture.name", "not ok N ...", "ok N ... # SKIP
 * reason"), one line per test, with diagnostics as "# " comments before it.
 * The binary exits 1 if any test failed.  Arguments select tests: each is a
 * substring of "fixture.name"; a test runs if any argument matches.
 * HARNESS_TIMEOUT (seconds, default 120) bounds each test.
 */
#ifndef IOMMUFD_BPF_HARNESS_H
#define IOMMUFD_BPF_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct __test_result {
	bool failed;
	bool skipped;
	char reason[256];
};

struct __test_meta {
	struct __test_result *result;	/* shared with the parent */
	sigjmp_buf env;
	bool in_teardown;
};

struct __test_case {
	const char *fixture;
	const char *name;
	void (*run)(struct __test_meta *m);
	struct __test_case *next;
};

static struct __test_case *__tests, **__tests_tail = &__tests;

static inline void __register_test(struct __test_case *t)
{
	*__tests_tail = t;
	__tests_tail = &t->next;
}

/* Leave the test body (or setup) for teardown, or end teardown itself. */
static inline void __attribute__((noreturn)) __test_abort(struct __test_meta *m)
{
	if (m->in_teardown)
		_exit(0);
	siglongjmp(m->env, 1);
}

static inline void __attribute__((format(printf, 4, 5)))
__test_fail(struct __test_meta *m, const char *file, int line,
	    const char *fmt, ...)
{
	va_list ap;

	m->result->failed = true;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void __attribute__((format(printf, 2, 3), noreturn))
__test_skip(struct __test_meta *m, const char *fmt, ...)
{
	va_list ap;

	m->result->skipped = true;
	va_start(ap, fmt);
	vsnprintf(m->result->reason, sizeof(m->result->reason), fmt, ap);
	va_end(ap);
	__test_abort(m);
}

/* Inside TEST/TEST_F bodies, fixture setup and teardown. */
#define TH_LOG(fmt, ...) \
	do { printf("# " fmt "\n", ##__VA_ARGS__); fflush(stdout); } while (0)
#define SKIP(fmt, ...) __test_skip(_metadata, fmt, ##__VA_ARGS__)

/*
 * The comparison has C's own semantics: a literal 0 against an unsigned ID is
 * meant, so the sign-compare warning is silenced for it alone.
 */
#define __CMP(expected, seen, op, is_assert)                                   \
	do {                                                                   \
		__typeof__(expected) __exp = (expected);                       \
		__typeof__(seen) __seen = (seen);                              \
		bool __ok;                                                     \
		_Pragma("GCC diagnostic push")                                 \
		_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")           \
		__ok = __exp op __seen;                                        \
		_Pragma("GCC diagnostic pop")                                  \
		if (!__ok) {                                                   \
			__test_fail(_metadata, __FILE__, __LINE__,             \
				    "%s " #op " %s: %lld " #op " %lld is false", \
				    #expected, #seen, (long long)__exp,         \
				    (long long)__seen);                        \
			if (is_assert)                                         \
				__test_abort(_metadata);                       \
		}                                                              \
	} while (0)

#define ASSERT_EQ(e, s) __CMP(e, s, ==, 1)
#define ASSERT_NE(e, s) __CMP(e, s, !=, 1)
#define ASSERT_LT(e, s) __CMP(e, s, <, 1)
#define ASSERT_LE(e, s) __CMP(e, s, <=, 1)
#define ASSERT_GT(e, s) __CMP(e, s, >, 1)
#define ASSERT_GE(e, s) __CMP(e, s, >=, 1)
#define EXPECT_EQ(e, s) __CMP(e, s, ==, 0)
#define EXPECT_NE(e, s) __CMP(e, s, !=, 0)
#define EXPECT_GE(e, s) __CMP(e, s, >=, 0)
#define ASSERT_TRUE(c) ASSERT_NE(0, !!(c))
#define ASSERT_FALSE(c) ASSERT_EQ(0, !!(c))
#define EXPECT_TRUE(c) EXPECT_NE(0, !!(c))

/* A call that must fail with -1 and errno @err. */
#define __ERRNO(err, call, is_assert)                                          \
	do {                                                                   \
		long __rc;                                                     \
		errno = 0;                                                     \
		__rc = (long)(call);                                           \
		if (__rc != -1 || errno != (err)) {                            \
			int __saved = errno;                                   \
			__test_fail(_metadata, __FILE__, __LINE__,             \
				    "%s: expected -1 errno %d (%s), got %ld errno %d (%s)", \
				    #call, (err), strerror(err), __rc,          \
				    __saved, strerror(__saved));               \
			if (is_assert)                                         \
				__test_abort(_metadata);                       \
		}                                                              \
	} while (0)
#define ASSERT_ERRNO(err, call) __ERRNO(err, call, 1)
#define EXPECT_ERRNO(err, call) __ERRNO(err, call, 0)

/*
 * Run the block in a child (to change its credentials or limits, say); the
 * test fails with the child's exit status, which CHILD_CHECK(n, cond) sets
 * to n when cond is false.
 */
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

/* A call that must succeed (return >= 0); prints errno when it does not. */
#define ASSERT_OK(call)                                                        \
	do {                                                                   \
		long __rc;                                                     \
		errno = 0;                                                     \
		__rc = (long)(call);                                           \
		if (__rc < 0) {                                                \
			__test_fail(_metadata, __FILE__, __LINE__,             \
				    "%s: returned %ld errno %d (%s)", #call,   \
				    __rc, errno, strerror(errno));             \
			__test_abort(_metadata);                               \
		}                                                              \
	} while (0)

#define FIXTURE(f) struct __fixture_##f
/*
 * Bodies are never inlined into the runner that holds the sigsetjmp(): their
 * locals then live in a frame the longjmp() abandons, not one it returns to.
 */
#define __TEST_FN static void __attribute__((noinline))
#define __UNUSED __attribute__((unused))

#define FIXTURE_SETUP(f)                                                       \
	__TEST_FN __setup_##f(struct __test_meta *_metadata __UNUSED,         \
			      struct __fixture_##f *self __UNUSED)
#define FIXTURE_TEARDOWN(f)                                                    \
	__TEST_FN __teardown_##f(struct __test_meta *_metadata __UNUSED,      \
				 struct __fixture_##f *self __UNUSED)

#define __TEST_REGISTER(f, n)                                                  \
	static struct __test_case __case_##f##_##n = {                         \
		#f, #n, __run_##f##_##n, NULL                                   \
	};                                                                     \
	static void __attribute__((constructor)) __reg_##f##_##n(void)         \
	{                                                                      \
		__register_test(&__case_##f##_##n);                            \
	}

#define TEST_F(f, n)                                                           \
	__TEST_FN __test_##f##_##n(struct __test_meta *_metadata,              \
				   struct __fixture_##f *self);                \
	static void __run_##f##_##n(struct __test_meta *_metadata)             \
	{                                                                      \
		static struct __fixture_##f self;                              \
		if (!sigsetjmp(_metadata->env, 1)) {                           \
			__setup_##f(_metadata, &self);                         \
			__test_##f##_##n(_metadata, &self);                    \
		}                                                              \
		_metadata->in_teardown = true;                                 \
		__teardown_##f(_metadata, &self);                              \
	}                                                                      \
	__TEST_REGISTER(f, n)                                                  \
	__TEST_FN __test_##f##_##n(struct __test_meta *_metadata __UNUSED,     \
				   struct __fixture_##f *self __UNUSED)

#define TEST(n)                                                                \
	__TEST_FN __test_global_##n(struct __test_meta *_metadata);            \
	static void __run_global_##n(struct __test_meta *_metadata)            \
	{                                                                      \
		if (!sigsetjmp(_metadata->env, 1))                             \
			__test_global_##n(_metadata);                          \
	}                                                                      \
	__TEST_REGISTER(global, n)                                             \
	__TEST_FN __test_global_##n(struct __test_meta *_metadata __UNUSED)

static inline bool __test_selected(const struct __test_case *t, int argc,
				   char **argv)
{
	char full[256];
	int i;

	if (argc < 2)
		return true;
	snprintf(full, sizeof(full), "%s.%s", t->fixture, t->name);
	for (i = 1; i < argc; i++)
		if (strstr(full, argv[i]))
			return true;
	return false;
}

/* Returns 0 passed, 1 failed, 2 skipped (with the reason in @reason). */
static inline int __test_run_one(const struct __test_case *t, int timeout,
				 char *reason, size_t reason_len)
{
	struct __test_result *res;
	struct __test_meta m = {};
	int status;
	pid_t pid;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		printf("# mmap: %s\n", strerror(errno));
		return -1;
	}
	memset(res, 0, sizeof(*res));
	m.result = res;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("# fork: %s\n", strerror(errno));
		munmap(res, sizeof(*res));
		return -1;
	}
	if (!pid) {
		alarm(timeout);
		t->run(&m);
		fflush(stdout);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		res->failed = true;
		if (WTERMSIG(status) == SIGALRM)
			printf("# timed out after %d s\n", timeout);
		else
			printf("# killed by signal %d (%s)\n", WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
	} else if (WEXITSTATUS(status)) {
		res->failed = true;
		printf("# exited with status %d\n", WEXITSTATUS(status));
	}
	status = res->failed ? 1 : res->skipped ? 2 : 0;
	snprintf(reason, reason_len, "%s", res->reason);
	munmap(res, sizeof(*res));
	return status;
}

static inline int __test_main(int argc, char **argv)
{
	int pass = 0, fail = 0, skip = 0, n = 0, total = 0, timeout = 120;
	const struct __test_case *t;
	const char *env;

	env = getenv("HARNESS_TIMEOUT");
	if (env && atoi(env) > 0)
		timeout = atoi(env);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (t = __tests; t; t = t->next)
		total += __test_selected(t, argc, argv);

	printf("TAP version 13\n1..%d\n", total);
	for (t = __tests; t; t = t->next) {
		char reason[256];
		int rc;

		if (!__test_selected(t, argc, argv))
			continue;
		n++;
		printf("# RUN %s.%s\n", t->fixture, t->name);
		rc = __test_run_one(t, timeout, reason, sizeof(reason));
		if (rc == 0) {
			printf("ok %d %s.%s\n", n, t->fixture, t->name);
			pass++;
		} else if (rc == 2) {
			printf("ok %d %s.%s # SKIP %s\n", n, t->fixture, t->name,
			       reason);
			skip++;
		} else {
			printf("not ok %d %s.%s\n", n, t->fixture, t->name);
			fail++;
		}
	}
	printf("# Totals: pass:%d fail:%d skip:%d\n", pass, fail, skip);
	return fail ? 1 : 0;
}

#define TEST_HARNESS_MAIN                                                      \
	int main(int argc, char **argv) { return __test_main(argc, argv); }

#endif
