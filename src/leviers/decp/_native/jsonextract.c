/*
 * Single-pass extractor of format-2024 marché records into Arrow-ready column buffers (see
 * leviers/decp/extract.py for the contract; the SQL path, records.marche_json_select, is the
 * reference it must agree with and the fallback for every record it does not handle).
 *
 * Only the canonical 2024 shape is handled: scalar fields as JSON strings, numbers, true/false or
 * null; `acheteur` / `lieuExecution` objects; wrapped lists ({"technique": [...]},
 * [{"titulaire": {...}}], [{"modification": {...}}], [{"acteSousTraitance": {...}}]). Unknown keys
 * are skipped, as json_transform does. Anything else in a record (an object where a string is
 * expected, "NC" where a list is expected, a flat list element, a duplicate known key, a key
 * written with escapes, a lone surrogate…) makes the record "not handled": everything it appended
 * is rolled back and the caller parses it with the SQL path. The extractor never guesses.
 *
 * Output: for each string column, a data buffer, int32 offsets and one validity byte per row;
 * for each list column, int32 offsets into its child rows and one validity byte per row. Buffers
 * are owned by the context (malloc) until leviers_extract_free.
 *
 * Built by tools/build_native.py into a shared library loaded with ctypes: no Python C API.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* String columns. The first 26 follow records.MARCHE_SCALARS; extract.py lists the same order. */
enum {
    C_ID, C_UID, C_ACHETEUR_ID, C_ACHETEUR_NOM, C_NATURE, C_OBJET, C_CODE_CPV, C_PROCEDURE,
    C_DUREE_MOIS, C_DATE_NOTIFICATION, C_DATE_PUBLICATION, C_MONTANT, C_FORME_PRIX,
    C_LIEU_CODE, C_LIEU_TYPE_CODE, C_LIEU_NOM, C_ID_ACCORD_CADRE, C_MARCHE_INNOVANT, C_CCAG,
    C_OFFRES_RECUES, C_ATTRIBUTION_AVANCE, C_TAUX_AVANCE, C_TYPE_GROUPEMENT,
    C_SOUS_TRAITANCE_DECLAREE, C_ORIGINE_UE, C_ORIGINE_FRANCE,
    /* elements of the five wrapped string lists */
    C_E_TECHNIQUES, C_E_MODALITES, C_E_TYPES_PRIX, C_E_SOCIALES, C_E_ENVIRONNEMENTALES,
    /* holders of the record */
    C_T_ID, C_T_TYPE, C_T_NOM,
    /* modifications */
    C_M_ID, C_M_OBJET, C_M_DATE_NOTIFICATION, C_M_DATE_PUBLICATION, C_M_DUREE_MOIS, C_M_MONTANT,
    /* holders set by a modification */
    C_MT_ID, C_MT_TYPE, C_MT_NOM,
    /* subcontracting acts */
    C_A_ID, C_A_ST_ID, C_A_ST_TYPE, C_A_DUREE_MOIS, C_A_DATE_NOTIFICATION, C_A_DATE_PUBLICATION,
    C_A_MONTANT, C_A_VARIATION_PRIX,
    NSTR
};
/* List columns: per record the five string lists, titulaires, modifications, actes; per
 * modification its titulaires. */
enum { L_TECHNIQUES, L_MODALITES, L_TYPES_PRIX, L_SOCIALES, L_ENVIRONNEMENTALES,
       L_TITULAIRES, L_MODIFICATIONS, L_ACTES, L_M_TITULAIRES, NLIST };
/* Row levels whose row counts are tracked (string-list elements are counted by their column). */
enum { LV_R, LV_T, LV_M, LV_MT, LV_A, NLEVEL };

#define B_STR(c, part) (3 * (c) + (part))            /* part: 0 data, 1 offsets, 2 validity */
#define B_LIST(l, part) (3 * NSTR + 2 * (l) + (part)) /* part: 0 offsets, 1 validity */
#define B_ST_VALID (3 * NSTR + 2 * NLIST)             /* validity of acte.sousTraitant */
#define NBUF (B_ST_VALID + 1)

/*
 * Columns where a number written with a fraction or an exponent is accepted: the ones normalised
 * as numbers (lv_num_clean / lv_int_clean). The token is kept as written (`1500.00`) where
 * json_transform reformats it (`1500.0`): both parse to the same value, so the normalised
 * record is the same; only a quarantine reason quoting an invalid value shows it as published.
 * Elsewhere (ids, dates, labels…) the text itself is the value: such a number sends the record
 * to the SQL path. Integers (at most 18 digits, not -0) are written identically by both.
 */
static const uint8_t NUMERIC[NSTR] = {
    [C_DUREE_MOIS] = 1, [C_MONTANT] = 1, [C_OFFRES_RECUES] = 1, [C_TAUX_AVANCE] = 1,
    [C_ORIGINE_UE] = 1, [C_ORIGINE_FRANCE] = 1, [C_M_ID] = 1, [C_M_DUREE_MOIS] = 1,
    [C_M_MONTANT] = 1, [C_A_DUREE_MOIS] = 1, [C_A_MONTANT] = 1,
};

typedef struct { uint8_t *p; int64_t len, cap; } buf_t;

typedef struct {
    buf_t b[NBUF];
    int64_t rows[NLEVEL];
} ctx_t;

enum { OK = 0, UNHANDLED = 1, HARD = 2 };
#define TRY(x) do { int r_ = (x); if (r_) return r_; } while (0)

typedef struct { const uint8_t *p, *end; ctx_t *x; } parser_t;

/* -- buffers ---------------------------------------------------------------------------------- */

static int reserve(buf_t *b, int64_t extra)
{
    if (b->len + extra <= b->cap) return OK;
    int64_t cap = b->cap * 2;
    if (cap < b->len + extra) cap = b->len + extra;
    uint8_t *p = realloc(b->p, (size_t)cap);
    if (!p) return HARD;
    b->p = p;
    b->cap = cap;
    return OK;
}

static int push_i32(buf_t *b, int64_t v)
{
    if (v > INT32_MAX) return HARD; /* the batch is too large for 32-bit offsets */
    TRY(reserve(b, 4));
    int32_t w = (int32_t)v;
    memcpy(b->p + b->len, &w, 4);
    b->len += 4;
    return OK;
}

static int push_u8(buf_t *b, uint8_t v)
{
    TRY(reserve(b, 1));
    b->p[b->len++] = v;
    return OK;
}

static int64_t str_rows(ctx_t *x, int c) { return x->b[B_STR(c, 1)].len / 4 - 1; }
static int64_t list_rows(ctx_t *x, int l) { return x->b[B_LIST(l, 0)].len / 4 - 1; }

static int put_null(ctx_t *x, int c)
{
    TRY(push_i32(&x->b[B_STR(c, 1)], x->b[B_STR(c, 0)].len));
    return push_u8(&x->b[B_STR(c, 2)], 0);
}

/* Append a string whose bytes are already in the column's data buffer (len bytes at its end). */
static int commit_str(ctx_t *x, int c, int64_t len)
{
    x->b[B_STR(c, 0)].len += len;
    TRY(push_i32(&x->b[B_STR(c, 1)], x->b[B_STR(c, 0)].len));
    return push_u8(&x->b[B_STR(c, 2)], 1);
}

static int put_bytes(ctx_t *x, int c, const uint8_t *s, int64_t len)
{
    buf_t *d = &x->b[B_STR(c, 0)];
    TRY(reserve(d, len));
    memcpy(d->p + d->len, s, (size_t)len);
    return commit_str(x, c, len);
}

static int64_t child_rows(ctx_t *x, int l)
{
    switch (l) {
    case L_TITULAIRES: return x->rows[LV_T];
    case L_MODIFICATIONS: return x->rows[LV_M];
    case L_ACTES: return x->rows[LV_A];
    case L_M_TITULAIRES: return x->rows[LV_MT];
    default: return str_rows(x, C_E_TECHNIQUES + l);
    }
}

/* Close list `l` of the current parent row: its elements end at the child level's row count. */
static int push_list(ctx_t *x, int l, uint8_t valid)
{
    TRY(push_i32(&x->b[B_LIST(l, 0)], child_rows(x, l)));
    return push_u8(&x->b[B_LIST(l, 1)], valid);
}

/* At the end of a row, columns the row did not set are NULL. */
static int fill_str(ctx_t *x, int first, int last, int64_t rows)
{
    for (int c = first; c <= last; c++) {
        int64_t have = str_rows(x, c);
        if (have > rows) return UNHANDLED;
        if (have < rows) TRY(put_null(x, c));
    }
    return OK;
}

static int fill_list(ctx_t *x, int l, int64_t rows)
{
    int64_t have = list_rows(x, l);
    if (have > rows) return UNHANDLED;
    if (have < rows) TRY(push_list(x, l, 0));
    return OK;
}

/* -- lexing ----------------------------------------------------------------------------------- */

static inline void ws(parser_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++;
}

static inline int at(parser_t *s) { return s->p < s->end ? *s->p : -1; }

/* Next quote or backslash from p (p itself without SSE2: the caller then steps one byte). */
static inline const uint8_t *skip_plain(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#else
    (void)end;
#endif
    return p;
}

/* s->p on the opening quote: find the closing one. Sets the raw content [*start, *start + *len)
 * and whether it holds escapes; s->p moves past the closing quote. */
static int scan_string(parser_t *s, const uint8_t **start, int64_t *len, int *escaped)
{
    const uint8_t *p = s->p + 1, *end = s->end;
    *start = p;
    *escaped = 0;
    for (;;) {
        p = skip_plain(p, end);
        if (p >= end) return UNHANDLED;
        if (*p == '"') break;
        if (*p == '\\') { *escaped = 1; p += 2; continue; }
        p++;
    }
    *len = p - *start;
    s->p = p + 1;
    return OK;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return UNHANDLED;
    }
    *out = v;
    return OK;
}

/* Decode JSON escapes of src[0, n) into out (never longer than n); returns the decoded length or
 * -1 when the record must go to the SQL path (a lone surrogate: json_transform refuses it too). */
static int64_t unescape(const uint8_t *src, int64_t n, uint8_t *out)
{
    const uint8_t *p = src, *end = src + n;
    uint8_t *o = out;
    while (p < end) {
        uint8_t c = *p++;
        if (c != '\\') { *o++ = c; continue; }
        if (p >= end) return -1;
        uint8_t e = *p++;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (end - p < 4 || hex4(p, &cp)) return -1;
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo)) return -1;
                if (lo < 0xDC00 || lo > 0xDFFF) return -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp < 0x80) {
                *o++ = (uint8_t)cp;
            } else if (cp < 0x800) {
                *o++ = (uint8_t)(0xC0 | (cp >> 6));
                *o++ = (uint8_t)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (uint8_t)(0xE0 | (cp >> 12));
                *o++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (uint8_t)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (uint8_t)(0xF0 | (cp >> 18));
                *o++ = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (uint8_t)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default:
            return -1;
        }
    }
    return o - out;
}

static inline int is_digit(int c) { return c >= '0' && c <= '9'; }

/* A JSON number at s->p: its token, and whether it is a plain integer json_transform writes back
 * unchanged (at most 18 digits, not -0). */
static int scan_number(parser_t *s, const uint8_t **start, int64_t *len, int *integer)
{
    const uint8_t *p = s->p, *end = s->end;
    *start = p;
    int negative = 0, plain = 1;
    if (p < end && *p == '-') { negative = 1; p++; }
    const uint8_t *digits = p;
    if (p >= end || !is_digit(*p)) return UNHANDLED;
    if (*p == '0') p++;
    else while (p < end && is_digit(*p)) p++;
    int64_t ndigits = p - digits;
    if (p < end && *p == '.') {
        plain = 0;
        p++;
        if (p >= end || !is_digit(*p)) return UNHANDLED;
        while (p < end && is_digit(*p)) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        plain = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || !is_digit(*p)) return UNHANDLED;
        while (p < end && is_digit(*p)) p++;
    }
    if (negative && ndigits == 1 && *digits == '0') plain = 0;
    if (ndigits > 18) plain = 0;
    *integer = plain;
    *len = p - *start;
    s->p = p;
    return OK;
}

static int literal(parser_t *s, const char *word, int64_t n)
{
    if (s->end - s->p < n || memcmp(s->p, word, (size_t)n) != 0) return UNHANDLED;
    s->p += n;
    return OK;
}

/* Skip any JSON value (the value of an unknown key). */
static int skip_value(parser_t *s)
{
    ws(s);
    int c = at(s);
    const uint8_t *start;
    int64_t len;
    int flag;
    if (c == '"') return scan_string(s, &start, &len, &flag);
    if (c == '{' || c == '[') {
        int64_t depth = 0;
        while (s->p < s->end) {
            c = *s->p;
            if (c == '"') { TRY(scan_string(s, &start, &len, &flag)); continue; }
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) { s->p++; return OK; }
            }
            s->p++;
        }
        return UNHANDLED;
    }
    if (c == '-' || is_digit(c)) return scan_number(s, &start, &len, &flag);
    if (c == 't') return literal(s, "true", 4);
    if (c == 'f') return literal(s, "false", 5);
    if (c == 'n') return literal(s, "null", 4);
    return UNHANDLED;
}

/* -- values ----------------------------------------------------------------------------------- */

/* A scalar value into string column `col`: the decoded string, the number or true/false as
 * written, NULL for null; an object or array is not handled. */
static int scalar(parser_t *s, int col)
{
    ctx_t *x = s->x;
    int c = at(s);
    const uint8_t *start;
    int64_t len;
    int flag;
    if (c == '"') {
        TRY(scan_string(s, &start, &len, &flag));
        if (!flag) return put_bytes(x, col, start, len);
        buf_t *d = &x->b[B_STR(col, 0)];
        TRY(reserve(d, len));
        int64_t n = unescape(start, len, d->p + d->len);
        if (n < 0) return UNHANDLED;
        return commit_str(x, col, n);
    }
    if (c == '-' || is_digit(c)) {
        TRY(scan_number(s, &start, &len, &flag));
        if (!flag && !NUMERIC[col]) return UNHANDLED;
        return put_bytes(x, col, start, len);
    }
    if (c == 't') { TRY(literal(s, "true", 4)); return put_bytes(x, col, (const uint8_t *)"true", 4); }
    if (c == 'f') { TRY(literal(s, "false", 5)); return put_bytes(x, col, (const uint8_t *)"false", 5); }
    if (c == 'n') { TRY(literal(s, "null", 4)); return put_null(x, col); }
    return UNHANDLED;
}

/* What a known key holds: a string column (>= 0) or one of these shapes. */
enum {
    W_FORBID = -1,       /* a flat member where the wrapped form is expected */
    W_ACHETEUR = -2, W_LIEU = -3,
    W_TITULAIRES = -4, W_MODIFICATIONS = -5, W_ACTES = -6, W_M_TITULAIRES = -7,
    W_TITULAIRE = -8, W_M_TITULAIRE = -9, W_MODIFICATION = -10, W_ACTE = -11, W_SOUS_TRAITANT = -12,
    W_WRAPPED_LIST = -20, /* -20 - k: {"<item key>": [...]} of string list k */
    W_LIST_ITEMS = -30,   /* -30 - k: the [...] of string list k */
};

typedef struct { const char *name; int len; int what; } jkey_t;
#define K(name, what) { name, (int)sizeof(name) - 1, what }
#define NKEYS(keys) ((int)(sizeof(keys) / sizeof((keys)[0])))

static const jkey_t RECORD_KEYS[] = {
    K("id", C_ID), K("acheteur", W_ACHETEUR), K("nature", C_NATURE), K("objet", C_OBJET),
    K("codeCPV", C_CODE_CPV), K("techniques", W_WRAPPED_LIST - L_TECHNIQUES),
    K("modalitesExecution", W_WRAPPED_LIST - L_MODALITES), K("marcheInnovant", C_MARCHE_INNOVANT),
    K("ccag", C_CCAG), K("offresRecues", C_OFFRES_RECUES), K("attributionAvance", C_ATTRIBUTION_AVANCE),
    K("tauxAvance", C_TAUX_AVANCE), K("typeGroupementOperateurs", C_TYPE_GROUPEMENT),
    K("sousTraitanceDeclaree", C_SOUS_TRAITANCE_DECLAREE), K("actesSousTraitance", W_ACTES),
    K("procedure", C_PROCEDURE), K("lieuExecution", W_LIEU), K("dureeMois", C_DUREE_MOIS),
    K("dateNotification", C_DATE_NOTIFICATION), K("datePublicationDonnees", C_DATE_PUBLICATION),
    K("montant", C_MONTANT), K("typesPrix", W_WRAPPED_LIST - L_TYPES_PRIX), K("formePrix", C_FORME_PRIX),
    K("origineUE", C_ORIGINE_UE), K("origineFrance", C_ORIGINE_FRANCE), K("titulaires", W_TITULAIRES),
    K("considerationsSociales", W_WRAPPED_LIST - L_SOCIALES),
    K("considerationsEnvironnementales", W_WRAPPED_LIST - L_ENVIRONNEMENTALES),
    K("modifications", W_MODIFICATIONS), K("uid", C_UID), K("idAccordCadre", C_ID_ACCORD_CADRE),
};
static const jkey_t ACHETEUR_KEYS[] = { K("id", C_ACHETEUR_ID), K("nom", C_ACHETEUR_NOM) };
static const jkey_t LIEU_KEYS[] = {
    K("code", C_LIEU_CODE), K("typeCode", C_LIEU_TYPE_CODE), K("nom", C_LIEU_NOM),
};
/* The item key of each wrapped string list. */
static const jkey_t LIST_ITEM_KEYS[][1] = {
    { K("technique", W_LIST_ITEMS - L_TECHNIQUES) },
    { K("modaliteExecution", W_LIST_ITEMS - L_MODALITES) },
    { K("typePrix", W_LIST_ITEMS - L_TYPES_PRIX) },
    { K("considerationSociale", W_LIST_ITEMS - L_SOCIALES) },
    { K("considerationEnvironnementale", W_LIST_ITEMS - L_ENVIRONNEMENTALES) },
};
/* List elements: the wrapper first (required), then the flat members, which are not handled. */
static const jkey_t HOLDER_ELEMENT_KEYS[] = {
    K("titulaire", W_TITULAIRE), K("id", W_FORBID), K("typeIdentifiant", W_FORBID),
    K("denominationSociale", W_FORBID),
};
static const jkey_t M_HOLDER_ELEMENT_KEYS[] = {
    K("titulaire", W_M_TITULAIRE), K("id", W_FORBID), K("typeIdentifiant", W_FORBID),
    K("denominationSociale", W_FORBID),
};
static const jkey_t HOLDER_KEYS[] = {
    K("id", C_T_ID), K("typeIdentifiant", C_T_TYPE), K("denominationSociale", C_T_NOM),
};
static const jkey_t M_HOLDER_KEYS[] = {
    K("id", C_MT_ID), K("typeIdentifiant", C_MT_TYPE), K("denominationSociale", C_MT_NOM),
};
static const jkey_t MODIFICATION_ELEMENT_KEYS[] = {
    K("modification", W_MODIFICATION), K("id", W_FORBID), K("objetModification", W_FORBID),
    K("dateNotificationModification", W_FORBID), K("datePublicationDonneesModification", W_FORBID),
    K("dureeMois", W_FORBID), K("montant", W_FORBID), K("titulaires", W_FORBID),
};
static const jkey_t MODIFICATION_KEYS[] = {
    K("id", C_M_ID), K("objetModification", C_M_OBJET),
    K("dateNotificationModification", C_M_DATE_NOTIFICATION),
    K("datePublicationDonneesModification", C_M_DATE_PUBLICATION), K("dureeMois", C_M_DUREE_MOIS),
    K("montant", C_M_MONTANT), K("titulaires", W_M_TITULAIRES),
};
static const jkey_t ACTE_ELEMENT_KEYS[] = {
    K("acteSousTraitance", W_ACTE), K("id", W_FORBID), K("sousTraitant", W_FORBID),
    K("dureeMois", W_FORBID), K("dateNotification", W_FORBID), K("datePublicationDonnees", W_FORBID),
    K("montant", W_FORBID), K("variationPrix", W_FORBID),
};
static const jkey_t ACTE_KEYS[] = {
    K("id", C_A_ID), K("sousTraitant", W_SOUS_TRAITANT), K("dureeMois", C_A_DUREE_MOIS),
    K("dateNotification", C_A_DATE_NOTIFICATION), K("datePublicationDonnees", C_A_DATE_PUBLICATION),
    K("montant", C_A_MONTANT), K("variationPrix", C_A_VARIATION_PRIX),
};
static const jkey_t SOUS_TRAITANT_KEYS[] = { K("id", C_A_ST_ID), K("typeIdentifiant", C_A_ST_TYPE) };

static int value(parser_t *s, int what);

/* s->p on '{': walk the object, dispatching known keys (exact, case-sensitive match, as
 * json_transform does) and skipping unknown ones; `seen` gets a bit per known key met. */
static int object(parser_t *s, const jkey_t *keys, int nkeys, uint64_t *seen)
{
    *seen = 0;
    s->p++;
    ws(s);
    if (at(s) == '}') { s->p++; return OK; }
    for (;;) {
        ws(s);
        if (at(s) != '"') return UNHANDLED;
        const uint8_t *key;
        int64_t len;
        int escaped;
        TRY(scan_string(s, &key, &len, &escaped));
        if (escaped) return UNHANDLED;
        ws(s);
        if (at(s) != ':') return UNHANDLED;
        s->p++;
        ws(s);
        int k = -1;
        for (int i = 0; i < nkeys; i++) {
            if (keys[i].len == len && keys[i].name[0] == key[0] && memcmp(keys[i].name, key, (size_t)len) == 0) {
                k = i;
                break;
            }
        }
        if (k < 0) {
            TRY(skip_value(s));
        } else {
            if (*seen & (1ull << k)) return UNHANDLED; /* duplicate key */
            *seen |= 1ull << k;
            TRY(value(s, keys[k].what));
        }
        ws(s);
        if (at(s) == ',') { s->p++; continue; }
        if (at(s) == '}') { s->p++; return OK; }
        return UNHANDLED;
    }
}

/* null or an object of known keys (acheteur, lieuExecution, sousTraitant). */
static int optional_object(parser_t *s, const jkey_t *keys, int nkeys, int *present)
{
    uint64_t seen;
    *present = 0;
    if (at(s) == 'n') return literal(s, "null", 4);
    if (at(s) != '{') return UNHANDLED;
    *present = 1;
    return object(s, keys, nkeys, &seen);
}

/* The end of a row of a nested level: unset columns become NULL. */
static int finish_row(ctx_t *x, int level)
{
    int64_t rows = ++x->rows[level];
    switch (level) {
    case LV_T: return fill_str(x, C_T_ID, C_T_NOM, rows);
    case LV_MT: return fill_str(x, C_MT_ID, C_MT_NOM, rows);
    case LV_M:
        TRY(fill_str(x, C_M_ID, C_M_MONTANT, rows));
        return fill_list(x, L_M_TITULAIRES, rows);
    case LV_A: {
        TRY(fill_str(x, C_A_ID, C_A_VARIATION_PRIX, rows));
        buf_t *v = &x->b[B_ST_VALID];
        if (v->len > rows) return UNHANDLED;
        if (v->len < rows) TRY(push_u8(v, 0));
        return OK;
    }
    default: {
        TRY(fill_str(x, 0, C_ORIGINE_FRANCE, rows));
        for (int l = L_TECHNIQUES; l <= L_ACTES; l++) TRY(fill_list(x, l, rows));
        return OK;
    }
    }
}

/* null, or a list of wrapped elements ([{"<wrapper>": {...}}, ...]) into list column `l`. */
static int wrapped_elements(parser_t *s, int l, int level, const jkey_t *keys, int nkeys)
{
    if (at(s) == 'n') return literal(s, "null", 4); /* NULL list: filled at the row's end */
    if (at(s) != '[') return UNHANDLED;
    s->p++;
    ws(s);
    if (at(s) == ']') { s->p++; return push_list(s->x, l, 1); }
    for (;;) {
        ws(s);
        if (at(s) != '{') return UNHANDLED;
        uint64_t seen;
        TRY(object(s, keys, nkeys, &seen));
        if (!(seen & 1)) return UNHANDLED; /* no wrapper: a flat or empty element */
        TRY(finish_row(s->x, level));
        ws(s);
        if (at(s) == ',') { s->p++; continue; }
        if (at(s) == ']') { s->p++; break; }
        return UNHANDLED;
    }
    return push_list(s->x, l, 1);
}

static int value(parser_t *s, int what)
{
    ctx_t *x = s->x;
    int present;
    uint64_t seen;
    if (what >= 0) return scalar(s, what);
    if (what <= W_LIST_ITEMS) {
        /* the items of string list k: null (an empty list, as for a missing key) or an array */
        int k = W_LIST_ITEMS - what;
        if (at(s) == 'n') return literal(s, "null", 4);
        if (at(s) != '[') return UNHANDLED;
        s->p++;
        ws(s);
        if (at(s) == ']') { s->p++; return push_list(x, k, 1); }
        for (;;) {
            ws(s);
            TRY(scalar(s, C_E_TECHNIQUES + k));
            ws(s);
            if (at(s) == ',') { s->p++; continue; }
            if (at(s) == ']') { s->p++; break; }
            return UNHANDLED;
        }
        return push_list(x, k, 1);
    }
    if (what <= W_WRAPPED_LIST) {
        /* {"technique": [...]}: NULL when null; an object without items is an empty list (the
         * SQL path's lv_list fallback gives [] for a missing or null item key) */
        int k = W_WRAPPED_LIST - what;
        TRY(optional_object(s, LIST_ITEM_KEYS[k], 1, &present));
        if (present && list_rows(x, k) <= x->rows[LV_R]) TRY(push_list(x, k, 1));
        return OK;
    }
    switch (what) {
    case W_ACHETEUR: return optional_object(s, ACHETEUR_KEYS, NKEYS(ACHETEUR_KEYS), &present);
    case W_LIEU: return optional_object(s, LIEU_KEYS, NKEYS(LIEU_KEYS), &present);
    case W_TITULAIRES:
        return wrapped_elements(s, L_TITULAIRES, LV_T, HOLDER_ELEMENT_KEYS, NKEYS(HOLDER_ELEMENT_KEYS));
    case W_M_TITULAIRES:
        return wrapped_elements(s, L_M_TITULAIRES, LV_MT, M_HOLDER_ELEMENT_KEYS, NKEYS(M_HOLDER_ELEMENT_KEYS));
    case W_MODIFICATIONS:
        return wrapped_elements(s, L_MODIFICATIONS, LV_M, MODIFICATION_ELEMENT_KEYS,
                                NKEYS(MODIFICATION_ELEMENT_KEYS));
    case W_ACTES:
        return wrapped_elements(s, L_ACTES, LV_A, ACTE_ELEMENT_KEYS, NKEYS(ACTE_ELEMENT_KEYS));
    /* Wrappers must hold an object (null would be a NULL wrapped struct: left to the SQL path). */
    case W_TITULAIRE:
        if (at(s) != '{') return UNHANDLED;
        return object(s, HOLDER_KEYS, NKEYS(HOLDER_KEYS), &seen);
    case W_M_TITULAIRE:
        if (at(s) != '{') return UNHANDLED;
        return object(s, M_HOLDER_KEYS, NKEYS(M_HOLDER_KEYS), &seen);
    case W_MODIFICATION:
        if (at(s) != '{') return UNHANDLED;
        return object(s, MODIFICATION_KEYS, NKEYS(MODIFICATION_KEYS), &seen);
    case W_ACTE:
        if (at(s) != '{') return UNHANDLED;
        return object(s, ACTE_KEYS, NKEYS(ACTE_KEYS), &seen);
    case W_SOUS_TRAITANT:
        TRY(optional_object(s, SOUS_TRAITANT_KEYS, NKEYS(SOUS_TRAITANT_KEYS), &present));
        if (present) TRY(push_u8(&x->b[B_ST_VALID], 1));
        return OK;
    default:
        return UNHANDLED; /* W_FORBID */
    }
}

static int record(parser_t *s)
{
    uint64_t seen;
    ws(s);
    if (at(s) != '{') return UNHANDLED;
    TRY(object(s, RECORD_KEYS, NKEYS(RECORD_KEYS), &seen));
    ws(s);
    if (s->p != s->end) return UNHANDLED;
    return finish_row(s->x, LV_R);
}

/* -- API -------------------------------------------------------------------------------------- */

void leviers_extract_layout(int32_t *nstr, int32_t *nlist, int32_t *nbuf)
{
    *nstr = NSTR;
    *nlist = NLIST;
    *nbuf = NBUF;
}

void leviers_extract_free(ctx_t *x)
{
    if (!x) return;
    for (int i = 0; i < NBUF; i++) free(x->b[i].p);
    free(x);
}

ctx_t *leviers_extract_new(void)
{
    ctx_t *x = calloc(1, sizeof(ctx_t));
    if (!x) return NULL;
    for (int i = 0; i < NBUF; i++) {
        if (reserve(&x->b[i], 256)) { leviers_extract_free(x); return NULL; }
    }
    /* Offsets buffers start with the first offset, 0. */
    for (int c = 0; c < NSTR; c++) push_i32(&x->b[B_STR(c, 1)], 0);
    for (int l = 0; l < NLIST; l++) push_i32(&x->b[B_LIST(l, 0)], 0);
    return x;
}

/*
 * Extract records k in [0, n) at data[offsets[k], offsets[k + 1]), appending to the context's
 * columns. handled[k] = 1 when the record was extracted, 0 when it is left to the SQL path.
 * Returns the number of records handled, or -1 when the buffers could not grow (out of memory,
 * more than 2 GiB in one column): the caller then drops the context and uses the SQL path.
 */
int64_t leviers_extract_run(ctx_t *x, const uint8_t *data, const int64_t *offsets, int64_t n, uint8_t *handled)
{
    int64_t saved[NBUF + NLEVEL];
    int64_t count = 0;
    for (int64_t k = 0; k < n; k++) {
        for (int i = 0; i < NBUF; i++) saved[i] = x->b[i].len;
        memcpy(saved + NBUF, x->rows, sizeof(x->rows));
        parser_t s = { data + offsets[k], data + offsets[k + 1], x };
        int r = record(&s);
        if (r == OK) {
            handled[k] = 1;
            count++;
            continue;
        }
        /* Roll back whatever the record appended. */
        for (int i = 0; i < NBUF; i++) x->b[i].len = saved[i];
        memcpy(x->rows, saved + NBUF, sizeof(x->rows));
        handled[k] = 0;
        if (r == HARD) return -1;
    }
    return count;
}

/* Addresses and lengths (bytes) of every buffer, for the caller to wrap without copying. */
void leviers_extract_buffers(ctx_t *x, uintptr_t *addresses, int64_t *lengths, int64_t *rows)
{
    for (int i = 0; i < NBUF; i++) {
        addresses[i] = (uintptr_t)x->b[i].p;
        lengths[i] = x->b[i].len;
    }
    memcpy(rows, x->rows, sizeof(x->rows));
}
