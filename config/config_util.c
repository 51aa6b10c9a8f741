#include "config/config_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"

/* Expands ${NAME} from the environment; an unset variable is an error, never "". */
sgx_err_t sgx_cfg_expand_env(const char *in, const char *where, char **out, char *errbuf)
{
    sgx_buf_t b = {0};
    sgx_buf_reserve(&b, strlen(in));
    for (const char *p = in; *p;) {
        const char *end;
        if (p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}'))) {
            char name[128];
            size_t n = (size_t)(end - p - 2);
            const char *v = NULL;
            if (n < sizeof name) {
                memcpy(name, p + 2, n);
                name[n] = '\0';
                v = getenv(name);
            }
            if (!v) {
                sgx_buf_free(&b);
                FAIL("%s: environment variable %.*s is not set", where, (int)(n < 100 ? n : 100),
                     p + 2);
            }
            sgx_buf_puts(&b, v);
            p = end + 1;
        } else {
            sgx_buf_putc(&b, *p++);
        }
    }
    *out = b.data;
    return SGX_OK;
}

/* Reads a secret file, dropping one trailing newline (as written by most secret stores). */
sgx_err_t sgx_cfg_read_secret(const char *path, const char *where, char **out, char *errbuf)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        FAIL("%s: cannot read %s: %s", where, path, strerror(errno));
    }
    sgx_buf_t b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sgx_buf_append(&b, chunk, n);
    }
    fclose(f);
    OPENSSL_cleanse(chunk, sizeof chunk);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r')) {
        b.data[--b.len] = '\0';
    }
    *out = b.data ? b.data : sgx_strdup("");
    return SGX_OK;
}

const char *sgx_cfg_scalar(const sgx_yaml_t *n)
{
    return (n && n->kind == SGX_YAML_SCALAR) ? n->scalar : NULL;
}

sgx_err_t sgx_cfg_get_int(const sgx_yaml_t *root, const char *key, long min, long max, long def,
                         long *out, char *errbuf)
{
    const sgx_yaml_t *n = sgx_yaml_get(root, key);
    if (!n) {
        *out = def;
        return SGX_OK;
    }
    const char *s = sgx_cfg_scalar(n);
    char *end = NULL;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || v < min || v > max) {
        FAIL("line %d: %s must be an integer between %ld and %ld", n->line, key, min, max);
    }
    *out = v;
    return SGX_OK;
}


sgx_err_t sgx_cfg_expand_nonempty(const char *in, int line, const char *where, char **out,
                                  char *errbuf)
{
    char *v = NULL;
    if (sgx_cfg_expand_env(in, where, &v, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    if (!*v) {
        sgx_free(v);
        FAIL("line %d: %s is empty%s", line, where,
             *in ? " after expanding its environment variables" : "");
    }
    *out = v;
    return SGX_OK;
}

sgx_err_t sgx_cfg_read_secret_file(const char *path, int line, const char *where, char **out,
                                   char *errbuf)
{
    struct stat st;
    char *v = NULL;
    if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
        /* Warn, not fail: some secret mounts (e.g. Kubernetes fsGroup) are 0440 by design. */
        SGX_WARN("config", "%s: secret file %s is readable by group or others (mode %04o): "
                           "chmod 600 it", where, path, (unsigned)(st.st_mode & 07777));
    }
    if (sgx_cfg_read_secret(path, where, &v, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    if (!*v) {
        sgx_free(v);
        FAIL("line %d: %s: file %s is empty", line, where, path);
    }
    *out = v;
    return SGX_OK;
}

void sgx_cfg_free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        sgx_free(s);
    }
}
