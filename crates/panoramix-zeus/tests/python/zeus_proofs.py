"""The proofs of docs/zeus.md, checked plainly (no batching): the Fiat-Shamir
transcript and Schnorr proofs of knowledge (section 2), the
Terelius-Wikstrom and Sako-Kilian proofs of shuffle (sections 5 and 6) and the
Chaum-Pedersen decryption proofs (section 7). Part of the independent verifier
verify_zeus.py; written from the document, not from the Rust code."""

import hashlib

from ristretto255 import L, Invalid, check, grp

# --------------------------------------------------------------------------
# Encodings (docs/zeus.md section 1)

HEX = set("0123456789abcdef")


def hexbytes(s, n):
    if not isinstance(s, str) or len(s) != 2 * n or any(c not in HEX for c in s):
        raise Invalid("bad hex")
    return bytes.fromhex(s)


def point(s):
    return grp.decode(hexbytes(s, 32))


def scalar(s):
    v = int.from_bytes(hexbytes(s, 32), "little")
    if v >= L:
        raise Invalid("non-canonical scalar")
    return v


def ct_bytes(s):
    return hexbytes(s, 64)


def ciphertext(s):
    b = ct_bytes(s)
    return grp.decode(b[:32]), grp.decode(b[32:])


def hex_scalar(v):
    return v.to_bytes(32, "little").hex()


def msum(pairs):
    acc = grp.IDENTITY
    for s, p in pairs:
        acc = grp.add(acc, grp.mul(s, p))
    return acc


# --------------------------------------------------------------------------
# Transcript (docs/zeus.md section 2)


def frame(label, data):
    return len(label).to_bytes(8, "little") + label + len(data).to_bytes(8, "little") + data


class Transcript:
    def __init__(self, protocol):
        self.h = hashlib.sha512()
        self.append("panoramix/zeus/v1/transcript", protocol.encode())

    def append(self, label, data):
        self.h.update(frame(label.encode(), data))

    def u64(self, label, v):
        self.append(label, v.to_bytes(8, "little"))

    def challenge(self, label):
        h = self.h.copy()
        h.update(frame(b"challenge", label.encode()))
        out = h.digest()
        self.append(label, out)
        return out

    def challenge_scalar(self, label):
        return int.from_bytes(self.challenge(label), "little") % L


def expand(domain, seed, i):
    return hashlib.sha512(frame(domain.encode(), seed) + i.to_bytes(8, "little")).digest()


def generator(sid, i):
    return grp.from_uniform_bytes(expand("panoramix/zeus/v1/generator", sid.encode(), i))


def statement(domain, sid, **items):
    """A transcript for `domain` with session_id and group, then `items` in order
    (bytes as they are)."""
    t = Transcript(domain)
    t.append("session_id", sid.encode())
    t.append("group", b"ristretto255")
    for label, data in items.items():
        t.append(label, data)
    return t


# --------------------------------------------------------------------------
# Schnorr proof of knowledge of x in X = x*G (docs/zeus.md section 2)


def schnorr_ok(t, x_pub, proof):
    """`t` has absorbed the statement; appends the commitment, derives c and checks
    s*G - c*X == R."""
    r = point(proof["commitment"])
    t.append("commitment", hexbytes(proof["commitment"], 32))
    c = t.challenge_scalar("challenge")
    s = scalar(proof["response"])
    return grp.eq(grp.add(grp.mul(s, grp.G), grp.neg(grp.mul(c, x_pub))), r)


# --------------------------------------------------------------------------
# Terelius-Wikstrom (docs/zeus.md section 5)


def tw_statement(sid, pkb, inp, out):
    t = Transcript("panoramix/zeus/v1/tw-shuffle")
    t.append("session_id", sid.encode())
    t.append("group", b"ristretto255")
    t.append("public_key", pkb)
    t.append("generators", b"panoramix/zeus/v1/generator")
    t.u64("n", len(inp))
    t.append("input", b"".join(ct_bytes(c) for c in inp))
    t.append("output", b"".join(ct_bytes(c) for c in out))
    return t


def verify_tw(k, sid, pkb, pk, gens, h0, inp, out, pr, info):
    n = len(inp)
    for name in ("u", "b", "b_prime", "k_b", "k_e"):
        check(len(pr[name]) == n, f"mix {k}: length of {name}")
    t = tw_statement(sid, pkb, inp, out)
    t.append("u", b"".join(hexbytes(x, 32) for x in pr["u"]))
    seed = t.challenge("e_seed")
    e = [int.from_bytes(expand("panoramix/zeus/v1/tw-e", seed, i), "little") % L for i in range(n)]
    t.append("b", b"".join(hexbytes(x, 32) for x in pr["b"]))
    t.append("a_prime", hexbytes(pr["a_prime"], 32))
    t.append("b_prime", b"".join(hexbytes(x, 32) for x in pr["b_prime"]))
    t.append("c_prime", hexbytes(pr["c_prime"], 32))
    t.append("d_prime", hexbytes(pr["d_prime"], 32))
    t.append("f_prime", ct_bytes(pr["f_prime"]))
    v = t.challenge_scalar("v")
    info["tw_e"] = e
    info["tw_v"] = v

    G = grp.G
    add, neg, mul, eq = grp.add, grp.neg, grp.mul, grp.eq
    u = [point(x) for x in pr["u"]]
    bb = [point(x) for x in pr["b"]]
    bp = [point(x) for x in pr["b_prime"]]
    a_p, c_p, d_p = point(pr["a_prime"]), point(pr["c_prime"]), point(pr["d_prime"])
    f1, f2 = ciphertext(pr["f_prime"])
    ka, kc, kd, kf = (scalar(pr[x]) for x in ("k_a", "k_c", "k_d", "k_f"))
    kb = [scalar(x) for x in pr["k_b"]]
    ke = [scalar(x) for x in pr["k_e"]]
    w = [ciphertext(c) for c in inp]
    wo = [ciphertext(c) for c in out]
    g = gens[1:n + 1]

    a = msum(zip(e, u))
    check(eq(add(mul(v, a), a_p), msum([(ka, G)] + list(zip(ke, g)))), f"mix {k}: TW equation A")
    prev = h0
    for i in range(n):
        lhs = add(mul(v, bb[i]), bp[i])
        rhs = add(mul(kb[i], G), mul(ke[i], prev))
        check(eq(lhs, rhs), f"mix {k}: TW equation B_{i}")
        prev = bb[i]
    c = grp.IDENTITY
    for i in range(n):
        c = add(c, add(u[i], neg(g[i])))
    check(eq(add(mul(v, c), c_p), mul(kc, G)), f"mix {k}: TW equation C")
    prod = 1
    for x in e:
        prod = prod * x % L
    dd = add(bb[n - 1], neg(mul(prod, h0)))
    check(eq(add(mul(v, dd), d_p), mul(kd, G)), f"mix {k}: TW equation D")
    for comp, fp, base in ((0, f1, G), (1, f2, pk)):
        f = msum([(e[i], w[i][comp]) for i in range(n)])
        rhs = add(msum([(ke[i], wo[i][comp]) for i in range(n)]), neg(mul(kf, base)))
        check(eq(add(mul(v, f), fp), rhs), f"mix {k}: TW equation F component {comp + 1}")


# --------------------------------------------------------------------------
# Sako-Kilian (docs/zeus.md section 6)


def verify_sk(k, sid, pkb, pk, inp, out, pr, info, min_rounds=128):
    n = len(inp)
    r = pr["rounds"]
    check(isinstance(r, int) and r >= max(min_rounds, 128), f"mix {k}: too few rounds")
    for name in ("collections", "offsets", "randoms"):
        check(len(pr[name]) == r, f"mix {k}: number of {name}")
        for lst in pr[name]:
            check(len(lst) == n, f"mix {k}: length in {name}")
    for offs in pr["offsets"]:
        check(sorted(offs) == list(range(n)), f"mix {k}: offsets not a permutation")
    t = Transcript("panoramix/zeus/v1/sk-shuffle")
    t.append("session_id", sid.encode())
    t.append("group", b"ristretto255")
    t.append("public_key", pkb)
    t.u64("n", n)
    t.u64("rounds", r)
    t.append("input", b"".join(ct_bytes(c) for c in inp))
    t.append("output", b"".join(ct_bytes(c) for c in out))
    for coll in pr["collections"]:
        t.append("collection", b"".join(ct_bytes(c) for c in coll))
    seed = t.challenge("bits_seed")
    stream = b""
    j = 0
    while len(stream) * 8 < r:
        stream += expand("panoramix/zeus/v1/sk-bits", seed, j)
        j += 1
    bits = [(stream[i // 8] >> (i % 8)) & 1 for i in range(r)]
    info["sk_bits"] = "".join(str(b) for b in bits)
    w = [ciphertext(c) for c in inp]
    wo = [ciphertext(c) for c in out]
    add, mul, eq, G = grp.add, grp.mul, grp.eq, grp.G
    for rnd in range(r):
        coll = [ciphertext(c) for c in pr["collections"][rnd]]
        x, y = (w, coll) if bits[rnd] == 0 else (coll, wo)
        for jj in range(n):
            rj = scalar(pr["randoms"][rnd][jj])
            yy = y[pr["offsets"][rnd][jj]]
            ok = eq(yy[0], add(x[jj][0], mul(rj, G))) and eq(yy[1], add(x[jj][1], mul(rj, pk)))
            check(ok, f"mix {k}: Sako-Kilian round {rnd} element {jj}")


# --------------------------------------------------------------------------
# Chaum-Pedersen decryption proofs (docs/zeus.md section 7)


def verify_cp(sid, pkib, pki, ct_hex, c1, factor_hex, pr):
    """Check one proof that d = x_i*c1 for pk_i = x_i*G; returns d."""
    d = point(factor_hex)
    a, b, s = point(pr["a"]), point(pr["b"]), scalar(pr["s"])
    t = statement("panoramix/zeus/v1/decryption-share", sid)
    t.append("trustee_public_key", pkib)
    t.append("ciphertext", ct_bytes(ct_hex))
    t.append("factor", hexbytes(factor_hex, 32))
    t.append("a", hexbytes(pr["a"], 32))
    t.append("b", hexbytes(pr["b"], 32))
    c = t.challenge_scalar("challenge")
    ok = grp.eq(grp.mul(s, grp.G), grp.add(a, grp.mul(c, pki))) and \
        grp.eq(grp.mul(s, c1), grp.add(b, grp.mul(c, d)))
    return d if ok else None
