/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names printed in text output come from the input (a task's comm, JSONL
 * names with "\n" or "\u001b" escapes, a recording's device names): text
 * writers put them through here so a line stays one line and cannot drive
 * the terminal. JSON and HTML writers have their own escaping.
 */
#ifndef SMMUTRACE_TEXT_H
#define SMMUTRACE_TEXT_H

#include <stdio.h>

/* S with every control character (< 0x20, 0x7f) written as \xNN */
void text__put(FILE *out, const char *s);

#endif
