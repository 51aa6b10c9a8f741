/* Benchmark driver: wired up as stages land. */
#include <stdio.h>

#include "bench/bench.h"

int main(void)
{
    printf("no stages yet\n");
    return 0;
}
