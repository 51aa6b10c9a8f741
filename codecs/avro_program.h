/* Internal to the codecs' avro_*.c: the compiled form of a writer schema. */
#ifndef SGX_AVRO_PROGRAM_H
#define SGX_AVRO_PROGRAM_H

#include <stdint.h>

#include "codecs/avro_projection.h"

typedef enum {
    SGX_AK_NULL = 0,
    SGX_AK_BOOLEAN,
    SGX_AK_INT,
    SGX_AK_LONG,
    SGX_AK_FLOAT,
    SGX_AK_DOUBLE,
    SGX_AK_BYTES,
    SGX_AK_STRING,
    SGX_AK_FIXED,  /* a = size */
    SGX_AK_ENUM,   /* n = symbol count, a = see SGX_ENUM_ENTER */
    SGX_AK_ARRAY,  /* a = items node */
    SGX_AK_MAP,    /* a = values node */
    SGX_AK_UNION,  /* kids[a .. a+n) = branch nodes */
    SGX_AK_RECORD, /* kids[a .. a+n) = field nodes, acts[] = extraction targets */
} sgx_akind_t;

typedef enum { SGX_LT_NONE = 0, SGX_LT_DATE, SGX_LT_TS_MILLIS, SGX_LT_TS_MICROS } sgx_alogical_t;

/* Extraction targets stored in acts[] as target + 1 (0 = just decode/skip the field). */
enum {
    SGX_T_PROFILE = 0,
    SGX_T_SEGMENT,
    SGX_T_OP,
    SGX_T_TIME,
    SGX_T_FIELD0,
    SGX_T__COUNT = SGX_T_FIELD0 + SGX_F__COUNT
};

typedef struct {
    uint8_t kind;    /* sgx_akind_t */
    uint8_t logical; /* sgx_alogical_t */
    uint8_t cloned;  /* private copy made to carry a dotted-path annotation */
    uint8_t pad;
    uint32_t a, n;
    uint32_t min_size; /* fewest bytes one value can take: bounds block counts */
} sgx_anode_t;

struct sgx_projection {
    sgx_anode_t *nodes; /* owned */
    uint32_t nnodes, cap_nodes;
    uint32_t *kids;  /* owned: child node indices */
    uint8_t *acts;   /* owned: parallel to kids */
    char **names;    /* owned: parallel to kids; record field names, NULL for union branches */
    uint32_t nkids, cap_kids;
    uint32_t root;
};

/* Enum nodes keep only where ENTER and EXIT sit: a = ENTER index + 1, and EXIT index + 1 in the
 * upper 16 bits (0 = symbol absent). That is all op extraction needs. */
#define SGX_ENUM_ENTER(node) ((node)->a & 0xffffu)
#define SGX_ENUM_EXIT(node) ((node)->a >> 16)

/* The program's storage (avro_program.c), used by the compiler and the binder. */
/** @returns the index of a new zeroed node of kind (p->nodes may move). */
uint32_t sgx_aprog_add_node(sgx_projection_t *p, sgx_akind_t kind);
/** @returns the first of n new zeroed child slots (p->kids, acts, names may move). */
uint32_t sgx_aprog_add_kids(sgx_projection_t *p, uint32_t n);
/** @brief Binds every target of map (NULL = canonical names); SGX_ERR_CONFIG + errbuf
 *  (avro_bind.c). */
sgx_err_t sgx_aprog_bind(sgx_projection_t *p, const sgx_mapping_t *map, char *errbuf);

#endif
