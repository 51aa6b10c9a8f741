/* The criteo emulator. */
#ifndef SGX_EMU_CRITEO_H
#define SGX_EMU_CRITEO_H

/** @brief `segexport-emulator criteo …`: runs until SIGINT/SIGTERM. @returns exit code. */
int sgx_emu_criteo_main(int argc, char **argv);

#endif
