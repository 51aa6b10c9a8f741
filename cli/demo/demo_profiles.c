/* Synthetic profiles with messy but valid identifiers, and the platform's expected view of
 * them. The expected values are written out by hand from the rules (not by calling the
 * normalizer), so the demo checks normalization as well as delivery. */
#include <stdio.h>
#include <string.h>

#include "cli/demo/demo.h"
#include "codecs/hash.h"

static const char *const domains[] = {"example.com", "mail.example.org", "corp.example.net",
                                      "example.co.uk", "exemple.fr"};

static void upper(char *s)
{
    for (; *s; s++) {
        if (*s >= 'a' && *s <= 'z') {
            *s = (char)(*s - 'a' + 'A');
        }
    }
}

static void make_email(size_t p, sgx_demo_profile_t *o)
{
    size_t k = p % 50;
    o->has_email = k != 21;
    if (k == 7 || k == 13) {
        snprintf(o->email_raw, sizeof o->email_raw, "not-an-email-%zu", p);
        return; /* invalid: dropped by the normalizer, never hashed */
    }
    const char *dom = domains[p % 5];
    snprintf(o->email_norm, sizeof o->email_norm, "user%zu@%s", p, dom);
    if (p % 3 == 0) {
        char up[64];
        snprintf(up, sizeof up, "%s", dom);
        upper(up);
        snprintf(o->email_raw, sizeof o->email_raw, "  User%zu@%s ", p, up);
    } else if (p % 3 == 1) {
        snprintf(o->email_raw, sizeof o->email_raw, "USER%zu@%s", p, dom);
    } else {
        snprintf(o->email_raw, sizeof o->email_raw, "%s", o->email_norm);
    }
}

/* National and international forms for three countries; the expected value is E.164 digits.
 * Numbers are unique per profile (up to millions of profiles), so two profiles never share a
 * member on the platform. */
static void make_phone(size_t p, sgx_demo_profile_t *o)
{
    size_t k = p % 50;
    unsigned lo = (unsigned)(p % 10000), hi = (unsigned)((p / 10000) % 600);
    bool intl = p % 4 == 0;
    o->has_phone = k != 7 && (p % 10 < 7 || k == 13);
    switch (p % 3) {
    case 0:
        snprintf(o->country, sizeof o->country, "US");
        snprintf(o->phone_raw, sizeof o->phone_raw,
                 intl ? "+1 %03u-555-%04u" : "(%03u) 555-%04u", 300 + hi, lo);
        snprintf(o->phone_norm, sizeof o->phone_norm, "1%03u555%04u", 300 + hi, lo);
        break;
    case 1:
        snprintf(o->country, sizeof o->country, "gb");
        snprintf(o->phone_raw, sizeof o->phone_raw,
                 intl ? "+44 20 7%03u %04u" : "020 7%03u %04u", hi, lo);
        snprintf(o->phone_norm, sizeof o->phone_norm, "44207%03u%04u", hi, lo);
        break;
    default:
        snprintf(o->country, sizeof o->country, "FR");
        snprintf(o->phone_raw, sizeof o->phone_raw,
                 intl ? "+33 6 %02u %02u %02u %02u" : "06 %02u %02u %02u %02u",
                 (unsigned)((p / 1000000) % 100), hi % 100, lo / 100, lo % 100);
        snprintf(o->phone_norm, sizeof o->phone_norm, "336%02u%02u%02u%02u",
                 (unsigned)((p / 1000000) % 100), hi % 100, lo / 100, lo % 100);
        break;
    }
}

void sgx_demo_profile(size_t p, sgx_demo_profile_t *out)
{
    memset(out, 0, sizeof *out);
    make_email(p, out);
    make_phone(p, out);
    out->usable = (out->has_email && out->email_norm[0]) || out->has_phone;
}

static void hex_sha256(sgx_hasher_t *h, const char *s, char *hex)
{
    unsigned char d[SGX_SHA256_LEN];
    sgx_hasher_sha256(h, s, strlen(s), d);
    sgx_hex_lower(d, sizeof d, hex);
}

bool sgx_demo_member(size_t p, char *out, size_t cap)
{
    sgx_demo_profile_t pr;
    sgx_demo_profile(p, &pr);
    if (!pr.usable) {
        return false;
    }
    sgx_hasher_t *h = NULL;
    if (sgx_hasher_new(&h)) {
        return false;
    }
    char e[65] = "", ph[65] = "";
    if (pr.has_email && pr.email_norm[0]) {
        hex_sha256(h, pr.email_norm, e);
    }
    if (pr.has_phone) {
        hex_sha256(h, pr.phone_norm, ph);
    }
    sgx_hasher_destroy(h);
    snprintf(out, cap, "%s%s%s%s%s", e[0] ? "EMAIL:" : "", e, e[0] && ph[0] ? "," : "",
             ph[0] ? "PHONE:" : "", ph);
    return true;
}

bool sgx_demo_member_for(sgx_dest_kind_t kind, size_t p, char *out, size_t cap)
{
    if (kind == SGX_DEST_FACEBOOK) {
        return sgx_demo_member(p, out, cap);
    }
    sgx_demo_profile_t pr;
    sgx_demo_profile(p, &pr);
    if (!pr.has_email || !pr.email_norm[0]) {
        return false; /* e-mail is the only key of the other three */
    }
    if (kind == SGX_DEST_DOTDIGITAL) {
        snprintf(out, cap, "%s", pr.email_norm);
        return true;
    }
    sgx_hasher_t *h = NULL;
    if (sgx_hasher_new(&h) || cap < 65) {
        sgx_hasher_destroy(h);
        return false;
    }
    hex_sha256(h, pr.email_norm, out);
    sgx_hasher_destroy(h);
    return true;
}

void sgx_demo_audience_id(sgx_dest_kind_t kind, size_t s, char *out, size_t cap)
{
    /* Numeric ids in each platform's usual shape; distinct per destination. */
    static const char *const prefix[SGX_DEST__COUNT] = {"2385000000", "9100", "7700", "330"};
    snprintf(out, cap, "%s%05zu", prefix[kind], 1000 + s);
}
