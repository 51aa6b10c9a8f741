/* The destination state file (pipeline/state_file.c): created 0600, replaced atomically (no
 * temporary left behind), other keys kept, missing and corrupt files told apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/mem.h"
#include "pipeline/state_file.h"

static void temp_path(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/sgx-state-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_create_and_replace(void **state)
{
    (void)state;
    char path[64], tmp[80];
    temp_path(path, sizeof path);
    unlink(path);
    char *v = NULL;
    assert_int_equal(sgx_state_file_get(path, "refresh_token", &v), SGX_ERR_NOT_FOUND);
    assert_null(v);
    assert_int_equal(sgx_state_file_set(path, "refresh_token", "rt-1"), SGX_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_int_equal(sgx_state_file_get(path, "refresh_token", &v), SGX_OK);
    assert_string_equal(v, "rt-1");
    sgx_free(v);
    /* Another key is kept when the token is replaced. */
    assert_int_equal(sgx_state_file_set(path, "audience.seg-b", "9100000001"), SGX_OK);
    assert_int_equal(sgx_state_file_set(path, "refresh_token", "rt-2"), SGX_OK);
    assert_int_equal(sgx_state_file_get(path, "refresh_token", &v), SGX_OK);
    assert_string_equal(v, "rt-2");
    sgx_free(v);
    assert_int_equal(sgx_state_file_get(path, "audience.seg-b", &v), SGX_OK);
    assert_string_equal(v, "9100000001");
    sgx_free(v);
    assert_int_equal(sgx_state_file_get(path, "other", &v), SGX_ERR_NOT_FOUND);
    unlink(path);
}

static void test_mode_tightened_and_corrupt(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    write_text(path, "{\"refresh_token\": \"old\"}", 0644);
    assert_int_equal(sgx_state_file_set(path, "refresh_token", "new"), SGX_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    write_text(path, "not json", 0600);
    char *v = NULL;
    assert_int_equal(sgx_state_file_get(path, "refresh_token", &v), SGX_ERR_INVALID);
    assert_null(v);
    write_text(path, "{\"refresh_token\": \"\"}", 0600);
    assert_int_equal(sgx_state_file_get(path, "refresh_token", &v), SGX_ERR_NOT_FOUND);
    unlink(path);
}

static void test_unwritable(void **state)
{
    (void)state;
    assert_int_equal(sgx_state_file_set("/nonexistent-dir/state.json", "refresh_token", "x"),
                     SGX_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_replace),
        cmocka_unit_test(test_mode_tightened_and_corrupt),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
