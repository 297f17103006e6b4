SUMMARY = "Selftests of the atemsys kernel module"
DESCRIPTION = "atemsys-selftest exercises /dev/atemsys against the board's \
hardware (PCI: QEMU's edu and e1000e; device tree: the MAC handed to atemsys) \
and prints KTAP. atemsys-selftest --list prints the plan."
SECTION = "kernel/userland"

require atemsys-source.inc
LIC_FILES_CHKSUM = "file://../COPYING;md5=b234ee4d69f5fce4486a80fdaf4a4263"
S = "${ATEMSYS_SRC}/src-kernel/selftests"
B = "${WORKDIR}/build"

# linked against the shared libc, with the distribution's flags; a newer
# compiler's new warnings must not fail a product build
EXTRA_OEMAKE = "-C ${S} O=${B} STATIC= WERROR="

do_compile() {
	oe_runmake
}

do_install() {
	oe_runmake install DESTDIR=${D} BINDIR=${bindir}
}

# the link-layer group (--group ll) runs atemsys-ecat
RRECOMMENDS:${PN} += "atemsys atemsys-tools"
