/*
 * Kernel side of the cpio target: the archive copied into the kernel's heap and unpacked
 * into the root file system, as vfs_init unpacks the boot RAM disk.
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/mm.h>
#include <amphi/string.h>

#include "fuzz_cpio.h"

long fuzz_cpio_unpack(void *arg)
{
	const struct fuzz_cpio_input *in = arg;
	struct vfs_path root;
	/* an exact-size block: its end is a red zone, and from a page up it starts page
	 * aligned, so data that starts on a page tries the boot RAM disk's adoption path */
	void *archive = kmalloc(in->size);

	if (!archive)
		return -ENOMEM;
	memcpy(archive, in->data, in->size);
	int err = vfs_root(&root);
	if (!err) {
		err = initramfs_unpack(&root, archive, in->size, true);
		vfs_path_put(&root);
	}
	kfree(archive);
	return err;
}
