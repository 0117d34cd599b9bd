/* Sector-mode helpers for the decryptors (xts.py, bde_sectors.py): the per-block work around
 * AES that numpy does in many passes (XTS tweaks) or strided steps (CBC restarts), done here in
 * one pass. The AES itself stays in OpenSSL through `cryptography`; no key is ever seen here.
 *
 * Portable C99. Tweaks are 128-bit little-endian numbers (IEEE 1619), kept as two 64-bit words;
 * on big-endian CPUs the words are assembled byte by byte.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define BLOCK 16
/* Tweaks are advanced in this many independent chains: one chain of doublings is a serial
 * dependency the CPU cannot overlap; 4 chains, each stepping by x^4 (times_x4), ran fastest on a
 * Xeon (8 chains run out of registers; SSE2 intrinsics were slower than this scalar code). */
#define LANES 4

/* Little-endian 64-bit words at any address; on little-endian CPUs a plain (unaligned) load. */
static inline uint64_t load64(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24
           | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48
           | (uint64_t)p[7] << 56;
#endif
}

static inline void store64(unsigned char *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8);
#else
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
#endif
}

/* (lo, hi) times x^n in GF(2^128) mod x^128 + x^7 + x^2 + x + 1, for 1 <= n <= 56: the n bits
 * shifted past x^127 come back as over * (x^7 + x^2 + x + 1), which fits in the low word. */
static inline void times_x_to(uint64_t *lo, uint64_t *hi, unsigned n)
{
    uint64_t over = *hi >> (64 - n);
    *hi = *hi << n | *lo >> (64 - n);
    *lo = *lo << n ^ over ^ over << 1 ^ over << 2 ^ over << 7;
}

static int whole_sectors(Py_ssize_t length, Py_ssize_t sector)
{
    if (sector <= 0 || sector % BLOCK || length % sector) {
        PyErr_SetString(PyExc_ValueError, "XTS decrypts whole sectors only");
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(xts_tweaks_doc,
"xts_tweaks(tweaks, sector_size, table)\n--\n\n"
"Write every block's XTS tweak into table (as long as the data, whole sectors): block j of\n"
"sector s gets tweaks[s] * x^j, tweaks holding E_K2(IV) of each sector, 16 bytes apiece.");

/* b * (x^7 + x^2 + x + 1) for the 16 values of 4 bits b: what the bits shifted past x^127 by
 * a multiplication by x^4 come back as (a table: a third faster than the shifts). */
static const uint16_t fold4[16] = {0x00, 0x87, 0x10e, 0x189, 0x21c, 0x29b, 0x312, 0x395,
                                   0x438, 0x4bf, 0x536, 0x5b1, 0x624, 0x6a3, 0x72a, 0x7ad};

static inline void times_x4(uint64_t *lo, uint64_t *hi)
{
    unsigned over = (unsigned)(*hi >> 60);
    *hi = *hi << 4 | *lo >> 60;
    *lo = *lo << 4 ^ fold4[over];
}

/* One sector's tweaks: the first one, (lo, hi), times x^j for block j. */
static void tweak_sector(unsigned char *dst, size_t blocks, uint64_t lo, uint64_t hi)
{
    uint64_t tlo[LANES], thi[LANES];
    size_t j = 0;
    for (int k = 0; k < LANES; k++) {
        tlo[k] = lo;
        thi[k] = hi;
        times_x_to(&lo, &hi, 1);
    }
    for (; j + LANES <= blocks; j += LANES) {
        for (int k = 0; k < LANES; k++) {
            unsigned char *d = dst + (j + k) * BLOCK;
            store64(d, tlo[k]);
            store64(d + 8, thi[k]);
            times_x4(&tlo[k], &thi[k]);
        }
    }
    for (int k = 0; j < blocks; j++, k++) {
        unsigned char *d = dst + j * BLOCK;
        store64(d, tlo[k]);
        store64(d + 8, thi[k]);
    }
}

static PyObject *xts_tweaks(PyObject *self, PyObject *args)
{
    Py_buffer tweaks, table;
    Py_ssize_t sector;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nw*:xts_tweaks", &tweaks, &sector, &table))
        return NULL;
    if (!whole_sectors(table.len, sector))
        goto done;
    Py_ssize_t count = table.len / sector;
    if (tweaks.len < count * BLOCK) {
        PyErr_SetString(PyExc_ValueError, "xts_tweaks: tweaks too short");
        goto done;
    }
    {
        const unsigned char *tw = tweaks.buf;
        unsigned char *out = table.buf;
        size_t blocks = (size_t)sector / BLOCK;
        /* The buffers stay exported (cannot move or shrink) until released below, so other
         * threads may run meanwhile: two readers decrypt on both cores. */
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t s = 0; s < count; s++)
            tweak_sector(out + s * sector, blocks, load64(tw + s * BLOCK),
                         load64(tw + s * BLOCK + 8));
        Py_END_ALLOW_THREADS
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&tweaks);
    PyBuffer_Release(&table);
    return result;
}

PyDoc_STRVAR(counters_doc,
"counters(out, first, step, bits)\n--\n\n"
"Fill out (a multiple of 16 bytes) with 16-byte little-endian numbers: entry n is\n"
"(first + n * step) mod 2^bits (bits 1..64; the upper 8 bytes are zero). The IVs of sectors.");

static PyObject *counters(PyObject *self, PyObject *args)
{
    Py_buffer out;
    unsigned long long first, step;
    int bits;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "w*KKi:counters", &out, &first, &step, &bits))
        return NULL;
    if (out.len % BLOCK || bits < 1 || bits > 64) {
        PyErr_SetString(PyExc_ValueError, "counters: length not a multiple of 16, or bad bits");
        goto done;
    }
    {
        uint64_t mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
        uint64_t value = first;
        unsigned char *p = out.buf;
        Py_ssize_t count = out.len / BLOCK;
        for (Py_ssize_t n = 0; n < count; n++, value += step) {
            store64(p + n * BLOCK, value & mask);
            memset(p + n * BLOCK + 8, 0, 8);
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&out);
    return result;
}

PyDoc_STRVAR(cbc_restart_doc,
"cbc_restart(plain, cipher, ivs, sector_size)\n--\n\n"
"Turn one CBC decryption of cipher with a zero IV (in plain) into per-sector CBC: the first\n"
"block of sector s is XORed with ivs[s] and, for s > 0, with the last cipher block of sector\n"
"s - 1 (what the single CBC pass used instead of the sector's own IV). plain and cipher must\n"
"not overlap.");

static PyObject *cbc_restart(PyObject *self, PyObject *args)
{
    Py_buffer plain, cipher, ivs;
    Py_ssize_t sector;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "w*y*y*n:cbc_restart", &plain, &cipher, &ivs, &sector))
        return NULL;
    if (sector <= 0 || sector % BLOCK || cipher.len % sector) {
        PyErr_SetString(PyExc_ValueError, "CBC decrypts whole sectors only");
        goto done;
    }
    Py_ssize_t count = cipher.len / sector;
    if (plain.len < cipher.len || ivs.len < count * BLOCK) {
        PyErr_SetString(PyExc_ValueError, "cbc_restart: plain or ivs too short");
        goto done;
    }
    {
        unsigned char *out = plain.buf;
        const unsigned char *in = cipher.buf, *iv = ivs.buf;
        for (Py_ssize_t s = 0; s < count; s++) {
            unsigned char *first = out + s * sector;
            for (int i = 0; i < BLOCK; i++)
                first[i] ^= iv[s * BLOCK + i] ^ (s ? in[s * sector - BLOCK + i] : 0);
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&plain);
    PyBuffer_Release(&cipher);
    PyBuffer_Release(&ivs);
    return result;
}

PyDoc_STRVAR(xor_bytes_doc,
"xor_bytes(a, b)\n--\n\n"
"A new bytes object: a XOR b, as long as a (b at least as long). The last XTS pass: it writes\n"
"the bytes handed back, so no copy follows it.");

static PyObject *xor_bytes(PyObject *self, PyObject *args)
{
    Py_buffer a, b;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*:xor_bytes", &a, &b))
        return NULL;
    if (b.len < a.len) {
        PyErr_SetString(PyExc_ValueError, "xor_bytes: b is shorter than a");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, a.len);
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        const unsigned char *x = a.buf, *y = b.buf;
        Py_ssize_t n = a.len, i = 0;
        /* Nobody else sees the new object yet: it is filled without the GIL. */
        Py_BEGIN_ALLOW_THREADS
        for (; i + 8 <= n; i += 8)
            store64(out + i, load64(x + i) ^ load64(y + i));
        for (; i < n; i++)
            out[i] = x[i] ^ y[i];
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}

static PyMethodDef methods[] = {
    {"xts_tweaks", xts_tweaks, METH_VARARGS, xts_tweaks_doc},
    {"xor_bytes", xor_bytes, METH_VARARGS, xor_bytes_doc},
    {"counters", counters, METH_VARARGS, counters_doc},
    {"cbc_restart", cbc_restart, METH_VARARGS, cbc_restart_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sectors",
    "XTS tweaks and per-sector CBC restarts over whole buffers (optional; numpy does the same).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__sectors(void)
{
    return PyModule_Create(&module);
}
