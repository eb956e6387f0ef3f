// SPDX-License-Identifier: GPL-2.0
/*
 * migctl version: the tool's version and the loaded module's API.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vmig/libvmig.h>

#include "migctl.h"

/* Read the module's version and API into @v and @modver; 0 or 1. */
static int read_module(struct vmig_api_version *v, char *modver, size_t len)
{
	FILE *f;
	int fd, ret;

	fd = migctl_open_dev();
	if (fd < 0)
		return 1;
	ret = vmig_ioctl(fd, VMIG_GET_API_VERSION, v);
	if (ret) {
		fprintf(stderr, "migctl: VMIG_GET_API_VERSION: %s\n",
			strerror(-ret));
		close(fd);
		return 1;
	}
	close(fd);
	f = fopen("/sys/module/vmig/version", "r");
	if (f) {
		if (fgets(modver, len, f))
			modver[strcspn(modver, "\n")] = '\0';
		fclose(f);
	}
	return 0;
}

static int run_version(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct vmig_api_version v = { .size = sizeof(v) };
	struct json_object *o = NULL;
	char modver[64] = "";
	bool json = false;
	char **args;
	int ret;

	ret = migctl_parse(cmd, argc, argv, migctl_json_opt, &json, &argc, &args);
	if (ret >= 0)
		return ret;
	if (json) {
		o = json_object_new_object();
		migctl_json_str(o, "version", MIGCTL_VERSION);
		migctl_json_u64(o, "api_version", VMIG_API_VERSION);
	} else {
		printf("migctl %s (API %u)\n", MIGCTL_VERSION, VMIG_API_VERSION);
		fflush(stdout);
	}
	ret = read_module(&v, modver, sizeof(modver));
	if (!ret && json) {
		migctl_json_str(o, "module_version", modver);
		migctl_json_u64(o, "module_api_version", v.api_version);
		migctl_json_u64(o, "features", v.features);
	} else if (!ret) {
		printf("vmig module %s (API %u, features 0x%llx)\n",
		       modver[0] ? modver : "(unknown version)", v.api_version,
		       (unsigned long long)v.features);
	}
	if (json)
		migctl_json_print(o);
	if (!ret && v.api_version != VMIG_API_VERSION) {
		fprintf(stderr,
			"migctl: the module speaks API %u, this tool API %u: install matching versions\n",
			v.api_version, VMIG_API_VERSION);
		ret = 1;
	}
	return ret;
}

const struct migctl_cmd migctl_version_cmd = {
	.name = "version",
	.help = "print the tool's and the module's versions",
	.opts = migctl_json_opts,
	.run = run_version,
};
