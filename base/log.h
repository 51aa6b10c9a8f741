/* Leveled logging to stderr, as text or JSON lines. Messages and fields must never carry
 * identifiers (email, phone, names, addresses): log counts, codes, topic/partition/offset and
 * destination names only. */
#ifndef SGX_LOG_H
#define SGX_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef enum { SGX_LOG_ERROR = 0, SGX_LOG_WARN, SGX_LOG_INFO, SGX_LOG_DEBUG } sgx_log_level_t;

typedef enum { SGX_LOG_TEXT = 0, SGX_LOG_JSON } sgx_log_format_t;

/* A structured field: a string (str non-NULL) or an integer. key and str are borrowed. */
typedef struct {
    const char *key;
    const char *str;
    long long num;
} sgx_log_field_t;

#define SGX_FS(k, v) ((sgx_log_field_t){(k), (v) ? (v) : "", 0})
#define SGX_FN(k, v) ((sgx_log_field_t){(k), NULL, (long long)(v)})

/** @brief Sets the process-wide threshold. Call before threads start. */
void sgx_log_set_level(sgx_log_level_t level);

/** @brief Sets the process-wide line format. Call before threads start. */
void sgx_log_set_format(sgx_log_format_t format);

/** @brief Parses "error|warn|info|debug"; returns -1 when unknown. */
int sgx_log_level_parse(const char *name);

/** @brief Parses "text|json"; returns -1 when unknown. */
int sgx_log_format_parse(const char *name);

/** @returns true when a line at level would be written (skip costly preparation if not). */
bool sgx_log_enabled(sgx_log_level_t level);

/** @brief Logs one line tagged with a component name (borrowed). Thread-safe. */
void sgx_log(sgx_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** @brief Logs one line with structured fields (borrowed, nfields of them). Thread-safe. */
void sgx_log_fields(sgx_log_level_t level, const char *component, const sgx_log_field_t *fields,
                    size_t nfields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/**
 * @brief Formats one line (with its newline) into line: text
 * "2026-12-04T16:38:00.123Z INFO  [comp] message key=value" or a JSON object with ts, level,
 * component, msg and the fields. Pure; used by sgx_log and tests.
 * @returns the line's length (truncated lines stay valid JSON and end in a newline).
 */
size_t sgx_log_render(char *line, size_t cap, sgx_log_format_t format, sgx_log_level_t level,
                      const struct timespec *ts, const char *component,
                      const sgx_log_field_t *fields, size_t nfields, const char *msg);

#define SGX_ERROR(comp, ...) sgx_log(SGX_LOG_ERROR, comp, __VA_ARGS__)
#define SGX_WARN(comp, ...)  sgx_log(SGX_LOG_WARN, comp, __VA_ARGS__)
#define SGX_INFO(comp, ...)  sgx_log(SGX_LOG_INFO, comp, __VA_ARGS__)
#define SGX_DEBUG(comp, ...)                                                                   \
    do {                                                                                       \
        if (sgx_log_enabled(SGX_LOG_DEBUG)) {                                                  \
            sgx_log(SGX_LOG_DEBUG, comp, __VA_ARGS__);                                         \
        }                                                                                      \
    } while (0)
#define SGX_FIELDS(...) (const sgx_log_field_t[]){__VA_ARGS__}, \
    sizeof((const sgx_log_field_t[]){__VA_ARGS__}) / sizeof(sgx_log_field_t)

#endif
