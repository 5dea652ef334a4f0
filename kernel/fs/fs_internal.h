/* What the parts of kernel/fs tell each other: the registration calls vfs_init makes. */
#pragma once

#include <amphi/fs.h>

/* Registers ramfs, tmpfs, devtmpfs and sysfs (kernel/fs/ramfs/ramfs.c). */
void ramfs_register(void);

/* Registers ext2 (kernel/fs/ext2/). */
void ext2_register(void);

/* Registers proc (kernel/fs/procfs/). */
void procfs_register(void);

/* Registers the memory devices (null, zero, full, random, urandom). */
void chrdev_register_mem(void);

/* Registers the console devices (tty, console). */
void console_dev_register(void);

/* Makes the namespace lock (first thing vfs_init does). */
void vfs_lock_init(void);
