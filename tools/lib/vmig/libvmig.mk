# SPDX-License-Identifier: GPL-2.0
# For a Makefile that uses libvmig: set VMIG_ROOT, then include this file.
# It builds the library into $(LIBVMIG_O) (default $(VMIG_ROOT)/build/lib,
# where the top-level Makefile puts it) and provides
#   LIBVMIG_CFLAGS  the include paths for <vmig/libvmig.h>
#   LIBVMIG         the library, to list as a prerequisite
#   LIBVMIG_LIBS    what it needs linked after it: ISA-L
#   LIBVMIG_LDLIBS  both, to link with
# The library's rule is no one's default goal.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

LIBVMIG_SRC := $(VMIG_ROOT)/tools/lib/vmig
LIBVMIG_O ?= $(VMIG_ROOT)/build/lib
LIBVMIG := $(LIBVMIG_O)/libvmig.a
LIBVMIG_CFLAGS := -I$(VMIG_ROOT)/tools/lib -I$(VMIG_ROOT)/include/uapi
LIBVMIG_LIBS := -lisal -lgnutls
LIBVMIG_LDLIBS := $(LIBVMIG) $(LIBVMIG_LIBS)

$(LIBVMIG): $(wildcard $(LIBVMIG_SRC)/*.[ch] $(LIBVMIG_SRC)/kshim/*.h \
		$(LIBVMIG_SRC)/kshim/*/*.h $(LIBVMIG_SRC)/Makefile) \
	    $(VMIG_ROOT)/drivers/md/dm-vmig/pkg.c \
	    $(VMIG_ROOT)/drivers/md/dm-vmig/pkg.h \
	    $(VMIG_ROOT)/include/uapi/linux/vmig.h \
	    $(VMIG_ROOT)/include/uapi/linux/dm-vmig.h
	$(MAKE) -C $(LIBVMIG_SRC) O=$(LIBVMIG_O)
