/*
 * geoverify.stats._ckernels — fused counting kernels over decoded raster windows.
 *
 * One pass over a window, no temporaries, the GIL released: the threads of
 * geoverify.io.scan count in parallel while GDAL decodes the next windows.
 * Python's buffer protocol only (no numpy C API), so the extension builds
 * against any numpy and imports in well under a millisecond.
 *
 * The Python side (geoverify/stats/kernels.py) validates dtypes, shapes and
 * contiguity, builds the nodata lookup tables and holds the counting rules;
 * each function here repeats the size checks it relies on for memory safety.
 *
 * Element types are given by their buffer format character:
 *   'B' uint8, 'b' int8, 'H' uint16, 'h' int16, 'f' float32, 'd' float64.
 * Values of 8/16-bit types are indexed as value + offset (offset 128 / 32768
 * for signed types), so lookup tables have 2**bits entries.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ buffers */

typedef struct {
    Py_buffer view;
    char type;     /* format character */
    int held;
} Buf;

static char
format_type(const Py_buffer *v)
{
    const char *f = v->format ? v->format : "B";
    /* skip byte-order / alignment prefixes of the native order */
    while (*f == '@' || *f == '=' || *f == '<' || *f == '|')
        f++;
    if (f[0] == '\0' || f[1] != '\0')
        return 0;
    switch (f[0]) {
    case 'B': case 'b': case 'H': case 'h': case 'f': case 'd':
        return f[0];
    case '?':
        return 'B';
    case 'q': case 'l':
        return (v->itemsize == 8) ? 'q' : 0;
    default:
        return 0;
    }
}

static int
get_buf(PyObject *obj, Buf *b, int writable, const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    b->held = 0;
    if (PyObject_GetBuffer(obj, &b->view, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous%s buffer is needed", name,
                     writable ? " writable" : "");
        return -1;
    }
    b->held = 1;
    b->type = format_type(&b->view);
    if (b->type == 0) {
        PyErr_Format(PyExc_TypeError, "%s: unsupported element type '%s'", name,
                     b->view.format ? b->view.format : "?");
        PyBuffer_Release(&b->view);
        b->held = 0;
        return -1;
    }
    return 0;
}

static void
release(Buf *b)
{
    if (b->held) {
        PyBuffer_Release(&b->view);
        b->held = 0;
    }
}

static Py_ssize_t
count_of(const Buf *b)
{
    return b->view.itemsize ? b->view.len / b->view.itemsize : 0;
}

static int
small_int(char t)
{
    return t == 'B' || t == 'b' || t == 'H' || t == 'h';
}

static Py_ssize_t
table_size(char t)
{
    return (t == 'B' || t == 'b') ? 256 : 65536;
}

/* value + offset of element i of a small-integer buffer */
static inline Py_ssize_t
index_of(const void *p, Py_ssize_t i, char t)
{
    switch (t) {
    case 'B': return ((const uint8_t *)p)[i];
    case 'b': return (Py_ssize_t)((const int8_t *)p)[i] + 128;
    case 'H': return ((const uint16_t *)p)[i];
    default: return (Py_ssize_t)((const int16_t *)p)[i] + 32768;
    }
}

static int
need(int ok, const char *message)
{
    if (!ok)
        PyErr_SetString(PyExc_ValueError, message);
    return ok;
}

/* ------------------------------------------------------------------ pair_hist_u8 */

PyDoc_STRVAR(pair_hist_u8_doc,
"pair_hist_u8(a, b, out)\n\n"
"Add the histogram of the codes a << 8 | b of two uint8 buffers of equal length\n"
"to out (65,536 int64 bins).");

static PyObject *
pair_hist_u8(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob, *oo;
    Buf a, b, o;
    if (!PyArg_ParseTuple(args, "OOO", &oa, &ob, &oo))
        return NULL;
    if (get_buf(oa, &a, 0, "a") < 0)
        return NULL;
    if (get_buf(ob, &b, 0, "b") < 0) {
        release(&a);
        return NULL;
    }
    if (get_buf(oo, &o, 1, "out") < 0) {
        release(&a);
        release(&b);
        return NULL;
    }
    PyObject *result = NULL;
    if (need(a.type == 'B' && b.type == 'B', "a and b must be uint8") &&
        need(count_of(&a) == count_of(&b), "a and b must have the same size") &&
        need(o.type == 'q' && count_of(&o) == 65536, "out must be 65536 int64")) {
        const uint8_t *pa = a.view.buf, *pb = b.view.buf;
        int64_t *out = o.view.buf;
        Py_ssize_t n = count_of(&a);
        Py_BEGIN_ALLOW_THREADS
        /* a plain loop: as fast as split sub-histograms on runs of one code (measured) */
        for (Py_ssize_t i = 0; i < n; i++)
            out[((unsigned)pa[i] << 8) | pb[i]]++;
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    release(&a);
    release(&b);
    release(&o);
    return result;
}

/* ------------------------------------------------------------------ class_hist */

PyDoc_STRVAR(class_hist_doc,
"class_hist(a, out)\n\n"
"Add the histogram of value + offset of an 8/16-bit integer buffer to out\n"
"(2**bits int64 bins; offset 128 or 32768 for signed types, 0 otherwise).");

static PyObject *
class_hist(PyObject *self, PyObject *args)
{
    PyObject *oa, *oo;
    Buf a, o;
    if (!PyArg_ParseTuple(args, "OO", &oa, &oo))
        return NULL;
    if (get_buf(oa, &a, 0, "a") < 0)
        return NULL;
    if (get_buf(oo, &o, 1, "out") < 0) {
        release(&a);
        return NULL;
    }
    PyObject *result = NULL;
    if (need(small_int(a.type), "a must be uint8, int8, uint16 or int16") &&
        need(o.type == 'q' && count_of(&o) == table_size(a.type),
             "out must be int64 with 2**bits bins")) {
        const void *pa = a.view.buf;
        int64_t *out = o.view.buf;
        Py_ssize_t n = count_of(&a);
        char t = a.type;
        Py_BEGIN_ALLOW_THREADS
        if (t == 'B') {
            const uint8_t *p = pa;
            int64_t h[4][256];
            memset(h, 0, sizeof h);
            Py_ssize_t i = 0;
            for (; i + 4 <= n; i += 4) {
                h[0][p[i]]++;
                h[1][p[i + 1]]++;
                h[2][p[i + 2]]++;
                h[3][p[i + 3]]++;
            }
            for (; i < n; i++)
                h[0][p[i]]++;
            for (int k = 0; k < 256; k++)
                out[k] += h[0][k] + h[1][k] + h[2][k] + h[3][k];
        } else {
            for (Py_ssize_t i = 0; i < n; i++)
                out[index_of(pa, i, t)]++;
        }
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    release(&a);
    release(&o);
    return result;
}

/* ------------------------------------------------------------------ valid counts */

PyDoc_STRVAR(valid_lut_doc,
"valid_lut(a, invalid) -> int\n\n"
"Number of elements of an 8/16-bit integer buffer whose entry in the lookup table\n"
"`invalid` (uint8/bool, 2**bits entries, indexed by value + offset) is 0.");

static PyObject *
valid_lut(PyObject *self, PyObject *args)
{
    PyObject *oa, *ol;
    Buf a, l;
    if (!PyArg_ParseTuple(args, "OO", &oa, &ol))
        return NULL;
    if (get_buf(oa, &a, 0, "a") < 0)
        return NULL;
    if (get_buf(ol, &l, 0, "invalid") < 0) {
        release(&a);
        return NULL;
    }
    PyObject *result = NULL;
    if (need(small_int(a.type), "a must be uint8, int8, uint16 or int16") &&
        need(l.type == 'B' && count_of(&l) == table_size(a.type),
             "invalid must be bool/uint8 with 2**bits entries")) {
        const void *pa = a.view.buf;
        const uint8_t *lut = l.view.buf;
        Py_ssize_t n = count_of(&a), bad = 0;
        char t = a.type;
        Py_BEGIN_ALLOW_THREADS
        if (t == 'B') {
            const uint8_t *p = pa;
            for (Py_ssize_t i = 0; i < n; i++)
                bad += lut[p[i]] != 0;
        } else {
            for (Py_ssize_t i = 0; i < n; i++)
                bad += lut[index_of(pa, i, t)] != 0;
        }
        Py_END_ALLOW_THREADS
        result = PyLong_FromSsize_t(n - bad);
    }
    release(&a);
    release(&l);
    return result;
}

PyDoc_STRVAR(valid_float_doc,
"valid_float(a, nodata) -> int\n\n"
"Number of finite elements of a float32/float64 buffer equal to none of the\n"
"values of `nodata` (a float64 buffer, possibly empty).");

static PyObject *
valid_float(PyObject *self, PyObject *args)
{
    PyObject *oa, *on;
    Buf a, nd;
    if (!PyArg_ParseTuple(args, "OO", &oa, &on))
        return NULL;
    if (get_buf(oa, &a, 0, "a") < 0)
        return NULL;
    if (get_buf(on, &nd, 0, "nodata") < 0) {
        release(&a);
        return NULL;
    }
    PyObject *result = NULL;
    if (need(a.type == 'f' || a.type == 'd', "a must be float32 or float64") &&
        need(nd.type == 'd', "nodata must be float64")) {
        const double *nv = nd.view.buf;
        Py_ssize_t m = count_of(&nd), n = count_of(&a), good = 0;
        char t = a.type;
        const void *pa = a.view.buf;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            double v = (t == 'f') ? (double)((const float *)pa)[i] : ((const double *)pa)[i];
            if (!isfinite(v))
                continue;
            int ok = 1;
            for (Py_ssize_t k = 0; k < m; k++) {
                /* compared in the array's own precision, as numpy compares them */
                if (t == 'f' ? ((float)v == (float)nv[k]) : (v == nv[k])) {
                    ok = 0;
                    break;
                }
            }
            good += ok;
        }
        Py_END_ALLOW_THREADS
        result = PyLong_FromSsize_t(good);
    }
    release(&a);
    release(&nd);
    return result;
}

/* ------------------------------------------------------------------ pair counts */

PyDoc_STRVAR(pair_range_doc,
"pair_range(a, b, invalid_a, invalid_b) -> (lo_a, hi_a, lo_b, hi_b, excluded)\n\n"
"Over the pairs of two 8/16-bit integer buffers where neither lookup table marks\n"
"the value invalid: the range of value + offset on each side (hi < 0 when no pair\n"
"is valid), and the number of excluded pairs.");

PyDoc_STRVAR(pair_dense_doc,
"pair_dense(a, b, invalid_a, invalid_b, lo_a, lo_b, out)\n\n"
"Add the counts of valid pairs to the dense int64 table out (rows: value + offset\n"
"of a minus lo_a; columns: of b minus lo_b; C order).");

typedef struct {
    Buf a, b, la, lb;
} PairBufs;

static int
get_pair(PyObject *oa, PyObject *ob, PyObject *ola, PyObject *olb, PairBufs *p)
{
    p->a.held = p->b.held = p->la.held = p->lb.held = 0;
    if (get_buf(oa, &p->a, 0, "a") < 0 || get_buf(ob, &p->b, 0, "b") < 0 ||
        get_buf(ola, &p->la, 0, "invalid_a") < 0 || get_buf(olb, &p->lb, 0, "invalid_b") < 0)
        return -1;
    if (!need(small_int(p->a.type) && small_int(p->b.type),
              "a and b must be uint8, int8, uint16 or int16") ||
        !need(count_of(&p->a) == count_of(&p->b), "a and b must have the same size") ||
        !need(p->la.type == 'B' && count_of(&p->la) == table_size(p->a.type),
              "invalid_a must be bool/uint8 with 2**bits entries") ||
        !need(p->lb.type == 'B' && count_of(&p->lb) == table_size(p->b.type),
              "invalid_b must be bool/uint8 with 2**bits entries"))
        return -1;
    return 0;
}

static void
release_pair(PairBufs *p)
{
    release(&p->a);
    release(&p->b);
    release(&p->la);
    release(&p->lb);
}

static PyObject *
pair_range(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob, *ola, *olb;
    PairBufs p;
    if (!PyArg_ParseTuple(args, "OOOO", &oa, &ob, &ola, &olb))
        return NULL;
    if (get_pair(oa, ob, ola, olb, &p) < 0) {
        release_pair(&p);
        return NULL;
    }
    Py_ssize_t lo_a = PY_SSIZE_T_MAX, hi_a = -1, lo_b = PY_SSIZE_T_MAX, hi_b = -1, excluded = 0;
    const void *pa = p.a.view.buf, *pb = p.b.view.buf;
    const uint8_t *la = p.la.view.buf, *lb = p.lb.view.buf;
    char ta = p.a.type, tb = p.b.type;
    Py_ssize_t n = count_of(&p.a);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t x = index_of(pa, i, ta), y = index_of(pb, i, tb);
        if (la[x] | lb[y]) {
            excluded++;
            continue;
        }
        if (x < lo_a) lo_a = x;
        if (x > hi_a) hi_a = x;
        if (y < lo_b) lo_b = y;
        if (y > hi_b) hi_b = y;
    }
    Py_END_ALLOW_THREADS
    release_pair(&p);
    if (hi_a < 0)
        lo_a = lo_b = 0;
    return Py_BuildValue("nnnnn", lo_a, hi_a, lo_b, hi_b, excluded);
}

static PyObject *
pair_dense(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob, *ola, *olb, *oo;
    Py_ssize_t lo_a, lo_b;
    PairBufs p;
    Buf o;
    o.held = 0;
    if (!PyArg_ParseTuple(args, "OOOOnnO", &oa, &ob, &ola, &olb, &lo_a, &lo_b, &oo))
        return NULL;
    if (get_pair(oa, ob, ola, olb, &p) < 0 || get_buf(oo, &o, 1, "out") < 0) {
        release_pair(&p);
        release(&o);
        return NULL;
    }
    PyObject *result = NULL;
    if (need(o.type == 'q' && o.view.ndim == 2, "out must be a 2-D int64 table") &&
        need(lo_a >= 0 && lo_a < 65536 && lo_b >= 0 && lo_b < 65536,
             "lo_a and lo_b must be table indexes (0 to 65535)")) {
        Py_ssize_t rows = o.view.shape[0], cols = o.view.shape[1];
        const void *pa = p.a.view.buf, *pb = p.b.view.buf;
        const uint8_t *la = p.la.view.buf, *lb = p.lb.view.buf;
        char ta = p.a.type, tb = p.b.type;
        Py_ssize_t n = count_of(&p.a), outside = 0;
        int64_t *out = o.view.buf;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t x = index_of(pa, i, ta), y = index_of(pb, i, tb);
            if (la[x] | lb[y])
                continue;
            x -= lo_a;
            y -= lo_b;
            if (x < 0 || y < 0 || x >= rows || y >= cols) {
                outside++;   /* never with the range of pair_range: memory safety only */
                continue;
            }
            out[x * cols + y]++;
        }
        Py_END_ALLOW_THREADS
        if (need(outside == 0, "a pair falls outside the table (lo_a/lo_b/shape wrong)"))
            result = Py_NewRef(Py_None);
    }
    release_pair(&p);
    release(&o);
    return result;
}

/* ------------------------------------------------------------------ tally */

PyDoc_STRVAR(tally_doc,
"tally(arrays, codes, land, land_mask, land_rows, land_cols, land_bit, row_area,\n"
"      out_area, out_count)\n\n"
"Area-weighted histogram of per-pixel codes over a window of H rows.\n\n"
"The code of a pixel is the OR of codes[k][value of arrays[k] + offset] over the\n"
"k arrays (8/16-bit integers, same size H*W; codes[k] are uint8 tables of\n"
"2**bits entries), OR land_bit where the pixel is land: land is a uint8 array\n"
"of the window (nonzero = land), or None and then land_mask[land_rows[i],\n"
"land_cols[j]] (uint8 2-D, int64 index vectors of H and W entries; a negative\n"
"index = not land), or both None (no land bit).  out_count[code] (int64, 256)\n"
"gets the pixel counts and out_area[code] (float64, 256) the counts of each row\n"
"times row_area[i] (float64, H entries).");

#define MAX_TALLY 64

/* uniform &= every element of the row of array a equals the first; code0 |= its code */
#define UNIFORM_ROW(T, OFF)                                                \
    do {                                                                   \
        const T *p = (const T *)pa[a] + base;                              \
        T first = p[0], diff = 0;                                          \
        /* in chunks: vectorised within, a mixed row is left early */      \
        for (Py_ssize_t c0 = 0; c0 < w && !diff; c0 += 256) {              \
            Py_ssize_t c1 = c0 + 256 < w ? c0 + 256 : w;                   \
            for (Py_ssize_t j = c0; j < c1; j++)                           \
                diff |= (T)(p[j] ^ first);                                 \
        }                                                                  \
        if (diff)                                                          \
            uniform = 0;                                                   \
        else                                                               \
            code0 |= pc[a][(Py_ssize_t)first + (OFF)];                     \
    } while (0)

/* landrow[] = the land bit of each column for mask row prow[i]; land_count = how many */
#define EXPAND_LAND_ROW()                                                  \
    do {                                                                   \
        /* indexes bounded again here: the caller's arrays are read without the GIL */ \
        const uint8_t *m = pmask + (prow[i] < mh ? prow[i] : 0) * mw;      \
        land_count = 0;                                                    \
        for (Py_ssize_t j = 0; j < w; j++) {                               \
            int64_t cj = pcol[j];                                          \
            landrow[j] = (prow[i] < mh && cj >= 0 && cj < mw && m[cj]) ? lb : 0; \
            land_count += landrow[j] != 0;                                 \
        }                                                                  \
        land_row = prow[i];                                                \
    } while (0)

/* OR the codes of one row of array a (element type T, index offset OFF) into code[] */
#define CODE_ROW(T, OFF)                                                   \
    do {                                                                   \
        const T *p = (const T *)pa[a] + base;                              \
        for (Py_ssize_t j = 0; j < w; j++)                                 \
            code[j] |= table[(Py_ssize_t)p[j] + (OFF)];                    \
    } while (0)

static PyObject *
tally(PyObject *self, PyObject *args)
{
    PyObject *oarrays, *ocodes, *oland, *omask, *orows, *ocols, *oarea, *oout_a, *oout_c;
    int land_bit;
    if (!PyArg_ParseTuple(args, "O!O!OOOOiOOO", &PyTuple_Type, &oarrays, &PyTuple_Type, &ocodes,
                          &oland, &omask, &orows, &ocols, &land_bit, &oarea, &oout_a, &oout_c))
        return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(oarrays);
    if (k < 1 || k > MAX_TALLY || PyTuple_GET_SIZE(ocodes) != k) {
        PyErr_SetString(PyExc_ValueError, "arrays and codes: 1 to 64 of each, as many codes as arrays");
        return NULL;
    }
    Buf arr[MAX_TALLY], cod[MAX_TALLY], land, mask, rows, cols, area, out_a, out_c;
    Py_ssize_t got_a = 0, got_c = 0;
    land.held = mask.held = rows.held = cols.held = area.held = out_a.held = out_c.held = 0;
    PyObject *result = NULL;
    for (; got_a < k; got_a++)
        if (get_buf(PyTuple_GET_ITEM(oarrays, got_a), &arr[got_a], 0, "arrays[k]") < 0)
            goto done;
    for (; got_c < k; got_c++)
        if (get_buf(PyTuple_GET_ITEM(ocodes, got_c), &cod[got_c], 0, "codes[k]") < 0)
            goto done;
    if (get_buf(oarea, &area, 0, "row_area") < 0 || get_buf(oout_a, &out_a, 1, "out_area") < 0 ||
        get_buf(oout_c, &out_c, 1, "out_count") < 0)
        goto done;
    if (oland != Py_None && get_buf(oland, &land, 0, "land") < 0)
        goto done;
    if (omask != Py_None && (get_buf(omask, &mask, 0, "land_mask") < 0 ||
                             get_buf(orows, &rows, 0, "land_rows") < 0 ||
                             get_buf(ocols, &cols, 0, "land_cols") < 0))
        goto done;
    Py_ssize_t n = count_of(&arr[0]);
    Py_ssize_t h = count_of(&area);
    if (!need(area.type == 'd' && h > 0 && n % h == 0, "row_area: float64, H entries dividing the size") ||
        !need(out_a.type == 'd' && count_of(&out_a) == 256, "out_area must be 256 float64") ||
        !need(out_c.type == 'q' && count_of(&out_c) == 256, "out_count must be 256 int64") ||
        !need(land_bit >= 0 && land_bit < 256, "land_bit must be a code below 256"))
        goto done;
    Py_ssize_t w = n / h;
    if (!need(w <= (Py_ssize_t)UINT32_MAX, "a window row wider than 2**32 pixels"))
        goto done;
    for (Py_ssize_t j = 0; j < k; j++) {
        if (!need(small_int(arr[j].type), "arrays must be uint8, int8, uint16 or int16") ||
            !need(count_of(&arr[j]) == n, "arrays must have the same size") ||
            !need(cod[j].type == 'B' && count_of(&cod[j]) == table_size(arr[j].type),
                  "codes[k] must be uint8 with 2**bits entries"))
            goto done;
    }
    if (land.held && !need(land.type == 'B' && count_of(&land) == n, "land must be uint8 of the window's size"))
        goto done;
    Py_ssize_t mh = 0, mw = 0;
    if (mask.held) {
        if (!need(mask.type == 'B' && mask.view.ndim == 2, "land_mask must be a 2-D uint8 array") ||
            !need(rows.type == 'q' && count_of(&rows) == h, "land_rows: int64, H entries") ||
            !need(cols.type == 'q' && count_of(&cols) == w, "land_cols: int64, W entries"))
            goto done;
        mh = mask.view.shape[0];
        mw = mask.view.shape[1];
        const int64_t *r = rows.view.buf, *c = cols.view.buf;
        for (Py_ssize_t i = 0; i < h; i++)
            if (!need(r[i] < mh, "land_rows index beyond the mask"))
                goto done;
        for (Py_ssize_t j = 0; j < w; j++)
            if (!need(c[j] < mw, "land_cols index beyond the mask"))
                goto done;
    }
    {
        const void *pa[MAX_TALLY];
        const uint8_t *pc[MAX_TALLY];
        char ta[MAX_TALLY];
        for (Py_ssize_t j = 0; j < k; j++) {
            pa[j] = arr[j].view.buf;
            pc[j] = cod[j].view.buf;
            ta[j] = arr[j].type;
        }
        const uint8_t *pland = land.held ? land.view.buf : NULL;
        const uint8_t *pmask = mask.held ? mask.view.buf : NULL;
        const int64_t *prow = mask.held ? rows.view.buf : NULL;
        const int64_t *pcol = mask.held ? cols.view.buf : NULL;
        const double *parea = area.view.buf;
        double *oa = out_a.view.buf;
        int64_t *oc = out_c.view.buf;
        uint8_t lb = (uint8_t)land_bit;
        int ok = 1;
        if (w == 0) {  /* no columns: nothing to count (and no first element to read) */
            result = Py_NewRef(Py_None);
            goto done;
        }
        Py_BEGIN_ALLOW_THREADS
        uint8_t *code = malloc((size_t)w);
        uint8_t *landrow = malloc((size_t)w);
        int64_t land_row = -1;
        Py_ssize_t land_count = 0;
        if (code == NULL || landrow == NULL) {
            ok = 0;
            free(code);
            free(landrow);
        } else {
            for (Py_ssize_t i = 0; i < h; i++) {
                Py_ssize_t base = i * w;
                /* a row where every array holds one value (ocean, nodata, a flag) has
                   one code but for the land bit: counted without a per-pixel pass */
                int uniform = 1;
                uint8_t code0 = 0;
                for (Py_ssize_t a = 0; a < k && uniform; a++) {
                    switch (ta[a]) {
                    case 'B': UNIFORM_ROW(uint8_t, 0); break;
                    case 'b': UNIFORM_ROW(int8_t, 128); break;
                    case 'H': UNIFORM_ROW(uint16_t, 0); break;
                    default: UNIFORM_ROW(int16_t, 32768); break;
                    }
                }
                if (uniform && pland == NULL) {
                    Py_ssize_t on = 0;
                    if (pmask != NULL && prow[i] >= 0) {
                        if (prow[i] != land_row) {
                            EXPAND_LAND_ROW();
                        }
                        on = land_count;
                    }
                    if (w - on) {
                        oc[code0] += w - on;
                        oa[code0] += (double)(w - on) * parea[i];
                    }
                    if (on) {
                        oc[code0 | lb] += on;
                        oa[code0 | lb] += (double)on * parea[i];
                    }
                    continue;
                }
                /* the first array sets the codes, the others OR into them */
                memset(code, 0, (size_t)w);
                for (Py_ssize_t a = 0; a < k; a++) {
                    const uint8_t *table = pc[a];
                    switch (ta[a]) {
                    case 'B': CODE_ROW(uint8_t, 0); break;
                    case 'b': CODE_ROW(int8_t, 128); break;
                    case 'H': CODE_ROW(uint16_t, 0); break;
                    default: CODE_ROW(int16_t, 32768); break;
                    }
                }
                if (pland != NULL) {
                    const uint8_t *p = pland + base;
                    for (Py_ssize_t j = 0; j < w; j++)
                        code[j] |= p[j] ? lb : 0;
                } else if (pmask != NULL && prow[i] >= 0) {
                    /* rows of the window that fall in the same mask row share its
                       expansion (36 rows per 0.1-degree row on a 1/360-degree grid) */
                    if (prow[i] != land_row) {
                        EXPAND_LAND_ROW();
                    }
                    for (Py_ssize_t j = 0; j < w; j++)
                        code[j] |= landrow[j];
                }
                /* four interleaved sub-histograms: runs of one code (oceans, nodata)
                   do not wait on the previous increment of the same counter */
                uint32_t hist[4][256];
                memset(hist, 0, sizeof hist);
                Py_ssize_t j = 0;
                for (; j + 4 <= w; j += 4) {
                    hist[0][code[j]]++;
                    hist[1][code[j + 1]]++;
                    hist[2][code[j + 2]]++;
                    hist[3][code[j + 3]]++;
                }
                for (; j < w; j++)
                    hist[0][code[j]]++;
                for (int c = 0; c < 256; c++) {
                    int64_t count = (int64_t)hist[0][c] + hist[1][c] + hist[2][c] + hist[3][c];
                    if (count) {
                        oc[c] += count;
                        oa[c] += (double)count * parea[i];
                    }
                }
            }
            free(code);
            free(landrow);
        }
        Py_END_ALLOW_THREADS
        if (ok)
            result = Py_NewRef(Py_None);
        else
            PyErr_NoMemory();
    }
done:
    for (Py_ssize_t j = 0; j < got_a; j++)
        release(&arr[j]);
    for (Py_ssize_t j = 0; j < got_c; j++)
        release(&cod[j]);
    release(&land);
    release(&mask);
    release(&rows);
    release(&cols);
    release(&area);
    release(&out_a);
    release(&out_c);
    return result;
}

/* ------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"pair_hist_u8", pair_hist_u8, METH_VARARGS, pair_hist_u8_doc},
    {"class_hist", class_hist, METH_VARARGS, class_hist_doc},
    {"valid_lut", valid_lut, METH_VARARGS, valid_lut_doc},
    {"valid_float", valid_float, METH_VARARGS, valid_float_doc},
    {"pair_range", pair_range, METH_VARARGS, pair_range_doc},
    {"pair_dense", pair_dense, METH_VARARGS, pair_dense_doc},
    {"tally", tally, METH_VARARGS, tally_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_ckernels",
    "Fused counting kernels over decoded raster windows (GIL released).",
    -1,
    methods,
};

PyMODINIT_FUNC
PyInit__ckernels(void)
{
    return PyModule_Create(&module);
}
