SUMMARY = "atemsys: the kernel module and its udev rule; -tests adds the selftests and the EtherCAT tools"

# the module is machine specific
PACKAGE_ARCH = "${MACHINE_ARCH}"

inherit packagegroup

PACKAGES = "${PN} ${PN}-tests"

RDEPENDS:${PN} = "atemsys"
RDEPENDS:${PN}-tests = "${PN} atemsys-selftest atemsys-tools"
