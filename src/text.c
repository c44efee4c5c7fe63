// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "text.h"

void text__put(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}
