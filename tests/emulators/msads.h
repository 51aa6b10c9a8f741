/* The microsoft_ads emulator. */
#ifndef SGX_EMU_MSADS_H
#define SGX_EMU_MSADS_H

/** @brief `segexport-emulator microsoft_ads …`: runs until SIGINT/SIGTERM. @returns exit code. */
int sgx_emu_msads_main(int argc, char **argv);

#endif
