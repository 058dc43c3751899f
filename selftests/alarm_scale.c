// SPDX-License-Identifier: GPL-2.0-only
/*
 * LD_PRELOAD shim for upstream's selftests (selftests/conformance): their
 * harness gives each test alarm(30) and has no way to change it, which a
 * debug kernel under TCG, about 30 times slower, can run out of.  This
 * alarm() stretches every timeout by the factor the project's own harness
 * is stretched by in that VM: HARNESS_TIMEOUT (set by selftests/vm-run) over
 * its default of 120 s, when that is more than 1.  The tests themselves are
 * unchanged; only how long the runner waits for them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#define HARNESS_TIMEOUT_DEFAULT 120

unsigned int alarm(unsigned int seconds)
{
	static unsigned int (*real_alarm)(unsigned int);
	const char *env = getenv("HARNESS_TIMEOUT");
	unsigned long t = env ? strtoul(env, NULL, 10) : 0;

	if (!real_alarm)
		real_alarm = (unsigned int (*)(unsigned int))dlsym(RTLD_NEXT,
								   "alarm");
	if (t > HARNESS_TIMEOUT_DEFAULT && seconds &&
	    seconds <= 86400 / (t / HARNESS_TIMEOUT_DEFAULT))
		seconds *= t / HARNESS_TIMEOUT_DEFAULT;
	return real_alarm(seconds);
}
