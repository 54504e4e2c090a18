#!/bin/sh
# expect: clean
# why: compiling and running C, in the workspace and in /tmp
set -e
cat > hello.c <<'C'
#include <stdio.h>
int main(void) { unsigned long h = 5381; for (int i = 0; i < 50000000; i++) h = h * 33 + i; printf("%lu\n", h); return 0; }
C
gcc -O2 -o hello hello.c && ./hello
gcc -O2 -o /tmp/hello hello.c && /tmp/hello
