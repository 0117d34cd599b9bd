/* Lanczos downscale of an 8-bit grey picture, giving the same bytes as the installed Pillow's
 * Image.resize(size, LANCZOS) on a mode "L" image (what pHash's 32x32 thumbnail is).
 *
 * Why: that resize was ~20% of the picture processes' CPU in a household-disk scan. The
 * arithmetic is the one Pillow's 8-bit resampler uses (double-precision Lanczos-3 weights,
 * normalised per output pixel, rounded to 22-bit fixed point; two passes, each clamped to
 * 0..255), so every output byte is the same; only the loops are arranged for the compiler to
 * vectorise. Integer sums are exact in any order and the weights come from the same double
 * operations in the same order, so the arrangement cannot change a byte. The order of the
 * passes does change bytes: Pillow 13 runs the vertical pass first when the picture loses more
 * than twice as many rows as columns (read from its ImagingResample), the horizontal pass first
 * otherwise, and this does the same. Only a shrink on both axes is handled (the wrapper,
 * triage/perceptual/lanczos.py, leaves anything else to Pillow); tests/perceptual/
 * test_lanczos.py compares the two over many sizes and contents.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIXED_BITS 22 /* 32 bits less 8 for the pixel and 2 for the filter's overshoot */
#define LOBES 3.0     /* Lanczos-3 */

/* Hot loops get an AVX2 copy picked at load time where GCC and glibc (ifunc) allow it. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

typedef struct {
    int taps;        /* weights stored per output pixel (the widest window) */
    int *first;      /* first input pixel of each output pixel's window */
    int *count;      /* window length of each output pixel */
    int32_t *weight; /* out * taps fixed-point weights */
} Axis;

static double sinc(double x) {
    if (x == 0.0) {
        return 1.0;
    }
    x = x * M_PI;
    return sin(x) / x;
}

static double lanczos(double x) {
    if (-LOBES <= x && x < LOBES) {
        return sinc(x) * sinc(x / LOBES);
    }
    return 0.0;
}

static void axis_free(Axis *axis) {
    free(axis->first);
    free(axis->count);
    free(axis->weight);
}

/* The weights for resampling `in` pixels to `out` along one axis; 0 on success. */
static int axis_weights(int in, int out, Axis *axis) {
    /* Pillow takes the box edges as floats: (float)in - 0.0f, then double. */
    double scale = (double)((float)in - 0.0f) / out;
    double widen = scale < 1.0 ? 1.0 : scale;
    double support = LOBES * widen;
    double inverse = 1.0 / widen;
    int taps = (int)ceil(support) * 2 + 1;
    double *real = malloc((size_t)taps * sizeof(double));
    axis->taps = taps;
    axis->first = malloc((size_t)out * sizeof(int));
    axis->count = malloc((size_t)out * sizeof(int));
    axis->weight = calloc((size_t)out * taps, sizeof(int32_t));
    if (!real || !axis->first || !axis->count || !axis->weight) {
        free(real);
        return -1;
    }
    for (int o = 0; o < out; o++) {
        double center = 0.0 + (o + 0.5) * scale;
        int lo = (int)(center - support + 0.5);
        int hi = (int)(center + support + 0.5);
        double total = 0.0;
        if (lo < 0) {
            lo = 0;
        }
        if (hi > in) {
            hi = in;
        }
        for (int t = 0; t < hi - lo; t++) {
            real[t] = lanczos((t + lo - center + 0.5) * inverse);
            total += real[t];
        }
        for (int t = 0; t < hi - lo; t++) {
            double w = total != 0.0 ? real[t] / total : real[t];
            /* Rounded half away from zero, as a C cast of w +- 0.5 does. */
            axis->weight[(size_t)o * taps + t] =
                (int32_t)(w < 0 ? -0.5 + w * (1 << FIXED_BITS) : 0.5 + w * (1 << FIXED_BITS));
        }
        axis->first[o] = lo;
        axis->count[o] = hi - lo;
    }
    free(real);
    return 0;
}

static inline uint8_t clamp_fixed(uint32_t sum) {
    /* The true sum fits in int32; unsigned arithmetic kept every partial sum exact mod 2^32. */
    int32_t value = (int32_t)sum >> FIXED_BITS;
    return value < 0 ? 0 : value > 255 ? 255 : (uint8_t)value;
}

/* rows x in -> rows x out, from rows [row0, row0 + rows) of `src` (`in` bytes a row). */
VECTOR_CLONES
static void horizontal(const uint8_t *src, int in, int row0, int rows, const Axis *axis,
                       int out, uint8_t *dst) {
    for (int y = 0; y < rows; y++) {
        const uint8_t *line = src + (size_t)(row0 + y) * in;
        for (int o = 0; o < out; o++) {
            const uint8_t *px = line + axis->first[o];
            const int32_t *w = axis->weight + (size_t)o * axis->taps;
            int n = axis->count[o];
            uint32_t sum = 1u << (FIXED_BITS - 1);
            for (int t = 0; t < n; t++) {
                sum += (uint32_t)px[t] * (uint32_t)w[t];
            }
            dst[(size_t)y * out + o] = clamp_fixed(sum);
        }
    }
}

/* `width` wide: output row o sums rows first[o] - row0 ... of `src`. */
VECTOR_CLONES
static void vertical(const uint8_t *src, int width, int row0, const Axis *axis, int out,
                     uint8_t *dst, uint32_t *sums) {
    for (int o = 0; o < out; o++) {
        const int32_t *w = axis->weight + (size_t)o * axis->taps;
        const uint8_t *top = src + (size_t)(axis->first[o] - row0) * width;
        for (int x = 0; x < width; x++) {
            sums[x] = 1u << (FIXED_BITS - 1);
        }
        for (int t = 0; t < axis->count[o]; t++) {
            const uint8_t *line = top + (size_t)t * width;
            uint32_t k = (uint32_t)w[t];
            for (int x = 0; x < width; x++) {
                sums[x] += (uint32_t)line[x] * k;
            }
        }
        for (int x = 0; x < width; x++) {
            dst[(size_t)o * width + x] = clamp_fixed(sums[x]);
        }
    }
}

/* Both passes of a shrink on both axes, in Pillow's order; 0 on success. */
static int shrink(const uint8_t *src, int in_w, int in_h, int out_w, int out_h, uint8_t *dst) {
    Axis across = {0}, down = {0};
    uint8_t *middle = NULL;
    uint32_t *sums = NULL;
    int failed = -1;
    if (axis_weights(in_w, out_w, &across) != 0 || axis_weights(in_h, out_h, &down) != 0) {
        goto done;
    }
    if (in_h - out_h > 2 * (in_w - out_w)) {
        /* Vertical first, over every column. */
        middle = malloc((size_t)in_w * out_h);
        sums = malloc((size_t)in_w * sizeof(uint32_t));
        if (!middle || !sums) {
            goto done;
        }
        vertical(src, in_w, 0, &down, out_h, middle, sums);
        horizontal(middle, in_w, 0, out_h, &across, out_w, dst);
    } else {
        /* Horizontal first, over only the rows the vertical pass reads. */
        int row0 = down.first[0];
        int rows = down.first[out_h - 1] + down.count[out_h - 1] - row0;
        middle = malloc((size_t)rows * out_w);
        sums = malloc((size_t)out_w * sizeof(uint32_t));
        if (!middle || !sums) {
            goto done;
        }
        horizontal(src, in_w, row0, rows, &across, out_w, middle);
        vertical(middle, out_w, row0, &down, out_h, dst, sums);
    }
    failed = 0;
done:
    axis_free(&across);
    axis_free(&down);
    free(middle);
    free(sums);
    return failed;
}

static PyObject *py_shrink(PyObject *self, PyObject *args) {
    Py_buffer pixels;
    int in_w, in_h, out_w, out_h, failed;
    PyObject *result;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*iiii", &pixels, &in_w, &in_h, &out_w, &out_h)) {
        return NULL;
    }
    if (out_w <= 0 || out_h <= 0 || in_w <= out_w || in_h <= out_h ||
        pixels.len != (Py_ssize_t)in_w * in_h) {
        PyBuffer_Release(&pixels);
        PyErr_SetString(PyExc_ValueError,
                        "pixels must be width x height bytes, shrunk on both axes");
        return NULL;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)out_w * out_h);
    if (!result) {
        PyBuffer_Release(&pixels);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    failed = shrink(pixels.buf, in_w, in_h, out_w, out_h, (uint8_t *)PyBytes_AS_STRING(result));
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&pixels);
    if (failed) {
        Py_DECREF(result);
        return PyErr_NoMemory();
    }
    return result;
}

static PyMethodDef methods[] = {
    {"shrink", py_shrink, METH_VARARGS,
     "shrink(pixels, width, height, out_width, out_height) -> bytes: Pillow's LANCZOS resize "
     "of a contiguous 8-bit grey picture, smaller on both axes, byte for byte."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_lanczos", "Pillow-exact Lanczos shrink of grey pictures.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__lanczos(void) { return PyModule_Create(&module); }
