/* Leveled logging to stderr. Messages must never carry identifiers (email, phone, names,
 * addresses): log counts, codes, topic/partition/offset and destination names only. */
#ifndef SGX_LOG_H
#define SGX_LOG_H

typedef enum { SGX_LOG_ERROR = 0, SGX_LOG_WARN, SGX_LOG_INFO, SGX_LOG_DEBUG } sgx_log_level_t;

/** @brief Sets the process-wide threshold. Call before threads start. */
void sgx_log_set_level(sgx_log_level_t level);

/** @brief Parses "error|warn|info|debug"; returns -1 when unknown. */
int sgx_log_level_parse(const char *name);

/** @brief Logs one line tagged with a component name (borrowed). Thread-safe. */
void sgx_log(sgx_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define SGX_ERROR(comp, ...) sgx_log(SGX_LOG_ERROR, comp, __VA_ARGS__)
#define SGX_WARN(comp, ...)  sgx_log(SGX_LOG_WARN, comp, __VA_ARGS__)
#define SGX_INFO(comp, ...)  sgx_log(SGX_LOG_INFO, comp, __VA_ARGS__)
#define SGX_DEBUG(comp, ...) sgx_log(SGX_LOG_DEBUG, comp, __VA_ARGS__)

#endif
