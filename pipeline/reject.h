/* Which rows of a finished request were rejected, and why: the merge walk behind the
 * dispatcher's dead-lettering. A Microsoft Advertising batch has up to 4,000,000 rows and its
 * result file may reject many of them, so this is O(rows + rejected·log rejected), never
 * O(rows × rejected). Pure, no allocation visible to the caller. */
#ifndef SGX_REJECT_H
#define SGX_REJECT_H

#include <stddef.h>

#include "connectors/connector.h"

/**
 * @brief Fills why[i] for every row i < nrows: NULL when row i was delivered, else the reason
 * it is dead-lettered with (borrowed from c). REJECTED rejects every row with c->reason;
 * PARTIAL rejects the rows listed in c->rejected_idx with their row_reasons entry (c->reason
 * when that is absent). Indexes >= nrows are ignored; a row listed twice keeps the reason of
 * its first listing.
 * @param c borrowed. @param why caller-owned array of nrows.
 * @returns the number of rejected rows.
 */
size_t sgx_reject_reasons(const sgx_classification_t *c, size_t nrows, const char **why);

#endif
