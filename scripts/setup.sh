#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs everything this project needs on Debian 12 (bookworm): Debian
# packages through apt-get, npm packages through npm ci, and checkpatch.pl
# unpacked from Debian's linux-source-6.1. Safe to run again: it only
# installs what is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packages=(
	# build the module against Debian's kernel headers (6.12 needs pahole)
	make gcc gcc-12 bc bison flex libelf-dev libssl-dev dwarves kmod
	# cross compilers and libc for the static selftests
	gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-i686-linux-gnu
	libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-i386-cross
	# static checks: sparse, and checkpatch.pl from the kernel source
	sparse linux-source-6.1 perl
	# guests: QEMU, initramfs, device trees
	qemu-system-x86 qemu-system-arm cpio gzip xz-utils zstd
	device-tree-compiler file ca-certificates
)

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo=(sudo)
	else
		echo "setup: run as root (or install sudo): apt-get needs it" >&2
		exit 1
	fi
else
	sudo=()
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	# A foreign-arch index that is mid-sync on the mirror makes update exit
	# 100; the amd64 indexes we install from are still usable then.
	"${sudo[@]}" apt-get update -q || echo "setup: apt-get update reported errors, continuing" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# checkpatch.pl and the data files it reads, from linux-source-6.1
cp_dir=.cache/linux-source
if [ ! -f "$cp_dir/scripts/checkpatch.pl" ]; then
	src=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
	mkdir -p "$cp_dir"
	tar -xf "$src" -C "$cp_dir" --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi

# npm packages, exactly as locked
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund
fi

echo "setup: done"
