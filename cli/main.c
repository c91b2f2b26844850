#include "gramconv.h"
#include <stdio.h>
int main(void) { printf("gramconv %s\n", gc_version()); return 0; }
