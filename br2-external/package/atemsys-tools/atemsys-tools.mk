################################################################################
#
# atemsys-tools
#
################################################################################

ATEMSYS_TOOLS_VERSION = 1.4.39
ATEMSYS_TOOLS_SITE = $(BR2_EXTERNAL_ATEMSYS_PATH)/../src-kernel
ATEMSYS_TOOLS_SITE_METHOD = local
ATEMSYS_TOOLS_LICENSE = GPL-2.0
ATEMSYS_TOOLS_LICENSE_FILES = COPYING

# linked like the rest of the system (STATIC=), with the toolchain's flags;
# a newer compiler's new warnings must not fail the build (WERROR=). The
# install step passes the same, or the Makefile would build again.
ATEMSYS_TOOLS_MAKE_OPTS = \
	$(TARGET_CONFIGURE_OPTS) -C $(@D)/tools O=$(@D)/tools \
	STATIC= WERROR=

define ATEMSYS_TOOLS_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) $(ATEMSYS_TOOLS_MAKE_OPTS)
endef

define ATEMSYS_TOOLS_INSTALL_TARGET_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) $(ATEMSYS_TOOLS_MAKE_OPTS) \
		DESTDIR=$(TARGET_DIR) BINDIR=/usr/bin install
endef

$(eval $(generic-package))
