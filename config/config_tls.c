/* ca_file, client_cert_file, client_key_file and proxy: the TLS/proxy options a map (the schema
 * registry, a destination) may carry besides its own keys. */
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "config/config_util.h"

static const char *const tls_keys[] = {"ca_file", "client_cert_file", "client_key_file", "proxy",
                                       NULL};

bool sgx_cfg_is_tls_key(const char *key)
{
    for (int i = 0; tls_keys[i]; i++) {
        if (strcmp(tls_keys[i], key) == 0) {
            return true;
        }
    }
    return false;
}

/* A path that cannot be read would only fail on the first request, after the consumer joined. */
static sgx_err_t get_path(const sgx_yaml_t *map, const char *key, const char *where, char **out,
                          char *errbuf)
{
    const sgx_yaml_t *n = sgx_yaml_get(map, key);
    if (!n) {
        return SGX_OK;
    }
    char what[160];
    snprintf(what, sizeof what, "%s.%s", where, key);
    const char *raw = sgx_cfg_scalar(n);
    if (!raw) {
        FAIL("line %d: %s must be a plain value", n->line, what);
    }
    if (sgx_cfg_expand_nonempty(raw, n->line, what, out, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    if (strcmp(key, "proxy") != 0 && access(*out, R_OK) != 0) {
        FAIL("line %d: %s: cannot read %s", n->line, what, *out);
    }
    return SGX_OK;
}

sgx_err_t sgx_cfg_parse_tls(const sgx_yaml_t *map, const char *where, sgx_http_tls_t *out,
                            char *errbuf)
{
    if (get_path(map, "ca_file", where, &out->ca_file, errbuf) ||
        get_path(map, "client_cert_file", where, &out->cert_file, errbuf) ||
        get_path(map, "client_key_file", where, &out->key_file, errbuf) ||
        get_path(map, "proxy", where, &out->proxy, errbuf)) {
        return SGX_ERR_CONFIG;
    }
    if (!out->cert_file != !out->key_file) {
        const sgx_yaml_t *n = sgx_yaml_get(map, out->cert_file ? "client_cert_file"
                                                                 : "client_key_file");
        FAIL("line %d: %s: client_cert_file and client_key_file go together (mTLS)", n->line,
             where);
    }
    return SGX_OK;
}
