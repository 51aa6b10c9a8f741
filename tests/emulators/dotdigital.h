/* The dotdigital emulator. */
#ifndef SGX_EMU_DOTDIGITAL_H
#define SGX_EMU_DOTDIGITAL_H

/** @brief `segexport-emulator dotdigital …`: runs until SIGINT/SIGTERM. @returns exit code. */
int sgx_emu_dotdigital_main(int argc, char **argv);

#endif
