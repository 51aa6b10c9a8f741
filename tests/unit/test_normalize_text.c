/* Meta's other keys (FN, LN, FI, GEN, DOBY/DOBM/DOBD, CT, ST, ZIP, COUNTRY, MADID, EXTERN_ID)
 * and Dotdigital's plain-text fields. */
#include "tests/unit/norm_cases.h"

#define FB SGX_DEST_FACEBOOK
#define DD SGX_DEST_DOTDIGITAL
#define K(key, in, out) {FB, SGX_KEY_##key, B(in), NULL, NULL, SGX_DROP_NONE, out, 0}
#define KC(key, in, c, out) {FB, SGX_KEY_##key, B(in), c, NULL, SGX_DROP_NONE, out, 0}
#define X(key, in, why) {FB, SGX_KEY_##key, B(in), NULL, NULL, SGX_DROP_##why, NULL, 0}
#define XC(key, in, c, why) {FB, SGX_KEY_##key, B(in), c, NULL, SGX_DROP_##why, NULL, 0}
#define D(key, in, out) {DD, SGX_KEY_##key, B(in), NULL, NULL, SGX_DROP_NONE, out, 0}
#define HEX64 "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
#define HEX64L "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const norm_case_t names[] = {
    K(FN, "John", "john"),
    K(FN, "  JOHN  ", "john"),
    K(FN, "Mary-Jane", "maryjane"),
    K(FN, "Mary Jane", "maryjane"),
    K(LN, "O'Brien", "obrien"),
    K(LN, "O\xe2\x80\x99" "Brien", "obrien"), /* typographic apostrophe */
    K(LN, "Smith Jr.", "smithjr"),
    K(LN, "van der Berg", "vanderberg"),
    K(FN, "Jos\xc3\xa9", "jos\xc3\xa9"),
    K(FN, "JOS\xc3\x89", "jos\xc3\xa9"),
    K(FN, "Jose\xcc\x81", "jos\xc3\xa9"), /* combining accent composed */
    K(FN, "Jos\xc3\xa9 Mar\xc3\xad" "a", "jos\xc3\xa9mar\xc3\xad" "a"),
    K(LN, "M\xc3\xbcller", "m\xc3\xbcller"),
    K(LN, "MU\xcc\x88LLER", "m\xc3\xbcller"),
    K(LN, "Stra\xc3\x9f" "e", "stra\xc3\x9f" "e"),
    K(LN, "\xc3\x98stergaard", "\xc3\xb8stergaard"),
    K(FN, "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd"), /* Иван */
    K(FN, "\xce\x9d\xce\x99\xce\x9a\xce\x9f\xce\xa3", "\xce\xbd\xce\xb9\xce\xba\xce\xbf\xcf\x83"),
    K(LN, "\xe7\x94\xb0\xe4\xb8\xad", "\xe7\x94\xb0\xe4\xb8\xad"),                 /* 田中 */
    K(LN, "\xe7\x94\xb0 \xe4\xb8\xad", "\xe7\x94\xb0\xe4\xb8\xad"),
    K(FN, "\xeb\xaf\xbc\xec\xa4\x80", "\xeb\xaf\xbc\xec\xa4\x80"),                 /* 민준 */
    K(FN, "\xe0\xa4\xb0\xe0\xa4\xbe\xe0\xa4\x9c", "\xe0\xa4\xb0\xe0\xa4\xbe\xe0\xa4\x9c"), /* राज */
    K(FN, "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf"), /* محمد */
    K(FN, "Jo\xe2\x80\x8bhn", "john"),
    K(FN, "\xe2\x80\xaeJohn\xe2\x80\xac", "john"),
    K(FN, "John2", "john"),
    K(FN, "J.R.R.", "jrr"),
    K(FN, "\xf0\x9f\x98\x80John", "john"), /* emoji is a symbol */
    X(FN, "", EMPTY),
    X(FN, "...", EMPTY),
    X(FN, "123", EMPTY),
    X(FN, "\xe2\x80\x8b", EMPTY),
    X(FN, "Jo\0hn", CONTROL_CHAR),
    X(LN, "Sm\x1fith", CONTROL_CHAR),
    X(FN, "Jos\xc3", INVALID_UTF8),
    X(LN, "\xed\xa0\x80", INVALID_UTF8),
    {FB, SGX_KEY_FN, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    {FB, SGX_KEY_LN, B(HEX64L), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
    K(FN, "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A0", "fdcdafeaacadabffbbbcddcbfa"),
};

static const norm_case_t initials[] = {
    K(FI, "John", "j"),
    K(FI, "j", "j"),
    K(FI, "J.", "j"),
    K(FI, " 'john", "j"),
    K(FI, "\xc3\x89milie", "\xc3\xa9"),
    K(FI, "E\xcc\x81milie", "\xc3\xa9"),
    K(FI, "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "\xd0\xb8"),
    K(FI, "\xe7\x94\xb0\xe4\xb8\xad", "\xe7\x94\xb0"),
    K(FI, "\xcc\x81" "Anna", "a"), /* a stray leading combining mark is no initial */
    X(FI, "", EMPTY),
    X(FI, "1.", EMPTY),
    {FB, SGX_KEY_FI, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
};

static const norm_case_t gender[] = {
    K(GEN, "m", "m"), K(GEN, "M", "m"), K(GEN, "male", "m"), K(GEN, "Male", "m"),
    K(GEN, "MALE", "m"), K(GEN, " male ", "m"), K(GEN, "f", "f"), K(GEN, "F", "f"),
    K(GEN, "female", "f"), K(GEN, "Female", "f"), K(GEN, "FEMALE", "f"),
    K(GEN, "\xef\xbc\xad", "m"), /* full-width Ｍ */
    X(GEN, "man", INVALID_VALUE), X(GEN, "woman", INVALID_VALUE), X(GEN, "boy", INVALID_VALUE),
    X(GEN, "x", INVALID_VALUE), X(GEN, "u", INVALID_VALUE), X(GEN, "unknown", INVALID_VALUE),
    X(GEN, "mf", INVALID_VALUE), X(GEN, "m.", INVALID_VALUE), X(GEN, "females", INVALID_VALUE),
    X(GEN, "0", INVALID_VALUE), X(GEN, "", EMPTY), X(GEN, " ", EMPTY),
    X(GEN, "m\0", CONTROL_CHAR),
};

static const norm_case_t dob[] = {
    K(DOBY, "1990-07-04", "1990"), K(DOBM, "1990-07-04", "07"), K(DOBD, "1990-07-04", "04"),
    K(DOBY, "1990/7/4", "1990"), K(DOBM, "1990/7/4", "07"), K(DOBD, "1990/7/4", "04"),
    K(DOBM, "1990.12.31", "12"), K(DOBD, "1990.12.31", "31"),
    K(DOBY, "19900704", "1990"), K(DOBM, "19900704", "07"), K(DOBD, "19900704", "04"),
    K(DOBY, " 1990-07-04 ", "1990"),
    K(DOBD, "2000-02-29", "29"), /* leap year (div by 400) */
    K(DOBD, "2024-02-29", "29"),
    K(DOBY, "1900-01-01", "1900"), K(DOBY, "2100-12-31", "2100"),
    K(DOBY, "1990", "1990"), K(DOBM, "7", "07"), K(DOBM, "07", "07"), K(DOBM, "12", "12"),
    K(DOBD, "4", "04"), K(DOBD, "31", "31"),
    /* １９９０－０７－０４ full-width */
    K(DOBY, "\xef\xbc\x91\xef\xbc\x99\xef\xbc\x99\xef\xbc\x90\xef\xbc\x8d\xef\xbc\x90\xef\xbc\x97"
            "\xef\xbc\x8d\xef\xbc\x90\xef\xbc\x94", "1990"),
    K(DOBD, "\xef\xbc\x91\xef\xbc\x99\xef\xbc\x99\xef\xbc\x90\xef\xbc\x8d\xef\xbc\x90\xef\xbc\x97"
            "\xef\xbc\x8d\xef\xbc\x90\xef\xbc\x94", "04"),
    X(DOBD, "1900-02-29", INVALID_VALUE), /* not a leap year (div by 100) */
    X(DOBD, "2023-02-29", INVALID_VALUE),
    X(DOBD, "1990-04-31", INVALID_VALUE),
    X(DOBM, "1990-13-01", INVALID_VALUE),
    X(DOBM, "1990-00-10", INVALID_VALUE),
    X(DOBD, "1990-01-00", INVALID_VALUE),
    X(DOBY, "1899-12-31", INVALID_VALUE),
    X(DOBY, "2101-01-01", INVALID_VALUE),
    X(DOBY, "90-07-04", INVALID_VALUE),
    X(DOBY, "04/07/1990", INVALID_VALUE), /* day-first is ambiguous: refused */
    X(DOBY, "1990-07/04", INVALID_VALUE),
    X(DOBY, "1990-07-04T00:00:00Z", INVALID_VALUE),
    X(DOBY, "1990-007-04", INVALID_VALUE),
    X(DOBY, "July 4, 1990", INVALID_VALUE),
    X(DOBY, "1990-07-", INVALID_VALUE),
    X(DOBY, "199", INVALID_VALUE), X(DOBY, "19900", INVALID_VALUE),
    X(DOBM, "13", INVALID_VALUE), X(DOBM, "0", INVALID_VALUE), X(DOBM, "1990", INVALID_VALUE),
    X(DOBD, "32", INVALID_VALUE), X(DOBD, "00", INVALID_VALUE), X(DOBD, "-1", INVALID_VALUE),
    X(DOBY, "", EMPTY), X(DOBY, "1990-07-04\0", CONTROL_CHAR),
    {FB, SGX_KEY_DOBY, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
};

static const norm_case_t city[] = {
    K(CT, "New York", "newyork"), K(CT, "San Francisco", "sanfrancisco"),
    K(CT, "St. Louis", "stlouis"), K(CT, "Winston-Salem", "winstonsalem"),
    K(CT, "Paris 15", "paris"), K(CT, "LONDON", "london"),
    K(CT, "S\xc3\xa3o Paulo", "s\xc3\xa3opaulo"),
    K(CT, "M\xc3\xbcnchen", "m\xc3\xbcnchen"),
    K(CT, "Mu\xcc\x88nchen", "m\xc3\xbcnchen"),
    K(CT, "\xe6\x9d\xb1\xe4\xba\xac", "\xe6\x9d\xb1\xe4\xba\xac"), /* 東京 */
    K(CT, "Qu\xc3\xa9" "bec City", "qu\xc3\xa9" "beccity"),
    X(CT, "12345", EMPTY), X(CT, "", EMPTY), X(CT, "--", EMPTY), X(CT, "Paris\x01", CONTROL_CHAR),
};

static const norm_case_t st_cases[] = {
    K(ST, "California", "ca"), K(ST, "CA", "ca"), K(ST, "ca", "ca"), K(ST, "New York", "ny"),
    K(ST, "NEW YORK", "ny"), K(ST, "newyork", "ny"), K(ST, "N.Y.", "ny"),
    K(ST, "District of Columbia", "dc"), K(ST, "Washington, D.C.", "dc"),
    K(ST, "Puerto Rico", "pr"), K(ST, "Guam", "gu"), K(ST, "Texas", "tx"),
    K(ST, "West Virginia", "wv"), K(ST, "Virginia", "va"), K(ST, "Washington", "wa"),
    KC(ST, "California", "US", "ca"), KC(ST, "Georgia", "United States", "ga"),
    KC(ST, "Georgia", "ge", "georgia"), /* the country, not the state */
    KC(ST, "Ontario", "ca", "ontario"), KC(ST, "ON", "Canada", "on"),
    KC(ST, "Bayern", "de", "bayern"), KC(ST, "Baden-W\xc3\xbcrttemberg", "de",
                                           "badenw\xc3\xbcrttemberg"),
    KC(ST, "Nuevo Le\xc3\xb3n", "mx", "nuevole\xc3\xb3n"), KC(ST, "NSW", "au", "nsw"),
    KC(ST, "New South Wales", "au", "newsouthwales"), K(ST, "Ontario", "ontario"),
    K(ST, "Qu\xc3\xa9" "bec", "qu\xc3\xa9" "bec"), KC(ST, "CA", "gb", "ca"),
    KC(ST, "75", "fr", "75"), /* French d\xc3\xa9partement number kept elsewhere */
    X(ST, "", EMPTY), X(ST, "..", EMPTY), X(ST, "C\0A", CONTROL_CHAR),
};

static const norm_case_t zip[] = {
    KC(ZIP, "94103", "us", "94103"), KC(ZIP, "94103-1234", "us", "94103"),
    KC(ZIP, "941031234", "us", "94103"), KC(ZIP, " 94103 ", "us", "94103"),
    XC(ZIP, "9410", "us", INVALID_VALUE), XC(ZIP, "94103-12", "us", INVALID_VALUE),
    XC(ZIP, "SW1A 1AA", "us", INVALID_VALUE),
    KC(ZIP, "SW1A 1AA", "gb", "sw1a1"), KC(ZIP, "sw1a1aa", "gb", "sw1a1"),
    KC(ZIP, "EC1A 1BB", "uk", "ec1a1"), KC(ZIP, "W1A 0AX", "gb", "w1a0"),
    KC(ZIP, "M1 1AE", "gb", "m11"), KC(ZIP, "B33 8TH", "gb", "b338"),
    KC(ZIP, "CR2 6XH", "gb", "cr26"), KC(ZIP, "DN55 1PT", "gb", "dn551"),
    KC(ZIP, "GIR 0AA", "gb", "gir0"), KC(ZIP, "SW1A 1", "gb", "sw1a1"),
    KC(ZIP, "SW1A", "gb", "sw1a"), XC(ZIP, "12345", "gb", INVALID_VALUE),
    XC(ZIP, "SW1A-1AA", "gb", INVALID_VALUE),
    K(ZIP, "94103", "94103"), K(ZIP, "94103-1234", "94103"), /* unknown country: shape */
    K(ZIP, "SW1A 1AA", "sw1a1"), K(ZIP, "941031234", "941031234"),
    KC(ZIP, "75001", "fr", "75001"), KC(ZIP, "10115", "de", "10115"),
    KC(ZIP, "K1A 0B1", "ca", "k1a0b1"), KC(ZIP, "100-0001", "jp", "100-0001"),
    KC(ZIP, "1011 AB", "nl", "1011ab"), KC(ZIP, "01-234", "pl", "01-234"),
    KC(ZIP, "94103", "United States", "94103"),
    /* full-width ９４１０３ */
    KC(ZIP, "\xef\xbc\x99\xef\xbc\x94\xef\xbc\x91\xef\xbc\x90\xef\xbc\x93", "us", "94103"),
    {FB, SGX_KEY_ZIP, B("94103-1234"), NULL, "us", SGX_DROP_NONE, "94103", 0}, /* default */
    X(ZIP, "", EMPTY), X(ZIP, "   ", EMPTY), X(ZIP, "941\00003", CONTROL_CHAR),
};

static const norm_case_t country[] = {
    K(COUNTRY, "US", "us"), K(COUNTRY, "us", "us"), K(COUNTRY, "USA", "us"),
    K(COUNTRY, "United States", "us"), K(COUNTRY, "United States of America", "us"),
    K(COUNTRY, "U.S.", "us"), K(COUNTRY, "U.S.A.", "us"), K(COUNTRY, "GB", "gb"),
    K(COUNTRY, "UK", "gb"), K(COUNTRY, "GBR", "gb"), K(COUNTRY, "United Kingdom", "gb"),
    K(COUNTRY, "Great Britain", "gb"), K(COUNTRY, "England", "gb"), K(COUNTRY, "DEU", "de"),
    K(COUNTRY, "Germany", "de"), K(COUNTRY, "Deutschland", "de"), K(COUNTRY, "france", "fr"),
    K(COUNTRY, "FRANCE", "fr"), K(COUNTRY, "  Japan ", "jp"), K(COUNTRY, "JPN", "jp"),
    K(COUNTRY, "South Korea", "kr"), K(COUNTRY, "Korea, Republic of", "kr"),
    K(COUNTRY, "North Korea", "kp"), K(COUNTRY, "Russian Federation", "ru"),
    K(COUNTRY, "Russia", "ru"), K(COUNTRY, "Viet Nam", "vn"), K(COUNTRY, "Vietnam", "vn"),
    K(COUNTRY, "C\xc3\xb4te d'Ivoire", "ci"), K(COUNTRY, "Cote d'Ivoire", "ci"),
    K(COUNTRY, "Ivory Coast", "ci"), K(COUNTRY, "T\xc3\xbcrkiye", "tr"),
    K(COUNTRY, "Turkey", "tr"), K(COUNTRY, "M\xc3\xa9xico", "mx"), K(COUNTRY, "Brasil", "br"),
    K(COUNTRY, "The Netherlands", "nl"), K(COUNTRY, "Holland", "nl"),
    K(COUNTRY, "Bosnia and Herzegovina", "ba"), K(COUNTRY, "Czech Republic", "cz"),
    K(COUNTRY, "Czechia", "cz"), K(COUNTRY, "UAE", "ae"), K(COUNTRY, "United Arab Emirates", "ae"),
    K(COUNTRY, "Hong Kong", "hk"), K(COUNTRY, "Taiwan", "tw"), K(COUNTRY, "Ireland", "ie"),
    K(COUNTRY, "New Zealand", "nz"), K(COUNTRY, "South Africa", "za"), K(COUNTRY, "ZAF", "za"),
    K(COUNTRY, "Saint Barth\xc3\xa9lemy", "bl"), K(COUNTRY, "\xc3\x85land Islands", "ax"),
    K(COUNTRY, "Cura\xc3\xa7" "ao", "cw"), K(COUNTRY, "R\xc3\xa9union", "re"),
    K(COUNTRY, "Guinea-Bissau", "gw"), K(COUNTRY, "Timor-Leste", "tl"),
    K(COUNTRY, "\xef\xbc\xb5\xef\xbc\xb3", "us"), /* full-width ＵＳ */
    K(COUNTRY, "Zimbabwe", "zw"), K(COUNTRY, "AFG", "af"), K(COUNTRY, "ax", "ax"),
    X(COUNTRY, "Narnia", INVALID_VALUE), X(COUNTRY, "XX", INVALID_VALUE),
    X(COUNTRY, "ZZZ", INVALID_VALUE), X(COUNTRY, "U", INVALID_VALUE),
    X(COUNTRY, "123", INVALID_VALUE), X(COUNTRY, "Deutschlandd", INVALID_VALUE),
    X(COUNTRY, "\xe6\x97\xa5\xe6\x9c\xac", INVALID_VALUE), /* 日本: no local-script names */
    X(COUNTRY, "", EMPTY), X(COUNTRY, "US\0", CONTROL_CHAR),
    {FB, SGX_KEY_COUNTRY, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64L, 1},
};

static const norm_case_t madid[] = {
    K(MADID, "AEBE52E7-03EE-455A-B3C4-E57283966239", "aebe52e7-03ee-455a-b3c4-e57283966239"),
    K(MADID, "aebe52e7-03ee-455a-b3c4-e57283966239", "aebe52e7-03ee-455a-b3c4-e57283966239"),
    K(MADID, " 38400000-8cf0-11bd-b23e-10b96e40000d ", "38400000-8cf0-11bd-b23e-10b96e40000d"),
    X(MADID, "00000000-0000-0000-0000-000000000000", INVALID_VALUE),
    X(MADID, "aebe52e703ee455ab3c4e57283966239", INVALID_VALUE),
    X(MADID, "aebe52e7-03ee-455a-b3c4-e5728396623", INVALID_VALUE),
    X(MADID, "aebe52e7-03ee-455a-b3c4-e572839662399", INVALID_VALUE),
    X(MADID, "gebe52e7-03ee-455a-b3c4-e57283966239", INVALID_VALUE),
    X(MADID, "aebe52e7_03ee_455a_b3c4_e57283966239", INVALID_VALUE),
    X(MADID, "{aebe52e7-03ee-455a-b3c4-e57283966239}", INVALID_VALUE),
    X(MADID, "", EMPTY),
    X(MADID, HEX64, INVALID_VALUE), /* not hashed, so no pass-through */
};

static const norm_case_t extern_id[] = {
    K(EXTERN_ID, "user-123", "user-123"), K(EXTERN_ID, "  User-123  ", "User-123"),
    K(EXTERN_ID, "A b\tC", "A b\tC"), K(EXTERN_ID, "ID\xe2\x80\x8b" "1", "ID\xe2\x80\x8b" "1"),
    K(EXTERN_ID, "e\xcc\x81", "e\xcc\x81"), /* opaque: not composed */
    K(EXTERN_ID, HEX64, HEX64),             /* not hashed: kept as given */
    X(EXTERN_ID, "", EMPTY), X(EXTERN_ID, "id\0", CONTROL_CHAR),
    X(EXTERN_ID, "id\xc3", INVALID_UTF8),
};

static const norm_case_t dotdigital[] = {
    D(FN, "  John ", "John"), D(LN, "O'Brien", "O'Brien"),
    D(FULLNAME, " John  O'Brien ", "John  O'Brien"), D(GEN, " Male ", "Male"),
    D(ZIP, " SW1A 1AA ", "SW1A 1AA"), D(FN, "Jose\xcc\x81", "Jos\xc3\xa9"),
    D(FN, "Jo\xe2\x80\x8bhn", "John"), D(FULLNAME, "John\xc2\xa0" "Doe", "John Doe"),
    {DD, SGX_KEY_FN, B(""), NULL, NULL, SGX_DROP_EMPTY, NULL, 0},
    {DD, SGX_KEY_FN, B("Jo\0hn"), NULL, NULL, SGX_DROP_CONTROL_CHAR, NULL, 0},
    {DD, SGX_KEY_FN, B(HEX64), NULL, NULL, SGX_DROP_NONE, HEX64, 0}, /* nothing is hashed */
    {DD, SGX_KEY_CT, B("Paris"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
    {DD, SGX_KEY_MADID, B("x"), NULL, NULL, SGX_DROP_UNSUPPORTED_KEY, NULL, 0},
};

#define TABLE_TEST(name)                                                                       \
    static void test_##name(void **state)                                                      \
    {                                                                                          \
        (void)state;                                                                           \
        RUN_TABLE(name);                                                                       \
    }

TABLE_TEST(names)
TABLE_TEST(initials)
TABLE_TEST(gender)
TABLE_TEST(dob)
TABLE_TEST(city)
TABLE_TEST(st_cases)
TABLE_TEST(zip)
TABLE_TEST(country)
TABLE_TEST(madid)
TABLE_TEST(extern_id)
TABLE_TEST(dotdigital)

/* Too long for any key: over 1024 input bytes, or a result over SGX_NORM_MAX. */
static void test_too_long(void **state)
{
    (void)state;
    char in[1100], out[SGX_NORM_MAX + 1];
    size_t n;
    memset(in, 'a', sizeof in);
    for (int k = 0; k < SGX_KEY__COUNT; k++) {
        if (sgx_key_accepted(FB, (sgx_key_t)k)) {
            assert_int_equal(sgx_normalize(FB, (sgx_key_t)k, in, 1025, NULL, out, sizeof out, &n,
                                           NULL),
                             SGX_DROP_TOO_LONG);
        }
    }
    assert_int_equal(sgx_normalize(FB, SGX_KEY_FN, in, 600, NULL, out, sizeof out, &n, NULL),
                     SGX_DROP_TOO_LONG);
    assert_int_equal(sgx_normalize(FB, SGX_KEY_FN, in, 512, NULL, out, sizeof out, &n, NULL),
                     SGX_DROP_NONE);
    assert_int_equal(n, 512);
    /* 1024 bytes of 2-byte letters: 512 code points, 1024 output bytes -> too long */
    for (int i = 0; i < 1024; i += 2) {
        in[i] = '\xc3';
        in[i + 1] = '\xa9';
    }
    assert_int_equal(sgx_normalize(FB, SGX_KEY_FN, in, 1024, NULL, out, sizeof out, &n, NULL),
                     SGX_DROP_TOO_LONG);
    assert_int_equal(sgx_normalize(FB, SGX_KEY_FI, in, 1024, NULL, out, sizeof out, &n, NULL),
                     SGX_DROP_NONE);
    assert_string_equal(out, "\xc3\xa9");
}

/* Decomposition blow-up: 1024 bytes of precomposed Hangul decompose to 3 jamo each and must be
 * composed back, not overflow the scratch. */
static void test_hangul_blowup(void **state)
{
    (void)state;
    char in[1023], out[SGX_NORM_MAX + 1];
    size_t n;
    for (int i = 0; i < 1023; i += 3) { /* 한 U+D55C */
        in[i] = '\xed';
        in[i + 1] = '\x95';
        in[i + 2] = '\x9c';
    }
    assert_int_equal(sgx_normalize(FB, SGX_KEY_FN, in, 510, NULL, out, sizeof out, &n, NULL),
                     SGX_DROP_NONE);
    assert_int_equal(n, 510);
    assert_int_equal(sgx_normalize(FB, SGX_KEY_FN, in, 1023, NULL, out, sizeof out, &n, NULL),
                     SGX_DROP_TOO_LONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),     cmocka_unit_test(test_initials),
        cmocka_unit_test(test_gender),    cmocka_unit_test(test_dob),
        cmocka_unit_test(test_city),      cmocka_unit_test(test_st_cases),
        cmocka_unit_test(test_zip),       cmocka_unit_test(test_country),
        cmocka_unit_test(test_madid),     cmocka_unit_test(test_extern_id),
        cmocka_unit_test(test_dotdigital), cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_hangul_blowup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
