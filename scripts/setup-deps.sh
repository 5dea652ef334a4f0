#!/usr/bin/env bash
# Installs the Debian packages that building and testing Amphi need.
# Does nothing (and needs no root) when they are all present already.
set -euo pipefail

packages=(
	# build
	gcc make cmake pkg-config libc6-dev libgcc-12-dev
	# aarch64 cross compiler
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
	# hosted platform: device tree generation, Valgrind client requests
	libfdt-dev valgrind
	# hosted user mode: Unicorn runs user programs; busybox-static and musl are test programs
	libunicorn-dev busybox-static musl-tools
	# tests: CUnit, dtc for reference device trees, readelf for the ELF parser's tests, GNU
	# cpio for the cpio reader's
	libcunit1-dev device-tree-compiler binutils cpio
	# QEMU targets and the GRUB rescue ISO
	qemu-system-x86 qemu-system-arm seabios grub-pc-bin grub-common xorriso mtools
	# U-Boot for QEMU arm64, to boot the Image through booti as a board would
	u-boot-qemu
)

# Prints the packages from the list that are not installed.
missing_packages() {
	local pkg status
	for pkg in "${packages[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}

mapfile -t missing < <(missing_packages)
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "setup-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "setup-deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
