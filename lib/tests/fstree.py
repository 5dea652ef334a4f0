#!/usr/bin/env python3
"""Trees for the host tools' tests, and one listing of a tree whoever stores it.

  fstree.py build DIR         makes the test tree in DIR (owners only when run as root)
  fstree.py host DIR          lists the tree under DIR as the host's lstat sees it
  fstree.py image IMG [SUB]   lists the tree of ext2 image IMG (or its SUB) as e2fsprogs'
                              debugfs reads it
  fstree.py tar ARCHIVE       lists a tar archive as Python's tarfile reads it

A listing has one line per entry below the top (lost+found left out): path, type,
permissions, uid, gid, mtime, size (files), content (sha256 of a file, a link's target,
a device's numbers) and, for an inode with several names, the first of them.
"""
import hashlib
import os
import re
import stat
import subprocess
import sys
import tarfile
import tempfile

TIMES = [0, 1, 1000000000, 1234567890, 2000000000, 2100000000]
OWNERS = [(0, 0), (1000, 1000), (65534, 65534), (12345, 54321), (7, 0)]


def content(seed, size):
    """size bytes that differ from file to file and from block to block"""
    block = hashlib.sha256(str(seed).encode()).digest() * 128  # 4 KiB
    out = bytearray()
    while len(out) < size:
        out += block[len(out) % 4096:]
        block = hashlib.sha256(block).digest() * 128
    return bytes(out[:size])


def build(top):
    root = os.geteuid() == 0
    n = 0

    def attrs(path, mode, link=False):
        nonlocal n
        n += 1
        t = TIMES[n % len(TIMES)] + n
        if root:
            uid, gid = OWNERS[n % len(OWNERS)]
            os.chown(path, uid, gid, follow_symlinks=False)
        if not link:
            os.chmod(path, mode)
        os.utime(path, (t, t), follow_symlinks=False)

    def file(path, size, mode=0o644):
        with open(path, "wb") as f:
            f.write(content(path, size))
        attrs(path, mode)

    os.makedirs(top, exist_ok=True)
    d = os.path.join(top, "sizes")
    os.mkdir(d)
    for size in [0, 1, 100, 511, 512, 1023, 1024, 1025, 4095, 4096, 4097, 12288, 65537,
                 300000, 1048579]:
        file(os.path.join(d, "f%d" % size), size)
    sp = os.path.join(top, "sparse")
    os.mkdir(sp)
    with open(os.path.join(sp, "holes"), "wb") as f:  # data, hole, data, hole at the end
        f.write(content("a", 5000))
        f.seek(1 << 20)
        f.write(content("b", 70000))
        f.truncate(8 << 20)
    attrs(os.path.join(sp, "holes"), 0o640)
    with open(os.path.join(sp, "lead"), "wb") as f:  # a hole first
        f.seek(3 << 20)
        f.write(b"end")
    attrs(os.path.join(sp, "lead"), 0o600)
    ln = os.path.join(top, "links")
    os.mkdir(ln)
    os.symlink("../sizes/f100", os.path.join(ln, "fast"))
    os.symlink("t" * 59 + "/" + "u" * 40, os.path.join(ln, "slow100"))
    os.symlink("/" + "/".join(["d" * 50] * 6), os.path.join(ln, "slow306"))
    os.symlink("nowhere", os.path.join(ln, "dangling"))
    os.symlink("../sizes", os.path.join(ln, "todir"))
    for name in os.listdir(ln):
        attrs(os.path.join(ln, name), 0, link=True)
    file(os.path.join(ln, "hard1"), 3000)
    os.link(os.path.join(ln, "hard1"), os.path.join(ln, "hard2"))
    os.link(os.path.join(ln, "hard1"), os.path.join(top, "sizes", "hard3"))
    m = os.path.join(top, "modes")
    os.mkdir(m)
    for mode in [0o600, 0o755, 0o4755, 0o2755, 0o444, 0o000, 0o1644, 0o6711, 0o666, 0o777]:
        file(os.path.join(m, "m%04o" % mode), 10, mode)
    os.mkfifo(os.path.join(m, "fifo"))
    attrs(os.path.join(m, "fifo"), 0o620)
    if root:
        try:
            os.mknod(os.path.join(m, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            os.mknod(os.path.join(m, "blk"), 0o660 | stat.S_IFBLK, os.makedev(8, 17))
            attrs(os.path.join(m, "null"), 0o666)
            attrs(os.path.join(m, "blk"), 0o660)
        except PermissionError:
            pass  # a container without mknod
    big = os.path.join(top, "bigdir")  # a directory of several blocks
    os.mkdir(big)
    for i in range(300):
        file(os.path.join(big, "entry-%03d-%s" % (i, "x" * (i % 60))), i % 7)
    long_name = "L" * 255
    deep = os.path.join(top, "deep")
    path = deep
    for i in range(6):
        path = os.path.join(path, "level%d" % i)
        os.makedirs(path)
    file(os.path.join(path, long_name), 42)
    for dirpath, dirnames, _ in os.walk(top, topdown=False):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                attrs(p, 0o1777 if name == "bigdir" else 0o750 if name == "modes" else 0o755)


def kind(mode):
    return {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "link",
            stat.S_IFIFO: "fifo", stat.S_IFCHR: "chr", stat.S_IFBLK: "blk"}.get(
                stat.S_IFMT(mode), "other")


def line(path, mode, uid, gid, mtime, size, what, first):
    k = kind(mode)
    return "%s %s %04o %d %d %d %s %s%s" % (
        path, k, stat.S_IMODE(mode) if k != "link" else 0o777, uid, gid, mtime,
        size if k == "file" else "-", what, " =" + first if first else "")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def list_host(top):
    rows, inodes = [], {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, top)
            if rel == "lost+found":
                continue
            st = os.lstat(p)
            rows.append((rel, st))
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
    out = []
    for rel, st in rows:
        names = inodes.get((st.st_dev, st.st_ino))
        what = sha(os.path.join(top, rel)) if stat.S_ISREG(st.st_mode) else \
            os.readlink(os.path.join(top, rel)) if stat.S_ISLNK(st.st_mode) else \
            "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) \
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "-"
        out.append(line(rel, st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns // 10**9,
                        st.st_size, what, min(names) if names else None))
    return out


def debugfs(img, commands):
    with tempfile.NamedTemporaryFile("w", suffix=".cmds") as f:
        f.write("\n".join(commands) + "\n")
        f.flush()
        r = subprocess.run(["debugfs", "-f", f.name, img], capture_output=True, text=True)
    if r.returncode:
        sys.exit("debugfs failed on %s: %s" % (img, r.stderr))
    return r.stdout


def list_image(img, sub):
    entries = {}  # rel -> ino, mode, uid, gid, size
    level = [("", "/" + sub.strip("/"))]
    while level:
        out = debugfs(img, ["ls -p \"%s\"" % d for _, d in level])
        blocks = re.split(r"^debugfs: ls -p .*$", out, flags=re.M)[1:]
        nxt = []
        for (rel_dir, d), block in zip(level, blocks):
            for m in re.finditer(r"^/(\d+)/(\d+)/(\d+)/(\d+)/(.*)/(\d*)/$", block, re.M):
                ino, mode, uid, gid, name, size = m.groups()
                if name in (".", "..") or (not rel_dir and name == "lost+found"):
                    continue
                rel = rel_dir + "/" + name if rel_dir else name
                entries[rel] = (int(ino), int(mode, 8), int(uid), int(gid), size)
                if stat.S_ISDIR(int(mode, 8)):
                    nxt.append((rel, d.rstrip("/") + "/" + name))
        level = nxt
    inos = sorted({e[0] for e in entries.values()})
    info = {}
    out = debugfs(img, ["stat <%d>" % i for i in inos])
    for block in re.split(r"^debugfs: stat ", out, flags=re.M)[1:]:
        ino = int(re.match(r"<(\d+)>", block).group(1))
        mode = int(re.search(r"Mode:\s+(\d+)", block).group(1), 8)
        mtime = int(re.search(r"mtime: 0x([0-9a-f]+)", block).group(1), 16)
        links = int(re.search(r"Links: (\d+)", block).group(1))
        dev = re.search(r"Device major/minor number: (\d+):(\d+)", block)
        info[ino] = (mode, mtime, links, "%d,%d" % (int(dev.group(1)), int(dev.group(2))) if dev else "-")
    with tempfile.TemporaryDirectory() as dump:
        debugfs(img, ["rdump \"/%s\" %s" % (sub.strip("/"), dump)])
        base = os.path.join(dump, os.path.basename(sub.strip("/"))) if sub.strip("/") else dump
        names = {}
        for rel, e in entries.items():
            if not stat.S_ISDIR(e[1]) and info[e[0]][2] > 1:
                names.setdefault(e[0], []).append(rel)
        rows = []
        for rel in sorted(entries):
            ino, mode, uid, gid, size = entries[rel]
            perm, mtime, _, dev = info[ino]
            full = stat.S_IFMT(mode) | stat.S_IMODE(perm)
            what = sha(os.path.join(base, rel)) if stat.S_ISREG(mode) else \
                os.readlink(os.path.join(base, rel)) if stat.S_ISLNK(mode) else dev
            rows.append(line(rel, full, uid, gid, mtime, size, what,
                             min(names[ino]) if ino in names else None))
    return rows


def list_tar(archive):
    rows, first = [], {}
    with tarfile.open(archive) as t:
        members = t.getmembers()
        for m in members:
            if m.islnk():
                first.setdefault(m.linkname.rstrip("/"), [m.linkname]).append(m.name)
        for m in members:
            name = m.name.rstrip("/").removeprefix("./")
            if name in ("", ".") or name.split("/")[0] == "lost+found":
                continue
            target = t.getmember(m.linkname) if m.islnk() else m
            mode = {tarfile.REGTYPE: stat.S_IFREG, tarfile.DIRTYPE: stat.S_IFDIR,
                    tarfile.SYMTYPE: stat.S_IFLNK, tarfile.FIFOTYPE: stat.S_IFIFO,
                    tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK}[target.type]
            what = hashlib.sha256(t.extractfile(target).read()).hexdigest() if target.isreg() \
                else target.linkname if target.issym() \
                else "%d,%d" % (target.devmajor, target.devminor) if target.ischr() or target.isblk() else "-"
            group = first.get(target.name.rstrip("/"))
            rows.append(line(name, mode | target.mode, target.uid, target.gid, target.mtime,
                             target.size, what,
                             min(g.removeprefix("./") for g in group) if group else None))
    return sorted(rows)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "build":
        build(args[0])
        return
    rows = list_host(args[0]) if cmd == "host" else \
        list_image(args[0], args[1] if len(args) > 1 else "") if cmd == "image" else \
        list_tar(args[0])
    sys.stdout.write("".join(r + "\n" for r in sorted(rows)))


main()
