################################################################################
#
# atemsys-selftest
#
################################################################################

ATEMSYS_SELFTEST_VERSION = 1.4.39
ATEMSYS_SELFTEST_SITE = $(BR2_EXTERNAL_ATEMSYS_PATH)/../src-kernel
ATEMSYS_SELFTEST_SITE_METHOD = local
ATEMSYS_SELFTEST_LICENSE = GPL-2.0
ATEMSYS_SELFTEST_LICENSE_FILES = COPYING

# linked like the rest of the system (STATIC=), with the toolchain's flags;
# a newer compiler's new warnings must not fail the build (WERROR=). The
# install step passes the same, or the Makefile would build again.
ATEMSYS_SELFTEST_MAKE_OPTS = \
	$(TARGET_CONFIGURE_OPTS) -C $(@D)/selftests O=$(@D)/selftests \
	STATIC= WERROR=

define ATEMSYS_SELFTEST_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) $(ATEMSYS_SELFTEST_MAKE_OPTS)
endef

define ATEMSYS_SELFTEST_INSTALL_TARGET_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) $(ATEMSYS_SELFTEST_MAKE_OPTS) \
		DESTDIR=$(TARGET_DIR) BINDIR=/usr/bin install
endef

$(eval $(generic-package))
