/* Component test of the Criteo emulator's segment search and API versions over real HTTP:
 * filters AND'ed, creation order, limit/offset paging with meta.totalItems, the refusals of
 * bad paging and filters, 410 Gone for a decommissioned version, and the token and amendment
 * reply fields the official SDK needs (refresh_token present, contactListId an integer). */
#include "tests/component/emu_criteo_http.h"

#define CREATE(adv, name)                                                                      \
    "{\"data\":[{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserId\":\"" adv "\","   \
    "\"name\":\"" name "\",\"contactList\":{}}}]}"
#define FILTER(attrs) "{\"data\":{\"type\":\"AudienceSegment\",\"attributes\":{" attrs "}}}"

static char *create(const state_t *st, const char *body)
{
    resp_t r;
    api(st, "POST", V "/create", body, &r);
    assert_int_equal(r.status, 200);
    char *id = strdup(json_string_value(
        json_object_get(json_array_get(json_object_get(r.json, "data"), 0), "id")));
    resp_free(&r);
    return id;
}

/* The page's ids, comma separated, and meta.totalItems. */
static long search(const state_t *st, const char *query, const char *body, char *ids,
                   size_t cap)
{
    char path[160];
    resp_t r;
    snprintf(path, sizeof path, V "/search%s", query);
    api(st, "POST", path, body, &r);
    assert_int_equal(r.status, 200);
    size_t i;
    json_t *e;
    ids[0] = '\0';
    json_array_foreach(json_object_get(r.json, "data"), i, e) {
        json_t *a = json_object_get(e, "attributes");
        assert_string_equal(json_string_value(json_object_get(a, "type")), "ContactList");
        size_t n = strlen(ids);
        snprintf(ids + n, cap - n, "%s%s", n ? "," : "",
                 json_string_value(json_object_get(e, "id")));
    }
    long total = (long)json_integer_value(
        json_object_get(json_object_get(r.json, "meta"), "totalItems"));
    resp_free(&r);
    return total;
}

static void test_search_filters_and_pages(void **state)
{
    state_t *st = *state;
    char *a = create(st, CREATE("111", "seg-a")), *b = create(st, CREATE("222", "seg-b"));
    char *c = create(st, CREATE("111", "seg-c"));
    char ids[256], want[256];
    /* Segment 42 was added without an advertiser: only an unfiltered search shows it. */
    assert_int_equal(search(st, "", "{}", ids, sizeof ids), 4);
    snprintf(want, sizeof want, "42,%s,%s,%s", a, b, c);
    assert_string_equal(ids, want);
    assert_int_equal(search(st, "", FILTER("\"advertiserIds\":[\"111\"]"), ids, sizeof ids), 2);
    snprintf(want, sizeof want, "%s,%s", a, c);
    assert_string_equal(ids, want);
    assert_int_equal(search(st, "?limit=1&offset=1",
                            FILTER("\"advertiserIds\":[\"111\"],"
                                   "\"audienceSegmentTypes\":[\"ContactList\"]"),
                            ids, sizeof ids), 2);
    assert_string_equal(ids, c);
    /* Filters are AND'ed: a type no segment has, or an id under another advertiser. */
    assert_int_equal(search(st, "", FILTER("\"audienceSegmentTypes\":[\"Lookalike\"]"), ids,
                            sizeof ids), 0);
    snprintf(want, sizeof want, FILTER("\"advertiserIds\":[\"111\"],"
                                       "\"audienceSegmentIds\":[\"%s\"]"), b);
    assert_int_equal(search(st, "", want, ids, sizeof ids), 0);
    assert_int_equal(search(st, "?offset=9", "{}", ids, sizeof ids), 4);
    assert_string_equal(ids, "");
    free(a);
    free(b);
    free(c);
}

static void test_search_refusals(void **state)
{
    state_t *st = *state;
    static const struct {
        const char *query, *body, *code;
    } bad[] = {
        {"?limit=101", "{}", "invalid-paging"},
        {"?limit=-1", "{}", "invalid-paging"},
        {"?offset=x", "{}", "invalid-paging"},
        {"", FILTER("\"audienceSegmentTypes\":[\"Email\"]"), "invalid-search-filters"},
        {"", FILTER("\"advertiserIds\":\"111\""), "invalid-search-filters"},
        {"", FILTER("\"advertiserIds\":[111]"), "invalid-search-filters"},
        {"", "{\"data\":[]}", "invalid-search-filters"},
        {"", "[]", "invalid-json"},
    };
    char path[96];
    resp_t r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, V "/search%s", bad[i].query);
        api(st, "POST", path, bad[i].body, &r);
        assert_int_equal(r.status, 400);
        assert_string_equal(err_code(&r), bad[i].code);
        resp_free(&r);
    }
}

/* A dated version the emulator does not serve is decommissioned: 410 Gone with a
 * deprecation-type error; anything else in the version's place is no route at all. */
static void test_versions(void **state)
{
    state_t *st = *state;
    resp_t r;
    api(st, "POST", "/2025-10/marketing-solutions/audience-segments/search", "{}", &r);
    assert_int_equal(r.status, 410);
    assert_string_equal(err_code(&r), "version-decommissioned");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(r.json, "errors"), 0),
                                          "type")), "deprecation");
    resp_free(&r);
    api(st, "POST", "/2027-01/marketing-solutions/audience-segments/search", "{}", &r);
    assert_int_equal(r.status, 200); /* the release candidate is served */
    resp_free(&r);
    api(st, "POST", "/v1/marketing-solutions/audience-segments/search", "{}", &r);
    assert_int_equal(r.status, 404);
    resp_free(&r);
}

static void test_sdk_fields(void **state)
{
    state_t *st = *state;
    resp_t r;
    get_token(st, GOOD_FORM, &r);
    assert_int_equal(r.status, 200);
    json_t *refresh = json_object_get(r.json, "refresh_token");
    assert_true(refresh && json_is_null(refresh));
    resp_free(&r);
    api(st, "PATCH", V "/42/contact-list",
        "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\","
        "\"identifierType\":\"email\",\"identifiers\":[\"" H1 "\"]}}}", &r);
    assert_int_equal(r.status, 200);
    json_t *attrs = json_object_get(json_object_get(r.json, "data"), "attributes");
    assert_true(json_is_integer(json_object_get(attrs, "contactListId")));
    assert_int_equal(json_integer_value(json_object_get(attrs, "contactListId")), 42);
    resp_free(&r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_search_filters_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sdk_fields, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
