SUMMARY = "Kernel module giving EtherCAT masters access to their Ethernet hardware"
DESCRIPTION = "atemsys gives real-time userspace Ethernet drivers (EtherCAT \
masters and simulators) PCI configuration, device registers, contiguous DMA \
memory and interrupts through /dev/atemsys, or a device-tree MAC with its PHY. \
Userspace ABI of acontis atemsys 1.4.x."
SECTION = "kernel/modules"

require atemsys-source.inc
LIC_FILES_CHKSUM = "file://COPYING;md5=b234ee4d69f5fce4486a80fdaf4a4263"
S = "${ATEMSYS_SRC}/src-kernel"

inherit module useradd
# BusyBox init (INIT_MANAGER = "mdev-busybox") and SysV init read no
# modules-load.d: an init script loads the module there
inherit ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', '', 'update-rc.d', d)}
INITSCRIPT_NAME = "atemsys"
INITSCRIPT_PARAMS = "start 15 S . stop 85 0 6 ."

# module.bbclass names the module's package kernel-module-atemsys-<kernel>;
# the recipe's own package depends on it and carries the udev rule
RPROVIDES:${PN} += "kernel-module-atemsys"

# Loaded at boot. Module options, e.g.
#   ATEMSYS_MODULE_OPTIONS = "AllowedPciDevices=0000:01:00.0 pci_irq_mode=msi"
# go to /etc/modprobe.d/atemsys.conf
KERNEL_MODULE_AUTOLOAD += "atemsys"
ATEMSYS_MODULE_OPTIONS ??= ""
KERNEL_MODULE_PROBECONF += "atemsys"
module_conf_atemsys = "${@'options atemsys ' + d.getVar('ATEMSYS_MODULE_OPTIONS') if d.getVar('ATEMSYS_MODULE_OPTIONS').strip() else ''}"

# /dev/atemsys belongs to the atemsys group, mode 0660: add the EtherCAT
# master's user to that group instead of running it as root
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system atemsys"

do_install:append() {
	install -D -m 0644 ${S}/udev/60-atemsys.rules \
		${D}${nonarch_base_libdir}/udev/rules.d/60-atemsys.rules
	install -D -m 0755 ${S}/init/atemsys-init ${D}${sysconfdir}/init.d/atemsys
	install -D -m 0644 ${S}/init/mdev.conf ${D}${datadir}/atemsys/mdev.conf
}

# With mdev (busybox-mdev's /etc/mdev.conf) the node's group comes from a
# line in that file: added once, at rootfs time or on the target
pkg_postinst:${PN}() {
	conf=$D${sysconfdir}/mdev.conf
	line=$(grep -v '^#' $D${datadir}/atemsys/mdev.conf)
	if [ -f "$conf" ] && ! grep -qxF "$line" "$conf"; then
		echo "$line" >>"$conf"
	fi
}

FILES:${PN} += "${nonarch_base_libdir}/udev/rules.d/60-atemsys.rules ${sysconfdir}/init.d/atemsys ${datadir}/atemsys"
