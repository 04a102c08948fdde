/* Which staged records are already canonical: every value as the normalisation would write it
 * and valid, so that normalising them is a plain projection (see canonical.py).
 *
 * One call per staged column (an Arrow string array, or a list of strings) clears ok[i] for the
 * records whose value is not canonical under the column's rule. The rules are deliberately
 * narrow: anything unusual (spaces around a value, "NC", a date with a time, a decimal comma, a
 * value near a bound…) is simply not canonical, and the record goes through the full SQL
 * normalisation, which decides. So a rule can only be too strict, never wrong, as long as what
 * it accepts is left unchanged and unrefused by the SQL.
 *
 * Built by tools/build_native.py, loaded with ctypes (no Python C API).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum check { C_TEXT = 0, C_ENUM, C_SIRET, C_INT, C_NUMBER, C_BOOL, C_DATE, C_CPV };

/* Same layout as canonical.py's _Rule (ctypes.Structure). */
typedef struct {
    int32_t check;
    int32_t required;  /* a NULL value is not canonical (identifiers) */
    int64_t min_length; /* in code points, -1 when none */
    int64_t max_length;
    int32_t has_minimum, has_maximum;
    double minimum, maximum; /* numbers and integers, inclusive */
    int32_t date_min, date_max; /* yyyymmdd, inclusive */
    int32_t n_values;  /* enum labels (and list elements): concatenated, with offsets */
    int32_t pad;
    const int32_t *value_offsets; /* n_values + 1 */
    const uint8_t *values;
} rule;

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int all_digits(const uint8_t *s, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!is_digit(s[i])) return 0;
    return 1;
}

static int64_t code_points(const uint8_t *s, int64_t n) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) count += (s[i] & 0xC0) != 0x80;
    return count;
}

static int in_values(const rule *r, const uint8_t *s, int64_t n) {
    for (int32_t k = 0; k < r->n_values; k++) {
        int32_t a = r->value_offsets[k], b = r->value_offsets[k + 1];
        if (b - a == n && memcmp(r->values + a, s, (size_t)n) == 0) return 1;
    }
    return 0;
}

/* Text the cleaning leaves as it is: not empty, no space or control byte at either end, not an
 * unknown token in any case (NC, MQ, CDL), no ministry "INX " tag. */
static int plain_text(const uint8_t *s, int64_t n) {
    if (n == 0 || s[0] <= ' ' || s[n - 1] <= ' ') return 0;
    if (n <= 3) {
        char low[4] = {0};
        for (int64_t i = 0; i < n; i++) low[i] = (char)(s[i] | 0x20);
        if (!strcmp(low, "nc") || !strcmp(low, "mq") || !strcmp(low, "cdl")) return 0;
    }
    if (n >= 4 && memcmp(s, "INX ", 4) == 0) return 0;
    return 1;
}

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int date_ok(const rule *r, const uint8_t *s, int64_t n) {
    if (n != 10 || s[4] != '-' || s[7] != '-') return 0;
    if (!all_digits(s, 4) || !all_digits(s + 5, 2) || !all_digits(s + 8, 2)) return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return 0;
    if (d > days[m - 1] + (m == 2 && leap(y))) return 0;
    int32_t value = y * 10000 + m * 100 + d;
    return value >= r->date_min && value <= r->date_max;
}

static int bounded(const rule *r, double v) {
    if (r->has_minimum && !(v >= r->minimum)) return 0;
    if (r->has_maximum && !(v <= r->maximum)) return 0;
    return 1;
}

/* A JSON number: -?digits(.digits)?([eE][+-]?digits)?, finite and within the bounds. */
static int number_ok(const rule *r, const uint8_t *s, int64_t n) {
    if (n == 0 || n > 40) return 0;
    int64_t i = 0;
    if (s[i] == '-') i++;
    int64_t start = i;
    while (i < n && is_digit(s[i])) i++;
    if (i == start) return 0;
    if (i < n && s[i] == '.') {
        int64_t f = ++i;
        while (i < n && is_digit(s[i])) i++;
        if (i == f) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        int64_t e = i;
        while (i < n && is_digit(s[i])) i++;
        if (i == e) return 0;
    }
    if (i != n) return 0;
    char text[48], *end;
    memcpy(text, s, (size_t)n);
    text[n] = 0;
    /* strtod follows the process's locale: under a decimal-comma one it stops at the point, and
     * the bounds would be tested on the integer part. Such a number is left to the SQL. */
    double v = strtod(text, &end);
    return end == text + n && isfinite(v) && bounded(r, v);
}

static int value_ok(const rule *r, const uint8_t *s, int64_t n) {
    switch (r->check) {
    case C_TEXT:
        if (!plain_text(s, n)) return 0;
        if (r->max_length >= 0 && n > r->max_length && code_points(s, n) > r->max_length) return 0;
        if (r->min_length >= 0 && code_points(s, n) < r->min_length) return 0;
        return 1;
    case C_ENUM:
        return in_values(r, s, n);
    case C_SIRET:
        return n == 14 && all_digits(s, n);
    case C_INT: {
        if (n == 0 || n > 9 || !all_digits(s, n)) return 0; /* below 10^9: always an INTEGER */
        double v = 0;
        for (int64_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
        return bounded(r, v);
    }
    case C_NUMBER:
        return number_ok(r, s, n);
    case C_BOOL:
        return (n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0);
    case C_DATE:
        return date_ok(r, s, n);
    case C_CPV:
        return (n == 8 && all_digits(s, 8)) || (n == 10 && all_digits(s, 8) && s[8] == '-' && is_digit(s[9]));
    }
    return 0;
}

static int bit(const uint8_t *bitmap, int64_t i) { return bitmap == NULL || ((bitmap[i >> 3] >> (i & 7)) & 1); }

/* A string column: `offset` is the Arrow array's offset (in elements, also into `validity`). */
void leviers_canonical_strings(const rule *r, const int32_t *offsets, const uint8_t *data,
                               const uint8_t *validity, int64_t offset, int64_t n, uint8_t *ok) {
    for (int64_t i = 0; i < n; i++) {
        if (!ok[i]) continue;
        int64_t j = offset + i;
        if (!bit(validity, j)) {
            if (r->required) ok[i] = 0;
            continue;
        }
        if (!value_ok(r, data + offsets[j], (int64_t)offsets[j + 1] - offsets[j])) ok[i] = 0;
    }
}

/* A list-of-strings column: a NULL list is canonical (absent), an element must be one of the
 * rule's values (a NULL element is not). */
void leviers_canonical_lists(const rule *r, const int32_t *list_offsets, const uint8_t *list_validity,
                             int64_t list_offset, const int32_t *offsets, const uint8_t *data,
                             const uint8_t *validity, int64_t offset, int64_t n, uint8_t *ok) {
    for (int64_t i = 0; i < n; i++) {
        if (!ok[i]) continue;
        int64_t j = list_offset + i;
        if (!bit(list_validity, j)) continue;
        for (int64_t e = list_offsets[j]; e < list_offsets[j + 1]; e++) {
            int64_t k = offset + e;
            if (!bit(validity, k) || !in_values(r, data + offsets[k], (int64_t)offsets[k + 1] - offsets[k])) {
                ok[i] = 0;
                break;
            }
        }
    }
}
