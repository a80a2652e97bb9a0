/*
 * fuzz_cli.h — shared by the CLI fuzzer and its session stub. Input layout: the arguments after the
 * program name, separated by NUL bytes (at most FUZZ_CLI_MAX_ARGS of them; a '/' in an argument becomes
 * '_', so no path leaves the fuzzer's empty working directory).
 */
#ifndef CAIRN_FUZZ_CLI_H
#define CAIRN_FUZZ_CLI_H

#include <stdio.h>

#define FUZZ_CLI_STOP 99 /* a command got past its argument checks and asked for its journal */
#define FUZZ_CLI_MAX_ARGS 32

#endif
