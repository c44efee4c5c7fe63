/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. The JSONL reader and the JSON writer share it so that whatever
 * the reader accepts, the writer writes back unchanged.
 */
#ifndef SMMUTRACE_UTF8_H
#define SMMUTRACE_UTF8_H

#include <stddef.h>

/* Length (1..4) of the well-formed sequence at S (N bytes left), 0 if none. */
size_t utf8__seq_len(const unsigned char *s, size_t n);
/* Length of the longest well-formed prefix of S: N when all of S is valid. */
size_t utf8__valid_prefix(const char *s, size_t n);

#endif
