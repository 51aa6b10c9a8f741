/* `segexport demo`: the command that assembles the demo's parts (cli/demo/) around the real
 * pipeline. Kept apart from cli/demo/demo.h so the parts never see the command that uses them. */
#ifndef SGX_CMD_DEMO_H
#define SGX_CMD_DEMO_H

/** @brief `segexport demo [--events N] [--profiles N] [--log-level L]`. argv borrowed.
 *  @returns exit code. */
int sgx_cmd_demo(int argc, char **argv);

#endif
