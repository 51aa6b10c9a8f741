/* Event -> destination row: pick each key's source field, normalize it by the destination's
 * rules, hash it (binary SHA-256, hex only at encode time) and pack the result in one block.
 * Shared by every connector; each worker thread owns one builder (it owns a hasher, which is
 * not thread-safe). */
#ifndef SGX_ROWBUILD_H
#define SGX_ROWBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "codecs/event.h"
#include "codecs/normalize.h"
#include "connectors/connector.h"

typedef struct sgx_rowbuilder sgx_rowbuilder_t;

/* Per (key, reason) drop counters, added to by sgx_row_build; the caller owns and sums them
 * (per worker, per destination) so the hot path never touches shared memory. */
typedef struct {
    uint64_t dropped[SGX_KEY__COUNT][SGX_DROP__COUNT];
} sgx_drop_counts_t;

/**
 * @brief Creates a row builder. @locality one per worker thread.
 * @param out owned on success; free with sgx_rowbuilder_destroy.
 * @returns SGX_OK, or SGX_ERR_UNAVAILABLE when OpenSSL has no SHA-256.
 */
sgx_err_t sgx_rowbuilder_new(sgx_rowbuilder_t **out);

/** @brief Frees a builder. NULL-safe. */
void sgx_rowbuilder_destroy(sgx_rowbuilder_t *rb);

/**
 * @brief Builds one destination row from a decoded event.
 *
 * Source fields: EMAIL<-email, PHONE<-phone, FN/FI<-first_name, LN<-last_name, GEN<-gender,
 * DOBY/DOBM/DOBD<-date_of_birth, CT<-city, ST<-state, ZIP<-postal_code, COUNTRY<-country,
 * MADID<-mobile_advertiser_id, EXTERN_ID<-external_id, FULLNAME<-first_name " " last_name.
 * Hashed keys become SGX_VAL_DIGEST (32 bytes; a prehashed input is decoded, not rehashed),
 * unhashed keys SGX_VAL_TEXT, missing or dropped ones SGX_VAL_ABSENT. A dropped value is
 * counted in counts[key][reason]; a source field that is simply absent is not.
 *
 * @param keys borrowed, nkeys <= SGX_MAX_ROW_VALS (the connector's keys callback).
 * @param default_country borrowed, destination default alpha-2 or NULL.
 * @param d borrowed; its slices are offsets into base.
 * @param base borrowed; must outlive the row (row->profile_id points into it).
 * @param out owned on success (free with sgx_row_free); NULL on failure. ack, audience and op
 *        are left zero for the caller to set.
 * @param counts may be NULL.
 * @param reason may be NULL; on failure receives a static, PII-free reason
 *        ("no_usable_identifier" with SGX_ERR_MISSING_FIELD; "no_usable_identifier_on_exit"
 *        for an EXIT, whose earlier ENTER's members then stay in the audience).
 * @returns SGX_OK, SGX_ERR_MISSING_FIELD (no usable key), SGX_ERR_INVALID (bad arguments),
 *          or a hashing error.
 */
sgx_err_t sgx_row_build(sgx_rowbuilder_t *rb, sgx_dest_kind_t kind, const sgx_key_t *keys,
                        size_t nkeys, const char *default_country, const sgx_decoded_t *d,
                        const unsigned char *base, sgx_row_t **out, sgx_drop_counts_t *counts,
                        const char **reason);

/**
 * @brief Same, except that keys whose bit is set in plain_keys carry their normalized text
 * (SGX_VAL_TEXT) instead of a digest, for connectors that send them plain or hash them another
 * way. A value that already was a SHA-256 hex cannot become plain text: it is dropped.
 */
sgx_err_t sgx_row_build_plain(sgx_rowbuilder_t *rb, sgx_dest_kind_t kind, const sgx_key_t *keys,
                              size_t nkeys, uint32_t plain_keys, const char *default_country,
                              const sgx_decoded_t *d, const unsigned char *base, sgx_row_t **out,
                              sgx_drop_counts_t *counts, const char **reason);

/** @brief Frees a row built by sgx_row_build. NULL-safe. */
void sgx_row_free(sgx_row_t *row);

#endif
