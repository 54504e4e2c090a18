#!/bin/sh
# expect: clean
# why: a parallel build with many short execs
set -e
mkdir -p src
for i in 1 2 3 4 5 6 7 8; do printf 'int f%d(int x){return x*%d;}\n' $i $i > src/f$i.c; done
printf 'OBJS=$(patsubst %%.c,%%.o,$(wildcard src/*.c))\nall: $(OBJS)\n\t$(AR) rcs libf.a $(OBJS)\n%%.o: %%.c\n\t$(CC) -O2 -c $< -o $@\n' > Makefile
make -j2
