// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for VM names.
 */
#include "../vmig.h"

#include <kunit/test.h>

static bool valid(const char *s)
{
	char name[VMIG_NAME_MAX] = {};

	strscpy(name, s, sizeof(name));
	return vmig_name_valid(name);
}

static void vmig_vm_names(struct kunit *test)
{
	char name[VMIG_NAME_MAX];

	KUNIT_EXPECT_TRUE(test, valid("a"));
	KUNIT_EXPECT_TRUE(test, valid("guest-1.vm_A"));
	KUNIT_EXPECT_FALSE(test, valid(""));
	KUNIT_EXPECT_FALSE(test, valid("has space"));
	KUNIT_EXPECT_FALSE(test, valid("a/b"));
	KUNIT_EXPECT_FALSE(test, valid("tab\t"));
	KUNIT_EXPECT_FALSE(test, valid("\xc3\xa9t\xc3\xa9"));

	/* 31 characters fit; a full array has no NUL. */
	memset(name, 'x', sizeof(name));
	name[VMIG_NAME_MAX - 1] = '\0';
	KUNIT_EXPECT_TRUE(test, vmig_name_valid(name));
	name[VMIG_NAME_MAX - 1] = 'x';
	KUNIT_EXPECT_FALSE(test, vmig_name_valid(name));

	/* Garbage after the NUL is refused. */
	memset(name, 0, sizeof(name));
	name[0] = 'a';
	name[5] = 'b';
	KUNIT_EXPECT_FALSE(test, vmig_name_valid(name));
}

static struct kunit_case vmig_vm_cases[] = {
	KUNIT_CASE(vmig_vm_names),
	{}
};

static struct kunit_suite vmig_vm_suite = {
	.name = "vmig_vm",
	.test_cases = vmig_vm_cases,
};

kunit_test_suites(&vmig_vm_suite);
