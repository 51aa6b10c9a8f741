#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "segexport-emulator: not built yet\n");
    return 2;
}
