// SPDX-License-Identifier: GPL-2.0
/*
 * wire_gen: write a whole vmig session of a 64-page VM (wire_build.h's
 * whole_session()) to standard output, for another program to carry to a
 * target: mig_netns.sh pipes it through OpenSSL's s_client into migctl
 * listen, and the target must end done with page 5 and the blob "state".
 */
#include <stdio.h>
#include <unistd.h>

#include "wire_build.h"

int main(void)
{
	static unsigned char out[3 * 4096];
	size_t n = whole_session(out, 0);

	if (write(STDOUT_FILENO, out, n) != (ssize_t)n) {
		perror("wire_gen");
		return 1;
	}
	return 0;
}
