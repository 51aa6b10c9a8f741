/* Scaffolding until the microsoft_ads emulator lands. */
#include <stdio.h>

#include "tests/emulators/msads.h"

int sgx_emu_msads_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "segexport-emulator: microsoft_ads is not available yet\n");
    return 2;
}
