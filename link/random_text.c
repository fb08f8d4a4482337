// Preloaded while recording: MADV_RANDOM on the program's own file mappings, before any of its
// code runs, so that each page it touches is read alone (no readahead to blur which).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

__attribute__((constructor)) static void random_text(void) {
    const char *program = getenv("RECORD_PROGRAM");
    if (!program) return;
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) return;
    char line[4096];
    while (fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && strstr(line, program))
            madvise((void *)lo, hi - lo, MADV_RANDOM);
    }
    fclose(maps);
}
