#!/usr/bin/env bash
# Writes the cpio target's seed archives into DIR (default fuzz/cpio/corpus) with GNU cpio:
# files, directories, symlinks, hard links, device nodes (needs root), a fifo, the newc and
# crc formats, concatenated archives, replacements, a trailer alone, and a file whose data
# starts on a page (the boot RAM disk's adoption path). The regress-* inputs are not made
# here: they are what the fuzzer found.
set -euo pipefail
out=$(realpath "${1:-$(dirname "$0")/corpus}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
newc() { cpio -o -H newc --quiet; }

mkdir -p tree/dir/sub tree/etc devs r1 r2/x
echo hello >tree/file
head -c 5000 /dev/zero | tr '\0' x >tree/dir/big
ln -s file tree/link
ln -s /nonexistent/target tree/dir/dangling
echo shared >tree/hard1
ln tree/hard1 tree/dir/hard2
echo "root:x:0:0::/:/bin/sh" >tree/etc/passwd
chmod 0600 tree/etc/passwd
mkfifo tree/fifo
(cd tree && find . | sort | newc) >"$out/tree-newc.cpio"
(cd tree && find . | sort | cpio -o -H crc --quiet) >"$out/tree-crc.cpio"
(cd tree && echo file | newc) >"$out/one-file.cpio"
(cd tree && printf 'link\ndir\ndir/dangling\n' | newc) >"$out/symlinks.cpio"
(cd tree && printf 'hard1\ndir/hard2\n' | newc) >"$out/hardlinks.cpio"
(cd tree && echo dir/sub | newc) >"$out/deep-dir-without-parents.cpio"
mknod devs/null c 1 3
mknod devs/vda b 254 0
(cd devs && printf 'null\nvda\n' | newc) >"$out/devnodes.cpio"
cat "$out/one-file.cpio" "$out/symlinks.cpio" >"$out/concatenated.cpio"
echo a >r1/x
echo in >r2/x/y
(cd r1 && echo x | newc) >a.cpio
(cd r2 && printf 'x\nx/y\n' | newc) >b.cpio
cat a.cpio b.cpio a.cpio >"$out/replace.cpio" # a file, a directory in its place, a file again
newc </dev/null >"$out/trailer-only.cpio"
# A padding file sized so that the next entry's data starts at byte 4096: "pad" takes 116
# bytes of header and name, "paged" 116 too.
seq 1 1700 | head -c 8292 >paged
head -c $((4096 - 116 - 116)) /dev/zero | tr '\0' p >pad
printf 'pad\npaged\n' | newc >"$out/page-aligned-data.cpio"
at=$(grep -abo 'paged' "$out/page-aligned-data.cpio" | head -1 | cut -d: -f1)
if (((at + 6) % 4096 != 0)); then
  echo "make-corpus.sh: the file's data starts at $((at + 6)), not on a page" >&2
  exit 1
fi
