/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drivers/vmig/wire.h for a userspace file: the kernel's types first (the
 * header uses u32, u64), then the header itself.
 */
#ifndef _VMIG_FUZZ_WIRE_SHIM_H
#define _VMIG_FUZZ_WIRE_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#include "../../../drivers/vmig/wire.h"

#endif /* _VMIG_FUZZ_WIRE_SHIM_H */
