// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: the IOAS object and its ioctls.
 */
#include <linux/uaccess.h>

#include "iommufd_private.h"

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_object *obj;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	obj = iommufd_object_alloc(ucmd->ictx, sizeof(*ioas), IOMMUFD_OBJ_IOAS);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ioas = container_of(obj, struct iommufd_ioas, obj);

	/*
	 * The ID reaches user space before the object is published: if the
	 * copy faults, nobody can have used it yet and the IOAS is undone.
	 */
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;
}
