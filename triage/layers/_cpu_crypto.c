/* Whole-sector AES decryption and BitLocker's SHA-256 key stretch on the CPU's own instructions
 * (AES-NI, SHA-NI), for the decryptors (xts.py, bde_sectors.py) and bde_keys.py.
 *
 * Why here and not in OpenSSL: OpenSSL's XTS and CBC take one IV per call, and dm-crypt,
 * BitLocker and FileVault restart the IV every 512 or 4096 bytes; a call per sector costs more
 * than its AES, and the batched path around OpenSSL (xts.py) makes three passes over memory.
 * Here each sector is decrypted in one pass, eight blocks in flight (AESDEC's latency hidden),
 * straight into the bytes handed back. The key stretch is 2^20 SHA-256 calls of 88 bytes, which
 * Python pays about 0.4 microseconds each to make; here it is two SHA-NI compressions.
 *
 * Only x86-64 with GCC or Clang; elsewhere, or on a CPU without the instructions, HAS_AES and
 * HAS_SHA are False and the Python callers keep their own paths (tests check both give the same
 * bytes, and these against `cryptography` and hashlib). Round keys live on the stack and are
 * wiped before returning.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define BLOCK 16

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define X86 1
#include <cpuid.h>
#include <immintrin.h>
#define AES_TARGET __attribute__((target("aes,sse4.1")))
#define SHA_TARGET __attribute__((target("sha,sse4.1")))
#else
#define X86 0
#endif

/* What this CPU has (set when the module loads); has_wide may be turned off (use_wide). */
static int has_aes, has_sha, has_wide, cpu_wide;

/* Stores that the compiler may not drop: the round keys and hash states are secrets. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

#if X86

static int cpu_has(int aes)
{
    unsigned a, b, c, d;
    if (aes)
        return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AES) && (c & bit_SSE4_1);
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA)
           && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1);
}

/* ---- AES key schedules (FIPS 197), 128- and 256-bit keys ---- */

typedef struct {
    __m128i enc[15], dec[15];
    int rounds;
} Schedule;

AES_TARGET static inline __m128i spread(__m128i key)
{
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, _mm_slli_si128(key, 4));
}

/* The next round key from `prev` and AESKEYGENASSIST's output word `word` (its 4th or 3rd). */
#define NEXT_KEY(prev, assist, word) \
    _mm_xor_si128(spread(prev), _mm_shuffle_epi32((assist), (word) * 0x55))

AES_TARGET static void expand(Schedule *s, const unsigned char *key, size_t bytes)
{
    __m128i *k = s->enc;
    k[0] = _mm_loadu_si128((const __m128i *)key);
    if (bytes == 16) {
        s->rounds = 10;
#define R128(i, rcon) k[i] = NEXT_KEY(k[i - 1], _mm_aeskeygenassist_si128(k[i - 1], rcon), 3)
        R128(1, 0x01); R128(2, 0x02); R128(3, 0x04); R128(4, 0x08); R128(5, 0x10);
        R128(6, 0x20); R128(7, 0x40); R128(8, 0x80); R128(9, 0x1b); R128(10, 0x36);
#undef R128
    } else {
        s->rounds = 14;
        k[1] = _mm_loadu_si128((const __m128i *)(key + 16));
        /* Even keys: RotWord+SubWord+rcon of the last word; odd keys: SubWord only. */
#define R256(i, rcon) \
    k[i] = NEXT_KEY(k[i - 2], _mm_aeskeygenassist_si128(k[i - 1], rcon), 3); \
    if (i + 1 < 15) k[i + 1] = NEXT_KEY(k[i - 1], _mm_aeskeygenassist_si128(k[i], 0), 2)
        R256(2, 0x01); R256(4, 0x02); R256(6, 0x04); R256(8, 0x08); R256(10, 0x10);
        R256(12, 0x20); R256(14, 0x40);
#undef R256
    }
    /* The equivalent inverse cipher's keys, for AESDEC. */
    s->dec[0] = k[s->rounds];
    for (int r = 1; r < s->rounds; r++)
        s->dec[r] = _mm_aesimc_si128(k[s->rounds - r]);
    s->dec[s->rounds] = k[0];
}

AES_TARGET static inline __m128i encrypt_block(const Schedule *s, __m128i x)
{
    x = _mm_xor_si128(x, s->enc[0]);
    for (int r = 1; r < s->rounds; r++)
        x = _mm_aesenc_si128(x, s->enc[r]);
    return _mm_aesenclast_si128(x, s->enc[s->rounds]);
}

AES_TARGET static inline __m128i decrypt_block(const Schedule *s, __m128i x)
{
    x = _mm_xor_si128(x, s->dec[0]);
    for (int r = 1; r < s->rounds; r++)
        x = _mm_aesdec_si128(x, s->dec[r]);
    return _mm_aesdeclast_si128(x, s->dec[s->rounds]);
}

/* Eight blocks through the inverse cipher at once: each AESDEC waits for the one before it in
 * its block, so eight independent blocks keep the AES unit busy. */
AES_TARGET static inline void decrypt8(const Schedule *s, __m128i b[8])
{
    for (int k = 0; k < 8; k++)
        b[k] = _mm_xor_si128(b[k], s->dec[0]);
    for (int r = 1; r < s->rounds; r++) {
        __m128i key = s->dec[r];
        for (int k = 0; k < 8; k++)
            b[k] = _mm_aesdec_si128(b[k], key);
    }
    for (int k = 0; k < 8; k++)
        b[k] = _mm_aesdeclast_si128(b[k], s->dec[s->rounds]);
}

AES_TARGET static inline void encrypt8(const Schedule *s, __m128i b[8])
{
    for (int k = 0; k < 8; k++)
        b[k] = _mm_xor_si128(b[k], s->enc[0]);
    for (int r = 1; r < s->rounds; r++) {
        __m128i key = s->enc[r];
        for (int k = 0; k < 8; k++)
            b[k] = _mm_aesenc_si128(b[k], key);
    }
    for (int k = 0; k < 8; k++)
        b[k] = _mm_aesenclast_si128(b[k], s->enc[s->rounds]);
}

/* t * x in GF(2^128) mod x^128 + x^7 + x^2 + x + 1 (IEEE 1619, little-endian): each 64-bit half
 * doubled, the low half's top bit carried into the high half, the high half's folded back as
 * 0x87. The sign bits of 32-bit words 3 and 1 are spread into masks by one shuffle. */
AES_TARGET static inline __m128i times_x(__m128i t)
{
    __m128i signs = _mm_srai_epi32(_mm_shuffle_epi32(t, 0x13), 31);
    return _mm_xor_si128(_mm_add_epi64(t, t), _mm_and_si128(signs, _mm_set_epi32(0, 1, 0, 0x87)));
}

/* One XTS sector: `blocks` blocks from `in` to `out`, first tweak t = E_K2(IV). */
AES_TARGET static void xts_sector(const Schedule *data, __m128i t, const unsigned char *in,
                                  unsigned char *out, size_t blocks)
{
    size_t j = 0;
    for (; j + 8 <= blocks; j += 8) {
        __m128i tw[8], b[8];
        for (int k = 0; k < 8; k++) {
            tw[k] = t;
            t = times_x(t);
            b[k] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + (j + k) * BLOCK)), tw[k]);
        }
        decrypt8(data, b);
        for (int k = 0; k < 8; k++)
            _mm_storeu_si128((__m128i *)(out + (j + k) * BLOCK), _mm_xor_si128(b[k], tw[k]));
    }
    for (; j < blocks; j++, t = times_x(t)) {
        __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + j * BLOCK)), t);
        _mm_storeu_si128((__m128i *)(out + j * BLOCK), _mm_xor_si128(decrypt_block(data, b), t));
    }
}

/* One CBC sector whose IV is `iv`: every block's AES is independent of the others (the chain
 * is only in the XORs after it), so eight at a time too. `in` and `out` must not overlap. */
AES_TARGET static void cbc_sector(const Schedule *s, __m128i iv, const unsigned char *in,
                                  unsigned char *out, size_t blocks)
{
    size_t j = 0;
    __m128i prev = iv;
    for (; j + 8 <= blocks; j += 8) {
        __m128i b[8], c[8];
        for (int k = 0; k < 8; k++)
            b[k] = c[k] = _mm_loadu_si128((const __m128i *)(in + (j + k) * BLOCK));
        decrypt8(s, b);
        for (int k = 0; k < 8; k++) {
            _mm_storeu_si128((__m128i *)(out + (j + k) * BLOCK), _mm_xor_si128(b[k], prev));
            prev = c[k];
        }
    }
    for (; j < blocks; j++) {
        __m128i c = _mm_loadu_si128((const __m128i *)(in + j * BLOCK));
        _mm_storeu_si128((__m128i *)(out + j * BLOCK), _mm_xor_si128(decrypt_block(s, c), prev));
        prev = c;
    }
}

/* ---- The same XTS four blocks to a register (VAES and VPCLMULQDQ on AVX-512), where the CPU
 * has them: as fast as OpenSSL's own XTS there. ---- */

#define WIDE_TARGET __attribute__((target("vaes,vpclmulqdq,avx512f,aes,sse4.1")))
#define WIDE 8 /* registers in flight: 32 blocks, one 512-byte sector */

/* t times x^j in each 64-bit half's lane, j (0..63) given per half in `shift` (the same in both
 * halves of a lane): the halves shifted by j, the low half's top j bits carried into the high
 * half, the high half's (j bits) folded back as a carry-less product with x^7 + x^2 + x + 1
 * (for j = 0 the shift by 64 gives 0: AVX-512's variable shifts clear past 63).
 * No step depends on another lane's: the CPU computes all eight registers' tweaks at once,
 * where doubling from block to block would be one long chain. */
WIDE_TARGET static inline __m512i times_xj_wide(__m512i t, __m512i shift)
{
    __m512i over = _mm512_srlv_epi64(t, _mm512_sub_epi64(_mm512_set1_epi64(64), shift));
    over = _mm512_shuffle_epi32(over, _MM_PERM_BADC); /* each lane's halves swapped */
    __m512i fold = _mm512_clmulepi64_epi128(over, _mm512_set1_epi64(0x87), 0x00);
    return _mm512_xor_si512(_mm512_sllv_epi64(t, shift),
                            _mm512_mask_blend_epi64(0x55, over, fold));
}

/* The inverse cipher's round keys, each in all four lanes. */
WIDE_TARGET static void widen(const Schedule *s, __m512i keys[15])
{
    for (int r = 0; r <= s->rounds; r++)
        keys[r] = _mm512_broadcast_i32x4(s->dec[r]);
}

WIDE_TARGET static void xts_sector_wide(const Schedule *data, const __m512i *keys, __m128i t,
                                        const unsigned char *in, unsigned char *out, size_t blocks)
{
    __m512i base = _mm512_broadcast_i32x4(t);
    size_t j = 0;
    for (; j + 4 * WIDE <= blocks; j += 4 * WIDE) {
        __m512i tws[WIDE], b[WIDE];
        for (int k = 0; k < WIDE; k++) {
            /* Lane n of register k: block 4k + n, so the tweak is base * x^(4k + n). */
            __m512i shift = _mm512_set_epi64(4 * k + 3, 4 * k + 3, 4 * k + 2, 4 * k + 2,
                                             4 * k + 1, 4 * k + 1, 4 * k, 4 * k);
            tws[k] = times_xj_wide(base, shift);
            b[k] = _mm512_xor_si512(_mm512_loadu_si512(in + (j + 4 * k) * BLOCK),
                                    _mm512_xor_si512(tws[k], keys[0]));
        }
        for (int r = 1; r < data->rounds; r++)
            for (int k = 0; k < WIDE; k++)
                b[k] = _mm512_aesdec_epi128(b[k], keys[r]);
        for (int k = 0; k < WIDE; k++)
            _mm512_storeu_si512(out + (j + 4 * k) * BLOCK,
                                _mm512_xor_si512(_mm512_aesdeclast_epi128(b[k], keys[data->rounds]),
                                                 tws[k]));
        base = times_xj_wide(base, _mm512_set1_epi64(4 * WIDE));
    }
    /* What is left (a sector not a multiple of 512 bytes): block by block, from this tweak. */
    t = _mm512_castsi512_si128(base);
    for (; j < blocks; j++, t = times_x(t)) {
        __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + j * BLOCK)), t);
        _mm_storeu_si128((__m128i *)(out + j * BLOCK), _mm_xor_si128(decrypt_block(data, b), t));
    }
}

AES_TARGET static void xts_all(const unsigned char *key, size_t key_bytes, const unsigned char *in,
                               unsigned char *out, size_t count, size_t sector, uint64_t iv,
                               uint64_t step, uint64_t mask)
{
    Schedule data, tweak;
    __m512i keys[15];
    expand(&data, key, key_bytes / 2);
    expand(&tweak, key + key_bytes / 2, key_bytes / 2);
    if (has_wide)
        widen(&data, keys);
    for (size_t s = 0; s < count; s += 8) {
        /* The first tweaks of eight sectors at once: one at a time, each would wait out the
         * AES's whole latency before its sector could start. */
        __m128i first[8];
        for (int k = 0; k < 8; k++, iv += step)
            first[k] = _mm_set_epi64x(0, (long long)(iv & mask));
        encrypt8(&tweak, first);
        for (size_t k = 0; k < 8 && s + k < count; k++) {
            size_t at = (s + k) * sector;
            if (has_wide)
                xts_sector_wide(&data, keys, first[k], in + at, out + at, sector / BLOCK);
            else
                xts_sector(&data, first[k], in + at, out + at, sector / BLOCK);
        }
    }
    wipe(&data, sizeof data);
    wipe(&tweak, sizeof tweak);
    if (has_wide)
        wipe(keys, sizeof keys);
}

AES_TARGET static void cbc_all(const unsigned char *key, size_t key_bytes, const unsigned char *in,
                               unsigned char *out, size_t count, size_t sector, uint64_t offset)
{
    Schedule s;
    expand(&s, key, key_bytes);
    for (size_t n = 0; n < count; n++, offset += sector) {
        /* BitLocker's IV: the sector's byte offset, 16 bytes little-endian, encrypted. */
        __m128i iv = encrypt_block(&s, _mm_set_epi64x(0, (long long)offset));
        cbc_sector(&s, iv, in + n * sector, out + n * sector, sector / BLOCK);
    }
    wipe(&s, sizeof s);
}

/* ---- SHA-256 (FIPS 180-4) compression with SHA-NI ---- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* SHA-NI keeps the eight state words as (A, B, E, F) and (C, D, G, H). */
typedef struct {
    __m128i abef, cdgh;
} State;

SHA_TARGET static State sha_start(void)
{
    __m128i dcba = _mm_loadu_si128((const __m128i *)H256);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(H256 + 4));
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    State s = {_mm_alignr_epi8(cdab, efgh, 8), _mm_blend_epi16(efgh, cdab, 0xF0)};
    return s;
}

/* The digest's 32 bytes (big-endian words, as SHA-256 prints them) from the state. */
SHA_TARGET static void sha_digest(State s, unsigned char out[32])
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
    __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
    __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
    _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(dcba, swap));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(hgfe, swap));
}

/* One 64-byte block into the state. Message words go in groups of four; group g >= 4 is
 * W[g-4] + s0(W[g-3]) + W[g-2..g-1] + s1(...), which SHA256MSG1/MSG2 compute. */
SHA_TARGET static State sha_block(State s, const unsigned char *data)
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i w[4];
    State start = s;
    for (int g = 0; g < 16; g++) {
        __m128i group;
        if (g < 4) {
            group = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), swap);
        } else {
            group = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
            group = _mm_add_epi32(group, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
            group = _mm_sha256msg2_epu32(group, w[(g + 3) & 3]);
        }
        w[g & 3] = group;
        __m128i msg = _mm_add_epi32(group, _mm_loadu_si128((const __m128i *)(K256 + 4 * g)));
        s.cdgh = _mm_sha256rnds2_epu32(s.cdgh, s.abef, msg);
        /* Two rounds make the old (A, B, E, F) the new (C, D, G, H): the pair of calls
         * alternates the registers' roles and ends with each back in its own. */
        s.abef = _mm_sha256rnds2_epu32(s.abef, s.cdgh, _mm_shuffle_epi32(msg, 0x0E));
    }
    s.abef = _mm_add_epi32(s.abef, start.abef);
    s.cdgh = _mm_add_epi32(s.cdgh, start.cdgh);
    return s;
}

/* BitLocker's stretch: last = SHA-256(last || initial || salt || count as 8 bytes LE), count
 * from 0 to rounds - 1, last starting as 32 zero bytes. The 88 bytes are two blocks: the first
 * is last || initial, the second salt || count || SHA-256's padding for 88 bytes. */
SHA_TARGET static void stretch_all(const unsigned char initial[32], const unsigned char salt[16],
                                   uint64_t rounds, unsigned char out[32])
{
    unsigned char first[64] = {0}, second[64] = {0};
    memcpy(first + 32, initial, 32);
    memcpy(second, salt, 16);
    second[24] = 0x80;
    second[62] = (88 * 8) >> 8;
    second[63] = (88 * 8) & 0xff;
    for (uint64_t count = 0; count < rounds; count++) {
        for (int i = 0; i < 8; i++)
            second[16 + i] = (unsigned char)(count >> (8 * i));
        State s = sha_block(sha_block(sha_start(), first), second);
        sha_digest(s, first);
    }
    memcpy(out, first, 32);
    wipe(first, sizeof first);
    wipe(second, sizeof second);
}

#endif /* X86 */

static int sector_args(Py_ssize_t length, Py_ssize_t sector)
{
    if (sector <= 0 || sector % BLOCK || length % sector) {
        PyErr_SetString(PyExc_ValueError, "AES decrypts whole sectors only");
        return 0;
    }
    if (!has_aes) {
        PyErr_SetString(PyExc_RuntimeError, "this CPU has no AES instructions");
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(xts_decrypt_doc,
"xts_decrypt(key, data, first_iv, iv_step, iv_bits, sector_size)\n--\n\n"
"AES-XTS plain text of whole sectors `data` (new bytes). key: the 32- or 64-byte XTS double\n"
"key (data key first). Sector n's IV is (first_iv + n * iv_step) mod 2^iv_bits as a 16-byte\n"
"little-endian number (dm-crypt's plain64 or plain, BitLocker's and FileVault's sector number).");

static PyObject *xts_decrypt(PyObject *self, PyObject *args)
{
    Py_buffer key, data;
    unsigned long long first, step;
    int bits;
    Py_ssize_t sector;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*KKin:xts_decrypt", &key, &data, &first, &step, &bits,
                          &sector))
        return NULL;
    if (key.len != 32 && key.len != 64) {
        PyErr_SetString(PyExc_ValueError, "XTS needs a 256- or 512-bit key");
        goto done;
    }
    if (bits < 1 || bits > 64) {
        PyErr_SetString(PyExc_ValueError, "xts_decrypt: iv_bits must be 1..64");
        goto done;
    }
    if (!sector_args(data.len, sector))
        goto done;
    result = PyBytes_FromStringAndSize(NULL, data.len);
#if X86
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        uint64_t mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
        /* The buffers stay exported until released below and nobody else sees the new
         * object yet: other threads may run meanwhile (two readers decrypt on two cores). */
        Py_BEGIN_ALLOW_THREADS
        xts_all(key.buf, (size_t)key.len, data.buf, out, (size_t)(data.len / sector),
                (size_t)sector, first, step, mask);
        Py_END_ALLOW_THREADS
    }
#endif
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    return result;
}

PyDoc_STRVAR(cbc_decrypt_doc,
"cbc_decrypt(key, data, offset, sector_size)\n--\n\n"
"BitLocker's AES-CBC plain text of whole sectors `data` read at byte `offset` (new bytes):\n"
"each sector's IV is its byte offset as a 16-byte little-endian number, encrypted with key\n"
"(16 or 32 bytes).");

static PyObject *cbc_decrypt(PyObject *self, PyObject *args)
{
    Py_buffer key, data;
    unsigned long long offset;
    Py_ssize_t sector;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*Kn:cbc_decrypt", &key, &data, &offset, &sector))
        return NULL;
    if (key.len != 16 && key.len != 32) {
        PyErr_SetString(PyExc_ValueError, "CBC needs a 128- or 256-bit key");
        goto done;
    }
    if (!sector_args(data.len, sector))
        goto done;
    result = PyBytes_FromStringAndSize(NULL, data.len);
#if X86
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        Py_BEGIN_ALLOW_THREADS
        cbc_all(key.buf, (size_t)key.len, data.buf, out, (size_t)(data.len / sector),
                (size_t)sector, offset);
        Py_END_ALLOW_THREADS
    }
#endif
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    return result;
}

PyDoc_STRVAR(stretch_doc,
"stretch(initial, salt, rounds)\n--\n\n"
"BitLocker's key stretch: last = SHA-256(last + initial + salt + count as 8 bytes\n"
"little-endian) for count in range(rounds), last starting as 32 zero bytes; returns last.");

static PyObject *stretch(PyObject *self, PyObject *args)
{
    Py_buffer initial, salt;
    unsigned long long rounds;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*K:stretch", &initial, &salt, &rounds))
        return NULL;
    if (initial.len != 32 || salt.len != 16) {
        PyErr_SetString(PyExc_ValueError, "stretch: initial must be 32 bytes and salt 16");
        goto done;
    }
    if (!has_sha) {
        PyErr_SetString(PyExc_RuntimeError, "this CPU has no SHA-256 instructions");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, 32);
#if X86
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        Py_BEGIN_ALLOW_THREADS
        stretch_all(initial.buf, salt.buf, rounds, out);
        Py_END_ALLOW_THREADS
    }
#endif
done:
    PyBuffer_Release(&initial);
    PyBuffer_Release(&salt);
    return result;
}

PyDoc_STRVAR(use_wide_doc,
"use_wide(flag) -> bool\n--\n\n"
"Whether XTS uses the AVX-512 path (only where the CPU has it); returns the previous setting.\n"
"For the tests, which run both paths on a CPU that has both.");

static PyObject *use_wide(PyObject *self, PyObject *arg)
{
    int previous = has_wide, flag = PyObject_IsTrue(arg);
    (void)self;
    if (flag < 0)
        return NULL;
    has_wide = flag && cpu_wide;
    return PyBool_FromLong(previous);
}

static PyMethodDef methods[] = {
    {"use_wide", use_wide, METH_O, use_wide_doc},
    {"xts_decrypt", xts_decrypt, METH_VARARGS, xts_decrypt_doc},
    {"cbc_decrypt", cbc_decrypt, METH_VARARGS, cbc_decrypt_doc},
    {"stretch", stretch, METH_VARARGS, stretch_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_cpu_crypto",
    "Whole-sector AES-XTS and BitLocker AES-CBC, and BitLocker's key stretch, on AES-NI and "
    "SHA-NI (optional; HAS_AES and HAS_SHA say whether this CPU has them).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__cpu_crypto(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
#if X86
    has_aes = cpu_has(1);
    has_sha = cpu_has(0);
    /* (GCC's check includes the operating system's saving of the AVX-512 registers.) */
    cpu_wide = has_wide = has_aes && __builtin_cpu_supports("avx512f")
                          && __builtin_cpu_supports("vaes") && __builtin_cpu_supports("vpclmulqdq");
#endif
    if (PyModule_AddObjectRef(m, "HAS_AES", has_aes ? Py_True : Py_False) < 0
        || PyModule_AddObjectRef(m, "HAS_SHA", has_sha ? Py_True : Py_False) < 0
        || PyModule_AddObjectRef(m, "HAS_WIDE", cpu_wide ? Py_True : Py_False) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
