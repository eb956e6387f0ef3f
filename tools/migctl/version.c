// SPDX-License-Identifier: GPL-2.0
/*
 * migctl version: the tool's version and the loaded module's API.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vmig.h>

#include "migctl.h"

int cmd_version(int argc, char **argv)
{
	struct vmig_api_version v = { .size = sizeof(v) };
	char modver[64] = "";
	FILE *f;
	int fd;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: migctl version\n");
		return 2;
	}
	printf("migctl %s (API %u)\n", MIGCTL_VERSION, VMIG_API_VERSION);

	fd = migctl_open_dev();
	if (fd < 0)
		return 1;
	if (ioctl(fd, VMIG_GET_API_VERSION, &v)) {
		fprintf(stderr, "migctl: VMIG_GET_API_VERSION: %s\n",
			strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);

	f = fopen("/sys/module/vmig/version", "r");
	if (f) {
		if (fgets(modver, sizeof(modver), f))
			modver[strcspn(modver, "\n")] = '\0';
		fclose(f);
	}
	printf("vmig module %s (API %u, features 0x%llx)\n",
	       modver[0] ? modver : "(unknown version)", v.api_version,
	       (unsigned long long)v.features);
	if (v.api_version != VMIG_API_VERSION) {
		fprintf(stderr,
			"migctl: the module speaks API %u, this tool API %u: install matching versions\n",
			v.api_version, VMIG_API_VERSION);
		return 1;
	}
	return 0;
}
