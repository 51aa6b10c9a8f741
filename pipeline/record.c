#include "pipeline/record.h"

#include <sched.h>

void sgx_record_release(sgx_record_t *rec, sgx_ring_t *done)
{
    if (atomic_fetch_sub_explicit(&rec->pending, 1, memory_order_acq_rel) != 1) {
        return;
    }
    while (sgx_ring_push(done, rec) != SGX_OK) {
        sched_yield();
    }
}
