/* Per-audience batching state: open batches per op, coalescing, the in-flight fence and the
 * rows held behind it (architecture.md §3 rule 2). Pure logic, single-threaded (dispatcher),
 * no I/O and no clock of its own: unit-testable. */
#ifndef SGX_AUDIENCE_H
#define SGX_AUDIENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connectors/connector.h"

typedef struct sgx_aud sgx_aud_t;

/* Called for a row that became final without being sent: superseded by a later row for the
 * same profile in the same open window. Ownership of the row is transferred. */
typedef void (*sgx_row_final_fn)(sgx_row_t *row, void *arg);

/** @param out owned on success, free with sgx_aud_destroy. @param on_superseded borrowed. */
sgx_err_t sgx_aud_new(sgx_row_final_fn on_superseded, void *arg, sgx_aud_t **out);

/** @brief Frees the state, handing the rows still open or held to on_superseded (the pipeline
 * is being torn down: the callback releases them without delivery). NULL-safe. */
void sgx_aud_destroy(sgx_aud_t *a);

/**
 * @brief Accepts a row (ownership transferred). It joins the open batch of its op, replacing an
 * earlier open row of the same profile (coalescing), or waits behind the fence when a request
 * in flight holds the same profile with the opposite op, or when earlier rows of that profile
 * already wait.
 */
void sgx_aud_add(sgx_aud_t *a, sgx_row_t *row, int64_t now_ms);

/** @returns rows in the open batch of op, and when its oldest row arrived (ms, 0 if empty);
 *  after a take that is the oldest row left, so a backlog keeps its real age. */
size_t sgx_aud_open_count(const sgx_aud_t *a, sgx_op_t op);
int64_t sgx_aud_open_since(const sgx_aud_t *a, sgx_op_t op);
/** @brief Marks the open batch of op as cut: the request just taken from it was cut short by
 *  a byte or URL cap, so the rows left behind were due with it and stay due (sgx_aud_open_cut)
 *  instead of waiting another linger. The next take clears the mark. */
void sgx_aud_mark_cut(sgx_aud_t *a, sgx_op_t op);
bool sgx_aud_open_cut(const sgx_aud_t *a, sgx_op_t op);
/** @returns rows waiting behind the fence. */
size_t sgx_aud_held_count(const sgx_aud_t *a);

/** @returns true when nothing is open, held or in flight. */
bool sgx_aud_idle(const sgx_aud_t *a);

/** @brief Frees an idle audience's buffers (a no-op when it is not idle); the next
 *  sgx_aud_add allocates them again. An idle audience then costs only its struct. */
void sgx_aud_trim(sgx_aud_t *a);

/**
 * @brief Up to max rows of the open batch in arrival order, without taking them.
 * @param rows receives a borrowed array valid until the next call on a.
 */
size_t sgx_aud_peek(sgx_aud_t *a, sgx_op_t op, size_t max, sgx_row_t *const **rows);

/**
 * @brief Takes the first n rows of the open batch into a request: they leave the batch and
 * enter the fence. Copies them into out (caller-owned array of n); ownership moves to the
 * caller, who must call sgx_aud_unfence for them when the request is final.
 */
void sgx_aud_take(sgx_aud_t *a, sgx_op_t op, size_t n, sgx_row_t **out, int64_t now_ms);

/**
 * @brief The request holding rows is final: they leave the fence (rows stay the caller's), and
 * held rows that no longer conflict move into the open batches, in their original order.
 */
void sgx_aud_unfence(sgx_aud_t *a, sgx_row_t *const *rows, size_t n, int64_t now_ms);

/* A predicate over rows (borrowed). */
typedef bool (*sgx_row_pred_fn)(const sgx_row_t *row, void *arg);

/**
 * @brief Removes every open or held row for which drop() holds (rows of a partition this
 * process no longer owns) and hands each to gone (ownership transferred); held rows that no
 * longer wait for anything move into the open batches. Rows in the fence are the caller's.
 * @returns the rows removed.
 */
size_t sgx_aud_drop_if(sgx_aud_t *a, sgx_row_pred_fn drop, sgx_row_final_fn gone, void *arg,
                       int64_t now_ms);

#endif
