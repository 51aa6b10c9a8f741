/* The compact decoded form of one segment-membership event. */
#ifndef SGX_EVENT_H
#define SGX_EVENT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { SGX_OP_ENTER = 0, SGX_OP_EXIT = 1 } sgx_op_t;

/* Canonical identifier fields. Which writer-schema field feeds each one is the attribute
 * mapping (config); the default is the field of the same name in segment_membership.avsc. */
typedef enum {
    SGX_F_EMAIL = 0,
    SGX_F_PHONE,
    SGX_F_FIRST_NAME,
    SGX_F_LAST_NAME,
    SGX_F_GENDER,
    SGX_F_DATE_OF_BIRTH, /* string YYYY-MM-DD; an Avro `date` int is rendered to this form */
    SGX_F_CITY,
    SGX_F_STATE,
    SGX_F_POSTAL_CODE,
    SGX_F_COUNTRY,
    SGX_F_MOBILE_ADVERTISER_ID,
    SGX_F_EXTERNAL_ID,
    SGX_F__COUNT
} sgx_field_t;

/** @returns the canonical field name ("email", …) or NULL when out of range. */
const char *sgx_field_name(sgx_field_t f);
/** @returns the field for a canonical name, or -1. */
int sgx_field_parse(const char *name);

/* A byte range inside the buffer the event was decoded from. Offsets, not pointers, so the
 * buffer may be copied (the poll thread copies each record once) without fixing anything up. */
typedef struct {
    uint32_t off;
    uint32_t len;
} sgx_slice_t;

/* What the decoder extracts. Strings are slices into the decoded body, not copies. */
typedef struct {
    sgx_slice_t profile_id;
    sgx_slice_t segment_id;
    sgx_op_t op;
    int64_t event_time_ms;
    uint32_t present;                 /* bit f set when fields[f] holds a value (null = absent) */
    sgx_slice_t fields[SGX_F__COUNT];
    /* An Avro `date` (days since epoch) has no bytes to point at; the decoder renders it here
     * and sets fields[SGX_F_DATE_OF_BIRTH] to {UINT32_MAX, 10} to say "use dob_text". */
    char dob_text[11];
} sgx_decoded_t;

#define SGX_SLICE_DOB_TEXT UINT32_MAX

static inline bool sgx_decoded_has(const sgx_decoded_t *d, sgx_field_t f)
{
    return (d->present >> f) & 1u;
}

#endif
