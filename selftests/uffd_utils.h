/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Holding a call inside the kernel, deterministically: a page registered
 * with userfaultfd and never filled makes any kernel access to it wait until
 * the test lets it go.  A test passes the page to an ioctl that reads or
 * writes user memory in the middle of its work (from another thread), waits
 * until the kernel has faulted on it (uffd_hold_wait()), does what must
 * happen in that window, then lets the ioctl finish (uffd_hold_release()).
 */
#ifndef IOMMUFD_BPF_UFFD_UTILS_H
#define IOMMUFD_BPF_UFFD_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct uffd_hold {
	int uffd;
	char *page;
	size_t size;
};

/* A page nobody has touched, registered for missing-page faults. */
static inline int uffd_hold_init(struct uffd_hold *h)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	h->size = sysconf(_SC_PAGESIZE);
	h->page = MAP_FAILED;
	/* Kernel-mode faults too: no UFFD_USER_MODE_ONLY. */
	h->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (h->uffd < 0)
		return -1;
	if (ioctl(h->uffd, UFFDIO_API, &api))
		goto err;
	h->page = mmap(NULL, h->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->page == MAP_FAILED)
		goto err;
	reg.range.start = (uintptr_t)h->page;
	reg.range.len = h->size;
	if (ioctl(h->uffd, UFFDIO_REGISTER, &reg))
		goto err;
	return 0;
err:
	if (h->page != MAP_FAILED)
		munmap(h->page, h->size);
	close(h->uffd);
	h->uffd = -1;
	return -1;
}

/* Wait up to @ms for a fault on the page: 0 once something waits on it. */
static inline int uffd_hold_wait(struct uffd_hold *h, int ms)
{
	struct pollfd pfd = { .fd = h->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	return 0;
}

/* Fill the page with zeroes, which lets every waiter go on. */
static inline int uffd_hold_release(struct uffd_hold *h)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)h->page, .len = h->size },
	};

	if (ioctl(h->uffd, UFFDIO_ZEROPAGE, &zero) && errno != EEXIST)
		return -1;
	return 0;
}

static inline void uffd_hold_destroy(struct uffd_hold *h)
{
	if (h->uffd < 0)
		return;
	munmap(h->page, h->size);
	close(h->uffd);
	h->uffd = -1;
}

#endif
