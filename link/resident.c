// Prints the page numbers of a file that are in the page cache (mincore), one per line; with
// --drop, first asks the kernel to forget the file's cached pages.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int drop = argc > 2 && strcmp(argv[1], "--drop") == 0;
    const char *path = argv[argc - 1];
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    struct stat st;
    fstat(fd, &st);
    if (drop) {
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = (st.st_size + page - 1) / page;
    void *map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) { perror("mmap"); return 1; }
    unsigned char *vec = malloc(pages);
    if (mincore(map, st.st_size, vec) != 0) { perror("mincore"); return 1; }
    if (!drop) {
        for (size_t i = 0; i < pages; i++)
            if (vec[i] & 1) printf("%zu\n", i);
    } else {
        size_t n = 0;
        for (size_t i = 0; i < pages; i++) n += vec[i] & 1;
        fprintf(stderr, "%zu of %zu pages still cached\n", n, pages);
    }
    return 0;
}
