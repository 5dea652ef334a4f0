#!/usr/bin/env bash
# Rebuilds the ELF target's seed corpus (fuzz/elf/corpus): small static x86_64 programs
# made by musl-gcc (an ET_EXEC, one with data and bss, a static-PIE), a minimal hand-made
# image, truncated and corrupted variants of them, and "#!" scripts.
# Usage: fuzz/elf/make_corpus.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cat >"$work/tiny.c" <<'C'
int main(void) { return 0; }
C
cat >"$work/bss.c" <<'C'
#include <string.h>
#include <unistd.h>
static char bss[20000];
int data = 42;
int main(int argc, char **argv) { bss[argc] = (char)data; write(1, argv[0], strlen(argv[0])); return bss[1]; }
C
cc="musl-gcc -Os -s -Wl,-z,noseparate-code"
$cc -static -o "$out/static-exec" "$work/tiny.c"
$cc -static -o "$out/static-bss" "$work/bss.c"
$cc -static-pie -fPIE -Wl,--no-dynamic-linker -o "$out/static-pie" "$work/tiny.c"
python3 - "$out" <<'PY'
import struct, sys
out = sys.argv[1]
def put(name, data):
    open(f"{out}/{name}", "wb").write(data)
# the smallest valid image: one R+X PT_LOAD holding the headers and `mov eax,60; syscall`
code = bytes.fromhex("b83c0000000f05")
ehdr = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1,
       0x400078, 64, 0, 0, 64, 56, 1, 64, 0, 0)
phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 120 + len(code), 120 + len(code), 0x1000)
minimal = ehdr + phdr + code
put("minimal", minimal)
put("minimal-pt-interp", minimal[:64] + struct.pack("<I", 3) + minimal[68:])
put("minimal-bss", minimal[:64 + 40] + struct.pack("<Q", 0x3000) + minimal[112:])
put("minimal-entry-outside", minimal[:24] + struct.pack("<Q", 0x500000) + minimal[32:])
put("minimal-phnum-2", minimal[:56] + struct.pack("<H", 2) + minimal[58:])
put("minimal-filesz-huge", minimal[:96] + struct.pack("<Q", 1 << 40) + minimal[104:])
put("minimal-32bit", minimal[:4] + b"\x01" + minimal[5:])
put("minimal-aarch64", minimal[:18] + struct.pack("<H", 183) + minimal[20:])
exe = open(f"{out}/static-exec", "rb").read()
put("static-exec-truncated-64", exe[:64])
put("static-exec-truncated-300", exe[:300])
put("static-exec-truncated-half", exe[:len(exe) // 2])
put("static-exec-phoff-far", exe[:32] + struct.pack("<Q", len(exe) - 8) + exe[40:])
put("header-only", minimal[:64])
put("empty", b"")
put("script-self", b"#!/tmp/prog\n")
put("script-arg", b"#!/tmp/prog -x  \necho\n")
put("script-missing", b"#! /no/such/interp arg\n")
put("script-tree", b"#!/tmp/dir/exec\n")
put("script-file", b"#!/tmp/file\n")
put("script-no-newline", b"#!/tmp/prog")
put("script-long", b"#!/" + b"a" * 300 + b"\n")
put("script-blank", b"#!  \t \n")
PY
