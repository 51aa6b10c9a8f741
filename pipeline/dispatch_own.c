/* The dispatcher's side of ownership.h: rows of a partition this process no longer owns (or
 * owns under a newer generation) are dropped wherever they are, without acknowledgement: open
 * batches, rows held behind the fence, requests waiting for a retry or the next step of a job,
 * and transfers on the wire (aborted). Their records go back to the poll thread, which ignores
 * them (stale generation): nothing of them is stored or committed, and the partition's next
 * owner sends them. */
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "base/mem.h"
#include "pipeline/record.h"

void sgx_own_drop_row(sgx_dispatcher_t *d, sgx_row_t *row)
{
    SGX_INC(d->o.stats->rows_unowned);
    sgx_record_release(row->ack, d->o.done);
    sgx_free(row);
}

static bool unowned(const sgx_row_t *row, void *arg)
{
    (void)arg;
    return !sgx_own_record(row->ack);
}

static void gone(sgx_row_t *row, void *arg)
{
    sgx_own_drop_row(arg, row);
}

/* Splits r's rows into the owned ones (kept in order in r->rows) and the others (dropped,
 * after leaving the fence). @returns the rows dropped. */
static size_t split(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now)
{
    size_t n = r->batch.nrows, kept = 0, dropped = 0;
    sgx_row_t **out = sgx_malloc(n * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        sgx_row_t *row = r->rows[i];
        if (unowned(row, NULL)) {
            out[dropped++] = row;
        } else {
            r->rows[kept++] = row;
        }
    }
    r->batch.nrows = kept;
    sgx_aud_unfence(r->dest->auds[r->aud], out, dropped, now);
    for (size_t i = 0; i < dropped; i++) {
        sgx_own_drop_row(d, out[i]);
    }
    sgx_free(out);
    return dropped;
}

static bool holds_unowned(const sgx_req_t *r)
{
    for (size_t i = 0; !r->is_auth && i < r->batch.nrows; i++) {
        if (unowned(r->rows[i], NULL)) {
            return true;
        }
    }
    return false;
}

/* A request holding unowned rows stops (aborted if on the wire): whatever step it reached may
 * carry them (an upload, an import). Its owned rows stay in the fence and start over as a new
 * job; a job submitted before may still be applied by the destination (guarantees.md). */
static void purge_list(sgx_dispatcher_t *d, sgx_req_t **head, bool on_wire, int64_t now)
{
    sgx_req_t *r = *head;
    while (r) {
        sgx_req_t *next = r->next;
        if (holds_unowned(r)) {
            sgx_req_unlink(d, r, on_wire);
            sgx_dest_rt_t *dr = r->dest;
            size_t dropped = split(d, r, now);
            SGX_INFO("dispatch", "%s: audience %s: %s a request: %zu rows of a partition no "
                     "longer owned dropped, %zu start over", dr->d->cfg->name,
                     r->batch.audience_id ? r->batch.audience_id : "(new)",
                     on_wire ? "aborted" : "cancelled", dropped, r->batch.nrows);
            if (r->batch.nrows > 0) {
                sgx_req_restart(d, r, now);
            } else {
                if (!dr->aud_ids[r->aud]) {
                    dr->creating[r->aud] = false; /* the next batch creates it */
                }
                if (!r->parked) {
                    dr->inflight--;
                }
                sgx_req_free(r);
            }
        }
        r = next;
    }
}

void sgx_own_purge(sgx_dispatcher_t *d, int64_t now)
{
    size_t dropped = 0;
    for (size_t i = 0; i < d->o.ndests; i++) {
        sgx_dest_rt_t *dr = &d->dests[i];
        for (size_t a = 0; a < dr->d->cfg->naudiences; a++) {
            dropped += sgx_aud_drop_if(dr->auds[a], unowned, gone, d, now);
        }
    }
    purge_list(d, &d->active, true, now);
    purge_list(d, &d->waiting, false, now);
    if (dropped) {
        SGX_INFO("dispatch", "%zu open or held rows of partitions no longer owned dropped",
                 dropped);
    }
}
