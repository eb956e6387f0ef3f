// SPDX-License-Identifier: GPL-2.0
/*
 * vmig: kernel support for live migration of virtual machines.
 *
 * Module entry: brings the subsystems up in order and down in reverse.
 */
#include "vmig.h"

#include <linux/module.h>

static int __init vmig_init(void)
{
	int ret;

	ret = vmig_dev_init();
	if (ret)
		goto err_dev;

	pr_info("version %s, API %u\n", VMIG_VERSION, VMIG_API_VERSION);
	return 0;

err_dev:
	return ret;
}

static void __exit vmig_exit(void)
{
	vmig_dev_uninit();
}

module_init(vmig_init);
module_exit(vmig_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kernel support for live migration of virtual machines");
MODULE_VERSION(VMIG_VERSION);
MODULE_AUTHOR("The vmig developers");
