#!/bin/sh
# Checks Amphi's syscall number tables (include/uapi/<isa>/syscalls.h) against Linux's own
# headers for each ISA (the host's <asm/unistd.h> for x86_64, the cross compiler's for
# aarch64): every number is Linux's for that name, and a syscall one table implements is in
# the other table too whenever Linux has it on that ISA (aarch64 has no open, fork, dup2,
# pipe...: those stay x86_64's alone). Prints TAP; fails on any mismatch.
# usage: syscall_tables.sh source-dir x86_64-cc aarch64-cc
src=$(cd "${1:?usage: syscall_tables.sh source-dir x86_64-cc aarch64-cc}" && pwd) || exit 2
cc_x86_64=${2:?}
cc_aarch64=${3:?}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# Prints one TAP line: ok when $1 is 0.
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

# The names a table implements, one a line, sorted.
table_names() {
	sed -n 's/^SYSCALL([0-9]*, *\([a-z0-9_]*\))$/\1/p' "$src/include/uapi/$1/syscalls.h" | sort
}

# The syscall names Linux defines for an ISA, through its compiler cc, sorted.
linux_names() {
	echo '#include <asm/unistd.h>' | $1 -dM -E - |
		sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | sort
}

for isa in x86_64 aarch64; do
	eval cc=\$cc_$isa
	# each entry's number is __NR_<name> of Linux's header (a missing name fails to compile)
	printf '#include <asm/unistd.h>\n#define SYSCALL(nr, name) _Static_assert(__NR_##name == nr, "__NR_" #name " is not " #nr);\n#include "%s"\n' \
		"$src/include/uapi/$isa/syscalls.h" >"$tmp/$isa.c"
	$cc -fsyntax-only "$tmp/$isa.c" >"$tmp/$isa.err" 2>&1
	result $? "$isa: every number is Linux's"
	grep -E 'error' "$tmp/$isa.err" | sed 's/^/# /'
	table_names "$isa" >"$tmp/$isa.names"
	linux_names "$cc" >"$tmp/$isa.linux"
done

for pair in "x86_64 aarch64" "aarch64 x86_64"; do
	set -- $pair
	# names in table $1, that Linux has on $2, missing from table $2
	comm -23 "$tmp/$1.names" "$tmp/$2.names" | comm -12 - "$tmp/$2.linux" >"$tmp/missing"
	sed "s/^/# missing from $2: /" "$tmp/missing"
	[ ! -s "$tmp/missing" ]
	result $? "$2 maps every syscall of $1 that Linux has on $2"
done
echo "1..$n"
exit $failed
