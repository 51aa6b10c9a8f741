/* Server lifecycle shared by the destination emulators: starting a libmicrohttpd daemon with a
 * thread per connection, collecting request bodies, and the `segexport-emulator <platform>`
 * command-line plumbing (--listen HOST:PORT, signal handling, the "listening on" line). */
#ifndef SGX_EMU_COMMON_H
#define SGX_EMU_COMMON_H

#include <microhttpd.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "emulators/emu_http.h"

/**
 * @brief Starts a daemon on listen_host:port (NULL host: 127.0.0.1; port 0: any free port) with
 * a thread per connection, so an injected delay stalls only its own client, and a 120 s
 * connection timeout. Request bodies collected with sgx_emu_collect are freed by the daemon.
 * @param cls passed to access (borrowed; must outlive the daemon).
 * @param mhd receives the daemon on SGX_OK: stop it with MHD_stop_daemon.
 * @param bound_port receives the port actually bound on SGX_OK.
 * @returns SGX_OK, SGX_ERR_CONFIG when listen_host is not an IPv4 address, SGX_ERR_IO when the
 * daemon cannot start.
 */
sgx_err_t sgx_emu_server_start(const char *listen_host, uint16_t port,
                               MHD_AccessHandlerCallback access, void *cls,
                               struct MHD_Daemon **mhd, uint16_t *bound_port);

/**
 * @brief The body-collecting half of an access handler started by sgx_emu_server_start: the
 * first call allocates the connection's body (limited to cap bytes), later ones append uploads.
 * @returns the complete body (borrowed; owned by the connection) once MHD has delivered all of
 * it, or NULL while the handler should just return MHD_YES.
 */
sgx_emu_body_t *sgx_emu_collect(void **con_cls, size_t cap, const char *upload_data,
                                size_t *upload_data_size);

/**
 * @brief Splits "host:port" (port 0..65535); host is written into host (cap bytes).
 * @returns 0, or -1 when arg is malformed (host and port untouched).
 */
int sgx_emu_parse_listen(const char *arg, char *host, size_t cap, uint16_t *port);

/**
 * @brief Blocks SIGINT and SIGTERM in the calling thread, before any server thread starts so
 * that they inherit the mask; sgx_emu_serve_until_signal then waits for one in the main thread
 * instead of inside a signal handler.
 */
void sgx_emu_block_signals(sigset_t *set);

/** @brief Prints "listening on HOST:PORT" (flushed: scripts wait for it), then waits for a
 * signal of set. */
void sgx_emu_serve_until_signal(const char *host, uint16_t port, const sigset_t *set);

/* ---- /_emulator/ inspection helpers ---------------------------------------------------------- */

/**
 * @brief The keys of a member set (a JSON object used as a set) as a new JSON array of strings
 * in strcmp order. Sorting happens only here, on inspection, so upload paths stay O(rows).
 * Keys are copied without UTF-8 checks (sets may be filled with json_object_setn_new_nocheck).
 */
json_t *sgx_emu_sorted_keys_json(const json_t *set);

/** @brief Queues {"error": msg} with status. */
enum MHD_Result sgx_emu_reply_error(struct MHD_Connection *conn, unsigned status, const char *msg);

/** @brief Queues {"ok": true} with status 200. */
enum MHD_Result sgx_emu_reply_ok(struct MHD_Connection *conn);

/** @returns the body parsed as JSON (new reference; NULL when it is not JSON). */
json_t *sgx_emu_body_json(const sgx_emu_body_t *body);

/**
 * @brief Returns the set stored under id in sets (borrowed), creating an empty one when create
 * is set and id is a non-empty key jansson accepts (an id that is not UTF-8 reads as unknown).
 * The caller holds the emulator's lock.
 */
json_t *sgx_emu_set_get(json_t *sets, const char *id, bool create);

/**
 * @brief Finds the first key of names (id -> name string) whose value equals name and copies it
 * into out (cap bytes). The caller holds the emulator's lock. @returns true when found.
 */
bool sgx_emu_find_by_name(const json_t *names, const char *name, char *out, size_t cap);

/** @brief Sets every value of tokens (token -> expiry) to 0: kept, so a later use reads as
 * "expired", not "unknown". The caller holds the emulator's lock. */
void sgx_emu_expire_tokens(json_t *tokens);

typedef struct {
    const char *name;
    uint64_t v;
} sgx_emu_counter_t;

/** @returns a new JSON object {name: v, ...} of the n counters, in order. */
json_t *sgx_emu_counters_json(const sgx_emu_counter_t *c, size_t n);

#define SGX_EMU_COUNTERS_JSON(arr) sgx_emu_counters_json((arr), sizeof(arr) / sizeof((arr)[0]))

/**
 * @brief Calls add(ctx, id) for every non-empty id of a comma-separated list (NULL: none), as
 * the --audiences/--lists/--address-books options need.
 */
void sgx_emu_for_each_csv(const char *csv, void (*add)(void *ctx, const char *id), void *ctx);

#endif
