/*
 * unit.h: the common main() of the CUnit programs.
 *
 * Each test program defines its suites as arrays of CU_TestInfo and calls
 * UNIT_MAIN(suites). The basic runner prints CUnit's run summary; the exit
 * status is non-zero when any test failed, which is what automake's harness
 * reads.
 */
#ifndef SITECAST_TESTS_UNIT_H
#define SITECAST_TESTS_UNIT_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>

#define UNIT_MAIN(suites)                                                                      \
	int main(void)                                                                         \
	{                                                                                      \
		if (CU_initialize_registry() != CUE_SUCCESS)                                   \
			return 99;                                                             \
		if (CU_register_suites(suites) != CUE_SUCCESS) {                               \
			fprintf(stderr, "CU_register_suites: %s\n", CU_get_error_msg());      \
			return 99;                                                             \
		}                                                                              \
		CU_basic_set_mode(CU_BRM_VERBOSE);                                             \
		CU_basic_run_tests();                                                          \
		unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed(); \
		unsigned run = CU_get_number_of_tests_run();                                   \
		CU_cleanup_registry();                                                         \
		return (failed || run == 0) ? 1 : 0;                                           \
	}

/* Hex dump helper for packets written out in tests: "00 01 ..." into bytes. */
static inline size_t unit_hex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;
	int k;
	while (*hex && n < max) {
		if (sscanf(hex, " %2x%n", &v, &k) != 1)
			break;
		out[n++] = (unsigned char)v;
		hex += k;
	}
	return n;
}

#endif
