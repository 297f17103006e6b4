#!/bin/sh
# Applies each atemsys overlay the kernel built (<base>-atemsys.dtbo, from
# BR2_LINUX_KERNEL_CUSTOM_DTS_DIR) to <base>.dtb in the images directory,
# so that the board boots with its MAC handed to atemsys. List it in
# BR2_ROOTFS_POST_IMAGE_SCRIPT before the script that makes the boot
# partition. Needs host-dtc (fdtoverlay).
set -eu

fdtoverlay="${HOST_DIR}/bin/fdtoverlay"

for dtbo in "${BINARIES_DIR}"/*-atemsys.dtbo; do
	[ -e "${dtbo}" ] || continue
	base="${dtbo%-atemsys.dtbo}.dtb"
	if [ ! -e "${base}" ]; then
		echo "atemsys: ${dtbo##*/} is for ${base##*/}, which the kernel did not build (BR2_LINUX_KERNEL_INTREE_DTS_NAME)" >&2
		exit 1
	fi
	"${fdtoverlay}" -i "${base}" -o "${base}.atemsys" "${dtbo}"
	mv "${base}.atemsys" "${base}"
	echo "atemsys: applied ${dtbo##*/} to ${base##*/}"
done
