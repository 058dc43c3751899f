// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's BTF reaches the kernel and BPF programs built against it with
 * CO-RE load, attach and read the module's own types.
 */
#include <bpf/libbpf.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "module_btf.skel.h"

TEST(module_btf_registered)
{
	ASSERT_OK(access("/sys/kernel/btf/iommufd_bpf", R_OK));
}

TEST(fexit_on_module_function_reads_module_types)
{
	struct module_btf_bpf *skel;
	uint32_t id;
	int fd, i;

	skel = module_btf_bpf__open();
	ASSERT_NE(NULL, skel);
	skel->rodata->target_tgid = getpid();
	ASSERT_OK(module_btf_bpf__load(skel));
	ASSERT_OK(module_btf_bpf__attach(skel));

	fd = iommufd_open();
	ASSERT_GE(fd, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_OK(ioas_alloc(fd, &id));
		ASSERT_EQ(id, skel->bss->last_id);
	}
	ASSERT_EQ(3, skel->bss->published);
	ASSERT_EQ(skel->bss->ioas_type, skel->bss->last_type);
	ASSERT_NE(0, skel->bss->ioas_type);
	close(fd);
	module_btf_bpf__destroy(skel);
}

TEST_HARNESS_MAIN
