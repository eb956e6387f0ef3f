#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What 'make demo' shows inside the VM until a migration exists: the module
# is loaded, its device is there, and migctl talks to it.
set -e
echo "kernel:  $(uname -r)"
echo "module:  vmig $(cat /sys/module/vmig/version)"
echo "device:  $(ls -l /dev/vmig)"
echo
echo "\$ migctl version"
migctl version
