/*
 * test_tls.c: node keys and fingerprints (reflector/tls.h): keys made in a
 * scratch directory, read back, never overwritten, compared in constant time.
 * The TLS links made with them are test_peer.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reflector/tls.h"
#include "tests/unit/unit.h"

static char tmpdir[64];
static char key_m[128], key_b[128];
static char fp_m[TLS_FINGERPRINT_SIZE], fp_b[TLS_FINGERPRINT_SIZE];

static void test_keys(void)
{
	char fp[TLS_FINGERPRINT_SIZE];
	CU_ASSERT_EQUAL(strlen(fp_m), TLS_FINGERPRINT_LEN);
	CU_ASSERT(strncmp(fp_m, "sha256:", 7) == 0);
	CU_ASSERT_EQUAL(fp_m[TLS_FINGERPRINT_LEN - 1], '=');
	CU_ASSERT(strcmp(fp_m, fp_b) != 0);
	CU_ASSERT_EQUAL(tls_fingerprint_of_file(key_m, fp, sizeof(fp)), 0);
	CU_ASSERT_STRING_EQUAL(fp, fp_m);
	/* never overwritten */
	CU_ASSERT_EQUAL(tls_keygen(key_m, fp, sizeof(fp)), -EEXIST);
	CU_ASSERT_EQUAL(tls_fingerprint_of_file(key_m, fp, sizeof(fp)), 0);
	CU_ASSERT_STRING_EQUAL(fp, fp_m);
	struct stat st;
	CU_ASSERT_EQUAL(stat(key_m, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT(tls_fingerprint_equal(fp_m, fp));
	CU_ASSERT(!tls_fingerprint_equal(fp_m, fp_b));
}

static int suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_tls.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(key_m, sizeof(key_m), "%s/manhattan.pem", tmpdir);
	snprintf(key_b, sizeof(key_b), "%s/brooklyn.pem", tmpdir);
	if (tls_keygen(key_m, fp_m, sizeof(fp_m)) || tls_keygen(key_b, fp_b, sizeof(fp_b)))
		return 1;
	return 0;
}

static int suite_clean(void)
{
	unlink(key_m);
	unlink(key_b);
	rmdir(tmpdir);
	return 0;
}

static CU_TestInfo tests[] = {
    {"keys and fingerprints", test_keys},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"keys", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

UNIT_MAIN(suites)
