/* Telephone numbering data for the largest advertising markets (58 countries).
 *
 * Source: libphonenumber's resources/PhoneNumberMetadata.xml, release v9.0.43 (as compiled into
 * the phonenumbers 9.0.43 package, whose generated metadata was dumped programmatically), with
 * territory headers spot-checked by hand in google/libphonenumber at commit
 * 2c7646f7d540099944e775e79446c14904df1cb6 (an older revision; for the territories checked it
 * differs only in GB's later "180020" national prefix for parsing). Per territory:
 *   - countryCode                          -> calling_code
 *   - internationalPrefix (a regex)        -> intl_prefix, expanded into alternatives
 *   - nationalPrefixForParsing, else nationalPrefix -> trunk, expanded into alternatives
 *   - possibleLengths national= of fixedLine and mobile -> nsn_lengths (their union; short
 *     codes, toll-free and premium ranges and localOnly lengths are left out on purpose, so that
 *     a national number that already carries its calling code can be told apart)
 * Patterns keep digits, 'D' (any digit) and bracket classes ("00[89]"), so most are the
 * metadata's own text. Not modelled: nationalPrefixTransformRule (Argentina's mobile "15"
 * rewriting to "9", Japan's 000x numbers kept as dialled) and pattern-based validation; only
 * lengths are checked. Mexico has had no national prefix since its 2019 renumbering: "044"/"01"
 * numbers are no longer rewritten. Countries without a trunk prefix (IT, ES, PT, DK, NO, PL, SG,
 * HK, CL, GR, CZ, QA, KW, MX) keep a leading 0 as part of the number: Italy's "06 ..." is
 * "+39 06 ...".
 * Keep the table sorted by cc: lookups are binary searches. The example numbers of each
 * territory's fixedLine and mobile elements are tests/unit/norm_phone_examples.h. */
#include <string.h>

#include "codecs/norm_internal.h"

#define P(...) {__VA_ARGS__, NULL}
#define NONE {NULL}

/* clang-format off */
static const sgx_phone_country_t countries[] = {
    {"ae", "971", P("00"), P("0"), 0x00300, false}, /* 8,9 */
    {"ar", "54", P("00"), P("0"), 0x00c00, false}, /* 10,11 */
    {"at", "43", P("00"), P("0"), 0x03ff0, false}, /* 4,5,6,7,8,9,10,11,12,13 */
    {"au", "61", P("001[14-689]", "141[14]0011", "14340011", "144[17]0011", "14[56]60011", "147[47]0011", "14880011"), P("183[12]", "0"), 0x00200, false}, /* 9 */
    {"bd", "880", P("00"), P("0"), 0x007c0, false}, /* 6,7,8,9,10 */
    {"be", "32", P("00"), P("0"), 0x00300, false}, /* 8,9 */
    {"br", "55", P("001[245]", "002[1-35]", "0031", "004[13]", "00[56]5", "0099"), P("01[245]", "02[1-35]", "031", "04[13]", "0[56]5", "099", "901[245]", "902[1-35]", "9031", "904[13]", "90[56]5", "9099", "0", "90"), 0x00c00, false}, /* 10,11 */
    {"ca", "1", P("011"), P("1"), 0x00400, false}, /* 10 */
    {"ch", "41", P("00"), P("0"), 0x00200, false}, /* 9 */
    {"cl", "56", P("11[0-69]0", "12[02-5]0", "15[13-58]0", "1690", "17[0167]0", "18[018]0", "00"), NONE, 0x00200, false}, /* 9 */
    {"cn", "86", P("1[12]DDD00", "179DD00", "00"), P("1[12]DDD", "179DD", "0"), 0x00f80, false}, /* 7,8,9,10,11 */
    {"co", "57", P("00444", "00414", "00456", "00[579]"), P("0[3579]", "04[14]4", "0456", "0"), 0x00500, false}, /* 8,10 */
    {"cz", "420", P("00"), NONE, 0x00200, false}, /* 9 */
    {"de", "49", P("00"), P("0"), 0x0ffe0, false}, /* 5,6,7,8,9,10,11,12,13,14,15 */
    {"dk", "45", P("00"), NONE, 0x00100, false}, /* 8 */
    {"eg", "20", P("00"), P("0"), 0x00700, false}, /* 8,9,10 */
    {"es", "34", P("00"), NONE, 0x00200, false}, /* 9 */
    {"fi", "358", P("99[01469]", "995[14]1", "9953[23]", "9955[59]", "99577", "99588", "9959[09]", "00"), P("0"), 0x007e0, false}, /* 5,6,7,8,9,10 */
    {"fr", "33", P("00"), P("0"), 0x00200, false}, /* 9 */
    {"gb", "44", P("00"), P("180020", "0"), 0x00600, false}, /* 9,10 */
    {"gr", "30", P("00"), NONE, 0x00400, false}, /* 10 */
    {"hk", "852", P("0030", "005[09]", "00[126-9]", "00"), NONE, 0x00100, false}, /* 8 */
    {"hu", "36", P("00"), P("06"), 0x00300, false}, /* 8,9 */
    {"id", "62", P("00[89]"), P("0"), 0x01f80, false}, /* 7,8,9,10,11,12 */
    {"ie", "353", P("00"), P("0"), 0x00780, false}, /* 7,8,9,10 */
    {"il", "972", P("0105", "01[2-9]", "00"), P("0"), 0x01b00, false}, /* 8,9,11,12 */
    {"in", "91", P("00"), P("0"), 0x00400, false}, /* 10 */
    {"it", "39", P("00"), NONE, 0x01fc0, false}, /* 6,7,8,9,10,11,12 */
    {"jp", "81", P("010"), P("0037680", "003768", "0"), 0x00600, false}, /* 9,10 */
    {"ke", "254", P("000"), P("0"), 0x00380, false}, /* 7,8,9 */
    {"kr", "82", P("00[125689]", "003[46]5", "00391", "00700", "00727", "0073", "00755", "0076[126]"), P("08[1-46-8]", "085DD", "0"), 0x00760, false}, /* 5,6,8,9,10 */
    {"kw", "965", P("00"), NONE, 0x00100, false}, /* 8 */
    {"lu", "352", P("00"), P("150[06]D", "151[12]D", "15[35]5D", "154[04]D", "156[26]D", "1577D", "1588D", "1599D"), 0x00ff0, false}, /* 4,5,6,7,8,9,10,11 */
    {"ma", "212", P("00"), P("0"), 0x00200, false}, /* 9 */
    {"mx", "52", P("0[09]"), NONE, 0x00400, false}, /* 10 */
    {"my", "60", P("00"), P("0"), 0x00700, false}, /* 8,9,10 */
    {"ng", "234", P("009"), P("0"), 0x00400, false}, /* 10 */
    {"nl", "31", P("00"), P("0"), 0x00a00, false}, /* 9,11 */
    {"no", "47", P("00"), NONE, 0x00100, false}, /* 8 */
    {"nz", "64", P("0161", "00"), P("0"), 0x00700, false}, /* 8,9,10 */
    {"pe", "51", P("191[124]00", "197700", "199000", "00"), P("0"), 0x00300, false}, /* 8,9 */
    {"ph", "63", P("00"), P("0"), 0x00740, false}, /* 6,8,9,10 */
    {"pk", "92", P("00"), P("0"), 0x00600, false}, /* 9,10 */
    {"pl", "48", P("00"), NONE, 0x00280, false}, /* 7,9 */
    {"pt", "351", P("00"), NONE, 0x00200, false}, /* 9 */
    {"qa", "974", P("00"), NONE, 0x00100, false}, /* 8 */
    {"ro", "40", P("00"), P("0"), 0x00240, false}, /* 6,9 */
    {"ru", "7", P("810"), P("8"), 0x00400, false}, /* 10 */
    {"sa", "966", P("00"), P("0"), 0x00200, false}, /* 9 */
    {"se", "46", P("00"), P("0"), 0x00380, false}, /* 7,8,9 */
    {"sg", "65", P("0[0-3]D"), NONE, 0x00100, false}, /* 8 */
    {"th", "66", P("00[1-9]"), P("0"), 0x00300, false}, /* 8,9 */
    {"tr", "90", P("00"), P("0"), 0x00400, false}, /* 10 */
    {"tw", "886", P("00[25-79]", "019"), P("0"), 0x00300, false}, /* 8,9 */
    {"ua", "380", P("00"), P("0"), 0x00200, false}, /* 9 */
    {"us", "1", P("011"), P("1"), 0x00400, true}, /* 10 */
    {"vn", "84", P("00"), P("0"), 0x00600, false}, /* 9,10 */
    {"za", "27", P("00"), P("0"), 0x003e0, false}, /* 5,6,7,8,9 */
};
/* clang-format on */

#define N_COUNTRIES (sizeof countries / sizeof countries[0])

const sgx_phone_country_t *sgx_phone_country(const char *cc)
{
    size_t lo = 0, hi = N_COUNTRIES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cc, countries[mid].cc);
        if (c == 0) {
            return &countries[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

/* One bracket class "[1-35]" at *p against digit d; advances *p past the ']'. */
static bool class_match(const char **p, char d)
{
    const char *s = *p + 1;
    bool hit = false;
    for (; *s && *s != ']'; s++) {
        if (s[1] == '-' && s[2] && s[2] != ']') {
            hit = hit || (d >= s[0] && d <= s[2]);
            s += 2;
        } else {
            hit = hit || d == *s;
        }
    }
    *p = *s ? s + 1 : s;
    return hit;
}

size_t sgx_phone_prefix_match(const char *pattern, const char *digits, size_t n)
{
    size_t i = 0;
    for (const char *p = pattern; *p; i++) {
        if (i >= n) {
            return 0;
        }
        if (*p == '[') {
            if (!class_match(&p, digits[i])) {
                return 0;
            }
            continue;
        }
        if (*p != 'D' && *p != digits[i]) {
            return 0;
        }
        p++;
    }
    return i;
}

const sgx_phone_country_t *sgx_phone_by_calling_code(const char *digits, size_t n)
{
    const sgx_phone_country_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < N_COUNTRIES; i++) {
        size_t k = sgx_phone_prefix_match(countries[i].calling_code, digits, n);
        /* longest code wins; for a shared code (+1: ca, us) the main country does */
        if (k > best_len || (k > 0 && k == best_len && countries[i].main)) {
            best = &countries[i];
            best_len = k;
        }
    }
    return best;
}
