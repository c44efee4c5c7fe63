// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* placeholder: being written (see the issue tracker) */
#include "commands.h"
#include "env.h"

int cmd_convert(int argc, char **argv)
{
	pr_err("convert: not available in this build yet\n");
	return EXIT_ENV;
}
