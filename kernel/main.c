// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: posted receive buffers for TCP sockets, driven by io_uring.
 *
 * This file owns the module's life: it registers /dev/postrx, the character
 * device on which every postrx command is submitted as IORING_OP_URING_CMD.
 *
 * Lifetime: an open /dev/postrx file pins the module through fops.owner, and
 * io_uring holds a reference to that file for every request in flight, so
 * the module cannot be unloaded while any command is pending.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>

#include "postrx.h"

static const struct file_operations postrx_fops = {
	.owner		= THIS_MODULE,
	.open		= postrx_file_open,
	.release	= postrx_file_release,
	.uring_cmd	= postrx_uring_cmd,
};

/*
 * Any user may open the device: every command acts only on what the caller
 * already holds (its own ring, registered buffers and socket descriptors).
 */
static struct miscdevice postrx_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "postrx",
	.fops	= &postrx_fops,
	.mode	= 0666,
};

static int __init postrx_init(void)
{
	int ret;

	ret = misc_register(&postrx_miscdev);
	if (ret) {
		pr_err("postrx: cannot register /dev/postrx: %d\n", ret);
		return ret;
	}
	return 0;
}

static void __exit postrx_exit(void)
{
	misc_deregister(&postrx_miscdev);
	postrx_user_exit();
}

module_init(postrx_init);
module_exit(postrx_exit);

MODULE_DESCRIPTION("postrx: posted zero-copy TCP receive driven by io_uring");
MODULE_LICENSE("GPL");
