/* Scaffolding until the criteo emulator lands. */
#include <stdio.h>

#include "tests/emulators/criteo.h"

int sgx_emu_criteo_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "segexport-emulator: criteo is not available yet\n");
    return 2;
}
