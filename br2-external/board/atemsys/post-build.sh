#!/bin/sh
# Gives /dev/atemsys to the atemsys group, mode 0660 (the group comes with
# the atemsys package): the udev rule with eudev or systemd, an mdev.conf
# line with mdev. Use as BR2_ROOTFS_POST_BUILD_SCRIPT.
set -eu

rules="$(dirname "$0")/../../../src-kernel/udev/60-atemsys.rules"
mdev_line=$(grep -v '^#' "$(dirname "$0")/../../../src-kernel/init/mdev.conf")

if grep -Eq '^BR2_ROOTFS_DEVICE_CREATION_DYNAMIC_(EUDEV|SYSTEMD)=y$' "${BR2_CONFIG}"; then
	install -D -m 0644 "${rules}" "${TARGET_DIR}/etc/udev/rules.d/60-atemsys.rules"
elif grep -q '^BR2_ROOTFS_DEVICE_CREATION_DYNAMIC_MDEV=y$' "${BR2_CONFIG}"; then
	if ! grep -qxF "${mdev_line}" "${TARGET_DIR}/etc/mdev.conf"; then
		echo "${mdev_line}" >>"${TARGET_DIR}/etc/mdev.conf"
	fi
else
	echo "atemsys: no udev or mdev: /dev/atemsys stays root's (0600)" >&2
fi
