SUMMARY = "EtherCAT master, slave simulator and benchmark on atemsys"
DESCRIPTION = "atemsys-ecat runs an EtherCAT master or a simulated segment of \
slaves over a userspace Intel 82574L driver on /dev/atemsys, or over an \
AF_PACKET raw socket; atemsys-bench measures atemsys against UIO, VFIO and \
AF_PACKET. The selftests' link-layer group uses atemsys-ecat."
SECTION = "kernel/userland"

require atemsys-source.inc
LIC_FILES_CHKSUM = "file://../COPYING;md5=b234ee4d69f5fce4486a80fdaf4a4263"
S = "${ATEMSYS_SRC}/src-kernel/tools"
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

RRECOMMENDS:${PN} += "atemsys"
