/* Schema id -> compiled projection, filled from files/strings at startup or lazily from a
 * Confluent Schema Registry. Used only from the poll thread: no locking. Schemas under an id
 * never change in a registry, so hits (and "this schema does not compile" verdicts) are kept
 * for the life of the cache; "unknown id" answers are kept only ~30 s (the id may be registered
 * later) and only in a small fixed table, so a flood of garbage ids costs bounded memory while
 * still not hitting the registry once per message. */
#ifndef SGX_SCHEMA_CACHE_H
#define SGX_SCHEMA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/http_tls.h"
#include "codecs/avro_projection.h"

typedef struct sgx_schema_cache sgx_schema_cache_t;

/* How long an unknown-id answer is trusted before the registry is asked again. */
#define SGX_SCHEMA_CACHE_NEGATIVE_TTL_S 30

/**
 * @brief Creates a cache.
 * @param registry_url borrowed (copied), e.g. "http://user:pass@host:8081"; NULL = no
 *        registry, only ids added with add_json/add_file resolve. Credentials in the URL are used
 *        for HTTP basic auth and never logged.
 * @param map copied; NULL = canonical field names. @param out owned; free with destroy.
 */
sgx_err_t sgx_schema_cache_new(const char *registry_url, const sgx_mapping_t *map,
                               sgx_schema_cache_t **out);

/** @brief Applies the registry's ca_file, client certificate and proxy (tls borrowed, only read
 * here) to its HTTP handle; the CURL_CA_BUNDLE/SSL_CERT_FILE environment when tls has no CA. */
void sgx_schema_cache_set_tls(sgx_schema_cache_t *c, const sgx_http_tls_t *tls);

/** @brief Compiles json (borrowed, len bytes) under id, replacing any entry. SGX_ERR_CONFIG with
 * errbuf (SGX_ERRBUF_SIZE or NULL) filled when it does not compile. */
sgx_err_t sgx_schema_cache_add_json(sgx_schema_cache_t *c, uint32_t id, const char *json,
                                    size_t len, char *errbuf);

/** @brief Same, reading the schema from a file (path borrowed). SGX_ERR_IO if unreadable. */
sgx_err_t sgx_schema_cache_add_file(sgx_schema_cache_t *c, uint32_t id, const char *path,
                                    char *errbuf);

/**
 * @brief Looks up (and on a miss fetches) the projection for id.
 * @param out borrowed; lives as long as the cache.
 * @returns SGX_ERR_UNKNOWN_SCHEMA (registry says 404, or no registry), SGX_ERR_UNAVAILABLE
 *          (registry unreachable, timeout ~5 s, 5xx or auth failure: retry later, do not
 *          dead-letter), SGX_ERR_DECODE (the schema exists but does not compile for our
 *          mapping, or is not Avro; cached).
 */
sgx_err_t sgx_schema_cache_get(sgx_schema_cache_t *c, uint32_t id, const sgx_projection_t **out);

/** @brief Frees the cache and every projection it handed out. NULL-safe. */
void sgx_schema_cache_destroy(sgx_schema_cache_t *c);

#endif
