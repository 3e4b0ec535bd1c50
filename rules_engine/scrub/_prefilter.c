/* The scrubber prefilter's scan in C: which anchors each string of an event holds.
 *
 * rules_engine/scrub/prefilter.py defines the anchors and holds the same scan in Python
 * (PythonScanner); the tests check that both find the same anchors in every string.
 *
 *   AnchorScanner(literals, runs, folds, probes, non_ascii=-1)
 *     literals: [(text, caseless, anchor)]   ASCII text every match holds
 *     runs:     [(chars, digits, min_length, counted, count_digits, min_count, anchor)]
 *     folds:    {char: ascii letter}         non-ASCII characters caseless literals fold
 *     probes:   [(probe, [[anchor, ...], ...])]   a probe holds when each group has an anchor
 *     non_ascii: the anchor of a string holding a character that is not ASCII (-1: none)
 *   AnchorScanner.scan(texts) -> {index of a string: bitmask of the probes it holds}
 *
 * Literals: keyed by their first (up to) four case-folded characters, in a hash table (literals
 * sharing a key are told apart by their next eight, see match_key). Runs: grouped by class (see
 * group_runs). 1-byte text (nearly every string) is read in one pass (scan_latin1) that does a
 * few operations a character whatever the number of literals and runs: the last four folded
 * characters, a byte each in a word, hashed and looked up in bitmaps say where a literal may end,
 * and counts of the current run of each class in bytes of a word say where a run may be long
 * enough; only there are keys looked up and runs measured. Wider text is skipped to the
 * characters that may start a literal (scan_kind), and runs are looked for every few characters
 * (find_runs). After a string, only the probes whose first group holds an anchor found are
 * checked, and the int of the probes found is built once for each set of them (mask_as_int).
 * Non-ASCII: a string's kind says it at once (PyUnicode_IS_ASCII). Unicode decimal digits are
 * read with Py_UNICODE_ISDECIMAL, as re's \d reads them.
 *
 * Portable C99 (a compiler builtin where there is one, with a plain fallback).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(_MSC_VER)
#include <intrin.h> /* _BitScanForward64 is an intrinsic only once declared */
#endif

#define ASCII 128
#define OTHER ASCII /* the symbol of every character that folds to no ASCII character */
#define SYMBOLS (ASCII + 1)
#define MAX_RUNS 64
#define MAX_FOLDS 64
#define KEY_CHARS 4
#define TAIL_CHARS 8 /* the characters after a key that tell the literals of a key apart (see KeyLiteral) */
#define FEW_LITERALS 32 /* of a key: each is compared with the text's tail at once (see match_key) */
/* The 1-byte scan's first test (see scan_latin1): hashes of the last four folded characters, and
 * of the last three, looked up in two bitmaps. Thousands of literals (the key words with each
 * character that may end them, the base64 forms of words) set a few thousand bits: the bitmaps
 * are large enough that few characters of text hit one in vain (16 KB and 8 KB, in the first
 * level cache with the scan's other tables). */
#define QUAD_BITS 17
#define SHORT_BITS 16
#define HASH_FACTOR 2654435761u /* Knuth's multiplicative hash: the top bits are well mixed */
#define LANES 16     /* counts of runs in one pass over 1-byte text: a byte each, in two words */
/* The classes of runs of a scanner, as bits */
#define ALL_CLASSES(s) ((s)->run_class_count == 64 ? ~(uint64_t)0 : ((uint64_t)1 << (s)->run_class_count) - 1)
#define MASK_CACHE 64 /* ints of masks of probes kept (see mask_as_int) */
#define SLOTS 64     /* bytes that are literals of their own, noted per string (see scan_latin1) */
#define OVERFLOW_SLOT (SLOTS - 1) /* beyond SLOTS - 1 such bytes: the last slot stands for the others */

#if defined(_MSC_VER)
#define NOINLINE __declspec(noinline)
#define ALWAYS_INLINE __forceinline
#elif defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NOINLINE
#define ALWAYS_INLINE inline
#endif

typedef struct {
    Py_UCS1 *text; /* as written, or folded when caseless */
    Py_ssize_t length;
    int caseless;
    Py_ssize_t bit;
} Literal;

typedef struct {
    Py_ssize_t min_length, min_count;
    Py_ssize_t bit;
} Run;

/* A literal among those of its key (see Scanner.keys): the literals of a key are told apart by
 * their next characters, up to TAIL_CHARS (its tail, see tail_at), each compared with the text's
 * at once. They are in the order of their tails (as text: a tail before those it starts), so that
 * those whose tail starts with the same characters are next to one another: of many literals of a
 * key, those a text may hold are narrowed down a character at a time by binary searches (see
 * match_key), the literals whose tail ends there at the start of each range. */
typedef struct {
    uint64_t tail;      /* its tail folded, the first character in the top byte (0 beyond its end) */
    uint64_t tail_mask; /* the bytes of its tail */
    int32_t literal;    /* its index in Scanner.literals */
    int32_t length;     /* of its tail (0 to TAIL_CHARS) */
} KeyLiteral;

/* The runs of one class of characters: a maximal run of the class holds one of them only if it
 * is ``step`` characters long at least, so the class is looked for every ``step`` characters. */
typedef struct {
    uint64_t member; /* the bit (in run_classes) of one of its runs: a character is in the class */
    uint64_t runs;   /* its runs, as bits */
    Py_ssize_t step; /* the least length a run of the class needs to hold one of them */
} RunClass;

/* What a character is to the lanes (counts of runs, a lane a byte in two words, see scan_latin1):
 * 0xFF where it is in the lane's classes, 1 where it adds to the count, and where it is not in
 * them, the count the lane starts from (count_from). For a byte, also what else the 1-byte scan
 * reads of it: all it reads of a byte is in one place (64 bytes). */
typedef struct {
    uint64_t in[2];
    uint64_t adds[2];
    uint64_t restart[2];
    uint64_t slot; /* the bit of a byte that is a literal of its own (see add_single) */
    uint64_t fold; /* the byte folded, as in window_fold */
} ByteRuns;

typedef struct {
    PyObject_HEAD
    /* Literals by key (see key_of): an open-addressing table of the keys (0: none), where the
     * literals of each start in key_literals, and those (in runs of one key) */
    uint32_t *keys;
    int32_t *key_first, *key_end;
    uint32_t key_mask; /* the table's size less one (a power of two) */
    int key_shift;     /* 32 less the bits of its size */
    KeyLiteral *key_literals;
    unsigned char longest_key[ASCII]; /* by folded first character: the longest key, 0 if none */
    uint64_t single_bits[ASCII / 64];  /* folded characters that are a literal of their own */
    uint64_t pair_bits[ASCII * ASCII / 64]; /* the folded first two characters of longer literals */
    Literal *literals;
    Py_ssize_t literal_count;
    Run runs[MAX_RUNS];
    int run_count;
    uint64_t run_classes[ASCII], run_counted[ASCII], digit_runs, counted_digit_runs;
    Py_UCS4 fold_from[MAX_FOLDS];
    unsigned char fold_to[MAX_FOLDS];
    int fold_count;
    unsigned char fold_ascii[ASCII];
    unsigned char interesting[ASCII]; /* may start a literal */
    /* The scan of 1-byte text (see scan_latin1): */
    unsigned char window_fold[256];       /* a byte folded; 0 for one that folds to no ASCII */
    unsigned char slot_byte[SLOTS];       /* the byte of each bit (but OVERFLOW_SLOT's, see add_single) */
    int slot_count;
    unsigned char overflows[256];         /* a byte of OVERFLOW_SLOT */
    int32_t byte_start[257];              /* per byte: where the literals it is start in byte_anchors */
    Py_ssize_t *byte_anchors;             /* the anchors of the literals of one character each byte is */
    /* Where literals may end (see quad_end and short_end): by hash of four characters, where the
     * first four of a literal of four or more may; then by hash of three, where a literal of
     * three or two may. */
    uint64_t ends[((1 << QUAD_BITS) + (1 << SHORT_BITS)) / 64];
    int has_pairs;                        /* literals of two characters */
    RunClass run_class[MAX_RUNS];         /* the runs grouped by their class (see find_runs) */
    int run_class_count;
    /* Lanes: counts, a byte each, that say in one pass over a string where a run of a class may be
     * long enough (see lane_of, scan_latin1, runs_wide) */
    int lane_count;
    uint64_t lane_classes[LANES];   /* per lane: its classes (bits of run_class) */
    uint64_t lane_adds[LANES][3];   /* per lane: the ASCII characters it counts, and whether
                                     * decimal digits beyond ASCII (the third word) */
    Py_ssize_t lane_threshold[LANES]; /* per lane: the count a run of its classes needs at least
                                       * (negated for a lane counting a class's length) */
    uint64_t tracked_classes;       /* the classes of the lanes */
    ByteRuns byte_runs[256];        /* per byte: what it is to each lane */
    ByteRuns wide_digit;            /* the same for a decimal digit beyond ASCII */
    uint64_t count_from[2];         /* per lane: 128 less its threshold (0 for one over 128) */
    Py_ssize_t non_ascii;     /* the anchor of a string that is not ASCII, or -1 */
    Py_ssize_t anchor_words;  /* 64-bit words of a set of anchors */
    uint64_t *hits;           /* the anchors one string holds */
    Py_ssize_t *hit_list;     /* the same anchors, in the order found */
    Py_ssize_t hit_count;
    Py_ssize_t probe_count;
    Py_ssize_t *probe_bits;   /* per probe: its bit in the masks scan returns */
    Py_ssize_t *group_start;  /* per probe: its first group; then the end */
    uint64_t *groups;         /* each group: the set of its anchors */
    Py_ssize_t *first_start;  /* per anchor: where its probes start in first_probes; then the end */
    Py_ssize_t *first_probes; /* the probes whose first group holds each anchor, anchor by anchor */
    Py_ssize_t mask_words;    /* 64-bit words of a mask of probes */
    uint64_t *mask;           /* the probes one string holds */
    unsigned char *mask_bytes; /* the same, as little-endian bytes for the int */
    uint64_t *cached_masks;   /* MASK_CACHE masks (mask_words each) and their ints (NULL: none) */
    PyObject *cached_ints[MASK_CACHE];
    int built;
} Scanner;

static inline int
fold(const Scanner *s, Py_UCS4 c)
{
    if (c < ASCII)
        return s->fold_ascii[c];
    for (int i = 0; i < s->fold_count; i++)
        if (s->fold_from[i] == c)
            return s->fold_to[i];
    return OTHER;
}

/* ------------------------------------------------------------------ building */

static int
read_bit(PyObject *item, Py_ssize_t *bit, Py_ssize_t *highest)
{
    *bit = PyLong_AsSsize_t(item);
    if (*bit == -1 && PyErr_Occurred())
        return -1;
    if (*bit < 0 || *bit > 1 << 20) {
        PyErr_SetString(PyExc_ValueError, "an anchor bit is out of range");
        return -1;
    }
    if (*bit > *highest)
        *highest = *bit;
    return 0;
}

static int
ascii_text(PyObject *text, const char *what)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text) || PyUnicode_GET_LENGTH(text) == 0) {
        PyErr_Format(PyExc_ValueError, "%s must be non-empty ASCII text", what);
        return -1;
    }
    if (memchr(PyUnicode_1BYTE_DATA(text), 0, PyUnicode_GET_LENGTH(text)) != NULL) {
        PyErr_Format(PyExc_ValueError, "%s cannot hold NUL", what);
        return -1;
    }
    return 0;
}

static int
read_literals(Scanner *s, PyObject *literals, Py_ssize_t *highest)
{
    PyObject *items = PySequence_Fast(literals, "literals must be a sequence");
    if (items == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    s->literals = PyMem_Calloc(count ? count : 1, sizeof(Literal));
    if (s->literals == NULL) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i);
        PyObject *text;
        int caseless;
        PyObject *bit;
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "UpO", &text, &caseless, &bit) ||
            ascii_text(text, "a literal") < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a literal is (text, caseless, bit)");
            Py_DECREF(items);
            return -1;
        }
        Literal *literal = &s->literals[i];
        literal->length = PyUnicode_GET_LENGTH(text);
        literal->caseless = caseless;
        literal->text = PyMem_Malloc(literal->length);
        s->literal_count = i + 1; /* freed from here on */
        if (literal->text == NULL) {
            Py_DECREF(items);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(literal->text, PyUnicode_1BYTE_DATA(text), literal->length);
        if (caseless) /* kept folded: compared with the folded text */
            for (Py_ssize_t k = 0; k < literal->length; k++)
                literal->text[k] = s->fold_ascii[literal->text[k]]; /* set by read_folds */
        if (read_bit(bit, &literal->bit, highest) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

/* The index of the lowest bit set in ``bits`` (not 0). */
static inline int
lowest_bit(uint64_t bits)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(bits);
#elif defined(_MSC_VER) && defined(_WIN64)
    unsigned long index;
    _BitScanForward64(&index, bits);
    return (int)index;
#else
    int index = 0;
    while (!(bits & 1)) {
        bits >>= 1;
        index++;
    }
    return index;
#endif
}

/* Whether runs ``a`` and ``b`` have the same class (their characters, and digits or not). */
static int
same_class(const Scanner *s, int a, int b)
{
    for (int c = 0; c < ASCII; c++)
        if ((s->run_classes[c] >> a & 1) != (s->run_classes[c] >> b & 1))
            return 0;
    return (s->digit_runs >> a & 1) == (s->digit_runs >> b & 1);
}

/* The runs by class: a maximal run of a class is measured once for all its runs. A run holding
 * ``min_count`` counted characters (members all) is that long at least. */
static void
group_runs(Scanner *s)
{
    for (int r = 0; r < s->run_count; r++) {
        Py_ssize_t needs = s->runs[r].min_length > s->runs[r].min_count ? s->runs[r].min_length : s->runs[r].min_count;
        if (needs < 1)
            needs = 1;
        int g = 0;
        while (g < s->run_class_count && !same_class(s, lowest_bit(s->run_class[g].member), r))
            g++;
        RunClass *group = &s->run_class[g];
        if (g == s->run_class_count) {
            s->run_class_count++;
            group->member = (uint64_t)1 << r;
            group->step = needs;
        }
        group->runs |= (uint64_t)1 << r;
        if (needs < group->step)
            group->step = needs;
    }
}

/* The lane that counts class ``g`` in scan_latin1, or -1 if all are taken. A run of the class must
 * be ``step`` long, and hold as many characters counted by one of its runs as the fewest they
 * count: where that is two or more (rarer in text than a long run), the lane counts those
 * characters, and classes whose runs count the same ones share a lane (a run of one of them lies
 * in a run of their union, which holds its counted characters); else it counts the length of
 * the class's runs, in a lane of its own. */
static int
lane_of(Scanner *s, int g)
{
    const RunClass *group = &s->run_class[g];
    Py_ssize_t fewest = -1;
    uint64_t adds[3] = {0, 0, 0};
    for (uint64_t runs = group->runs; runs; runs &= runs - 1)
        if (fewest < 0 || s->runs[lowest_bit(runs)].min_count < fewest)
            fewest = s->runs[lowest_bit(runs)].min_count;
    for (int c = 0; c < ASCII; c++)
        if (fewest >= 2 ? (s->run_counted[c] & group->runs) != 0 : (s->run_classes[c] & group->member) != 0)
            adds[c / 64] |= (uint64_t)1 << (c % 64);
    adds[2] = fewest >= 2 ? (s->counted_digit_runs & group->runs) != 0 : (s->digit_runs & group->member) != 0;
    int lane = 0;
    while (lane < s->lane_count &&
           !(fewest >= 2 && s->lane_threshold[lane] >= 0 && memcmp(s->lane_adds[lane], adds, sizeof(adds)) == 0))
        lane++;
    if (lane == LANES)
        return -1;
    if (lane == s->lane_count) {
        s->lane_count++;
        memcpy(s->lane_adds[lane], adds, sizeof(adds));
        s->lane_threshold[lane] = fewest >= 2 ? fewest : -group->step; /* < 0: counts a length */
    } else if (fewest < s->lane_threshold[lane]) {
        s->lane_threshold[lane] = fewest;
    }
    return lane;
}

/* The lanes of the counts of runs in scan_latin1 (classes beyond them: see find_runs). */
static void
build_lanes(Scanner *s)
{
    for (int g = 0; g < s->run_class_count; g++) {
        int lane = lane_of(s, g);
        if (lane < 0)
            continue;
        s->lane_classes[lane] |= (uint64_t)1 << g;
        s->tracked_classes |= (uint64_t)1 << g;
        for (int c = 0; c < ASCII; c++)
            if (s->run_classes[c] & s->run_class[g].member)
                s->byte_runs[c].in[lane / 8] |= (uint64_t)0xFF << (8 * (lane % 8));
        if (s->digit_runs & s->run_class[g].member)
            s->wide_digit.in[lane / 8] |= (uint64_t)0xFF << (8 * (lane % 8));
    }
    for (int lane = 0; lane < s->lane_count; lane++) {
        Py_ssize_t threshold = s->lane_threshold[lane] < 0 ? -s->lane_threshold[lane] : s->lane_threshold[lane];
        s->count_from[lane / 8] |= (uint64_t)(threshold > 128 ? 0 : 128 - threshold) << (8 * (lane % 8));
        for (int c = 0; c < ASCII; c++)
            if (s->lane_adds[lane][c / 64] >> (c % 64) & 1)
                s->byte_runs[c].adds[lane / 8] |= (uint64_t)1 << (8 * (lane % 8));
        if (s->lane_adds[lane][2])
            s->wide_digit.adds[lane / 8] |= (uint64_t)1 << (8 * (lane % 8));
    }
    for (int c = 0; c < 256; c++)
        for (int w = 0; w < 2; w++)
            s->byte_runs[c].restart[w] = s->count_from[w] & ~s->byte_runs[c].in[w];
}

static int
read_runs(Scanner *s, PyObject *runs, Py_ssize_t *highest)
{
    PyObject *items = PySequence_Fast(runs, "runs must be a sequence");
    if (items == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    if (count > MAX_RUNS) {
        Py_DECREF(items);
        PyErr_Format(PyExc_ValueError, "at most %d runs", MAX_RUNS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i), *chars, *counted, *bit;
        int digits, count_digits;
        Run *run = &s->runs[i];
        if (!PyTuple_Check(item) ||
            !PyArg_ParseTuple(item, "UpnUpnO", &chars, &digits, &run->min_length, &counted, &count_digits,
                              &run->min_count, &bit) ||
            (PyUnicode_GET_LENGTH(chars) && ascii_text(chars, "a run's class") < 0) ||
            read_bit(bit, &run->bit, highest) < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a run is (chars, digits, min_length, counted, count_digits, "
                                                 "min_count, bit)");
            Py_DECREF(items);
            return -1;
        }
        if (PyUnicode_GET_LENGTH(counted) && ascii_text(counted, "a run's counted characters") < 0) {
            Py_DECREF(items);
            return -1;
        }
        uint64_t flag = (uint64_t)1 << i;
        const Py_UCS1 *members = PyUnicode_1BYTE_DATA(chars);
        for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(chars); j++)
            s->run_classes[members[j]] |= flag;
        const Py_UCS1 *counts = PyUnicode_1BYTE_DATA(counted);
        for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(counted); j++)
            s->run_counted[counts[j]] |= flag;
        if (digits) {
            s->digit_runs |= flag;
            for (int digit = '0'; digit <= '9'; digit++)
                s->run_classes[digit] |= flag;
        }
        if (count_digits) {
            s->counted_digit_runs |= flag;
            for (int digit = '0'; digit <= '9'; digit++)
                s->run_counted[digit] |= flag;
        }
        s->run_count = (int)i + 1;
    }
    Py_DECREF(items);
    group_runs(s);
    build_lanes(s);
    return 0;
}

static int
read_folds(Scanner *s, PyObject *folds)
{
    for (int c = 0; c < ASCII; c++)
        s->fold_ascii[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (!PyDict_Check(folds)) {
        PyErr_SetString(PyExc_TypeError, "folds must be a dict");
        return -1;
    }
    PyObject *from, *to;
    Py_ssize_t position = 0;
    while (PyDict_Next(folds, &position, &from, &to)) {
        if (s->fold_count == MAX_FOLDS || !PyUnicode_Check(from) || PyUnicode_GET_LENGTH(from) != 1 ||
            !PyUnicode_Check(to) || PyUnicode_GET_LENGTH(to) != 1 || PyUnicode_READ_CHAR(to, 0) >= ASCII) {
            PyErr_SetString(PyExc_ValueError, "folds map single characters to ASCII ones");
            return -1;
        }
        s->fold_from[s->fold_count] = PyUnicode_READ_CHAR(from, 0);
        s->fold_to[s->fold_count++] = s->fold_ascii[PyUnicode_READ_CHAR(to, 0)];
    }
    return 0;
}

/* The key of a literal, or of text where one may be: its first ``count`` characters (1 to
 * KEY_CHARS, all of a shorter literal) folded, a byte each, as the window of the 1-byte scan holds
 * them (the last in the low byte), and, for fewer than four, the top bit of the next byte set (no
 * character folds to it). So keys of different lengths differ: a window whose fourth last
 * character folds to none (0) is not the key of the three after it. Never 0. */
static inline uint32_t
key_of(uint32_t window, int count)
{
    if (count == KEY_CHARS)
        return window;
    return (window & (((uint32_t)1 << (8 * count)) - 1)) | (uint32_t)0x80 << (8 * count);
}

/* Where the 1-byte scan looks a window up in ``ends``: the bit of its four characters (where the
 * first four of a literal may end: the top bits of the window's product, ``hash``, see
 * window_hash), and that of its last three (where a literal of three or two may end: the top
 * bits of the product of the window shifted by a character, which are the same product's bits
 * shifted, so one multiplication gives both). */
static inline uint32_t
window_hash(uint32_t window)
{
    return window * HASH_FACTOR;
}

static inline uint32_t
quad_end(uint32_t hash)
{
    return hash >> (32 - QUAD_BITS);
}

static inline uint32_t
short_end(uint32_t hash)
{
    return (1u << QUAD_BITS) + ((hash << 8) >> (32 - SHORT_BITS));
}

static inline void
set_bit(uint64_t *bits, uint32_t bit)
{
    bits[bit / 64] |= (uint64_t)1 << (bit % 64);
}

static inline int
test_bit(const uint64_t *bits, uint32_t bit)
{
    return bits[bit / 64] >> (bit % 64) & 1;
}

/* Whether the byte ``c`` is the literal ``literal`` of one character. */
static int
is_single(const Scanner *s, const Literal *literal, int c)
{
    return literal->length == 1 && (literal->caseless ? s->window_fold[c] == literal->text[0] : c == literal->text[0]);
}

/* A literal of one character: each byte it may be gets a slot, noted per string; the bytes beyond
 * OVERFLOW_SLOT share that slot (a string holding one is then read for them, see match_slots). */
static void
add_single(Scanner *s, const Literal *literal)
{
    for (int c = 0; c < 256; c++) {
        if (!is_single(s, literal, c) || s->byte_runs[c].slot)
            continue;
        if (s->slot_count == OVERFLOW_SLOT) {
            s->overflows[c] = 1;
            s->byte_runs[c].slot = (uint64_t)1 << OVERFLOW_SLOT;
            continue;
        }
        s->slot_byte[s->slot_count] = (unsigned char)c;
        s->byte_runs[c].slot = (uint64_t)1 << s->slot_count++;
    }
}

/* The first ``count`` characters of ``literal`` folded, as the window of the 1-byte scan holds them. */
static uint32_t
window_of(const Scanner *s, const Literal *literal, int count)
{
    uint32_t window = 0;
    for (int k = 0; k < count; k++)
        window = window << 8 | s->fold_ascii[literal->text[k]];
    return window;
}

/* The tables of the 1-byte scan: each byte folded, the bitmaps of where literals may end, the
 * slots of literals of one character. A literal of two characters ends where the last three
 * characters are any one and its two: each of those is set in ends. */
static void
build_window(Scanner *s)
{
    for (int c = 0; c < 256; c++) {
        int folded = fold(s, (Py_UCS4)c);
        s->window_fold[c] = (unsigned char)(folded == OTHER ? 0 : folded);
        s->byte_runs[c].fold = s->window_fold[c];
    }
    for (Py_ssize_t i = 0; i < s->literal_count; i++) {
        const Literal *literal = &s->literals[i];
        int count = literal->length < KEY_CHARS ? (int)literal->length : KEY_CHARS;
        uint32_t window = window_of(s, literal, count);
        if (count == 4)
            set_bit(s->ends, quad_end(window_hash(window)));
        else if (count == 3)
            set_bit(s->ends, short_end(window_hash(window)));
        else if (count == 2) {
            s->has_pairs = 1;
            for (uint32_t before = 0; before < ASCII; before++)
                set_bit(s->ends, short_end(window_hash(before << 16 | window)));
        } else
            add_single(s, literal);
    }
}

/* Per byte, the anchors of the literals of one character it is (a string holding it holds them). */
static int
build_byte_anchors(Scanner *s)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int c = 0; c < 256; c++) {
            s->byte_start[c + 1] = s->byte_start[c];
            for (Py_ssize_t i = 0; i < s->literal_count && s->byte_runs[c].slot; i++)
                if (is_single(s, &s->literals[i], c)) {
                    if (pass)
                        s->byte_anchors[s->byte_start[c + 1]] = s->literals[i].bit;
                    s->byte_start[c + 1]++;
                }
        }
        if (!pass) {
            s->byte_anchors = PyMem_Calloc(s->byte_start[256] ? s->byte_start[256] : 1, sizeof(Py_ssize_t));
            if (s->byte_anchors == NULL) {
                PyErr_NoMemory();
                return -1;
            }
        }
    }
    return 0;
}

/* A literal in the order of key_literals (see KeyLiteral). */
typedef struct {
    uint32_t key;
    int32_t literal;
    uint64_t tail;
} KeyOrder;

static int
compare_keys(const void *a, const void *b)
{
    const KeyOrder *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->tail != y->tail)
        return x->tail < y->tail ? -1 : 1;
    return (x->literal > y->literal) - (x->literal < y->literal);
}

/* Where key ``key`` is in the table, or would be put. */
static inline uint32_t
key_slot(const Scanner *s, uint32_t key)
{
    uint32_t at = (key * HASH_FACTOR) >> s->key_shift;
    while (s->keys[at] != 0 && s->keys[at] != key)
        at = (at + 1) & s->key_mask;
    return at;
}

/* The literals by key: each key in an open-addressing table (at most half full, so that a key
 * that is not there is told after a probe or two), its literals in a run of key_literals (see
 * KeyLiteral). Also, for 2- and 4-byte text (scan_kind), which characters start a literal. */
static int
build_keys(Scanner *s)
{
    Py_ssize_t count = s->literal_count, distinct = 0;
    KeyOrder *order = PyMem_Calloc(count ? count : 1, sizeof(KeyOrder));
    s->key_literals = PyMem_Calloc(count ? count : 1, sizeof(KeyLiteral));
    if (order == NULL || s->key_literals == NULL) {
        PyMem_Free(order);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        const Literal *literal = &s->literals[i];
        int length = literal->length < KEY_CHARS ? (int)literal->length : KEY_CHARS;
        order[i].key = key_of(window_of(s, literal, length), length);
        order[i].literal = (int32_t)i;
        for (Py_ssize_t k = KEY_CHARS; k < KEY_CHARS + TAIL_CHARS && k < literal->length; k++)
            order[i].tail |= (uint64_t)s->fold_ascii[literal->text[k]] << (8 * (KEY_CHARS + TAIL_CHARS - 1 - k));
        int first = s->fold_ascii[literal->text[0]];
        if (length > s->longest_key[first])
            s->longest_key[first] = (unsigned char)length;
        if (length == 1)
            s->single_bits[first / 64] |= (uint64_t)1 << (first % 64);
        else {
            int pair = first * ASCII + s->fold_ascii[literal->text[1]];
            s->pair_bits[pair / 64] |= (uint64_t)1 << (pair % 64);
        }
    }
    qsort(order, count, sizeof(KeyOrder), compare_keys);
    for (Py_ssize_t j = 0; j < count; j++)
        distinct += j == 0 || order[j].key != order[j - 1].key;
    int bits = 1;
    while (((Py_ssize_t)1 << bits) < 2 * distinct)
        bits++;
    s->key_mask = ((uint32_t)1 << bits) - 1;
    s->key_shift = 32 - bits;
    s->keys = PyMem_Calloc((size_t)s->key_mask + 1, sizeof(uint32_t));
    s->key_first = PyMem_Calloc((size_t)s->key_mask + 1, sizeof(int32_t));
    s->key_end = PyMem_Calloc((size_t)s->key_mask + 1, sizeof(int32_t));
    if (s->keys == NULL || s->key_first == NULL || s->key_end == NULL) {
        PyMem_Free(order);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t j = count - 1; j >= 0; j--) {
        KeyLiteral *entry = &s->key_literals[j];
        const Literal *literal = &s->literals[order[j].literal];
        entry->literal = order[j].literal;
        entry->tail = order[j].tail;
        entry->length = literal->length <= KEY_CHARS ? 0 :
                        literal->length >= KEY_CHARS + TAIL_CHARS ? TAIL_CHARS : (int32_t)literal->length - KEY_CHARS;
        entry->tail_mask = entry->length ? ~(uint64_t)0 << (8 * (TAIL_CHARS - entry->length)) : 0;
        uint32_t at = key_slot(s, order[j].key);
        if (j + 1 == count || order[j + 1].key != order[j].key) {
            s->keys[at] = order[j].key;
            s->key_end[at] = (int32_t)j + 1;
        }
        s->key_first[at] = (int32_t)j;
    }
    PyMem_Free(order);
    for (int c = 0; c < ASCII; c++) {
        int folded = s->fold_ascii[c];
        s->interesting[c] = (unsigned char)(s->longest_key[folded] != 0);
    }
    build_window(s);
    return build_byte_anchors(s);
}

/* Per anchor, the probes whose first group holds it (the group a probe is looked up by). */
static int
index_first_groups(Scanner *s)
{
    Py_ssize_t anchors = s->anchor_words * 64, total = 0;
    s->first_start = PyMem_Calloc(anchors + 1, sizeof(Py_ssize_t));
    if (s->first_start == NULL)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        Py_ssize_t *filled = pass ? PyMem_Calloc(anchors, sizeof(Py_ssize_t)) : NULL;
        if (pass && filled == NULL)
            return -1;
        for (Py_ssize_t p = 0; p < s->probe_count; p++) {
            if (s->group_start[p] == s->group_start[p + 1])
                continue; /* no group: never flagged by the scan (the prefilter flags it everywhere) */
            const uint64_t *first = s->groups + s->group_start[p] * s->anchor_words;
            for (Py_ssize_t a = 0; a < anchors; a++) {
                if (!(first[a / 64] >> (a % 64) & 1))
                    continue;
                if (pass)
                    s->first_probes[s->first_start[a] + filled[a]++] = p;
                else
                    s->first_start[a + 1]++;
            }
        }
        if (pass) {
            PyMem_Free(filled);
            break;
        }
        for (Py_ssize_t a = 0; a < anchors; a++)
            s->first_start[a + 1] += s->first_start[a];
        total = s->first_start[anchors];
        s->first_probes = PyMem_Calloc(total ? total : 1, sizeof(Py_ssize_t));
        if (s->first_probes == NULL)
            return -1;
    }
    return 0;
}

/* The probes: each one's bit and its groups as sets of anchors. */
static int
read_probes(Scanner *s, PyObject *probes, Py_ssize_t highest)
{
    s->anchor_words = highest / 64 + 1;
    s->hits = PyMem_Calloc(s->anchor_words, sizeof(uint64_t));
    s->hit_list = PyMem_Calloc(s->anchor_words * 64, sizeof(Py_ssize_t));
    PyObject *items = PySequence_Fast(probes, "probes must be a sequence");
    if (s->hits == NULL || s->hit_list == NULL || items == NULL) {
        Py_XDECREF(items);
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items), total = 0, highest_probe = -1;
    s->probe_bits = PyMem_Calloc(count ? count : 1, sizeof(Py_ssize_t));
    s->group_start = PyMem_Calloc(count + 1, sizeof(Py_ssize_t));
    int status = -1;
    if (s->probe_bits == NULL || s->group_start == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t p = 0; p < count; p++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, p), *bit, *groups;
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "OO!", &bit, &PyList_Type, &groups)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a probe is (bit, [[anchor, ...], ...])");
            goto done;
        }
        if (read_bit(bit, &s->probe_bits[p], &highest_probe) < 0)
            goto done;
        total += PyList_GET_SIZE(groups);
        s->group_start[p + 1] = total;
    }
    s->probe_count = count;
    s->mask_words = highest_probe / 64 + 1;
    s->mask = PyMem_Calloc(s->mask_words, sizeof(uint64_t));
    s->mask_bytes = PyMem_Calloc(s->mask_words, sizeof(uint64_t));
    s->cached_masks = PyMem_Calloc(s->mask_words * MASK_CACHE, sizeof(uint64_t));
    s->groups = PyMem_Calloc((total ? total : 1) * s->anchor_words, sizeof(uint64_t));
    if (s->groups == NULL || s->mask == NULL || s->mask_bytes == NULL || s->cached_masks == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t p = 0; p < count; p++) {
        PyObject *groups = PyTuple_GET_ITEM(PySequence_Fast_GET_ITEM(items, p), 1);
        Py_ssize_t unused = -1;
        for (Py_ssize_t g = 0; g < PyList_GET_SIZE(groups); g++) {
            uint64_t *group = s->groups + (s->group_start[p] + g) * s->anchor_words;
            PyObject *anchors = PySequence_Fast(PyList_GET_ITEM(groups, g), "a group is a list of anchors");
            if (anchors == NULL)
                goto done;
            for (Py_ssize_t a = 0; a < PySequence_Fast_GET_SIZE(anchors); a++) {
                Py_ssize_t anchor;
                if (read_bit(PySequence_Fast_GET_ITEM(anchors, a), &anchor, &unused) < 0 || anchor > highest) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError, "a group names an anchor that is not there");
                    Py_DECREF(anchors);
                    goto done;
                }
                group[anchor / 64] |= (uint64_t)1 << (anchor % 64);
            }
            Py_DECREF(anchors);
        }
    }
    if (index_first_groups(s) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    status = 0;
done:
    Py_DECREF(items);
    return status;
}

static int
Scanner_init(Scanner *s, PyObject *args, PyObject *kwargs)
{
    PyObject *literals, *runs, *folds, *probes;
    Py_ssize_t non_ascii = -1;
    static char *keywords[] = {"literals", "runs", "folds", "probes", "non_ascii", NULL};
    if (s->built) {
        PyErr_SetString(PyExc_RuntimeError, "AnchorScanner is already built");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO|n", keywords, &literals, &runs, &folds, &probes,
                                     &non_ascii))
        return -1;
    Py_ssize_t highest = -1;
    if (non_ascii != -1) {
        PyObject *bit = PyLong_FromSsize_t(non_ascii);
        int status = bit == NULL ? -1 : read_bit(bit, &non_ascii, &highest);
        Py_XDECREF(bit);
        if (status < 0)
            return -1;
    }
    s->non_ascii = non_ascii;
    if (read_folds(s, folds) < 0 || read_literals(s, literals, &highest) < 0 || read_runs(s, runs, &highest) < 0 ||
        build_keys(s) < 0 || read_probes(s, probes, highest) < 0)
        return -1;
    s->built = 1;
    return 0;
}

/* ------------------------------------------------------------------ scanning */

static inline int
has_hit(const Scanner *s, Py_ssize_t bit)
{
    return s->hits[bit / 64] >> (bit % 64) & 1;
}

static inline void
hit(Scanner *s, Py_ssize_t bit)
{
    uint64_t flag = (uint64_t)1 << (bit % 64);
    if (!(s->hits[bit / 64] & flag)) {
        s->hits[bit / 64] |= flag;
        s->hit_list[s->hit_count++] = bit;
    }
}

/* The TAIL_CHARS characters after a key at ``start`` folded, as KeyLiteral.tail holds them (0
 * past the end, 0 or OTHER for one that folds to no ASCII character: none is in a literal). */
static ALWAYS_INLINE uint64_t
tail_at(const Scanner *s, int kind, const void *data, Py_ssize_t length, Py_ssize_t start)
{
    uint64_t tail = 0;
    if (kind == PyUnicode_1BYTE_KIND && length - start >= KEY_CHARS + TAIL_CHARS) {
        /* (the common case unrolled, TAIL_CHARS being 8) */
        const Py_UCS1 *next = (const Py_UCS1 *)data + start + KEY_CHARS;
        const unsigned char *f = s->window_fold;
        return (uint64_t)f[next[0]] << 56 | (uint64_t)f[next[1]] << 48 | (uint64_t)f[next[2]] << 40 |
               (uint64_t)f[next[3]] << 32 | (uint64_t)f[next[4]] << 24 | (uint64_t)f[next[5]] << 16 |
               (uint64_t)f[next[6]] << 8 | (uint64_t)f[next[7]];
    }
    for (Py_ssize_t k = KEY_CHARS; k < KEY_CHARS + TAIL_CHARS && start + k < length; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, start + k);
        uint64_t folded = kind == PyUnicode_1BYTE_KIND ? s->window_fold[c] : (uint64_t)fold(s, c);
        tail |= folded << (8 * (KEY_CHARS + TAIL_CHARS - 1 - k));
    }
    return tail;
}

/* Where key ``key`` is in the table (see key_first and key_end), or -1 if no literal has it. */
static inline int32_t
find_key(const Scanner *s, uint32_t key)
{
    uint32_t at = key_slot(s, key);
    return s->keys[at] == key ? (int32_t)at : -1;
}

/* Whether ``literal``, whose key and tail are at ``start``, is there: the key and tail were read
 * folded, which is all of a caseless literal of twelve characters at most; of a longer one, the
 * rest is compared, and a literal compared as written is compared whole. */
static ALWAYS_INLINE int
rest_at(const Scanner *s, const Literal *literal, int kind, const void *data, Py_ssize_t length, Py_ssize_t start)
{
    Py_ssize_t from = literal->caseless ? KEY_CHARS + TAIL_CHARS : 0;
    if (literal->length <= from)
        return 1;
    if (length - start < literal->length)
        return 0;
    for (Py_ssize_t k = from; k < literal->length; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, start + k);
        if ((literal->caseless ? (Py_UCS4)fold(s, c) : c) != literal->text[k])
            return 0;
    }
    return 1;
}

/* The literals of ``entries`` from ``low`` to ``high`` whose tail the text's ``tail`` starts with,
 * at ``start``. */
static ALWAYS_INLINE void
match_tails(Scanner *s, const KeyLiteral *entries, int32_t low, int32_t high, uint64_t tail, int kind,
            const void *data, Py_ssize_t length, Py_ssize_t start, int *found)
{
    for (; low < high; low++) {
        if ((tail & entries[low].tail_mask) != entries[low].tail)
            continue;
        const Literal *literal = &s->literals[entries[low].literal];
        if (!has_hit(s, literal->bit) && rest_at(s, literal, kind, data, length, start)) {
            hit(s, literal->bit);
            *found = 1;
        }
    }
}

/* The first of ``entries`` from ``low`` to ``high`` whose tail's top bytes (``shift``: the bits
 * below them) are ``top`` or more (``above``: more). */
static inline int32_t
tail_bound(const KeyLiteral *entries, int32_t low, int32_t high, int shift, uint64_t top, int above)
{
    while (low < high) {
        int32_t middle = (int32_t)(((uint32_t)low + (uint32_t)high) / 2);
        uint64_t value = entries[middle].tail >> shift;
        if (value < top || (above && value == top))
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The literals of the key at ``at`` in the table found at ``start``. Many literals may share a
 * key ("session", "sessionid", "session_key", a key word followed by each character that may end
 * it): of many, the range of those the text may hold is narrowed a character of the text's tail at
 * a time (see KeyLiteral); a few are each compared with the tail at once. Those found in the
 * string already are not compared again. */
static ALWAYS_INLINE void
match_key(Scanner *s, int32_t at, int kind, const void *data, Py_ssize_t length, Py_ssize_t start, int *found)
{
    const KeyLiteral *entries = s->key_literals;
    int32_t low = s->key_first[at], high = s->key_end[at];
    /* (the last has the greatest tail: 0 if none has one) */
    uint64_t tail = entries[high - 1].length ? tail_at(s, kind, data, length, start) : 0;
    for (int level = 0; high - low > FEW_LITERALS && level < TAIL_CHARS; level++) {
        /* from low to high: the literals whose tail starts with the text's first ``level``
         * characters, first those whose tail is these (compared below) */
        int32_t ending = low;
        while (ending < high && entries[ending].length == level)
            ending++;
        int shift = 8 * (TAIL_CHARS - 1 - level);
        int32_t from = tail_bound(entries, ending, high, shift, tail >> shift, 0);
        int32_t to = tail_bound(entries, from, high, shift, tail >> shift, 1);
        match_tails(s, entries, low, ending, tail, kind, data, length, start, found);
        low = from;
        high = to;
    }
    match_tails(s, entries, low, high, tail, kind, data, length, start, found);
}

/* The literals starting at ``i`` with the folded character ``folded``: a one-character literal,
 * then, where the first two characters start a longer one (a bitmap), the keys of two to four. */
static inline void
match_literals(Scanner *s, int folded, int kind, const void *data, Py_ssize_t length, Py_ssize_t i, int *found)
{
    int32_t first;
    if ((s->single_bits[folded / 64] >> (folded % 64) & 1) && (first = find_key(s, key_of((uint32_t)folded, 1))) >= 0)
        match_key(s, first, kind, data, length, i, found);
    int longest = s->longest_key[folded];
    if (longest < 2 || i + 1 >= length)
        return;
    int second = fold(s, PyUnicode_READ(kind, data, i + 1));
    int pair = folded * ASCII + second;
    if (second == OTHER || !(s->pair_bits[pair / 64] >> (pair % 64) & 1))
        return;
    uint32_t window = (uint32_t)folded << 8 | (uint32_t)second;
    for (int k = 2;; k++) {
        if ((first = find_key(s, key_of(window, k))) >= 0)
            match_key(s, first, kind, data, length, i, found);
        if (k == longest || i + k >= length)
            return;
        int next = fold(s, PyUnicode_READ(kind, data, i + k));
        if (next == OTHER)
            return;
        window = window << 8 | (uint32_t)next;
    }
}

/* The runs (as bits) whose class the character at ``i`` is in (``ascii``: the bits of each ASCII
 * character, ``digits``: those of a decimal digit outside ASCII), as ``runs_of`` (the runs it
 * belongs to) and ``runs_counting`` (the runs that count it) read them. */
static inline uint64_t
run_bits(const uint64_t *ascii, uint64_t digits, int kind, const void *data, Py_ssize_t i)
{
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (c < ASCII)
        return ascii[c];
    return (kind != PyUnicode_1BYTE_KIND && Py_UNICODE_ISDECIMAL(c)) ? digits : 0;
}

#define runs_of(s, kind, data, i) run_bits((s)->run_classes, (s)->digit_runs, (kind), (data), (i))
#define runs_counting(s, kind, data, i) run_bits((s)->run_counted, (s)->counted_digit_runs, (kind), (data), (i))

/* Hit the runs of ``pending`` that the maximal run [start, end) of their class holds (long
 * enough, with enough counted characters); return the others. */
static inline uint64_t
hit_runs(Scanner *s, uint64_t pending, int kind, const void *data, Py_ssize_t start, Py_ssize_t end, int *found)
{
    for (uint64_t left = pending; left; left &= left - 1) {
        int r = lowest_bit(left);
        uint64_t flag = (uint64_t)1 << r;
        if (end - start < s->runs[r].min_length)
            continue;
        Py_ssize_t counted = 0;
        for (Py_ssize_t j = start; j < end && counted < s->runs[r].min_count; j++)
            counted += (runs_counting(s, kind, data, j) & flag) != 0;
        if (counted >= s->runs[r].min_count) {
            hit(s, s->runs[r].bit);
            pending &= ~flag;
            *found = 1;
        }
    }
    return pending;
}

/* The runs a string holds, for each class of ``classes`` (bits of run_class: those beyond the
 * lanes, see scan_latin1). A maximal run long enough for a run of its class (``step`` characters)
 * covers one of every ``step`` consecutive positions, so the class is tested there only: where a
 * character is in it, its maximal run is measured (back to a character outside it, at most
 * ``step`` back, and on to its end) and its characters counted if it is long enough. The next
 * test is ``step`` after its end. Text is thus read about once per ``step`` characters per class,
 * and a run's characters twice more at most. */
static inline int
find_runs(Scanner *s, const int kind, const void *data, Py_ssize_t length, uint64_t classes)
{
    int found = 0;
    for (; classes; classes &= classes - 1) {
        int g = lowest_bit(classes);
        const RunClass *group = &s->run_class[g];
        uint64_t member = group->member, pending = group->runs;
        Py_ssize_t step = group->step;
        for (Py_ssize_t p = step - 1; p < length && pending;) {
            if (!(runs_of(s, kind, data, p) & member)) {
                p += step;
                continue;
            }
            Py_ssize_t start = p, end = p + 1;
            while (start > 0 && (runs_of(s, kind, data, start - 1) & member))
                start--;
            while (end < length && (runs_of(s, kind, data, end) & member))
                end++;
            if (end - start >= step)
                pending = hit_runs(s, pending, kind, data, start, end, &found);
            p = end + step;
        }
    }
    return found;
}

/* Scan one string of one kind (a constant where this is inlined, so that PyUnicode_READ is a
 * plain load) for literals; return whether it holds one (marked in s->hits). Only characters
 * that may start a literal are looked at (``interesting``). */
static inline int
scan_kind(Scanner *s, const int kind, const void *data, Py_ssize_t length)
{
    const unsigned char *interesting = s->interesting, *fold_ascii = s->fold_ascii;
    int found = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        int folded;
        if (c < ASCII) {
            if (!interesting[c])
                continue;
            folded = fold_ascii[c];
        } else {
            folded = fold(s, c);
        }
        if (folded != OTHER && s->longest_key[folded])
            match_literals(s, folded, kind, data, length, i, &found);
    }
    return found;
}

/* match_key on 1-byte text, out of line: most of the places where the scan's first test passes
 * hold no key, and are told at little cost (literals_ending_at). */
static NOINLINE void
match_key_latin1(Scanner *s, int32_t at, const Py_UCS1 *bytes, Py_ssize_t length, Py_ssize_t start, int *found)
{
    match_key(s, at, PyUnicode_1BYTE_KIND, bytes, length, start, found);
}

/* The literals that may end at ``i`` of 1-byte text, where the scan's first test passed
 * (``window``: the last four characters folded). Kept out of the scan's loop, which it would slow
 * down. */
static NOINLINE void
literals_ending_at(Scanner *s, const Py_UCS1 *bytes, Py_ssize_t length, Py_ssize_t i, uint32_t window, int *found)
{
    int32_t first;
    uint32_t hash = window_hash(window);
    if (i >= 3 && test_bit(s->ends, quad_end(hash)) && (first = find_key(s, window)) >= 0)
        match_key_latin1(s, first, bytes, length, i - 3, found);
    if (!test_bit(s->ends, short_end(hash)))
        return;
    if (i >= 2 && (first = find_key(s, key_of(window, 3))) >= 0)
        match_key_latin1(s, first, bytes, length, i - 2, found);
    if (s->has_pairs && i >= 1 && (first = find_key(s, key_of(window, 2))) >= 0)
        match_key_latin1(s, first, bytes, length, i - 1, found);
}

/* The anchors of the literals of one character that byte ``c`` is. */
static inline void
hit_byte(Scanner *s, int c)
{
    for (int32_t j = s->byte_start[c]; j < s->byte_start[c + 1]; j++)
        hit(s, s->byte_anchors[j]);
}

/* The literals of one character whose bytes a string of 1-byte text holds (``slots``, bits of
 * slot_byte; OVERFLOW_SLOT's bytes are looked for in the string). */
static NOINLINE void
match_slots(Scanner *s, uint64_t slots, const Py_UCS1 *bytes, Py_ssize_t length, int *found)
{
    for (; slots; slots &= slots - 1) {
        int slot = lowest_bit(slots);
        if (slot < s->slot_count) {
            hit_byte(s, s->slot_byte[slot]);
            continue;
        }
        for (Py_ssize_t i = 0; i < length; i++)
            if (s->overflows[bytes[i]])
                hit_byte(s, bytes[i]);
    }
    *found = 1;
}

/* The runs of class ``g`` in the maximal run of its class around ``i``, unless it was measured
 * already (up to ``measured``, then moved on to its end). */
static inline void
measure_run(Scanner *s, const int kind, const void *data, Py_ssize_t length, int g, Py_ssize_t i,
            Py_ssize_t *measured, uint64_t *done, int *found)
{
    const RunClass *group = &s->run_class[g];
    if (i < *measured)
        return;
    Py_ssize_t start = i, end = i + 1;
    while (start > 0 && (runs_of(s, kind, data, start - 1) & group->member))
        start--;
    while (end < length && (runs_of(s, kind, data, end) & group->member))
        end++;
    *measured = end;
    uint64_t pending = group->runs & ~*done;
    if (pending && end - start >= group->step)
        *done |= pending & ~hit_runs(s, pending, kind, data, start, end, found);
}

/* The lanes whose count reached its threshold at ``i`` (``reached``: their top bits, see
 * scan_latin1): the maximal runs of their classes there are measured. */
static NOINLINE void
runs_reached(Scanner *s, int kind, const void *data, Py_ssize_t length, Py_ssize_t i, uint64_t low, uint64_t high,
             Py_ssize_t *measured, uint64_t *done, int *found)
{
    for (int lane = 0; lane < s->lane_count; lane++)
        if ((lane < 8 ? low : high) >> (8 * (lane % 8) + 7) & 1)
            for (uint64_t classes = s->lane_classes[lane]; classes; classes &= classes - 1) {
                int g = lowest_bit(classes);
                switch (kind) {
                case PyUnicode_1BYTE_KIND:
                    measure_run(s, PyUnicode_1BYTE_KIND, data, length, g, i, &measured[g], done, found);
                    break;
                case PyUnicode_2BYTE_KIND:
                    measure_run(s, PyUnicode_2BYTE_KIND, data, length, g, i, &measured[g], done, found);
                    break;
                default:
                    measure_run(s, PyUnicode_4BYTE_KIND, data, length, g, i, &measured[g], done, found);
                }
            }
}

/* A count whose top bit is set starts again from where it started (``from``). */
static inline uint64_t
restart_reached(uint64_t counts, uint64_t from)
{
    uint64_t reached = (counts & 0x8080808080808080u) >> 7;
    uint64_t lanes = reached * 0xFF;
    return (counts & ~lanes) | (from & lanes);
}

/* Scan 1-byte text (nearly every string) in one pass, a few cycles a character whatever the
 * number of literals and runs, with one branch taken at a few characters in a hundred:
 *
 * - Literals: the last four (folded) characters, a byte each in a word (a shift and an or), are
 *   multiplied by a constant, and the top bits of the product looked up in a bitmap where the
 *   first four characters of every literal longer than three may end, other bits of it in a
 *   bitmap where every literal of three or two (whatever comes before it) may; only there are
 *   keys looked up (literals_ending_at: at about one character in ten of the bundled corpus with
 *   the default ruleset, where two in five hold no key). Bytes that are a literal of their own (",",
 *   ":", "=", "@": common in event text) are only noted, in a bitmask, and looked up once per
 *   string. All the loop reads of a byte is in one place (ByteRuns).
 * - Runs: the length of the current run of each class (or the characters in it that its runs
 *   count, see lane_of) is counted in a byte of two words, from 128 less what a run needs, so
 *   that the top bit is set where the run may hold one; the count then starts again (no byte
 *   carries into the next). Only there (a few places in a string) are the maximal runs of the
 *   classes measured and their runs looked at, once per maximal run. Classes beyond LANES are
 *   looked for by find_runs. */
static ALWAYS_INLINE int
scan_latin1_counting(Scanner *s, const Py_UCS1 *bytes, Py_ssize_t length, const int words)
{
    const uint64_t tops = 0x8080808080808080u;
    uint64_t low = s->count_from[0], high = s->count_from[1], runs_done = 0, slots = 0;
    Py_ssize_t measured[MAX_RUNS]; /* see measure_run; valid once runs_reached is first called */
    int measuring = 0;
    uint32_t window = 0; /* the last four characters folded, a byte each (0 before the start) */
    int found = 0;
    const ByteRuns *table = s->byte_runs;
    const uint64_t *ends = s->ends;
    for (Py_ssize_t i = 0; i < length; i++) {
        const ByteRuns *runs = &table[bytes[i]];
        window = window << 8 | (uint32_t)runs->fold;
        slots |= runs->slot;
        low = ((low + runs->adds[0]) & runs->in[0]) | runs->restart[0];
        if (words == 2)
            high = ((high + runs->adds[1]) & runs->in[1]) | runs->restart[1];
        uint32_t hash = window_hash(window);
        if (test_bit(ends, quad_end(hash)) | test_bit(ends, short_end(hash)))
            literals_ending_at(s, bytes, length, i, window, &found);
        if ((words == 2 ? low | high : low) & tops) {
            if (!measuring) {
                memset(measured, 0, sizeof(measured));
                measuring = 1;
            }
            runs_reached(s, PyUnicode_1BYTE_KIND, bytes, length, i, low, high, measured, &runs_done, &found);
            low = restart_reached(low, s->count_from[0]);
            high = restart_reached(high, s->count_from[1]);
        }
    }
    if (slots)
        match_slots(s, slots, bytes, length, &found);
    uint64_t others = ALL_CLASSES(s) & ~s->tracked_classes;
    return found | (others ? find_runs(s, PyUnicode_1BYTE_KIND, bytes, length, others) : 0);
}

/* The runs of 2- or 4-byte text: counted as in scan_latin1 (a character beyond ASCII is in a
 * class, and counted, only as a decimal digit). */
static inline int
runs_wide(Scanner *s, const int kind, const void *data, Py_ssize_t length)
{
    static const ByteRuns none;
    const uint64_t tops = 0x8080808080808080u;
    uint64_t low = s->count_from[0], high = s->count_from[1], runs_done = 0;
    Py_ssize_t measured[MAX_RUNS];
    int found = 0;
    memset(measured, 0, sizeof(measured));
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        const ByteRuns *runs = c < ASCII ? &s->byte_runs[c] : Py_UNICODE_ISDECIMAL(c) ? &s->wide_digit : &none;
        low = ((low + runs->adds[0]) & runs->in[0]) | (s->count_from[0] & ~runs->in[0]);
        high = ((high + runs->adds[1]) & runs->in[1]) | (s->count_from[1] & ~runs->in[1]);
        if ((low | high) & tops) {
            runs_reached(s, kind, data, length, i, low, high, measured, &runs_done, &found);
            low = restart_reached(low, s->count_from[0]);
            high = restart_reached(high, s->count_from[1]);
        }
    }
    uint64_t others = ALL_CLASSES(s) & ~s->tracked_classes;
    return found | (others ? find_runs(s, kind, data, length, others) : 0);
}

/* (With at most eight lanes, the second word of counts is left out of the loop: the loop is
 * inlined into each call, ``words`` a constant there.) */
static NOINLINE int
scan_latin1(Scanner *s, const Py_UCS1 *bytes, Py_ssize_t length)
{
    return s->lane_count <= 8 ? scan_latin1_counting(s, bytes, length, 1) : scan_latin1_counting(s, bytes, length, 2);
}

/* The anchors (literals and runs) of one string; whether it holds any (marked in s->hits). */
static int
scan_text(Scanner *s, int kind, const void *data, Py_ssize_t length)
{
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        return scan_latin1(s, data, length);
    case PyUnicode_2BYTE_KIND:
        return scan_kind(s, PyUnicode_2BYTE_KIND, data, length) | runs_wide(s, PyUnicode_2BYTE_KIND, data, length);
    default:
        return scan_kind(s, PyUnicode_4BYTE_KIND, data, length) | runs_wide(s, PyUnicode_4BYTE_KIND, data, length);
    }
}

/* Whether every group of probe ``p`` but the first holds an anchor marked in s->hits. A string
 * holds a few anchors, a scanner thousands: the anchors found are looked up in the group, unless
 * there are more of them than words in a set of anchors. */
static inline int
other_groups_hold(const Scanner *s, Py_ssize_t p)
{
    for (Py_ssize_t g = s->group_start[p] + 1; g < s->group_start[p + 1]; g++) {
        const uint64_t *group = s->groups + g * s->anchor_words;
        int holds = 0;
        if (s->hit_count < s->anchor_words)
            for (Py_ssize_t h = 0; h < s->hit_count && !holds; h++)
                holds = test_bit(group, (uint32_t)s->hit_list[h]);
        else
            for (Py_ssize_t w = 0; w < s->anchor_words && !holds; w++)
                holds = (group[w] & s->hits[w]) != 0;
        if (!holds)
            return 0;
    }
    return 1;
}

/* The mask s->mask as a new int. */
static PyObject *
new_mask_int(Scanner *s)
{
    Py_ssize_t words = s->mask_words;
    while (words > 1 && s->mask[words - 1] == 0)
        words--;
    for (Py_ssize_t w = 0; w < words; w++)
        for (int b = 0; b < 8; b++)
            s->mask_bytes[w * 8 + b] = (unsigned char)(s->mask[w] >> (8 * b));
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_FromUnsignedNativeBytes(s->mask_bytes, words * 8,
                                          Py_ASNATIVEBYTES_LITTLE_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER);
#else
    return _PyLong_FromByteArray(s->mask_bytes, words * 8, 1, 0);
#endif
}

/* The mask s->mask as an int (its words as little-endian bytes, whatever the machine's order).
 * The strings of events are flagged for a few sets of probes, over and over: the int of each mask
 * is kept (by a hash of the mask, one a place), and given again for the same mask. */
static PyObject *
mask_as_int(Scanner *s)
{
    uint64_t hash = 0;
    for (Py_ssize_t w = 0; w < s->mask_words; w++)
        hash = (hash ^ s->mask[w]) * 0x9E3779B97F4A7C15u;
    int place = (int)(hash >> 58); /* of MASK_CACHE */
    uint64_t *cached = s->cached_masks + place * s->mask_words;
    if (s->cached_ints[place] != NULL && memcmp(cached, s->mask, s->mask_words * sizeof(uint64_t)) == 0)
        return Py_NewRef(s->cached_ints[place]);
    PyObject *mask = new_mask_int(s);
    if (mask != NULL) {
        Py_XSETREF(s->cached_ints[place], Py_NewRef(mask));
        memcpy(cached, s->mask, s->mask_words * sizeof(uint64_t));
    }
    return mask;
}

/* The probes holding in the string just scanned, as an int (NULL with an error set, or None
 * when there is none): only the probes whose first group holds an anchor found are looked at.
 * s->hits is cleared. */
static PyObject *
take_probes(Scanner *s)
{
    int any = 0;
    for (Py_ssize_t h = 0; h < s->hit_count; h++) {
        Py_ssize_t anchor = s->hit_list[h];
        for (Py_ssize_t i = s->first_start[anchor]; i < s->first_start[anchor + 1]; i++) {
            Py_ssize_t p = s->first_probes[i], bit = s->probe_bits[p];
            uint64_t flag = (uint64_t)1 << (bit % 64);
            if (!(s->mask[bit / 64] & flag) && other_groups_hold(s, p)) {
                s->mask[bit / 64] |= flag;
                any = 1;
            }
        }
    }
    for (Py_ssize_t h = 0; h < s->hit_count; h++)
        s->hits[s->hit_list[h] / 64] = 0;
    s->hit_count = 0;
    PyObject *mask = any ? mask_as_int(s) : Py_NewRef(Py_None);
    if (any)
        memset(s->mask, 0, s->mask_words * sizeof(uint64_t));
    return mask;
}

static PyObject *
Scanner_scan(Scanner *s, PyObject *texts)
{
    if (!s->built) {
        PyErr_SetString(PyExc_RuntimeError, "AnchorScanner was not built");
        return NULL;
    }
    PyObject *items = PySequence_Fast(texts, "texts must be a sequence of str");
    if (items == NULL)
        return NULL;
    PyObject *found = PyDict_New();
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    for (Py_ssize_t i = 0; i < count && found != NULL; i++) {
        PyObject *text = PySequence_Fast_GET_ITEM(items, i);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts must be str, not %.100s", Py_TYPE(text)->tp_name);
            Py_CLEAR(found);
            break;
        }
        int found_any = scan_text(s, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text));
        if (s->non_ascii >= 0 && !PyUnicode_IS_ASCII(text)) {
            hit(s, s->non_ascii);
            found_any = 1;
        }
        if (!found_any)
            continue;
        PyObject *mask = take_probes(s);
        if (mask == Py_None) {
            Py_DECREF(mask);
            continue;
        }
        PyObject *index = mask ? PyLong_FromSsize_t(i) : NULL;
        if (index == NULL || PyDict_SetItem(found, index, mask) < 0)
            Py_CLEAR(found);
        Py_XDECREF(index);
        Py_XDECREF(mask);
    }
    Py_DECREF(items);
    return found;
}

static void
Scanner_dealloc(Scanner *s)
{
    PyMem_Free(s->keys);
    PyMem_Free(s->key_first);
    PyMem_Free(s->key_end);
    PyMem_Free(s->key_literals);
    PyMem_Free(s->byte_anchors);
    for (Py_ssize_t i = 0; i < s->literal_count; i++)
        PyMem_Free(s->literals[i].text);
    PyMem_Free(s->literals);
    PyMem_Free(s->probe_bits);
    PyMem_Free(s->first_start);
    PyMem_Free(s->first_probes);
    PyMem_Free(s->mask);
    PyMem_Free(s->mask_bytes);
    PyMem_Free(s->cached_masks);
    for (int place = 0; place < MASK_CACHE; place++)
        Py_XDECREF(s->cached_ints[place]);
    PyMem_Free(s->hit_list);
    PyMem_Free(s->group_start);
    PyMem_Free(s->groups);
    PyMem_Free(s->hits);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_O,
     "scan(texts) -> {index: bitmask of the probes the string at index holds}, for strings holding one"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rules_engine.scrub._prefilter.AnchorScanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "AnchorScanner(literals, runs, folds, probes): the probes each string holds (see prefilter.py)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_prefilter", "The scrubber prefilter's scan in C (see prefilter.py).", -1, NULL,
};

PyMODINIT_FUNC
PyInit__prefilter(void)
{
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "AnchorScanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
