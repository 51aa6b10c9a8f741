/* In-process emulator of the Dotdigital v2 API pieces segexport uses (destinations.md §4, §6),
 * served over real HTTP by libmicrohttpd:
 *   POST /v2/address-books/{id}/contacts/import     multipart CSV or JSON {"fileName","data"}
 *   GET  /v2/contacts/import/{guid}                 NotFinished (import_steps polls), then final
 *   GET  /v2/contacts/import/{guid}/report          counts
 *   GET  /v2/contacts/import/{guid}/report-faults   CSV (BOM, "Reason,email") of rows not imported
 *   GET  /v2/contacts/{email or id}                 contact or 404 ERROR_CONTACT_NOT_FOUND
 *   GET  /v2/address-books/{id}                     the book, with its contact count
 *   GET  /v2/address-books/{id}/contacts            a page (select <= 1000, skip) of its contacts
 *   POST /v2/address-books/{id}/contacts/delete     JSON array of contact ids -> 202
 * Every v2 call needs HTTP Basic auth (401) and the account's regional Host,
 * "<region>-api.dotdigital.com" (403 "Access is denied" without an error code otherwise: a
 * client configured for another region). Limits: the tiered per-minute rate (x-ratelimit-limit,
 * -remaining, -reset on every answer, 429 past it) and the flat hourly allowance
 * (ERROR_APIUSAGE_EXCEEDED), see dotdigital_limits.c.
 * Errors are {"message":"<text> ERROR_<CODE>"}; codes marked (emu) in dotdigital_api.c are this
 * emulator's names where the real ones are UNCONFIRMED. Address books are sets of contacts;
 * imported contacts join the book only when the import is Finished. Inspection endpoints (no
 * auth, no Host check):
 *   GET  /_emulator/audiences/{id}  -> {"id","count","members":[sorted lowercase e-mails]}
 *   POST /_emulator/audiences       {"id":"123"} creates an address book
 *   GET  /_emulator/stats
 *   POST /_emulator/faults          {"kind":"throttle|5xx","count","param"} or
 *                                   {"kind":"import_failure","status":"Failed"}
 * @locality every function may be called from any thread; state is guarded by one mutex. */
#ifndef SGX_EMU_DOTDIGITAL_H
#define SGX_EMU_DOTDIGITAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sgx_emu_dd sgx_emu_dd_t;

typedef struct {
    const char *listen_host;       /* IPv4 literal; NULL = "127.0.0.1" */
    uint16_t port;                 /* 0 = ephemeral */
    const char *api_user;          /* NULL = "apiuser-test@apiconnector.com" */
    const char *api_password;      /* NULL = "test-password" */
    const char *region;            /* "r1" (NULL), "r2" or "r3" */
    int import_steps;              /* status polls answered NotFinished before the final one */
    int max_concurrent_imports;    /* 0 = 25 */
    size_t max_file_bytes;         /* 0 = 50 MiB */
    int rate_limit_per_min;        /* 0 = unlimited; counts every v2 call */
    int rate_window_s;             /* the tiered limit's window, on epoch multiples; 0 = 60
                                    * (benchmarks scale it down: rate_limit_per_min is then
                                    * calls per this window) */
    int hourly_allowance;          /* flat scheme: v2 calls per rolling hour, 0 = unlimited */
    int allowance_window_s;        /* the flat scheme's rolling period; 0 = 3600 */
    const char *suppressed_domain; /* e-mails @ this domain are globally suppressed: they show
                                    * up in report-faults and never join a book; NULL = none */
} sgx_emu_dd_opts_t;

/** @brief Starts the server (opts copied). @returns SGX_OK, SGX_ERR_CONFIG or SGX_ERR_IO. */
sgx_err_t sgx_emu_dd_start(const sgx_emu_dd_opts_t *o, sgx_emu_dd_t **out);
/** @returns the bound port. */
uint16_t sgx_emu_dd_port(const sgx_emu_dd_t *e);
/** @brief Stops the server and frees everything. NULL-safe. */
void sgx_emu_dd_stop(sgx_emu_dd_t *e);
/** @brief Creates an empty address book (no-op when it exists). */
void sgx_emu_dd_add_address_book(sgx_emu_dd_t *e, const char *id);

typedef enum { SGX_EMU_DD_FAULT_THROTTLE, SGX_EMU_DD_FAULT_5XX } sgx_emu_dd_fault_kind_t;

/**
 * @brief The next `count` authenticated v2 calls fail. THROTTLE: 429 with x-ratelimit-* headers
 * whose reset is `param` seconds from now (Unix time, like the tiered limit). 5XX: status param
 * (0 = 503). Replaces a pending injection.
 */
void sgx_emu_dd_inject(sgx_emu_dd_t *e, sgx_emu_dd_fault_kind_t kind, int count, int param);

/** @brief The next import created ends with `status` (e.g. "Failed", "RejectedByWatchdog")
 *  instead of Finished; nothing of it is applied. */
void sgx_emu_dd_fail_next_import(sgx_emu_dd_t *e, const char *status);

/** @brief While stalled, every import not yet final answers NotFinished and makes no progress
 *  (a busy account's import queue: destinations.md §4 — an import is processed
 *  asynchronously and reports NotFinished until done, with no upper bound documented and no
 *  way to cancel it in v2). Unstalling drains the queue: every import not yet final finishes
 *  at once and applies, whether or not anyone polls it any more. */
void sgx_emu_dd_stall_imports(sgx_emu_dd_t *e, bool stall);

typedef struct {
    uint64_t requests;       /* v2 calls (outside /_emulator/) */
    uint64_t imports;        /* imports accepted (202) */
    uint64_t import_polls;
    uint64_t rows_imported;  /* rows applied to a book by finished imports */
    uint64_t rows_faulted;   /* rows listed in report-faults */
    uint64_t lookups;
    uint64_t book_pages;     /* pages of address-book contacts read */
    uint64_t usage_capped;   /* calls refused with ERROR_APIUSAGE_EXCEEDED */
    uint64_t deletes;        /* delete calls accepted */
    uint64_t contacts_removed;
    uint64_t throttled;
    uint64_t failed_5xx;
    uint64_t rejected_4xx;   /* 400/401/403/404/413 answers */
    uint64_t max_active_imports;
} sgx_emu_dd_stats_t;

/** @brief Copies a snapshot of the counters. */
void sgx_emu_dd_stats(sgx_emu_dd_t *e, sgx_emu_dd_stats_t *out);

/** @returns {"id","count","members":[sorted]} (new reference) or NULL for an unknown book. */
json_t *sgx_emu_dd_audience(sgx_emu_dd_t *e, const char *id);

/** @brief `segexport-emulator dotdigital …`: runs until SIGINT/SIGTERM. @returns exit code. */
int sgx_emu_dotdigital_main(int argc, char **argv);

#endif
