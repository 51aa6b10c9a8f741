/* `segexport normalize`: normalizes (and hashes) identifiers read as JSON Lines, for checking
 * what segexport would send for a value, and for golden tests of the normalizers. */
#ifndef SGX_CMD_NORMALIZE_H
#define SGX_CMD_NORMALIZE_H

#include <stdio.h>

#include "codecs/normalize.h"

/**
 * @brief Entry point of the subcommand.
 * @param argv argv[0] is the command name ("normalize"), then
 *        `--destination facebook|microsoft_ads|criteo|dotdigital [--default-country CC]`
 *        (`--opt=value` also accepted). Reads stdin, writes stdout, diagnostics on stderr.
 * @returns 0 when the input was processed (bad lines are reported inline), 1 when stdin or
 *          stdout fails, 2 on a usage error.
 */
int sgx_cmd_normalize(int argc, char **argv);

/**
 * @brief Reads JSON Lines from in, one `{"key":K,"value":V[,"country":C]}` per line, and writes
 * one line per input line, in order:
 * `{"key":K,"normalized":S|null,"sha256":H|null[,"reason":R]}` — sha256 is null when the key is
 * not hashed for dest or the value was dropped (R says why); a pre-hashed input is passed
 * through as its own sha256. A malformed line yields `{"error":"<what>","line":N}`; the error
 * text never echoes input (it may be personal data).
 * @param in, out borrowed. @param default_country borrowed, may be NULL.
 * @returns 0, or 1 when reading or writing failed (or no hasher is available).
 */
int sgx_normalize_stream(FILE *in, FILE *out, sgx_dest_kind_t dest, const char *default_country);

#endif
