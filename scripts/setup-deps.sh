#!/usr/bin/env bash
# Installs the Debian packages that building and testing Amphi need, and fetches Debian's
# arm64 busybox-static into build/deps/ (the aarch64 guest's test program).
# Does nothing (and needs no root) when they are all present already.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
arm64_busybox_dir=$root/build/deps/busybox-static-arm64

packages=(
	# build
	gcc make cmake pkg-config libc6-dev libgcc-12-dev
	# aarch64 cross compiler, and its C library for static aarch64 test programs
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
	# hosted platform: device tree generation, Valgrind client requests
	libfdt-dev valgrind
	# hosted user mode: Unicorn runs user programs; busybox-static and musl are test programs
	libunicorn-dev busybox-static musl-tools
	# the shell-at-a-terminal test drives a pseudo-terminal with python3
	python3
	# qemu-aarch64: the reference run of aarch64 programs on the host
	qemu-user
	# tests: CUnit, dtc for reference device trees, readelf for the ELF parser's tests, GNU
	# cpio for the cpio reader's
	libcunit1-dev device-tree-compiler binutils cpio
	# QEMU targets and the GRUB rescue ISO
	qemu-system-x86 qemu-system-arm seabios grub-pc-bin grub-common xorriso mtools
	# U-Boot for QEMU arm64, to boot the Image through booti as a board would
	u-boot-qemu
	# block devices and ext2: images made and checked by mke2fs, e2fsck and debugfs,
	# partition tables by sfdisk (MBR) and sgdisk (GPT)
	e2fsprogs fdisk gdisk
	# debugging: gdb on the hosted kernel, gdb-multiarch on QEMU's gdbstub
	gdb gdb-multiarch
	# the hosted GPU's screenshots (libpng) and the framebuffer console's font (a PSF font
	# of console-setup, turned into C at build time)
	libpng-dev console-setup-linux
	# the hosted display's window (--display sdl; loaded at run time only), and the X
	# server and key typist its test drives it with
	libsdl2-dev xvfb xdotool
	# fuzzing (preset fuzz): clang with libFuzzer and its sanitizers
	clang libclang-rt-14-dev
	# the kernel's line coverage report (make coverage): gcovr reads gcc's gcov counts
	gcovr
	# boot fleets through libvirt (harness/virt): the client library, virsh, and the daemon
	# with its QEMU driver (libvirt-daemon-system makes the libvirt-qemu user and qemu.conf)
	libvirt-dev libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system
)

# Prints the packages from the list that are not installed.
missing_packages() {
	local pkg status
	for pkg in "${packages[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}

# Runs "$@" as root: directly, or through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "setup-deps: need root (or sudo) to run: $*" >&2
		exit 1
	fi
}

export DEBIAN_FRONTEND=noninteractive

# Installs the missing packages of the list.
install_packages() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] && return
	echo "setup-deps: installing ${missing[*]}"
	as_root apt-get update -q
	as_root apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# Fetches busybox-static:arm64 and unpacks it into $arm64_busybox_dir (bin/busybox). The
# package index of arm64 needs that architecture in dpkg's list (it installs nothing).
fetch_arm64_busybox() {
	[ -x "$arm64_busybox_dir/bin/busybox" ] && return
	echo "setup-deps: fetching busybox-static:arm64 into $arm64_busybox_dir"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		as_root dpkg --add-architecture arm64
		as_root apt-get update -q
	fi
	local tmp download=(apt-get download -q)
	tmp=$(mktemp -d)
	# apt-get download writes into the current directory, as the calling user; root's
	# private temporary directory is out of reach of apt's sandbox user
	[ "$(id -u)" -eq 0 ] && download+=(-o APT::Sandbox::User=root)
	if ! (cd "$tmp" && "${download[@]}" busybox-static:arm64 </dev/null); then
		as_root apt-get update -q
		(cd "$tmp" && "${download[@]}" busybox-static:arm64 </dev/null)
	fi
	rm -rf "$arm64_busybox_dir.new"
	mkdir -p "$arm64_busybox_dir.new"
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$arm64_busybox_dir.new"
	rm -rf "$tmp" "$arm64_busybox_dir"
	mv "$arm64_busybox_dir.new" "$arm64_busybox_dir"
}

# Lets gdb auto-load the kernel's helpers (harness/gdb, named in its .debug_gdb_scripts
# section) for binaries under this tree's build/, so plain `gdb build/hosted/amphi` has them.
trust_gdb_scripts() {
	local init="${XDG_CONFIG_HOME:-$HOME/.config}/gdb/gdbinit"
	local line="add-auto-load-safe-path $root/build"
	grep -qxF "$line" "$init" 2>/dev/null && return
	mkdir -p "$(dirname "$init")"
	echo "$line" >>"$init"
	echo "setup-deps: gdb may now load Amphi's helpers from $root/build ($init)"
}

install_packages
fetch_arm64_busybox
trust_gdb_scripts
