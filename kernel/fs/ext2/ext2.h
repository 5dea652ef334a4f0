/*
 * ext2's parts, as kernel/fs/ext2 tells them to each other. On-disk structures are read
 * and written field by field as little-endian values (ext2_le16/32 and friends), so the
 * layout is the one the ext2 documentation gives on every target.
 *
 * The design: at mount the whole directory tree is read into the VFS's in-memory
 * directories (as JFFS2 does), so every namespace rule is the VFS's; a regular file's
 * contents are read into its memory object at first open or exec. ext2_sync writes the
 * in-memory state back: file contents of files opened for writing, every directory,
 * every inode, the bitmaps' group counts and the super block, through the device's buffer
 * cache, then flushes the device. Blocks and inodes are allocated in the bitmaps when
 * needed (a new inode at mknod, blocks at write-back) and freed when an unlinked file's
 * last reference goes (ext2_evict).
 *
 * Locks: every entry point runs under vfs_lock except ext2_evict and ext2_fill (an open);
 * fs->lock covers the bitmaps, group descriptors, counters and the inode table; it is
 * taken after vfs_lock and before the buffer cache's.
 */
#pragma once

#include <amphi/block.h>
#include <amphi/fs.h>
#include <amphi/list.h>
#include <amphi/sync.h>
#include <amphi/types.h>

#define EXT2_MAGIC 0xef53
#define EXT2_ROOT_INO 2
#define EXT2_NDIR 12 /* direct block pointers; then single, double, triple indirect */
#define EXT2_NBLOCKS 15
#define EXT2_FAST_SYMLINK_MAX 59 /* targets shorter than i_block's 60 bytes live there */
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO 11
#define EXT2_HASH 256

/* Feature bits (Linux's fs/ext2/ext2.h): what this driver handles. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR 0x0004
#define EXT2_INCOMPAT_SUPP EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPP                                                      \
	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE | \
	 EXT2_FEATURE_RO_COMPAT_BTREE_DIR)
#define EXT2_ERROR_FS 0x0002 /* s_state: errors were met (e2fsck must check) */
#define EXT2_INDEX_FL 0x00001000 /* an htree directory: its index is dropped on rewrite */

/* Super block field offsets (bytes into the 1024-byte super block). */
#define SB_INODES_COUNT 0
#define SB_BLOCKS_COUNT 4
#define SB_R_BLOCKS_COUNT 8
#define SB_FREE_BLOCKS 12
#define SB_FREE_INODES 16
#define SB_FIRST_DATA_BLOCK 20
#define SB_LOG_BLOCK_SIZE 24
#define SB_LOG_FRAG_SIZE 28
#define SB_BLOCKS_PER_GROUP 32
#define SB_FRAGS_PER_GROUP 36
#define SB_INODES_PER_GROUP 40
#define SB_WTIME 48
#define SB_MAGIC 56
#define SB_STATE 58
#define SB_REV_LEVEL 76
#define SB_FIRST_INO 84
#define SB_INODE_SIZE 88
#define SB_FEATURE_COMPAT 92
#define SB_FEATURE_INCOMPAT 96
#define SB_FEATURE_RO_COMPAT 100

/* Group descriptor (32 bytes) offsets. */
#define GD_SIZE 32
#define GD_BLOCK_BITMAP 0
#define GD_INODE_BITMAP 4
#define GD_INODE_TABLE 8
#define GD_FREE_BLOCKS 12
#define GD_FREE_INODES 14
#define GD_USED_DIRS 16

/* Inode offsets. */
#define I_MODE 0
#define I_UID 2
#define I_SIZE 4
#define I_ATIME 8
#define I_CTIME 12
#define I_MTIME 16
#define I_DTIME 20
#define I_GID 24
#define I_LINKS 26
#define I_BLOCKS 28
#define I_FLAGS 32
#define I_BLOCK 40
#define I_FILE_ACL 104
#define I_SIZE_HIGH 108
#define I_UID_HIGH 120
#define I_GID_HIGH 122

struct ext2_fs {
	struct block_device *bdev;
	struct super_block *sb;
	struct mutex lock;
	uint8_t super[1024];	/* the super block as read, counters kept current */
	uint8_t *gd;		/* the group descriptors (groups * GD_SIZE bytes) */
	uint32_t bs;		/* block size */
	uint32_t groups, bpg, ipg, isize, first_ino;
	uint32_t inodes_count, blocks_count, first_data_block;
	uint32_t gd_blocks;	/* blocks the descriptors take */
	bool rdonly;
	bool filetype;		/* directory entries carry a file type */
	bool dying;		/* a failed mount tears down: evict writes nothing */
	struct ext2_inode_info *hash[EXT2_HASH];
	struct list_node inodes; /* every inode in memory */
};

/* ext2's part of an in-memory inode (inode->priv). */
struct ext2_inode_info {
	struct inode *inode;
	uint32_t ino;
	uint32_t block[EXT2_NBLOCKS]; /* i_block: pointers, or a fast symlink's bytes */
	uint32_t blocks;	      /* i_blocks: 512-byte units of data and indirect blocks */
	uint32_t flags, file_acl;
	uint64_t disk_size;	/* a directory's or symlink's size on disk */
	bool filled;		/* a regular file's contents are in inode->data */
	bool dirty;		/* ... and may be newer than the disk's */
	bool target_written;	/* a symlink's target is on disk */
	struct ext2_inode_info *hash_next;
	struct list_node node;
};

static inline uint16_t ext2_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ext2_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void ext2_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void ext2_put32(uint8_t *p, uint32_t v)
{
	ext2_put16(p, v);
	ext2_put16(p + 2, v >> 16);
}

static inline struct ext2_fs *ext2_fs_of(struct inode *inode)
{
	return inode->sb->priv;
}

static inline struct ext2_inode_info *ext2_info(struct inode *inode)
{
	return inode->priv;
}

/* Reports a corruption of fs on the console; returns -EUCLEAN. */
int ext2_corrupt(struct ext2_fs *fs, const char *what, uint64_t value);

/* --- alloc.c: bitmaps and counters (fs->lock held) --- */

/* A free block, preferably at or after goal, marked used: 0 with it in *out, -ENOSPC. */
int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);

/* Marks block free (a block outside the data area or already free is reported, not
 * freed). */
void ext2_free_block(struct ext2_fs *fs, uint32_t block);

/* A free inode (in group near, for a directory in the emptiest group), marked used, its
 * on-disk record zeroed: 0 with its number in *out, -ENOSPC, -EIO. */
int ext2_alloc_inode(struct ext2_fs *fs, uint32_t near, bool dir, uint32_t *out);

/* Marks inode ino free. */
void ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool dir);

/* True when block is a valid data-area block number of fs. */
bool ext2_block_valid(struct ext2_fs *fs, uint32_t block);

/* --- inode.c --- */

extern const struct inode_ops ext2_inode_ops;
extern const struct file_ops ext2_file_ops;

/* The in-memory inode of ino, read from disk when it is not in memory: 0 with a reference
 * in *out, -EUCLEAN (a bad inode), -EIO, -ENOMEM. fs->lock held. */
int ext2_iget(struct ext2_fs *fs, uint32_t ino, struct inode **out);

/* Drops a reference with fs->lock held: the last one of an inode the tree never took (a
 * failed load) is taken apart here, not by ext2_evict, which takes fs->lock. */
void ext2_iput_locked(struct ext2_fs *fs, struct inode *inode);

/* The on-disk record of ino: 0 with its buffer (referenced) and offset in it. */
int ext2_inode_buffer(struct ext2_fs *fs, uint32_t ino, struct buffer **b, size_t *off);

/* The block holding file block idx of info: 0 with it in *out (0: a hole), allocating
 * (near goal) when alloc. -EFBIG past the triple indirect range, -EUCLEAN, -EIO, -ENOSPC. */
int ext2_bmap(struct ext2_fs *fs, struct ext2_inode_info *info, uint64_t idx, bool alloc,
	      uint32_t goal, uint32_t *out);

/* Frees the file blocks from idx on, and indirect blocks left with nothing to map. */
void ext2_free_from(struct ext2_fs *fs, struct ext2_inode_info *info, uint64_t idx);

/* Writes every in-memory inode's changes (data, directory, symlink target, the inode
 * record): 0 or the first error. fs->lock held. */
int ext2_write_all(struct ext2_fs *fs);

/* --- dir.c --- */

/* Reads directory dir's entries from disk into its in-memory directory, reading each
 * child's inode; calls found(ctx, child) for each child directory, which takes over a
 * reference. 0, -EUCLEAN (a damaged entry, a directory met twice), -EIO, -ENOMEM, or
 * found's error. fs->lock held. */
int ext2_dir_load(struct ext2_fs *fs, struct inode *dir,
		  int (*found)(void *ctx, struct inode *child), void *ctx);

/* Writes in-memory directory dir to its blocks. fs->lock held. */
int ext2_dir_write(struct ext2_fs *fs, struct inode *dir);
