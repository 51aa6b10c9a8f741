/* The destination state file: read-modify-write of a small JSON object, replaced atomically. */
#include "pipeline/state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"

sgx_err_t sgx_state_file_get(const char *path, const char *key, char **value_out)
{
    *value_out = NULL;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        return access(path, F_OK) != 0 ? SGX_ERR_NOT_FOUND : SGX_ERR_INVALID;
    }
    const char *v = json_string_value(json_object_get(root, key));
    sgx_err_t err = v && *v ? SGX_OK : SGX_ERR_NOT_FOUND;
    if (err == SGX_OK) {
        *value_out = sgx_strdup(v);
    }
    json_decref(root);
    return err;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* fsync of the directory makes the rename itself durable. */
static bool sync_dir(const char *path)
{
    char *copy = sgx_strdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    sgx_free(copy);
    if (fd < 0) {
        return false;
    }
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

sgx_err_t sgx_state_file_set(const char *path, const char *key, const char *value)
{
    json_t *root = json_load_file(path, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        root = json_object();
    }
    json_object_set_new(root, key, json_string(value));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    size_t n = strlen(path) + 8;
    char *tmp = sgx_malloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    sgx_err_t err = SGX_ERR_IO;
    int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    if (fd >= 0) {
        bool ok = fchmod(fd, 0600) == 0 && write_all(fd, text, strlen(text)) &&
                  write_all(fd, "\n", 1) && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (ok && rename(tmp, path) == 0) {
            err = sync_dir(path) ? SGX_OK : SGX_ERR_IO;
        } else {
            unlink(tmp);
        }
    }
    if (text) {
        explicit_bzero(text, strlen(text));
        free(text); /* jansson's allocator: malloc */
    }
    sgx_free(tmp);
    return err;
}
