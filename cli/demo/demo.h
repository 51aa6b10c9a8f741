/* The embedded demo's parts: a synthetic upstream (demo_gen.c) of deterministic profiles
 * (demo_profiles.c) and a verification of every audience (demo_verify.c). Used by the `demo`
 * command (cli/cmd_demo.c), the component tests' testkit and the benchmarks; the command's own
 * entry point is in cli/cmd_demo.h, so no part depends on the command. */
#ifndef SGX_DEMO_H
#define SGX_DEMO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "codecs/normalize.h"
#include "pipeline/stats.h"

typedef struct {
    size_t events;
    size_t profiles;
    size_t segments;
    int partitions;
    size_t bad;        /* malformed records mixed into the stream */
    unsigned seed;
    size_t window;     /* produced - consumed bound (the mock keeps ~5 MiB per partition) */
    unsigned dests;    /* bit per sgx_dest_kind_t exported to; 0 means Meta only */
} sgx_demo_opts_t;

/** @returns the destinations mask with the 0 = Meta default applied. */
static inline unsigned sgx_demo_dests(const sgx_demo_opts_t *o)
{
    return o->dests ? o->dests : 1u << SGX_DEST_FACEBOOK;
}

/* What the event log says, kept by the generator for verification. */
typedef struct {
    size_t profiles, segments;
    uint8_t *state;             /* [profile * segments + segment]: 0 untouched, 1 in, 2 out */
    atomic_uint_fast64_t produced;
    uint64_t expected_dlq;      /* malformed records + events of profiles with no usable key */
    uint64_t events;            /* well-formed events */
    atomic_bool finished;
} sgx_demo_truth_t;

/* One synthetic profile: what upstream sends and what the platform must end up with. */
typedef struct {
    char email_raw[128];
    bool has_email;
    char email_norm[128]; /* empty when the raw e-mail is invalid */
    char phone_raw[48];
    bool has_phone;
    char phone_norm[24];
    char country[8];
    bool usable;          /* at least one valid key */
} sgx_demo_profile_t;

/** @brief Deterministic profile number p. */
void sgx_demo_profile(size_t p, sgx_demo_profile_t *out);

/** @brief The emulator member string of profile p ("EMAIL:<hex>,PHONE:<hex>").
 *  @returns false when the profile has no usable key. */
bool sgx_demo_member(size_t p, char *out, size_t cap);

/** @brief The member string of profile p on destination kind: Meta as above; Microsoft and
 *  Criteo the SHA-256 hex of the e-mail; Dotdigital the normalized e-mail itself.
 *  @returns false when the profile has no key that destination can use. */
bool sgx_demo_member_for(sgx_dest_kind_t kind, size_t p, char *out, size_t cap);

/** @brief The demo's audience id of segment s on destination kind. */
void sgx_demo_audience_id(sgx_dest_kind_t kind, size_t s, char *out, size_t cap);

typedef struct sgx_demo_gen sgx_demo_gen_t;

/**
 * @brief Starts the synthetic upstream: a producer thread writing Avro events (Confluent
 * framing, schema_id) keyed by profile, paced behind stats->consumed.
 * @param truth, stats borrowed; must outlive the generator. @param out owned on success.
 */
sgx_err_t sgx_demo_gen_start(const char *bootstrap, const char *topic, uint32_t schema_id,
                             const sgx_demo_opts_t *o, const sgx_stats_t *stats,
                             sgx_demo_truth_t *truth, sgx_demo_gen_t **out, char *errbuf);

/** @brief Asks the generator to produce nothing more (it still flushes what it produced).
 *  @param g borrowed; NULL-safe. Thread-safe. */
void sgx_demo_gen_stop(sgx_demo_gen_t *g);

/** @brief Joins the generator thread and frees it. NULL-safe. */
void sgx_demo_gen_join(sgx_demo_gen_t *g);

/**
 * @brief Compares every emulated audience with the membership the log implies.
 * @param audience_ids borrowed, one per segment. @param report receives a short summary.
 * @returns true when every audience matches exactly.
 */
bool sgx_demo_verify(uint16_t emu_port, char *const *audience_ids, const sgx_demo_truth_t *t,
                     char *report, size_t cap);

/** @brief Same for any destination kind; audience ids from sgx_demo_audience_id. */
bool sgx_demo_verify_for(sgx_dest_kind_t kind, uint16_t emu_port, const sgx_demo_truth_t *t,
                         char *report, size_t cap);

#endif
