################################################################################
#
# atemsys
#
################################################################################

ATEMSYS_VERSION = 1.4.39
ATEMSYS_SITE = $(BR2_EXTERNAL_ATEMSYS_PATH)/../src-kernel
ATEMSYS_SITE_METHOD = local
ATEMSYS_LICENSE = GPL-2.0
ATEMSYS_LICENSE_FILES = COPYING
# /dev/atemsys is given to this group (board/atemsys/post-build.sh)
ATEMSYS_USERS = - - atemsys -1 - - - - atemsys device access

# BusyBox init (the default) and SysV init read no modules-load.d: load it
# from an init script; mdev gives the node its group (board/atemsys/post-build.sh)
define ATEMSYS_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/init/atemsys-init $(TARGET_DIR)/etc/init.d/S15atemsys
endef

$(eval $(kernel-module))
$(eval $(generic-package))
