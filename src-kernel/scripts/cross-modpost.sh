#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build scripts/mod/modpost for a cross target, from linux-source.
#
# Debian's amd64 linux-kbuild runs, for 32-bit targets, a modpost built with
# the build machine's (64-bit) device-table layouts: it rejects every
# MODULE_DEVICE_TABLE of a 32-bit ARM module ("sizeof(struct of_device_id)=200
# is not a modulo of the size of section ..."). This builds one whose
# layouts come from the target's own headers.
#
#   cross-modpost.sh KERNELDIR ARCH CROSS_COMPILE OUTDIR
#
# LINUX_SOURCE: the kernel source tarball of the same series (default: the
# /usr/src/linux-source-<series>.tar.* that Debian's linux-source-<series>
# installs). Result: OUTDIR/modpost.
set -eu

kdir=$1 arch=$2 cross=$3 out=$4

release=$(cat "$kdir/include/config/kernel.release")
series=$(echo "$release" | cut -d. -f1-2)
src=${LINUX_SOURCE:-$(ls /usr/src/linux-source-"$series".tar.* 2>/dev/null | head -n 1)}
if [ -z "$src" ] || [ ! -f "$src" ]; then
	echo "cross-modpost: no linux-source-$series tarball (set LINUX_SOURCE or install linux-source-$series)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
top=linux-source-$series
# scripts/ (mod/ and, since 6.x, include/ with xalloc.h and list.h) and
# include/linux/ (mod_devicetable.h, license.h, module_symbol.h): whole
# directories, as the files they hold differ between releases
tar -xf "$src" -C "$tmp" "$top/scripts" "$top/include/linux"
mod=$tmp/$top/scripts/mod

# the target's struct layouts and ELF class, as kbuild computes them
echo 'obj-m := empty.o' > "$mod/Kbuild"
make -s -C "$kdir" M="$mod" ARCH="$arch" CROSS_COMPILE="$cross" \
	devicetable-offsets.s empty.o
# each offset is emitted as  .ascii "->NAME $VALUE comment"  ('#' on arm)
awk 'BEGIN {
	print "#ifndef __DEVICETABLE_OFFSETS_H__"
	print "#define __DEVICETABLE_OFFSETS_H__"
}
/\.ascii/ && /"->[A-Za-z_]/ {
	s = $0
	sub(/^[^"]*"->/, "", s)
	sub(/".*$/, "", s)
	if (split(s, f, " ") < 2)
		next
	gsub(/[$#]/, "", f[2])
	printf "#define %s %s\n", f[1], f[2]
}
END { print "#endif" }' "$mod/devicetable-offsets.s" > "$mod/devicetable-offsets.h"
${HOSTCC:-cc} -O2 -o "$mod/mk_elfconfig" "$mod/mk_elfconfig.c"
"$mod/mk_elfconfig" < "$mod/empty.o" > "$mod/elfconfig.h"
# the objects its Makefile names (symsearch.o since 6.11)
objs=$(sed -n 's/^modpost-objs[[:space:]]*:=[[:space:]]*//p' "$mod/Makefile")
[ -n "$objs" ] || objs="modpost.o file2alias.o sumversion.o"
srcs=
for o in $objs; do srcs="$srcs $mod/${o%.o}.c"; done
# shellcheck disable=SC2086 # one word per source
${HOSTCC:-cc} -O2 -I"$mod" -I"$tmp/$top/scripts/include" -o "$mod/modpost" $srcs

mkdir -p "$out"
cp "$mod/modpost" "$out/modpost"
echo "cross-modpost: $out/modpost for $release ($(grep -c define "$mod/devicetable-offsets.h") layouts from $(basename "$src"))"
