/* In-process emulator of Microsoft Advertising Customer Match through the Bulk API v13 REST
 * adapters (destinations.md §2, §6), served by libmicrohttpd:
 *   POST /oauth2/v2.0/token                   refresh_token grant -> access token (token_ttl_s)
 *   POST /Bulk/v13/BulkUploadUrl/Query        {"AccountId","ResponseMode"} -> RequestId, UploadUrl
 *   POST /upload/{token}                      multipart file, CSV or ZIP; single use (3224),
 *                                             15 min (3226), row cap (3225), 3227 on demand
 *   POST /Bulk/v13/BulkUploadStatus/Query     {"RequestId"} -> FileUploaded, InProgress, then
 *                                             Completed/CompletedWithErrors/Failed/...
 *   GET  /results/{RequestId}                 a ZIP holding the result CSV (BOM, Error, Error
 *                                             Number columns)
 *   POST /CampaignManagement/v13/Audiences/QueryByIds  GetAudiencesByIds {"Type","AudienceIds",
 *                                             "ReturnAdditionalFields"} -> the account's Customer
 *                                             Lists (those created by files included, by name)
 *   POST /Api/Advertiser/CampaignManagement/v13/{BulkService,CampaignManagementService}.svc
 *                                             the SOAP faces of the same operations (official SDK)
 * REST calls check Authorization: Bearer (401), DeveloperToken, CustomerId, CustomerAccountId
 * (400, code 105), AccountId as a JSON string, and the terms flag (8003); the upload takes
 * Authorization: Bearer or AuthenticationToken with AccountId. Refresh tokens rotate with every
 * grant; older ones work until retired (a fault). The file is validated and applied when the job completes, so members
 * appear only then. Lists are sets of lowercase hex.
 * Inspection (unauthenticated): GET /_emulator/audiences/{id} -> {"id","name","count",
 * "members":[sorted]}, GET /_emulator/stats, POST /_emulator/audiences {"id","name"},
 * POST /_emulator/faults {"kind":"throttle|5xx|expire_tokens|expire_urls|fail_prefix|
 * fail_upload|terms|too_many|final_status|retire_refresh_tokens", "count", "code", "prefix",
 * "accepted", "status"}.
 * @locality every function may be called from any thread; state is guarded by one mutex. */
#ifndef SGX_EMU_MSADS_H
#define SGX_EMU_MSADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sgx_emu_msads sgx_emu_msads_t;

/* Strings NULL = the defaults below (also the standalone emulator's defaults). */
#define SGX_EMU_MSADS_DEV_TOKEN "demo-developer-token"
#define SGX_EMU_MSADS_CUSTOMER "1000001"
#define SGX_EMU_MSADS_ACCOUNT "2000002"
#define SGX_EMU_MSADS_CLIENT "demo-client-id"
#define SGX_EMU_MSADS_REFRESH "demo-refresh-token"

typedef struct {
    const char *listen_host; /* IPv4 literal; NULL = "127.0.0.1" */
    uint16_t port;           /* 0 = ephemeral */
    const char *developer_token, *customer_id, *account_id, *client_id, *refresh_token;
    int token_ttl_s;         /* 0 = 3600 */
    bool terms_accepted;     /* false: every upload URL request fails with 8003 */
    int polls_before_done;   /* status queries answered FileUploaded/InProgress first; 0 = none */
    size_t row_cap;          /* 0 = 4,000,000 */
    size_t max_bytes;        /* 0 = 100 MB */
    int url_ttl_s;           /* 0 = 900 */
    bool fixed_refresh;      /* true: the refresh token never rotates (default: it does) */
    int api_calls;           /* at most this many API calls per api_window_ms, beyond: 4204
                              * (Bulk) / 117 (Campaign Management); 0 = unlimited (msads_bulk.c) */
    int64_t api_window_ms;   /* 0 = 60,000 */
} sgx_emu_msads_opts_t;

sgx_err_t sgx_emu_msads_start(const sgx_emu_msads_opts_t *o, sgx_emu_msads_t **out);
uint16_t sgx_emu_msads_port(const sgx_emu_msads_t *e);
void sgx_emu_msads_stop(sgx_emu_msads_t *e);

/** @brief Creates an empty customer list with this numeric id (no-op when it exists). */
void sgx_emu_msads_add_list(sgx_emu_msads_t *e, const char *id);
/** @brief As sgx_emu_msads_add_list, named name (as a list a bulk file created is): found by
 *  GetAudiencesByIds. */
void sgx_emu_msads_add_named_list(sgx_emu_msads_t *e, const char *id, const char *name);
/** @returns members of list id (-1 when unknown); when member is non-NULL, whether it holds
 *  that lowercase hex (as 1/0). */
long sgx_emu_msads_list_count(sgx_emu_msads_t *e, const char *id, const char *member);
/** @brief Copies into id (cap bytes) the id of the list named name. @returns false if none. */
bool sgx_emu_msads_find_list(sgx_emu_msads_t *e, const char *name, char *id, size_t cap);

/* ---- fault injection ---- */
/** @brief The next n API calls (upload URL, status) fail with error 4204. */
void sgx_emu_msads_inject_throttle(sgx_emu_msads_t *e, int n);
/** @brief The next n API calls fail with HTTP status (500, 502, 503). */
void sgx_emu_msads_inject_5xx(sgx_emu_msads_t *e, int n, int status);
/** @brief Every access token issued so far stops working (401). */
void sgx_emu_msads_expire_tokens(sgx_emu_msads_t *e);
/** @brief Every upload URL issued so far is expired (3225). */
void sgx_emu_msads_expire_urls(sgx_emu_msads_t *e);
/** @brief Items whose hex starts with prefix fail with 8004 (NULL or "" clears). */
void sgx_emu_msads_fail_prefix(sgx_emu_msads_t *e, const char *prefix);
/** @brief The next n uploads end with status Failed. */
void sgx_emu_msads_fail_uploads(sgx_emu_msads_t *e, int n);
/** @brief Uploads of more than n records (0: 4,000,000) fail with 3225. */
void sgx_emu_msads_set_row_cap(sgx_emu_msads_t *e, size_t n);
/** @brief The next n uploads fail with 3227 BulkServiceTooManyRequests. */
void sgx_emu_msads_inject_too_many(sgx_emu_msads_t *e, int n);
/** @brief The next job to complete ends with status (static string, e.g. "Expired"). */
void sgx_emu_msads_final_status(sgx_emu_msads_t *e, const char *status);
/** @brief Every refresh token but the newest stops working (they aged out). */
void sgx_emu_msads_retire_refresh_tokens(sgx_emu_msads_t *e);
/** @brief Copies the newest refresh token into out (cap bytes). */
void sgx_emu_msads_refresh_token(sgx_emu_msads_t *e, char *out, size_t cap);
/** @brief Sets the customer's Customer Match terms flag. */
void sgx_emu_msads_set_terms(sgx_emu_msads_t *e, bool accepted);
/** @brief While stalled, uploaded jobs answer InProgress and make no progress (GetBulkUploadStatus
 *  reports InProgress until the file is processed, with no documented upper bound:
 *  learn.microsoft.com/advertising/bulk-service/getbulkuploadstatus). Unstalled, they complete
 *  (and apply) at their next status query. */
void sgx_emu_msads_stall_jobs(sgx_emu_msads_t *e, bool stall);
/** @brief While set, every result file URL answers 404, as a pre-signed ResultFileUrl does once
 *  it has expired (it is valid for 5 minutes: learn.microsoft.com/advertising/bulk-service/
 *  getbulkuploadstatus); status queries keep handing out the URL. */
void sgx_emu_msads_expire_results(sgx_emu_msads_t *e, bool gone);

typedef struct {
    uint64_t requests;        /* everything outside /_emulator/ */
    uint64_t token_requests;
    uint64_t url_requests;
    uint64_t uploads;         /* accepted uploads */
    uint64_t status_requests;
    uint64_t audience_queries; /* GetAudiencesByIds, REST or SOAP */
    uint64_t result_requests;
    uint64_t unauthorized;    /* 401 */
    uint64_t throttled;       /* 4204 */
    uint64_t failed_5xx;
    uint64_t url_reused;      /* 3224 */
    uint64_t url_expired;     /* 3226 */
    uint64_t row_count_exceeded; /* 3225 */
    uint64_t too_many;        /* 3227 */
    uint64_t refresh_refused; /* invalid_grant for a refresh token */
    uint64_t terms_refused;   /* 8003 */
    uint64_t rows_received;   /* item rows in completed files */
    uint64_t rows_failed;     /* item error rows */
    uint64_t lists_created;
    uint64_t jobs_completed;  /* Completed or CompletedWithErrors */
    uint64_t jobs_failed;     /* Failed, UploadFileRowCountExceeded, UploadFileFormatNotSupported */
} sgx_emu_msads_stats_t;

void sgx_emu_msads_stats(sgx_emu_msads_t *e, sgx_emu_msads_stats_t *out);

/** @brief `segexport-emulator microsoft_ads …`: runs until SIGINT/SIGTERM. @returns exit code. */
int sgx_emu_msads_main(int argc, char **argv);

#endif
