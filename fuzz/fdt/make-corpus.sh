#!/usr/bin/env bash
# Writes the FDT target's seed blobs into DIR (default fuzz/fdt/corpus): QEMU's aarch64
# virt machine (GICv2; GICv3 with 4 CPUs; EL3 and EL2), packed by dtc (QEMU dumps 1 MiB
# blobs, mostly free space; x86's microvm has no dumpdtb), tests/fdt's sources compiled by
# dtc, and the hosted machine's own DTBs, read at kmain under gdb from AMPHI (default
# build/fuzz/amphi) with a clean environment (exec puts it into amphi,exec-envp). The
# regress-* inputs are not made here: they are what the fuzzer found.
set -euo pipefail
src=$(realpath "$(dirname "$0")/../..")
out=$(realpath "${1:-$src/fuzz/fdt/corpus}")
amphi=$(realpath "${AMPHI:-$src/build/fuzz/amphi}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

virt() { # NAME MACHINE-OPTIONS QEMU-OPTIONS...
  local name=$1 machine=$2
  shift 2
  qemu-system-aarch64 -M "virt,$machine,dumpdtb=$name.full" "$@" -display none >/dev/null 2>&1
  dtc -q -I dtb -O dtb -o "$out/$name.dtb" "$name.full"
}
virt qemu-virt-gicv2 gic-version=2
virt qemu-virt-gicv3-smp4 gic-version=3 -smp 4 -cpu max
virt qemu-virt-el3 secure=on,virtualization=on -cpu max

for name in board cells32 nomemory; do
  dtc -q -I dts -O dtb -o "$out/$name.dtb" "$src/tests/fdt/$name.dts"
done

cat >dump.py <<'PY'
import gdb, struct
def dump(name):
    blob = int(gdb.parse_and_eval("$rdi"))  # kmain's argument: the DTB
    mem = gdb.selected_inferior()
    total = struct.unpack(">I", bytes(mem.read_memory(blob + 4, 4)))[0]
    open(name, "wb").write(bytes(mem.read_memory(blob, total)))
PY
hosted() { # NAME AMPHI-ARGUMENTS...
  local name=$1
  shift
  env -i HOME=/ TERM=linux gdb -q -batch -x dump.py -ex 'break kmain' -ex "run $*" \
    -ex "python dump('$out/$name.dtb')" -ex kill "$amphi" >/dev/null 2>&1
  test -s "$out/$name.dtb"
}
hosted hosted-smp2 --cpus 2 -- ktest=none quiet
hosted hosted-exec-smp4 exec --cpus 4 -- /bin/echo one two
