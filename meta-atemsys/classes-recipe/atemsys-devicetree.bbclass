# Builds the atemsys device-tree overlays that KERNEL_DEVICETREE names
# (<dir>/<base>-atemsys.dtbo) in the kernel tree, from the sources in this
# layer's recipes-kernel/linux/atemsys-dts/ (generated from the board
# profiles), and the merged DTBs it names (<dir>/<base>-atemsys.dtb: the
# base with the overlay applied, by kbuild's "<name>-dtbs" composite rule,
# Linux 5.15 and later). For kernel recipes only: add it with
#   KERNEL_CLASSES:append = " atemsys-devicetree"
# as conf/atemsys/<board>.inc does, so that adding the layer alone changes
# no kernel.

ATEMSYS_DTS_DIR ?= "${ATEMSYS_LAYERDIR}/recipes-kernel/linux/atemsys-dts"
ATEMSYS_DT_OVERLAYS = "${@' '.join(x for x in (d.getVar('KERNEL_DEVICETREE') or '').split() if x.endswith('-atemsys.dtbo'))}"
ATEMSYS_DT_MERGED = "${@' '.join(x for x in (d.getVar('KERNEL_DEVICETREE') or '').split() if x.endswith('-atemsys.dtb'))}"
# scarthgap has no UNPACKDIR
ATEMSYS_DT_UNPACKDIR = "${@d.getVar('UNPACKDIR') or d.getVar('WORKDIR')}/atemsys-dts"

FILESEXTRAPATHS:prepend = "${ATEMSYS_DTS_DIR}:"

python __anonymous() {
    import os
    if not bb.data.inherits_class('kernel', d):
        bb.fatal("atemsys-devicetree is for kernel recipes: add it to KERNEL_CLASSES, do not inherit it")
    dts_dir = d.getVar('ATEMSYS_DTS_DIR')
    for dtbo in d.getVar('ATEMSYS_DT_OVERLAYS').split():
        src = dtbo[:-len('.dtbo')] + '.dtso'
        if not os.path.isfile(os.path.join(dts_dir, src)):
            bb.fatal("KERNEL_DEVICETREE names %s, but %s has no %s (the board profiles' overlays: npx orchestrate export)" % (dtbo, dts_dir, src))
        d.appendVar('SRC_URI', ' file://%s;subdir=atemsys-dts' % src)
    overlays = d.getVar('ATEMSYS_DT_OVERLAYS').split()
    for dtb in d.getVar('ATEMSYS_DT_MERGED').split():
        if dtb[:-len('.dtb')] + '.dtbo' not in overlays:
            bb.fatal("KERNEL_DEVICETREE names the merged %s but not its overlay %s" % (dtb, dtb[:-len('.dtb')] + '.dtbo'))
}

atemsys_dt_sources() {
	for dtbo in ${ATEMSYS_DT_OVERLAYS}; do
		src=${dtbo%.dtbo}.dtso
		install -D -m 0644 ${ATEMSYS_DT_UNPACKDIR}/$src ${S}/arch/${ARCH}/boot/dts/$src
	done
	# <dir>/<base>-atemsys.dtb := <dir>/<base>.dtb + <dir>/<base>-atemsys.dtbo
	for dtb in ${ATEMSYS_DT_MERGED}; do
		mk=${S}/arch/${ARCH}/boot/dts/$(dirname $dtb)/Makefile
		name=$(basename $dtb .dtb)
		grep -q "^$name-dtbs :=" $mk 2>/dev/null && continue
		printf '\n# meta-atemsys: %s with the atemsys overlay applied\ndtb-y += %s.dtb\n%s-dtbs := %s.dtb %s.dtbo\n' \
			"${name%-atemsys}" "$name" "$name" "${name%-atemsys}" "$name" >>$mk
	done
}
do_configure[prefuncs] += "atemsys_dt_sources"
