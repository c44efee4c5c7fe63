/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Subcommand entry points: argv[0] is the subcommand name. Return an exit status. */
#ifndef SMMUTRACE_COMMANDS_H
#define SMMUTRACE_COMMANDS_H

int cmd_probe(int argc, char **argv);
int cmd_topology(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_whatif(int argc, char **argv);

#endif
