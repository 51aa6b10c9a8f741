/* Scaffolding until the dotdigital emulator lands. */
#include <stdio.h>

#include "tests/emulators/dotdigital.h"

int sgx_emu_dotdigital_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "segexport-emulator: dotdigital is not available yet\n");
    return 2;
}
