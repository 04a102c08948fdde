/*
 * Record splitter for large JSON documents (see leviers/decp/scanner.py for the contract).
 *
 * One pass over a chunk, carrying state between chunks. Outside selected arrays it stops at
 * every structural character (the document's skeleton, walked by Python). Inside a selected
 * array it records where each object item starts and ends, blanks the commas between items
 * (so consecutive records are contiguous JSON texts) and stops at the array's closing bracket.
 *
 * Built by the package build (setup.py, as an extension module) into a shared library loaded
 * with ctypes (leviers/decp/native.py): no Python C API.
 */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Most bytes of a DECP document are inside strings: skip 16 plain bytes at a time up to the
 * next byte of interest, i.e. a quote, a backslash and, when `strict`, a control or non-ASCII
 * byte (checked one by one by the caller). Returns p itself when SSE2 is not available.
 */
static inline const uint8_t *skip_plain(const uint8_t *p, const uint8_t *end, int strict)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
        /* Signed compare: bytes below 0x20 and from 0x80 up are both "less than" 0x20. */
        if (strict) special = _mm_or_si128(special, _mm_cmplt_epi8(v, space));
        int mask = _mm_movemask_epi8(special);
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#else
    (void)end; (void)strict;
#endif
    return p;
}

typedef struct {
    int64_t depth;         /* nesting depth after the last byte processed */
    int64_t record_depth;  /* depth inside the active selected array, 0 when none */
    int64_t items;         /* items opened at record level in the active array */
    int64_t separators;    /* commas at record level in the active array */
    int32_t in_string;
    int32_t escape;        /* previous byte was an unescaped backslash inside a string */
} leviers_scan_state;

enum { EV_NONE = 0, EV_SKELETON = 1, EV_ARRAY_END = 2, EV_FULL = 3, EV_UNDERFLOW = 4 };

/*
 * Scan buf[from, n). Returns the index where it stopped (n when the chunk is exhausted) and sets
 * *event. Record starts/ends (end = index after '}') are appended to starts/ends up to cap.
 */
int64_t leviers_scan(uint8_t *buf, int64_t n, int64_t from, leviers_scan_state *st,
                     int64_t *starts, int64_t *ends, int64_t cap,
                     int64_t *nstarts, int64_t *nends, int32_t *event)
{
    int64_t depth = st->depth;
    const int64_t rd = st->record_depth;
    int32_t in_string = st->in_string, escape = st->escape;
    int64_t ns = *nstarts, ne = *nends;
    int64_t i = from;
    *event = EV_NONE;
    for (; i < n; i++) {
        if (in_string && !escape) {
            i = skip_plain(buf + i, buf + n, 0) - buf;
            if (i >= n) break;
        }
        uint8_t c = buf[i];
        if (in_string) {
            if (escape) { escape = 0; }
            else if (c == '\\') { escape = 1; }
            else if (c == '"') { in_string = 0; }
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            break;
        case '{': case '[':
            if (rd == 0) { *event = EV_SKELETON; goto done; }
            depth++;
            if (depth == rd + 1) {
                st->items++;
                if (c == '{') {
                    if (ns >= cap) { depth--; st->items--; *event = EV_FULL; goto done; }
                    starts[ns++] = i;
                }
            }
            break;
        case '}': case ']':
            if (rd == 0) { *event = EV_SKELETON; goto done; }
            depth--;
            if (depth < rd) { *event = EV_ARRAY_END; goto done; }
            if (depth == rd && c == '}') {
                if (ne >= cap) { depth++; *event = EV_FULL; goto done; }
                ends[ne++] = i + 1;
            }
            break;
        case ',':
            if (rd != 0 && depth == rd) { st->separators++; buf[i] = ' '; }
            break;
        default:
            break;
        }
    }
done:
    st->depth = depth;
    st->in_string = in_string;
    st->escape = escape;
    *nstarts = ns;
    *nends = ne;
    return i;
}

/*
 * Strict JSON (RFC 8259) validation of records already cut out by leviers_scan, so that the
 * records handed to DuckDB always parse: a parse error there would abort the file's transaction.
 * flags[k] = 1 when buf[starts[k], ends[k]) is one valid JSON value (surrounding whitespace
 * allowed), 2 when its strings are not valid UTF-8, else 0.
 */
static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_hex(uint8_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hex_value(uint8_t c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

/* The code unit of the 4 hex digits at p, or -1. */
static int hex4(const uint8_t *p, const uint8_t *end)
{
    if (end - p < 4) return -1;
    int code = 0;
    for (int i = 0; i < 4; i++) {
        if (!is_hex(p[i])) return -1;
        code = code * 16 + hex_value(p[i]);
    }
    return code;
}

enum { S_VALUE, S_VALUE_OR_CLOSE, S_KEY, S_KEY_OR_CLOSE, S_COLON, S_COMMA_OR_CLOSE, S_DONE };

static int valid_one(const uint8_t *p, const uint8_t *end)
{
    char stack[256];
    int top = 0;
    int state = S_VALUE;
    while (p < end) {
        uint8_t c = *p;
        if (is_ws(c)) { p++; continue; }
        switch (state) {
        case S_DONE:
            return 0;
        case S_COLON:
            if (c != ':') return 0;
            p++; state = S_VALUE; continue;
        case S_COMMA_OR_CLOSE:
            if (c == ',') { p++; state = stack[top - 1] == 'o' ? S_KEY : S_VALUE; continue; }
            if ((c == '}' && stack[top - 1] == 'o') || (c == ']' && stack[top - 1] == 'a')) {
                p++; top--; state = top ? S_COMMA_OR_CLOSE : S_DONE; continue;
            }
            return 0;
        case S_KEY_OR_CLOSE:
            if (c == '}') { p++; top--; state = top ? S_COMMA_OR_CLOSE : S_DONE; continue; }
            /* fall through */
        case S_KEY:
            if (c != '"') return 0;
            break; /* parse the key as a string below */
        case S_VALUE_OR_CLOSE:
            if (c == ']') { p++; top--; state = top ? S_COMMA_OR_CLOSE : S_DONE; continue; }
            /* fall through */
        case S_VALUE:
            break;
        }
        /* A value (or a key, which is a string). */
        int is_key = (state == S_KEY || state == S_KEY_OR_CLOSE);
        if (c == '"') {
            p++;
            for (;;) {
                p = skip_plain(p, end, 1);
                if (p >= end) return 0;
                uint8_t d = *p++;
                if (d == '"') break;
                if (d < 0x20) return 0;
                if (d >= 0x80) {
                    /* UTF-8: lead byte, then 1 to 3 continuation bytes (no overlongs, no surrogates). */
                    int more;
                    uint8_t lo = 0x80, hi = 0xBF;
                    if (d >= 0xC2 && d <= 0xDF) more = 1;
                    else if (d >= 0xE0 && d <= 0xEF) { more = 2; if (d == 0xE0) lo = 0xA0; if (d == 0xED) hi = 0x9F; }
                    else if (d >= 0xF0 && d <= 0xF4) { more = 3; if (d == 0xF0) lo = 0x90; if (d == 0xF4) hi = 0x8F; }
                    else return 2;
                    if (end - p < more) return 2;
                    if (p[0] < lo || p[0] > hi) return 2;
                    for (int i = 1; i < more; i++) if (p[i] < 0x80 || p[i] > 0xBF) return 2;
                    p += more;
                    continue;
                }
                if (d == '\\') {
                    if (p >= end) return 0;
                    uint8_t e = *p++;
                    if (e == 'u') {
                        /* A surrogate must come in a high-low pair: DuckDB's parser (yyjson)
                         * refuses a lone one, which would abort the whole file. */
                        int code = hex4(p, end);
                        if (code < 0 || (code >= 0xDC00 && code <= 0xDFFF)) return 0;
                        p += 4;
                        if (code >= 0xD800 && code <= 0xDBFF) {
                            if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return 0;
                            int low = hex4(p + 2, end);
                            if (low < 0xDC00 || low > 0xDFFF) return 0;
                            p += 6;
                        }
                    } else if (!(e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                                 e == 'r' || e == 't')) {
                        return 0;
                    }
                }
            }
            state = is_key ? S_COLON : (top ? S_COMMA_OR_CLOSE : S_DONE);
            continue;
        }
        if (is_key) return 0;
        if (c == '{' || c == '[') {
            if (top >= (int)sizeof(stack)) return 0;
            stack[top++] = (c == '{') ? 'o' : 'a';
            p++;
            state = (c == '{') ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE;
            continue;
        }
        if (c == '-' || is_digit(c)) {
            if (c == '-') { p++; if (p >= end || !is_digit(*p)) return 0; }
            if (*p == '0') { p++; } else { while (p < end && is_digit(*p)) p++; }
            if (p < end && *p == '.') { p++; if (p >= end || !is_digit(*p)) return 0; while (p < end && is_digit(*p)) p++; }
            if (p < end && (*p == 'e' || *p == 'E')) {
                p++;
                if (p < end && (*p == '+' || *p == '-')) p++;
                if (p >= end || !is_digit(*p)) return 0;
                while (p < end && is_digit(*p)) p++;
            }
            state = top ? S_COMMA_OR_CLOSE : S_DONE;
            continue;
        }
        {
            static const char *words[3] = {"true", "false", "null"};
            static const int lengths[3] = {4, 5, 4};
            int matched = 0;
            for (int w = 0; w < 3; w++) {
                if (end - p >= lengths[w] && memcmp(p, words[w], (size_t)lengths[w]) == 0) {
                    p += lengths[w]; matched = 1; break;
                }
            }
            if (!matched) return 0;
            state = top ? S_COMMA_OR_CLOSE : S_DONE;
        }
    }
    return state == S_DONE;
}

void leviers_validate(const uint8_t *buf, const int64_t *starts, const int64_t *ends, int64_t n, uint8_t *flags)
{
    for (int64_t k = 0; k < n; k++) flags[k] = (uint8_t)valid_one(buf + starts[k], buf + ends[k]);
}
