/* Helpers shared by the destination connectors: configuration parsing, URL and JSON encoding,
 * secret wiping and HTTP date arithmetic. Pure like the connectors themselves: no I/O, no clock,
 * no global state, so any thread may call them. */
#ifndef SGX_CONN_UTIL_H
#define SGX_CONN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "connectors/connector.h"

/**
 * @brief Writes a printf-style message into errbuf (SGX_ERRBUF_SIZE bytes, may be NULL).
 * @returns SGX_ERR_CONFIG, so `return sgx_conn_cfg_error(errbuf, ...)` ends an init step.
 */
__attribute__((format(printf, 2, 3))) sgx_err_t sgx_conn_cfg_error(char *errbuf, const char *fmt,
                                                                    ...);

/**
 * @brief A destination setting, treating "" like unset so the core may pass the config table's
 * empty defaults.
 * @param s may be NULL (every key is then unset).
 * @returns borrowed from s (or def); valid as long as s is.
 */
const char *sgx_conn_setting(const sgx_dest_settings_t *s, const char *key, const char *def);

/**
 * @brief Parses a whole decimal integer in [lo, hi] into *out.
 * @returns SGX_OK, or SGX_ERR_CONFIG with "<name> must be an integer in [lo, hi]" in errbuf
 * (*out untouched).
 */
sgx_err_t sgx_conn_parse_int(const char *v, long lo, long hi, const char *name, int64_t *out,
                             char *errbuf);

/** @brief True when url starts with https:// or http://. */
bool sgx_conn_http_scheme(const char *url);

/**
 * @brief A copy of url without its trailing slashes (the scheme's own are kept): paths are
 * appended with their own '/'.
 * @returns owned; free with sgx_free.
 */
char *sgx_conn_url_dup(const char *url);

/**
 * @brief Checks a base_url setting (http or https) and stores its trimmed copy in *out.
 * @param out receives owned memory (free with sgx_free) on SGX_OK; untouched on error.
 * @returns SGX_OK, or SGX_ERR_CONFIG with "base_url must start with https:// or http://".
 */
sgx_err_t sgx_conn_base_url(const char *url, char **out, char *errbuf);

/**
 * @brief Appends s[0..n) percent-encoded: RFC 3986 unreserved characters and those in keep
 * (may be NULL) pass as is, everything else becomes %XX (upper-case hex).
 * @param out borrowed; grows as needed.
 */
void sgx_conn_urlencode(sgx_buf_t *out, const char *s, size_t n, const char *keep);

/**
 * @brief Appends s[0..n) escaped for the inside of a JSON string: '"' and '\\' backslashed,
 * control characters as \\u00xx, other bytes (UTF-8) as they are.
 */
void sgx_conn_json_escape(sgx_buf_t *out, const char *s, size_t n);

/**
 * @brief Appends s[0..n) as one RFC 4180 CSV field: quoted (quotes doubled) when it holds
 * , " CR or LF, else as it is.
 */
void sgx_conn_csv_field(sgx_buf_t *out, const char *s, size_t n);

/**
 * @brief Copies src into dst (cap bytes) when it is a short token of ASCII letters, digits and
 * the characters in extra; otherwise writes fallback (or "" when src is NULL or empty).
 * Keeps surprising values, which can echo what we sent, out of logs and DLQ headers.
 */
void sgx_conn_copy_token(char *dst, size_t cap, const char *src, const char *extra,
                         const char *fallback);

/**
 * @brief validate_audience helper for platforms whose audience ids are decimal numbers.
 * @param what names the id in the message ("custom audience id"). @param can_create whether ""
 * (create the audience) is possible with this configuration; how says what creation needs.
 */
sgx_err_t sgx_conn_numeric_audience(const char *id, const char *what, bool can_create,
                                    const char *how, char *errbuf);

/**
 * @brief probe_classify helper for REST APIs that answer a read with 200, and 401/403/404 for bad
 * credentials, a forbidden or an unknown audience. @param prefix starts the reason ("criteo").
 * @returns true on 200; else reason (128 bytes) says which.
 */
bool sgx_conn_probe_status(const sgx_response_t *resp, const char *prefix, char *reason);

/** @brief Wipes a NUL-terminated secret with OPENSSL_cleanse, then sgx_free()s it. NULL is a
 * no-op. */
void sgx_conn_free_secret(char *s);

/**
 * @brief Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil); m is 1..12.
 */
int64_t sgx_conn_days_from_civil(int64_t y, int m, int d);

/** @brief 1..12 for "Jan".."Dec" (first three characters compared), 0 otherwise. */
int sgx_conn_month_index(const char *mon);

#endif
