#include "gc_test.h"
GC_TEST_TABLE(gc_tests_tensor) = {{NULL, NULL}};
