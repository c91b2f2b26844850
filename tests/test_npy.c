#include "gc_test.h"
GC_TEST_TABLE(gc_tests_npy) = {{NULL, NULL}};
