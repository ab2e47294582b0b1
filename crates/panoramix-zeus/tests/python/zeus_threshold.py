"""Threshold trustees of docs/zeus.md (sections 3.4 and 7.2): checking the key
generation (dealings, complaints, disqualification, the election and
verification keys) and the Lagrange combination, for the independent verifier
verify_zeus.py. Written from the document, not from the Rust code."""

from ristretto255 import L, Invalid, check, grp
from zeus_proofs import Transcript, hexbytes, point, scalar, schnorr_ok, statement

MAX_TRUSTEES = 64
HEX = set("0123456789abcdef")


def _hex(x, at):
    check(isinstance(x, str) and len(x) == 64 and all(c in HEX for c in x), f"malformed at {at}")


def _idx(x, at):
    check(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2**32, f"malformed at {at}")


def dkg_shape(d):
    """The record's structure, as a strict parser reads it: fields, integers,
    hex, canonical scalars (a malformed record invalidates the transcript, it
    does not disqualify anyone)."""
    at = "election.dkg"
    check(isinstance(d, dict) and set(d) == {"session_id", "threshold", "dealings", "complaints"},
          f"malformed at {at}")
    check(isinstance(d["session_id"], str), f"malformed at {at}.session_id")
    _idx(d["threshold"], f"{at}.threshold")
    check(isinstance(d["dealings"], list) and isinstance(d["complaints"], list), f"malformed at {at}")
    for k, dl in enumerate(d["dealings"]):
        a = f"{at}.dealings[{k}]"
        check(isinstance(dl, dict) and set(dl) == {"dealer", "commitments", "proof", "shares", "signature"},
              f"malformed at {a}")
        _idx(dl["dealer"], f"{a}.dealer")
        check(isinstance(dl["commitments"], list) and isinstance(dl["shares"], list), f"malformed at {a}")
        for c in dl["commitments"]:
            _hex(c, f"{a}.commitments")
        p = dl["proof"]
        check(isinstance(p, dict) and set(p) == {"commitment", "response"}, f"malformed at {a}.proof")
        _hex(p["commitment"], f"{a}.proof.commitment")
        scalar(p["response"])
        g = dl["signature"]
        check(isinstance(g, dict) and set(g) == {"commitment", "response"}, f"malformed at {a}.signature")
        _hex(g["commitment"], f"{a}.signature.commitment")
        scalar(g["response"])
        for s in dl["shares"]:
            check(isinstance(s, dict) and set(s) == {"recipient", "ephemeral", "ciphertext"},
                  f"malformed at {a}.shares")
            _idx(s["recipient"], f"{a}.shares.recipient")
            _hex(s["ephemeral"], f"{a}.shares.ephemeral")
            _hex(s["ciphertext"], f"{a}.shares.ciphertext")
    for k, c in enumerate(d["complaints"]):
        a = f"{at}.complaints[{k}]"
        check(isinstance(c, dict) and set(c) == {"complainant", "dealer", "shared_key", "proof"},
              f"malformed at {a}")
        _idx(c["complainant"], f"{a}.complainant")
        _idx(c["dealer"], f"{a}.dealer")
        _hex(c["shared_key"], f"{a}.shared_key")
        p = c["proof"]
        check(isinstance(p, dict) and set(p) == {"a", "b", "s"}, f"malformed at {a}.proof")
        _hex(p["a"], f"{a}.proof.a")
        _hex(p["b"], f"{a}.proof.b")
        scalar(p["s"])


def u64(v):
    return v.to_bytes(8, "little")


def pad(sid, dealer, recipient, x_hex, e_hex, k_hex):
    """The first 32 bytes of challenge "pad" of the dkg-share transcript (no group frame)."""
    t = Transcript("panoramix/zeus/v1/dkg-share")
    t.append("session_id", sid.encode())
    t.append("dealer", u64(dealer))
    t.append("recipient", u64(recipient))
    t.append("recipient_key", bytes.fromhex(x_hex))
    t.append("ephemeral", bytes.fromhex(e_hex))
    t.append("shared_key", bytes.fromhex(k_hex))
    return t.challenge("pad")[:32]


def eval_commitments(cs, j):
    acc, pw = grp.IDENTITY, 1
    for c in cs:
        acc = grp.add(acc, grp.mul(pw, c))
        pw = pw * j % L
    return acc


def open_share(sid, dealer, x_hex, share, k_hex):
    """The share's scalar, or None if it is not canonical."""
    p = pad(sid, dealer, share["recipient"], x_hex, share["ephemeral"], k_hex)
    v = int.from_bytes(bytes(a ^ b for a, b in zip(bytes.fromhex(share["ciphertext"]), p)), "little")
    return v if v < L else None


def check_dealing(sid, t, trustees, dl):
    """Raise Invalid (the dealer is disqualified) unless the dealing is well-formed
    and its proof verifies; return the decoded commitments."""
    n = len(trustees)
    check(len(dl["commitments"]) == t, "number of commitments")
    check(len(dl["shares"]) == n and all(s["recipient"] == k + 1 for k, s in enumerate(dl["shares"])),
          "shares not one per trustee in order")
    cs = [point(c) for c in dl["commitments"]]
    for s in dl["shares"]:
        point(s["ephemeral"])
    tr = statement("panoramix/zeus/v1/dkg-dealing", sid, threshold=u64(t), trustees=u64(n),
                   dealer=u64(dl["dealer"]),
                   commitments=b"".join(hexbytes(c, 32) for c in dl["commitments"]))
    check(schnorr_ok(tr, cs[0], dl["proof"]), "proof of knowledge of the constant term")
    return cs


def signed_by_dealer(sid, t, trustees, dl):
    """The dealing carries its dealer's signature (dkg-dealing-signature transcript)."""
    n = len(trustees)
    i = dl["dealer"]
    if not 1 <= i <= n:
        return False
    key = trustees[i - 1]["public_key"]
    try:
        x = point(key)
        proof = hexbytes(dl["proof"]["commitment"], 32) + scalar(dl["proof"]["response"]).to_bytes(32, "little")
        shares = b"".join(u64(sh["recipient"]) + hexbytes(sh["ephemeral"], 32) + hexbytes(sh["ciphertext"], 32)
                          for sh in dl["shares"])
        tr = statement("panoramix/zeus/v1/dkg-dealing-signature", sid, threshold=u64(t), trustees=u64(n),
                       dealer=u64(i), dealer_key=bytes.fromhex(key),
                       commitments=b"".join(hexbytes(c, 32) for c in dl["commitments"]),
                       proof=proof, shares=shares)
        return schnorr_ok(tr, x, dl["signature"])
    except Invalid:
        return False


def attribute(d, trustees):
    """Per trustee the position of the dealing it signed (identical copies folded),
    the trustees that signed two different dealings, the ignored positions."""
    n = len(trustees)
    slots, equivocated, ignored = [None] * n, [False] * n, []
    for pos, dl in enumerate(d["dealings"]):
        i = dl["dealer"]
        if not signed_by_dealer(d["session_id"], d["threshold"], trustees, dl):
            ignored.append(pos)
            continue
        if slots[i - 1] is None:
            slots[i - 1] = pos
        else:
            ignored.append(pos)
            if d["dealings"][slots[i - 1]] != dl:
                equivocated[i - 1] = True
    return slots, equivocated, ignored


def judge(d, trustees, comms, slots, c):
    """True: upheld; False: valid but the share is good; None: void."""
    n = len(trustees)
    j, i = c["complainant"], c["dealer"]
    if not (1 <= j <= n and 1 <= i <= n) or comms[i - 1] is None:
        return None
    dl = None if slots[i - 1] is None else d["dealings"][slots[i - 1]]
    if dl is None or j > len(dl["shares"]):
        return None
    es = dl["shares"][j - 1]
    x_hex = trustees[j - 1]["public_key"]
    try:
        xp, e, kk = point(x_hex), point(es["ephemeral"]), point(c["shared_key"])
        a, b = point(c["proof"]["a"]), point(c["proof"]["b"])
    except Invalid:
        return None
    tr = statement("panoramix/zeus/v1/dkg-complaint", d["session_id"], complainant=u64(j),
                   dealer=u64(i), recipient_key=bytes.fromhex(x_hex),
                   ephemeral=bytes.fromhex(es["ephemeral"]),
                   shared_key=bytes.fromhex(c["shared_key"]),
                   a=bytes.fromhex(c["proof"]["a"]), b=bytes.fromhex(c["proof"]["b"]))
    ch = tr.challenge_scalar("challenge")
    s = scalar(c["proof"]["s"])
    ok1 = grp.eq(grp.add(grp.mul(s, grp.G), grp.neg(grp.mul(ch, xp))), a)
    ok2 = grp.eq(grp.add(grp.mul(s, e), grp.neg(grp.mul(ch, kk))), b)
    if not (ok1 and ok2):
        return None
    v = open_share(d["session_id"], i, x_hex, es, c["shared_key"])
    good = v is not None and grp.eq(grp.mul(v, grp.G), eval_commitments(comms[i - 1], j))
    return not good


def verify_dkg(d, trustees):
    """Section 3.4's checks. Returns a dict: qualified (1-based), disqualified,
    void_complaints, public_key (bytes), vks (decoded points, trustees 1..n)."""
    dkg_shape(d)
    n, t = len(trustees), d["threshold"]
    check(1 <= t <= n <= MAX_TRUSTEES, "dkg: threshold")
    comms = [None] * n
    disq = set()
    slots, equivocated, ignored = attribute(d, trustees)
    for k in range(n):
        if equivocated[k] or slots[k] is None:
            disq.add(k + 1)
            continue
        try:
            comms[k] = check_dealing(d["session_id"], t, trustees, d["dealings"][slots[k]])
        except Invalid:
            disq.add(k + 1)
    void = []
    for pos, c in enumerate(d["complaints"]):
        if judge(d, trustees, comms, slots, c):
            comms[c["dealer"] - 1] = None
            disq.add(c["dealer"])
        else:
            void.append(pos)
    qualified = [k + 1 for k in range(n) if comms[k] is not None]
    check(len(qualified) >= t, f"dkg: {len(qualified)} qualified trustees, fewer than the threshold {t}")
    pk = grp.IDENTITY
    vks = [grp.IDENTITY] * n
    for cs in comms:
        if cs is None:
            continue
        pk = grp.add(pk, cs[0])
        for k in range(n):
            vks[k] = grp.add(vks[k], eval_commitments(cs, k + 1))
    return {"qualified": qualified, "disqualified": sorted(disq), "void_complaints": void,
            "public_key": grp.encode(pk), "vks": vks, "ignored_dealings": ignored}


def lagrange_at_zero(j, s):
    """Lagrange coefficient at 0 of index j over the 1-based index set s."""
    num, den = 1, 1
    for m in s:
        if m != j:
            num = num * m % L
            den = den * (m - j) % L
    return num * pow(den, L - 2, L) % L
