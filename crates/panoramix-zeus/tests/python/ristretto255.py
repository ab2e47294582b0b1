"""Ristretto255 (RFC 9496) for the independent ZEUS verifier (verify_zeus.py).

Two interchangeable backends behind one namespace, `grp`, chosen with use_backend():
    sodium  libsodium's crypto_core_ristretto255_* and crypto_scalarmult_ristretto255,
            through the PyPI package pysodium (pinned in scripts/python-requirements.txt;
            scripts/ensure-python.sh installs it).
    pure    this file's own RFC 9496 arithmetic, standard library only: about 25 times
            slower. A fallback for machines without libsodium, and a check of the sodium
            backend (check_backends()).
Points are opaque values of the backend; grp.encode/grp.decode convert to and from the
32-byte canonical encoding. grp.decode rejects non-canonical encodings and the identity
(docs/zeus.md section 1); grp.decode_any accepts the identity (a decrypted element may be it).
"""

import random
import types


class Invalid(Exception):
    """A check failed."""


def check(cond, what):
    if not cond:
        raise Invalid(what)


P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752
SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235
INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578
ONE_MINUS_D_SQ = (1 - D * D) % P
D_MINUS_ONE_SQ = (D - 1) * (D - 1) % P

assert SQRT_M1 * SQRT_M1 % P == P - 1
assert SQRT_AD_MINUS_ONE * SQRT_AD_MINUS_ONE % P == (-D - 1) % P
assert INVSQRT_A_MINUS_D * INVSQRT_A_MINUS_D * (-1 - D) % P == 1


def is_neg(x):
    return (x % P) & 1


def ct_abs(x):
    x %= P
    return (P - x) % P if is_neg(x) else x


def sqrt_ratio_m1(u, v):
    u %= P
    v %= P
    v3 = v * v % P * v % P
    v7 = v3 * v3 % P * v % P
    r = u * v3 % P * pow(u * v7 % P, (P - 5) // 8, P) % P
    check = v * r % P * r % P
    correct = check == u
    flipped = check == (-u) % P
    flipped_i = check == (-u * SQRT_M1) % P
    if flipped or flipped_i:
        r = r * SQRT_M1 % P
    return (correct or flipped), ct_abs(r)


IDENTITY = (0, 1, 1, 0)


def add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D % P * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def neg(p):
    x, y, z, t = p
    return ((-x) % P, y, z, (-t) % P)


def mul(k, p):
    """k·p, plain double-and-add (public data only: this is a verifier)."""
    k %= L
    acc = IDENTITY
    for bit in bin(k)[2:]:
        acc = add(acc, acc)
        if bit == "1":
            acc = add(acc, p)
    return acc


def decode(b):
    """Canonical decoding; the identity is rejected (docs/zeus.md section 1)."""
    p = decode_any(b)
    if is_identity(p):
        raise Invalid("identity point")
    return p


def decode_any(b):
    """Canonical decoding, the identity included."""
    if len(b) != 32:
        raise Invalid("point length")
    s = int.from_bytes(b, "little")
    if s >= P or is_neg(s):
        raise Invalid("non-canonical point")
    ss = s * s % P
    u1 = (1 - ss) % P
    u2 = (1 + ss) % P
    u2_sqr = u2 * u2 % P
    v = (-(D * u1 % P * u1) - u2_sqr) % P
    was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr)
    den_x = invsqrt * u2 % P
    den_y = invsqrt * den_x % P * v % P
    x = ct_abs(2 * s * den_x)
    y = u1 * den_y % P
    t = x * y % P
    if not was_square or is_neg(t) or y == 0:
        raise Invalid("invalid point encoding")
    return (x, y, 1, t)


def encode(p):
    x0, y0, z0, t0 = p
    u1 = (z0 + y0) * (z0 - y0) % P
    u2 = x0 * y0 % P
    _, invsqrt = sqrt_ratio_m1(1, u1 * u2 % P * u2)
    den1 = invsqrt * u1 % P
    den2 = invsqrt * u2 % P
    z_inv = den1 * den2 % P * t0 % P
    ix0 = x0 * SQRT_M1 % P
    iy0 = y0 * SQRT_M1 % P
    enchanted = den1 * INVSQRT_A_MINUS_D % P
    rotate = is_neg(t0 * z_inv)
    x, y = (iy0, ix0) if rotate else (x0, y0)
    den_inv = enchanted if rotate else den2
    if is_neg(x * z_inv):
        y = (-y) % P
    s = ct_abs(den_inv * (z0 - y))
    return s.to_bytes(32, "little")


def eq(p1, p2):
    x1, y1, _, _ = p1
    x2, y2, _, _ = p2
    return (x1 * y2 - y1 * x2) % P == 0 or (y1 * y2 - x1 * x2) % P == 0


def is_identity(p):
    return eq(p, IDENTITY)


def elligator(t):
    r = SQRT_M1 * t % P * t % P
    u = (r + 1) * ONE_MINUS_D_SQ % P
    v = (-1 - r * D) * (r + D) % P
    was_square, s = sqrt_ratio_m1(u, v)
    s_prime = (-ct_abs(s * t)) % P
    if not was_square:
        s = s_prime
    c = P - 1 if was_square else r
    n = (c * (r - 1) % P * D_MINUS_ONE_SQ - v) % P
    w0 = 2 * s * v % P
    w1 = n * SQRT_AD_MINUS_ONE % P
    w2 = (1 - s * s) % P
    w3 = (1 + s * s) % P
    return (w0 * w3 % P, w2 * w1 % P, w1 * w3 % P, w0 * w2 % P)


def from_uniform_bytes(b):
    t1 = int.from_bytes(b[:32], "little") & ((1 << 255) - 1)
    t2 = int.from_bytes(b[32:], "little") & ((1 << 255) - 1)
    return add(elligator(t1 % P), elligator(t2 % P))


BASEPOINT = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
G = decode(BASEPOINT)
assert encode(add(G, G)).hex() == "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919"

# The group operations the verifier uses, by name: this file's own arithmetic
# above ("pure"), or libsodium's ("sodium"); use_backend() installs one set in `grp`.
PURE = {
    "IDENTITY": IDENTITY, "G": G, "add": add, "neg": neg, "mul": mul, "eq": eq,
    "decode": decode, "decode_any": decode_any, "encode": encode,
    "from_uniform_bytes": from_uniform_bytes,
}


class BackendMissing(Exception):
    """The sodium backend cannot be loaded."""


def sodium_ops():
    """Ristretto255 from libsodium. Points are their canonical 32-byte encodings
    (so equality is byte equality); the identity is the all-zero encoding."""
    try:
        import pysodium as na
        na.crypto_core_ristretto255_is_valid_point(BASEPOINT)
    except Exception as e:  # ImportError, or ValueError/OSError without libsodium >= 1.0.18
        raise BackendMissing(f"pysodium with libsodium >= 1.0.18 is needed ({type(e).__name__}: {e})")
    zero = bytes(32)

    def s_add(p, q):
        return na.crypto_core_ristretto255_add(p, q)

    def s_neg(p):
        return na.crypto_core_ristretto255_sub(zero, p)

    def s_mul(k, p):
        k %= L
        if k == 0 or p == zero:  # libsodium refuses an identity result
            return zero
        kb = k.to_bytes(32, "little")
        if p == BASEPOINT:
            return na.crypto_scalarmult_ristretto255_base(kb)
        return na.crypto_scalarmult_ristretto255(kb, p)

    def s_decode_any(b):
        """Canonical decoding, the identity included."""
        if len(b) != 32:
            raise Invalid("point length")
        b = bytes(b)
        if b[31] & 0x80:
            # libsodium 1.0.18 (Debian 12's) ignores the top bit; RFC 9496 requires it clear
            raise Invalid("non-canonical point")
        if b == zero:
            return b
        if not na.crypto_core_ristretto255_is_valid_point(b):
            raise Invalid("invalid point encoding")
        return b

    def s_decode(b):
        """Canonical decoding; the identity is rejected (docs/zeus.md section 1)."""
        b = s_decode_any(b)
        if b == zero:
            raise Invalid("identity point")
        return b

    return {
        "IDENTITY": zero, "G": BASEPOINT, "add": s_add, "neg": s_neg, "mul": s_mul,
        "eq": lambda p, q: p == q, "decode": s_decode, "decode_any": s_decode_any,
        "encode": lambda p: p,
        "from_uniform_bytes": na.crypto_core_ristretto255_from_hash,
    }


# The backend in use (use_backend fills it; pure until then).
grp = types.SimpleNamespace(**PURE)


def use_backend(name):
    """Install "pure" or "sodium" in `grp` (BackendMissing if sodium cannot load)."""
    for k, v in (PURE if name == "pure" else sodium_ops()).items():
        setattr(grp, k, v)


def check_backends():
    """The two backends agree: decoding (accept or reject, and the re-encoding) of
    edge-case and seeded random encodings, the hash-to-group map and scalar
    multiplication. Deterministic (fixed seed)."""
    so = sodium_ops()
    rng = random.Random(20)
    cases = [v.to_bytes(32, "little") for v in (0, 1, 2, P - 2, P - 1, P, P + 1, 2**255 - 1)]
    cases += [(v | (1 << 255)).to_bytes(32, "little") for v in (0, 2, 4)]
    cases += [encode(mul(k, G)) for k in (1, 2, 3, L - 1)]
    cases += [bytes(b ^ (0x80 if i == 31 else 0) for i, b in enumerate(c)) for c in cases[-4:]]
    cases += [rng.getrandbits(256).to_bytes(32, "little") for _ in range(600)]
    cases += [encode(mul(rng.randrange(1, L), G)) for _ in range(40)]
    valid = 0
    for c in cases:
        got = []
        for ops in (PURE, so):
            for dec in ("decode", "decode_any"):
                try:
                    got.append(ops["encode"](ops[dec](c)))
                except Invalid:
                    got.append(None)
        if got[:2] != got[2:]:
            raise Invalid(f"backends disagree on decoding {c.hex()}: pure {got[:2]}, sodium {got[2:]}")
        valid += got[0] is not None
    for _ in range(30):
        h = rng.getrandbits(512).to_bytes(64, "little")
        k = rng.randrange(L)
        p, q = from_uniform_bytes(h), so["from_uniform_bytes"](h)
        check(encode(p) == q, "backends disagree on from_uniform_bytes")
        check(encode(mul(k, p)) == so["mul"](k, q), "backends disagree on mul")
        check(encode(add(p, neg(G))) == so["add"](q, so["neg"](BASEPOINT)), "backends disagree on add")
    print(f"backends agree: {len(cases)} encodings ({valid} valid), 30 hashes, products and sums")

