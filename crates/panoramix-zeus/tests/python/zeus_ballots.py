"""Election parameters, plaintext encoding, ballots and the box rule of
docs/zeus.md (sections 3, 4 and 7), for the independent verifier verify_zeus.py.
Written from the document, not from the Rust code."""

from ristretto255 import L, Invalid, check, grp
from zeus_proofs import Transcript, hexbytes, point, scalar, schnorr_ok, statement

MAX_PLAINTEXT_LEN = 29
MAX_ANSWERS = 64
PARAM_FIELDS = ("session_id", "election_public_key", "trustees", "trustee_key_session", "answers",
                "voters", "revote", "sk_rounds", "dkg")

# --------------------------------------------------------------------------
# Plaintext encoding (docs/zeus.md section 4.1)


def encode_plaintext(msg):
    """The canonical encoding of `msg`: the first counter whose 32 bytes decode."""
    check(len(msg) <= MAX_PLAINTEXT_LEN, "plaintext too long")
    for ctr in range(128):
        b = bytes([2 * ctr, len(msg)]) + msg + bytes(30 - len(msg))
        try:
            return grp.decode(b)
        except Invalid:
            continue
    raise Invalid("plaintext not encodable")


def decode_plaintext(m):
    """The plaintext of a decrypted element, or None when it is not the canonical
    encoding of one (encode(decode(M)) != M)."""
    b = grp.encode(m)
    n = b[1]
    if n > MAX_PLAINTEXT_LEN or b[0] & 1 or any(b[2 + n:]):
        return None
    msg = b[2:2 + n]
    try:
        if grp.encode(encode_plaintext(msg)) != b:
            return None
    except Invalid:
        return None
    return msg


def outcome(election, m):
    """The text form of what a decrypted element counts as (section 7.3)."""
    msg = decode_plaintext(m)
    if msg is not None and (not election["answers"] or msg in election["answer_bytes"]):
        return msg.hex()
    return "spoiled:" + grp.encode(m).hex()


# --------------------------------------------------------------------------
# Election parameters (docs/zeus.md section 3.2)


def election_params(e):
    """Parse the election object: defaults, field set, types. Returns a dict with
    the defaults filled in (key_session resolved)."""
    check(isinstance(e, dict), "election: not an object")
    for k in e:
        check(k in PARAM_FIELDS, f"election: unknown field {k}")
    for k in ("session_id", "election_public_key"):
        check(k in e, f"election: missing {k}")
    out = {
        "session_id": e["session_id"],
        "election_public_key": e["election_public_key"],
        "trustees": e.get("trustees", []),
        "trustee_key_session": e.get("trustee_key_session", ""),
        "answers": e.get("answers", []),
        "voters": e.get("voters", []),
        "revote": e.get("revote", "last"),
        "sk_rounds": e.get("sk_rounds", 128),
        "dkg": e.get("dkg"),
    }
    check(isinstance(out["session_id"], str), "election.session_id")
    check(isinstance(out["trustee_key_session"], str), "election.trustee_key_session")
    check(out["revote"] == "last", "election.revote: the only policy is \"last\"")
    check(isinstance(out["sk_rounds"], int) and 0 <= out["sk_rounds"] < 2**32, "election.sk_rounds")
    for k in ("trustees", "answers", "voters"):
        check(isinstance(out[k], list), f"election.{k}: not a list")
    for t in out["trustees"]:
        check(isinstance(t, dict) and set(t) == {"public_key", "proof"}, "election.trustees: fields")
        check(isinstance(t["proof"], dict) and set(t["proof"]) == {"commitment", "response"},
              "election.trustees: proof fields")
    out["key_session"] = out["trustee_key_session"] or out["session_id"]
    return out


def definition_digest(e):
    """Section 4.4: the digest of the election definition every ballot signature
    binds (computed once per election)."""
    if "_definition" not in e:
        t = Transcript("panoramix/zeus/v1/election-definition")
        t.append("session_id", e["session_id"].encode())
        t.append("group", b"ristretto255")
        t.append("key_session", e["key_session"].encode())
        t.append("public_key", hexbytes(e["election_public_key"], 32))
        t.u64("answers", len(e["answers"]))
        for a in e["answers"]:
            t.append("answer", a.encode())
        t.append("voters", b"".join(hexbytes(v, 32) for v in e["voters"]))
        t.append("revote", e["revote"].encode())
        t.u64("sk_rounds", e["sk_rounds"])
        if e.get("dkg") is not None:
            t.u64("threshold", e["dkg"]["threshold"])
            t.append("trustees", b"".join(hexbytes(k["public_key"], 32) for k in e["trustees"]))
        e["_definition"] = t.challenge("definition")
    return e["_definition"]


def check_trustees(e):
    """Section 3.1 / 9.2 step 3: at least one trustee, no key twice, every proof
    of knowledge valid (bound to the key session), the sum not the identity and
    the election key, or with a key generation (section 3.4) its key the election
    key. Returns the keys partial decryptions are checked against (decoded), the
    threshold (None: n-of-n) and the qualified trustees (0-based)."""
    check(len(e["trustees"]) >= 1, "trustees: empty")
    keys = []
    total = grp.IDENTITY
    for i, tr in enumerate(e["trustees"]):
        check(tr["public_key"] not in [x["public_key"] for x in e["trustees"][:i]],
              f"trustee {i}: duplicate key")
        pki = point(tr["public_key"])
        t = statement("panoramix/zeus/v1/trustee-key", e["key_session"],
                      public_key=hexbytes(tr["public_key"], 32))
        check(schnorr_ok(t, pki, tr["proof"]), f"trustee {i}: key proof")
        total = grp.add(total, pki)
        keys.append(pki)
    check(grp.encode(total) != bytes(32), "joint key: identity")
    if e["dkg"] is None:
        check(grp.encode(total) == hexbytes(e["election_public_key"], 32), "joint key: not the election key")
        return keys, None, list(range(len(keys)))
    from zeus_threshold import verify_dkg
    o = verify_dkg(e["dkg"], e["trustees"])
    e["dkg_outcome"] = o
    check(o["public_key"] == hexbytes(e["election_public_key"], 32),
          "joint key: the key generation's key is not the election key")
    return o["vks"], e["dkg"]["threshold"], [q - 1 for q in o["qualified"]]


def check_rules(e):
    """Section 3.2 (checks 1-4) / 9.2 step 4: the election key decodes; at most 64
    distinct answers of 1 to 29 bytes each (their encodings computed); distinct
    voter credentials, then every credential decodes. Fills e["pk"], e["answer_bytes"], e["answer_points"],
    e["voter_set"]."""
    e["pk"] = point(e["election_public_key"])
    check(len(e["answers"]) <= MAX_ANSWERS, "election.answers: more than 64")
    e["answer_bytes"] = []
    for k, a in enumerate(e["answers"]):
        check(isinstance(a, str), f"election.answers[{k}]")
        b = a.encode()
        check(1 <= len(b) <= MAX_PLAINTEXT_LEN, f"election.answers[{k}]: length")
        check(b not in e["answer_bytes"], f"election.answers[{k}]: repeated")
        e["answer_bytes"].append(b)
    e["answer_points"] = [encode_plaintext(b) for b in e["answer_bytes"]]
    e["voter_set"] = set()
    for i, v in enumerate(e["voters"]):
        check(v not in e["voter_set"], f"election.voters[{i}]: repeated")
        e["voter_set"].add(v)
    for i, v in enumerate(e["voters"]):
        try:
            point(v)
        except Invalid as err:
            raise Invalid(f"election.voters[{i}]: {err}")


# --------------------------------------------------------------------------
# Ballots (docs/zeus.md section 4)


def validity_bytes(v):
    if "knowledge" in v:
        p = v["knowledge"]
        return hexbytes(p["commitment"], 32) + hexbytes(p["response"], 32)
    return b"".join(hexbytes(br["challenge"], 32) + hexbytes(br["response"], 32) for br in v["one_of"])


def validity_statement(e, b):
    return statement("panoramix/zeus/v1/ballot-validity", e["session_id"],
                     public_key=hexbytes(e["election_public_key"], 32),
                     credential=hexbytes(b["credential"], 32),
                     answers=b"".join(grp.encode(m) for m in e["answer_points"]),
                     ciphertext=hexbytes(b["ciphertext"], 64))


def one_of_commitments(e, c1, c2, branches):
    """(A_k, B_k) = (s_k*G - e_k*c1, s_k*pk - e_k*(c2 - M_k)), and the sum of e_k."""
    out = []
    total = 0
    for br, m in zip(branches, e["answer_points"]):
        ek, sk = scalar(br["challenge"]), scalar(br["response"])
        a = grp.add(grp.mul(sk, grp.G), grp.neg(grp.mul(ek, c1)))
        bb = grp.add(grp.mul(sk, e["pk"]), grp.neg(grp.mul(ek, grp.add(c2, grp.neg(m)))))
        out += [a, bb]
        total = (total + ek) % L
    return out, total


def check_ballot(e, b, i):
    """Section 4.6: fields, encodings, the validity proof, the signature, eligibility."""
    check(isinstance(b, dict) and set(b) == {"credential", "ciphertext", "validity", "signature"},
          f"ballot {i}: fields")
    cred = point(b["credential"])
    ct = hexbytes(b["ciphertext"], 64)
    c1, c2 = grp.decode(ct[:32]), grp.decode(ct[32:])
    v = b["validity"]
    check(isinstance(v, dict) and len(v) == 1, f"ballot {i}: validity")
    k = len(e["answers"])
    t = validity_statement(e, b)
    if "knowledge" in v and k == 0:
        ok = schnorr_ok(t, c1, v["knowledge"])
    elif "one_of" in v and len(v["one_of"]) == k and k > 0:
        comms, total = one_of_commitments(e, c1, c2, v["one_of"])
        t.append("commitments", b"".join(grp.encode(p) for p in comms))
        ok = t.challenge_scalar("challenge") == total
    else:
        raise Invalid(f"ballot {i}: validity proof of the wrong form for {k} answers")
    check(ok, f"ballot {i}: validity proof")
    t = statement("panoramix/zeus/v1/ballot-signature", e["session_id"],
                  public_key=hexbytes(e["election_public_key"], 32),
                  definition=definition_digest(e),
                  credential=hexbytes(b["credential"], 32),
                  ciphertext=ct, validity=validity_bytes(v))
    check(schnorr_ok(t, cred, b["signature"]), f"ballot {i}: signature")
    check(not e["voters"] or b["credential"] in e["voter_set"], f"ballot {i}: not eligible")
    return c1, c2


def ballot_from_text(s):
    """Section 4.5: the text form to the JSON form (scalars checked here, points by
    check_ballot)."""
    check(isinstance(s, str) and len(s) % 2 == 0 and all(c in "0123456789abcdef" for c in s),
          "ballot text: not lowercase hex")
    raw = bytes.fromhex(s)
    check(len(raw) >= 2 and raw[0] == 2 and raw[1] <= MAX_ANSWERS, "ballot text: header")
    k = raw[1]
    plen = 64 if k == 0 else 64 * k
    check(len(raw) == 2 + 96 + plen + 64, "ballot text: length")

    def sc(off):
        x = raw[off:off + 32]
        check(int.from_bytes(x, "little") < L, "ballot text: non-canonical scalar")
        return x.hex()

    proof = raw[98:98 + plen]
    if k == 0:
        validity = {"knowledge": {"commitment": proof[:32].hex(), "response": sc(130)}}
    else:
        validity = {"one_of": [{"challenge": sc(98 + 64 * j), "response": sc(98 + 64 * j + 32)}
                               for j in range(k)]}
    end = 98 + plen
    return {"credential": raw[2:34].hex(), "ciphertext": raw[34:98].hex(), "validity": validity,
            "signature": {"commitment": raw[end:end + 32].hex(), "response": sc(end + 32)}}


def ballot_to_text(b):
    v = b["validity"]
    k = 0 if "knowledge" in v else len(v["one_of"])
    sig = b["signature"]
    return (bytes([2, k]).hex() + b["credential"] + b["ciphertext"] + validity_bytes(v).hex()
            + sig["commitment"] + sig["response"])


def box_rule(e, ballots):
    """Section 4.6 over ballots that each passed check_ballot, in box order: no c1
    twice (a replay is an error here: the transcript lists accepted ballots only);
    counted = each credential's last ballot, in box order. Returns the counted
    ciphertexts (hex)."""
    seen = {}
    for i, b in enumerate(ballots):
        c1 = b["ciphertext"][:64]
        check(c1 not in seen, f"ballot {i}: replays ballot {seen.get(c1)}")
        seen[c1] = i
    last = {b["credential"]: i for i, b in enumerate(ballots)}
    return [b["ciphertext"] for i, b in enumerate(ballots) if last[b["credential"]] == i]


def booth(e, texts):
    """The booth's decision on input texts (section 4.6): (accepted [(index,
    ballot)], rejected indices, counted ciphertexts)."""
    accepted, rejected, seen = [], [], set()
    for i, s in enumerate(texts):
        try:
            b = ballot_from_text(s)
            check_ballot(e, b, i)
        except Invalid:
            rejected.append(i)
            continue
        if b["ciphertext"][:64] in seen:
            rejected.append(i)
            continue
        seen.add(b["ciphertext"][:64])
        accepted.append((i, b))
    return accepted, rejected, box_rule(e, [b for _, b in accepted])
