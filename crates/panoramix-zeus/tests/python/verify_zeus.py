#!/usr/bin/env python3
"""Independent verifier for panoramix ZEUS election transcripts (v2).

Written from docs/zeus.md alone, as a cross-implementation check of the Rust
verifier and of the specification. It checks every equation plainly (no
batching, no multi-scalar tricks), in the order of the verifier checklist
(docs/zeus.md section 9): header, trustees' keys (n-of-n, or a threshold key
generation with its complaints), election definition, ballots (validity proofs,
credential signatures, eligibility, replays, each credential's last ballot),
mixes, partial decryptions (threshold: qualified trustees, invalid ones skipped,
Lagrange combination), outcomes (canonical decoding, allowed answers, spoiled
ballots).

Modules: ristretto255.py (the group: libsodium through pysodium, or pure
Python), zeus_proofs.py (transcript, Schnorr, TW, SK, Chaum-Pedersen),
zeus_ballots.py (parameters, plaintext encoding, ballots, the box rule),
zeus_threshold.py (the key generation, Lagrange coefficients).

Usage:
    verify_zeus.py [--backend sodium|pure|both] [--self-test] [--check-backends] FILE.json [...]
        verify each file, exit 1 on the first failure ("FILE: INVALID: <check>").
        FILE is an election transcript (panoramix verify-election's input), a
        vector file holding one ("transcript", with recorded intermediates and,
        for the election vectors, the booth's inputs and decision), or the ballot
        vectors (tests/vectors/zeus_ballots.json: each ballot verified, its
        challenges and commitments recomputed, its Benaloh opening checked and,
        with libsodium's ChaCha20, the ballot re-created byte for byte from the
        seed). --self-test also checks that mutated copies of each transcript
        are rejected (targeted mutations, and for N <= 4 one hex digit changed in
        each of 20 seeded random points, scalars and ciphertexts).
        --check-backends first checks that the two group backends agree.
Exit status 3: the sodium backend was asked for but pysodium or libsodium is
missing (run scripts/ensure-python.sh).
"""

import copy
import hashlib
import json
import random
import sys
import time

import ristretto255
from ristretto255 import L, BackendMissing, Invalid, check, grp
from zeus_ballots import (ballot_from_text, ballot_to_text, booth, box_rule, check_ballot,
                          check_rules, check_trustees, decode_plaintext, definition_digest,
                          election_params,
                          encode_plaintext, one_of_commitments, outcome, validity_bytes,
                          validity_statement)
from zeus_proofs import (ciphertext, generator, hex_scalar, hexbytes, point, scalar, statement,
                         verify_cp, verify_sk, verify_tw)
from zeus_threshold import lagrange_at_zero

VERSION = "panoramix/zeus/v2/election"

# --------------------------------------------------------------------------
# The verifier checklist (docs/zeus.md section 9)

# The shape of a transcript (section 9.1, step 1 of 9.2): every object has exactly
# these fields (the election's optional ones are checked by election_params); "S"
# a string, "I" a non-negative integer, [x] a list of x, ("one of", a, b) an object
# that is a or b.
SCHNORR = {"commitment": "S", "response": "S"}
SHAPE = {
    "version": "S", "group": "S", "election": "election",
    "ballots": [{"credential": "S", "ciphertext": "S",
                 "validity": ("one of", {"knowledge": SCHNORR},
                              {"one_of": [{"challenge": "S", "response": "S"}]}),
                 "signature": SCHNORR}],
    "mixes": [{"mixer": "S", "output": ["S"],
               "proof": ("one of",
                         {"tw": {"u": ["S"], "b": ["S"], "a_prime": "S", "b_prime": ["S"],
                                 "c_prime": "S", "d_prime": "S", "f_prime": "S", "k_a": "S",
                                 "k_b": ["S"], "k_c": "S", "k_d": "S", "k_e": ["S"], "k_f": "S"}},
                         {"sk": {"rounds": "I", "collections": [["S"]], "offsets": [["I"]],
                                 "randoms": [["S"]]}})}],
    "partial_decryptions": [{"trustee": "I", "factors": ["S"],
                             "proofs": [{"a": "S", "b": "S", "s": "S"}]}],
    "plaintexts": ["S"],
}


def shape(x, spec, at="transcript"):
    """Raise Invalid("malformed at <path>") unless x has the shape spec."""
    bad = f"malformed at {at}"
    if spec == "S":
        check(isinstance(x, str), bad)
    elif spec == "I":
        check(isinstance(x, int) and not isinstance(x, bool) and x >= 0, bad)
    elif spec == "election":
        check(isinstance(x, dict), bad)
    elif isinstance(spec, list):
        check(isinstance(x, list), bad)
        for i, y in enumerate(x):
            shape(y, spec[0], f"{at}[{i}]")
    elif isinstance(spec, tuple):
        check(isinstance(x, dict) and len(x) == 1, bad)
        alt = [a for a in spec[1:] if set(a) == set(x)]
        check(len(alt) == 1, bad)
        shape(x, alt[0], at)
    else:
        check(isinstance(x, dict) and set(x) == set(spec), bad)
        for k, sub in spec.items():
            shape(x[k], sub, f"{at}.{k}")


def verify_transcript(t, info):
    """All checks of section 9 in order; raises Invalid naming the first failure.
    Returns (N counted, number spoiled)."""
    shape(t, SHAPE)
    check(t["version"] == VERSION, "version")
    check(t["group"] == "ristretto255", "group")
    e = election_params(t["election"])
    sid = e["session_id"]
    tpk, threshold, qualified = check_trustees(e)
    info["qualified"] = qualified
    check_rules(e)
    pkb = hexbytes(e["election_public_key"], 32)
    pk = e["pk"]

    ballots = t["ballots"]
    for i, b in enumerate(ballots):
        check_ballot(e, b, i)
    lst = box_rule(e, ballots)
    n = len(lst)
    check(n >= 1, "no ballots")
    info["counted"] = lst

    check(len(t["mixes"]) >= 1, "no mixes")
    check(len({m["mixer"] for m in t["mixes"]}) == len(t["mixes"]), "duplicate mixer")
    gens = [generator(sid, i) for i in range(n + 1)]
    info["generators"] = [grp.encode(g).hex() for g in gens[:11]]
    for k, m in enumerate(t["mixes"]):
        check(set(m) == {"mixer", "output", "proof"}, f"mix {k}: fields")
        check(len(m["output"]) == n, f"mix {k}: output length")
        for c in m["output"]:
            ciphertext(c)
        (kind, pr), = m["proof"].items()
        if kind == "tw":
            verify_tw(k, sid, pkb, pk, gens, gens[0], lst, m["output"], pr, info)
        elif kind == "sk":
            verify_sk(k, sid, pkb, pk, lst, m["output"], pr, info, max(e.get("sk_rounds", 128), 128))
        else:
            raise Invalid(f"mix {k}: unknown proof type")
        lst = m["output"]

    pds = t["partial_decryptions"]
    n_tr = len(tpk)
    if threshold is None:
        check(len(pds) == n_tr, "number of partial decryptions")
    cts = [ciphertext(c) for c in lst]
    seen, valid, skipped = set(), [], []
    for pos, pd in enumerate(pds):
        ti = pd["trustee"]
        check(ti < n_tr and ti not in seen, f"partial decryption {pos}: trustee {ti} unknown or twice")
        check(ti in qualified, f"partial decryption {pos}: trustee {ti} not qualified")
        seen.add(ti)
        try:
            pkib = grp.encode(tpk[ti])
            check(len(pd["factors"]) == n and len(pd["proofs"]) == n, "partial decryption length")
            ds = []
            for j in range(n):
                d = verify_cp(sid, pkib, tpk[ti], lst[j], cts[j][0], pd["factors"][j], pd["proofs"][j])
                check(d is not None, f"trustee {ti}: decryption proof {j}")
                ds.append(d)
        except Invalid:
            if threshold is None:
                raise
            skipped.append(pos)
            continue
        valid.append((ti, ds))
    acc = [c[1] for c in cts]
    if threshold is None:
        lam = {ti: 1 for ti, _ in valid}
    else:
        check(len(valid) >= threshold, f"{len(valid)} valid partial decryptions, {threshold} needed")
        valid = valid[:threshold]
        s_set = [ti + 1 for ti, _ in valid]
        lam = {ti: lagrange_at_zero(ti + 1, s_set) for ti, _ in valid}
        info["lagrange"] = {"trustees": s_set, "coefficients": [hex_scalar(lam[ti]) for ti, _ in valid]}
    info["skipped"] = skipped
    for ti, ds in valid:
        for j in range(n):
            acc[j] = grp.add(acc[j], grp.neg(grp.mul(lam[ti], ds[j])))
    outs = [outcome(e, m) for m in acc]
    check(len(t["plaintexts"]) == n, "number of outcomes")
    for j, (o, p) in enumerate(zip(outs, t["plaintexts"])):
        check(o == p, f"outcome {j}: published {p!r}, the decryption gives {o!r}")
    return n, sum(o.startswith("spoiled:") for o in outs)


# canonical field order (docs/zeus.md section 9.1: the Rust struct order), with
# the election's defaults left out as serialisation skips them
ORDER = {
    "trustee": ["public_key", "proof"],
    "schnorr": ["commitment", "response"],
    "mix": ["mixer", "output", "proof"],
    "tw": ["u", "b", "a_prime", "b_prime", "c_prime", "d_prime", "f_prime", "k_a", "k_b", "k_c",
           "k_d", "k_e", "k_f"],
    "sk": ["rounds", "collections", "offsets", "randoms"],
    "pd": ["trustee", "factors", "proofs"],
    "cp": ["a", "b", "s"],
}
SKIPPED_DEFAULTS = {"trustee_key_session": "", "answers": [], "voters": [], "revote": "last",
                    "dkg": None}


def canonical(t):
    def o(d, key):
        return {k: d[k] for k in ORDER[key]}

    e = {}
    for k in ("session_id", "election_public_key", "trustees", "trustee_key_session", "answers",
              "voters", "revote", "sk_rounds", "dkg"):
        if k in t["election"] and t["election"][k] != SKIPPED_DEFAULTS.get(k, None):
            e[k] = t["election"][k]
    e["trustees"] = [dict(o(x, "trustee"), proof=o(x["proof"], "schnorr")) for x in e["trustees"]]
    if e.get("dkg") is not None:
        d = e["dkg"]
        e["dkg"] = {
            "session_id": d["session_id"], "threshold": d["threshold"],
            "dealings": [{"dealer": x["dealer"], "commitments": x["commitments"],
                          "proof": o(x["proof"], "schnorr"),
                          "shares": [{k: sh[k] for k in ("recipient", "ephemeral", "ciphertext")}
                                     for sh in x["shares"]],
                          "signature": o(x["signature"], "schnorr")} for x in d["dealings"]],
            "complaints": [{"complainant": c["complainant"], "dealer": c["dealer"],
                            "shared_key": c["shared_key"], "proof": o(c["proof"], "cp")}
                           for c in d["complaints"]]}

    def ballot(b):
        v = b["validity"]
        if "knowledge" in v:
            v = {"knowledge": o(v["knowledge"], "schnorr")}
        else:
            v = {"one_of": [{"challenge": x["challenge"], "response": x["response"]} for x in v["one_of"]]}
        return {"credential": b["credential"], "ciphertext": b["ciphertext"], "validity": v,
                "signature": o(b["signature"], "schnorr")}

    mixes = []
    for m in t["mixes"]:
        (kind, pr), = m["proof"].items()
        mm = o(m, "mix")
        mm["proof"] = {kind: o(pr, kind)}
        mixes.append(mm)
    c = {"version": t["version"], "group": t["group"], "election": e,
         "ballots": [ballot(b) for b in t["ballots"]], "mixes": mixes,
         "partial_decryptions": [dict(o(x, "pd"), proofs=[o(p, "cp") for p in x["proofs"]])
                                 for x in t["partial_decryptions"]],
         "plaintexts": t["plaintexts"]}
    return json.dumps(c, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------
# Vector files


def check_vector(doc, t, info):
    """The recorded intermediates and the booth's decision of a vector file."""
    if "transcript_sha256" in doc:
        digest = hashlib.sha256(canonical(t).encode()).hexdigest()
        check(digest == doc["transcript_sha256"], "transcript digest differs")
    im = doc.get("intermediates", {})
    if "generators" in im:
        check(info["generators"] == im["generators"], "generators differ from the vector")
        check([hex_scalar(x) for x in info["tw_e"][:10]] == im["tw_e"], "TW e_i differ")
        check(hex_scalar(info["tw_v"]) == im["tw_v"], "TW v differs")
        check(info["sk_bits"] == im["sk_bits"], "Sako-Kilian bits differ")
    for i, x in enumerate(im.get("voter_secrets", [])):
        check(grp.encode(grp.mul(scalar(x), grp.G)).hex() == t["election"]["voters"][i],
              f"voter secret {i} is not the listed credential")
    if "dkg_outcome" in doc:
        e = election_params(t["election"])
        check_trustees(e)
        o, want = e["dkg_outcome"], doc["dkg_outcome"]
        check(o["qualified"] == want["qualified"], "dkg: qualified trustees differ")
        check(o["disqualified"] == want["disqualified"], "dkg: disqualified trustees differ")
        check(o["void_complaints"] == want["void_complaints"], "dkg: void complaints differ")
        check(o["public_key"].hex() == want["public_key"], "dkg: key differs")
        check([grp.encode(v).hex() for v in o["vks"]] == want["verification_keys"],
              "dkg: verification keys differ")
        check(info["lagrange"] == doc["lagrange"], "Lagrange coefficients differ")
        for j, x in im.get("secret_shares", {}).items():
            check(grp.encode(grp.mul(scalar(x), grp.G)).hex() == want["verification_keys"][int(j) - 1],
                  f"secret share {j} is not its verification key")
    if "booth_inputs" in doc:
        e = election_params(t["election"])
        check_rules(e)
        accepted, rejected, counted = booth(e, doc["booth_inputs"])
        check([i for i, _ in accepted] == doc["accepted_inputs"], "booth: accepted inputs differ")
        check([b for _, b in accepted] == [canon_ballot(b) for b in t["ballots"]],
              "booth: the transcript's ballots are not the accepted inputs")
        check(rejected == [r["index"] for r in doc["booth_rejected"]], "booth: rejected inputs differ")
        check(counted == doc["counted"] == info["counted"], "booth: counted ciphertexts differ")
        check(doc["spoiled"] == info["spoiled"], "number of spoiled ballots differs")


def canon_ballot(b):
    return ballot_from_text(ballot_to_text(b))


def chacha_draws(seed):
    """ChaCha20 (20 rounds, 64-bit nonce 0, counter from 0) keystream of `seed`, as
    64-byte draws reduced mod l (docs/zeus.md section 10.1)."""
    import pysodium
    stream = pysodium.crypto_stream_chacha20_xor(bytes(64 * 64), bytes(8), bytes.fromhex(seed))
    for i in range(64):
        yield int.from_bytes(stream[64 * i:64 * i + 64], "little") % L


def reproduce_ballot(c, e):
    """Re-create a ballot vector's election keys and ballot from its seed, as the
    prover of section 4 does, and compare them byte for byte."""
    draw = chacha_draws(c["seed"])
    G, mul, add, neg, enc = grp.G, grp.mul, grp.add, grp.neg, grp.encode
    xs = [next(draw), next(draw)]
    for i, x in enumerate(xs):
        k = next(draw)
        pki = enc(mul(x, G))
        t = statement("panoramix/zeus/v1/trustee-key", e["key_session"], public_key=pki)
        t.append("commitment", enc(mul(k, G)))
        s = (k + t.challenge_scalar("challenge") * x) % L
        tr = e["trustees"][i]
        check(tr == {"public_key": pki.hex(), "proof": {"commitment": enc(mul(k, G)).hex(),
                                                        "response": hex_scalar(s)}},
              f"{c['name']}: trustee {i} differs from the re-created one")
    v = next(draw)
    check(hex_scalar(v) == c["voter_secret"], f"{c['name']}: voter secret")
    r = next(draw)
    check(hex_scalar(r) == c["randomness"], f"{c['name']}: randomness")
    ans = c["answer"].encode()
    c1 = mul(r, G)
    b = {"credential": enc(mul(v, G)).hex()}
    if not e["answers"]:
        c2 = add(encode_plaintext(ans), mul(r, e["pk"]))
        b["ciphertext"] = enc(c1).hex() + enc(c2).hex()
        k = next(draw)
        t = validity_statement(e, b)
        t.append("commitment", enc(mul(k, G)))
        s = (k + t.challenge_scalar("challenge") * r) % L
        b["validity"] = {"knowledge": {"commitment": enc(mul(k, G)).hex(), "response": hex_scalar(s)}}
    else:
        real = e["answer_bytes"].index(ans)
        c2 = add(e["answer_points"][real], mul(r, e["pk"]))
        b["ciphertext"] = enc(c1).hex() + enc(c2).hex()
        es, ss = [], []
        for i in range(len(e["answers"])):
            sim, nonce = next(draw), next(draw)
            es.append(0 if i == real else sim)
            ss.append(nonce)
        branches = [{"challenge": hex_scalar(x), "response": hex_scalar(y)} for x, y in zip(es, ss)]
        comms, _ = one_of_commitments(e, c1, c2, branches)
        t = validity_statement(e, b)
        t.append("commitments", b"".join(enc(p) for p in comms))
        ch = t.challenge_scalar("challenge")
        es[real] = (ch - sum(es)) % L
        ss[real] = (ss[real] + es[real] * r) % L
        b["validity"] = {"one_of": [{"challenge": hex_scalar(x), "response": hex_scalar(y)}
                                    for x, y in zip(es, ss)]}
    k = next(draw)
    t = statement("panoramix/zeus/v1/ballot-signature", e["session_id"],
                  public_key=hexbytes(e["election_public_key"], 32),
                  definition=definition_digest(e),
                  credential=bytes.fromhex(b["credential"]),
                  ciphertext=bytes.fromhex(b["ciphertext"]), validity=validity_bytes(b["validity"]))
    t.append("commitment", enc(mul(k, G)))
    s = (k + t.challenge_scalar("challenge") * v) % L
    b["signature"] = {"commitment": enc(mul(k, G)).hex(), "response": hex_scalar(s)}
    check(ballot_to_text(b) == c["ballot_text"], f"{c['name']}: the re-created ballot differs")


def verify_ballot_vectors(doc, reproduce):
    """tests/vectors/zeus_ballots.json: each case's election and ballot verify;
    the text form is the JSON form; the recorded encodings, commitments and
    challenges are recomputed; the Benaloh opening gives the answer."""
    for c in doc["cases"]:
        name = c["name"]
        e = election_params(c["election"])
        check_trustees(e)
        check_rules(e)
        b = c["ballot"]
        check(ballot_from_text(c["ballot_text"]) == canon_ballot(b), f"{name}: text form")
        c1, c2 = check_ballot(e, b, 0)
        check([grp.encode(m).hex() for m in e["answer_points"]] == c["answer_encodings"],
              f"{name}: answer encodings")
        im = c["intermediates"]
        t = validity_statement(e, b)
        v = b["validity"]
        if "one_of" in v:
            comms, total = one_of_commitments(e, c1, c2, v["one_of"])
            hexes = [grp.encode(p).hex() for p in comms]
            check([hexes[i:i + 2] for i in range(0, len(hexes), 2)] == im["validity_commitments"],
                  f"{name}: commitments")
            t.append("commitments", b"".join(grp.encode(p) for p in comms))
        else:
            t.append("commitment", hexbytes(v["knowledge"]["commitment"], 32))
        check(hex_scalar(t.challenge_scalar("challenge")) == im["validity_challenge"],
              f"{name}: validity challenge")
        check(definition_digest(e).hex() == im["definition_digest"], f"{name}: definition digest")
        t = statement("panoramix/zeus/v1/ballot-signature", e["session_id"],
                      public_key=hexbytes(e["election_public_key"], 32),
                      definition=definition_digest(e),
                      credential=hexbytes(b["credential"], 32),
                      ciphertext=hexbytes(b["ciphertext"], 64), validity=validity_bytes(v))
        t.append("commitment", hexbytes(b["signature"]["commitment"], 32))
        check(hex_scalar(t.challenge_scalar("challenge")) == im["signature_challenge"],
              f"{name}: signature challenge")
        # Benaloh opening (section 4.7)
        r = scalar(c["randomness"])
        check(grp.eq(grp.mul(r, grp.G), c1), f"{name}: opening: r*G is not c1")
        msg = decode_plaintext(grp.add(c2, grp.neg(grp.mul(r, e["pk"]))))
        check(msg is not None and msg == c["answer"].encode(), f"{name}: opening: answer")
        check(not e["answers"] or msg in e["answer_bytes"], f"{name}: opening: not an answer")
        if reproduce:
            reproduce_ballot(c, e)
    return len(doc["cases"])


def load(path):
    with open(path) as f:
        return json.load(f)


def verify_file(path, doc=None, reproduce=True):
    """Returns a one-line summary of what was checked."""
    if doc is None:
        doc = load(path)
    if "cases" in doc:
        n = verify_ballot_vectors(doc, reproduce)
        again = ", re-created from their seeds" if reproduce else ""
        return f"{n} ballots: validity proofs, signatures, challenges, openings{again}"
    t = doc.get("transcript", doc)
    info = {}
    n, spoiled = verify_transcript(t, info)
    info["spoiled"] = spoiled
    check_vector(doc, t, info)
    extra = ", vector intermediates match" if t is not doc else ""
    return f"{n} ballots counted, {spoiled} spoiled{extra}"


# --------------------------------------------------------------------------
# Self-test: mutated copies must be rejected


def targeted_mutations(t):
    """Mutations of a transcript, each of which a verifier must reject; those that
    do not apply to this transcript (no TW or SK mix) are left out."""
    kinds = [next(iter(m["proof"])) for m in t["mixes"]]
    tw_k = kinds.index("tw") if "tw" in kinds else None
    sk_k = kinds.index("sk") if "sk" in kinds else None
    e = t["election"]

    def bump(h):
        return hex_scalar((int.from_bytes(bytes.fromhex(h), "little") + 1) % L)

    def other_point(k):
        return grp.encode(grp.mul(k, grp.G)).hex()

    def set_(d, k, v):
        d[k] = v

    def validity(x):
        v = x["ballots"][0]["validity"]
        if "knowledge" in v:
            set_(v["knowledge"], "response", bump(v["knowledge"]["response"]))
        else:
            set_(v["one_of"][0], "challenge", bump(v["one_of"][0]["challenge"]))

    def moved_credential(x):
        # the ballot under another listed credential: its proof and signature bind the first
        new = other_point(12345)
        x["ballots"][0]["credential"] = new
        x["election"].setdefault("voters", []).append(new)

    def off_list(x):
        voters = x["election"]["voters"]
        voters[voters.index(x["ballots"][0]["credential"])] = other_point(54321)

    m = {
        "session id": lambda x: set_(x["election"], "session_id", x["election"]["session_id"] + "!"),
        "session id, trustee keys' session pinned": lambda x: (
            set_(x["election"], "trustee_key_session", x["election"]["session_id"]),
            set_(x["election"], "session_id", x["election"]["session_id"] + "!")),
        "outcome 0 as a plaintext 00": lambda x: set_(x["plaintexts"], 0, "00"),
        "outcome 0 as spoiled": lambda x: set_(x["plaintexts"], 0, "spoiled:" + other_point(7)),
        "appended output": lambda x: x["mixes"][0]["output"].append(x["mixes"][0]["output"][0]),
        "validity proof": validity,
        "signature response": lambda x: set_(x["ballots"][0]["signature"], "response",
                                             bump(x["ballots"][0]["signature"]["response"])),
        "credential moved to another listed voter": moved_credential,
        "replayed ballot appended": lambda x: x["ballots"].append(copy.deepcopy(x["ballots"][0])),
        "trustee_key_session": lambda x: set_(x["election"], "trustee_key_session", "another"),
        "trustee 0 replaced": lambda x: set_(x["election"]["trustees"], 0, x["election"]["trustees"][-1])
        if len(x["election"]["trustees"]) > 1 else x["election"]["trustees"].append(x["election"]["trustees"][0]),
    }
    if e.get("voters"):
        m["credential off the voter list"] = off_list
    if tw_k is not None:
        def tw(x):
            return x["mixes"][tw_k]["proof"]["tw"]
        m["TW k_a"] = lambda x: set_(tw(x), "k_a", bump(tw(x)["k_a"]))
        m["TW u[0]"] = lambda x: set_(tw(x)["u"], 0, tw(x)["u"][-1] if len(tw(x)["u"]) > 1
                                      else other_point(99))
        m["swapped TW outputs (N=1: another ciphertext)"] = lambda x: (
            x["mixes"][tw_k]["output"].reverse() if len(x["mixes"][tw_k]["output"]) > 1
            else set_(x["mixes"][tw_k]["output"], 0, other_point(3) + other_point(4)))
    if e.get("dkg"):
        def dkg(x):
            return x["election"]["dkg"]
        m["dkg: threshold lowered"] = lambda x: set_(dkg(x), "threshold", dkg(x)["threshold"] - 1)
        m["dkg: first dealing removed"] = lambda x: dkg(x)["dealings"].pop(0)
        if e["dkg"]["complaints"]:
            m["dkg: complaints removed"] = lambda x: set_(dkg(x), "complaints", [])
    if sk_k is not None:
        def sk(x):
            return x["mixes"][sk_k]["proof"]["sk"]
        m["SK randoms"] = lambda x: set_(sk(x)["randoms"][3], 0, hex_scalar(5))
        m["SK 127 rounds"] = lambda x: (set_(sk(x), "rounds", 127), sk(x)["collections"].pop(),
                                        sk(x)["offsets"].pop(), sk(x)["randoms"].pop())
        m["election.sk_rounds above the proof's rounds"] = lambda x: set_(
            x["election"], "sk_rounds", sk(x)["rounds"] + 1)
    return m


def unbound(t, path, info):
    """Values a valid transcript may carry unchecked: a key generation's
    complaints (a void complaint is ignored), the dealings of disqualified
    dealers, and the partial decryptions a threshold tally skipped. A qualified
    dealing's every byte is bound by its dealer's signature."""
    if path[:2] == ["election", "dkg"]:
        if "complaints" in path:
            return True
        if path[2] == "dealings":
            return t["election"]["dkg"]["dealings"][path[3]]["dealer"] - 1 not in info["qualified"]
    return path[0] == "partial_decryptions" and path[1] in info["skipped"]


def self_test(path):
    """Mutated copies must be rejected. Returns the number of mutations."""
    doc = load(path)
    t = doc.get("transcript", doc)
    mutations = targeted_mutations(t)
    info = {}
    verify_transcript(copy.deepcopy(t), info)
    # and, for small transcripts, one hex digit changed in 20 seeded random points,
    # scalars and ciphertexts (each of them is bound by a proof, the joint key or
    # the voter list)
    if len(t["plaintexts"]) <= 4:
        rng = random.Random(len(t["plaintexts"]))
        leaves = []

        def walk(x, at):
            for k, v in x.items() if isinstance(x, dict) else enumerate(x):
                if isinstance(v, str) and len(v) in (64, 128):
                    if not unbound(t, at + [k], info):
                        leaves.append((x, k))
                elif isinstance(v, (dict, list)):
                    walk(v, at + [k])

        walk(t, [])
        for j in sorted(rng.sample(range(len(leaves)), 20)):
            x, k = leaves[j]
            i = rng.randrange(len(x[k]))
            digit = rng.choice([d for d in "0123456789abcdef" if d != x[k][i]])
            mutations[f"field {j}, hex digit {i}"] = (x, k, x[k][:i] + digit + x[k][i + 1:])
    for name, mutate in mutations.items():
        if isinstance(mutate, tuple):  # a field of t itself: change it, verify, restore
            x, k, value = mutate
            old, x[k] = x[k], value
            bad = t
        else:
            bad = copy.deepcopy(t)
            mutate(bad)
        try:
            verify_transcript(bad, {})
        except (Invalid, KeyError, IndexError, ValueError, TypeError, AttributeError):
            continue
        finally:
            if isinstance(mutate, tuple):
                x[k] = old
        raise SystemExit(f"self-test: mutation '{name}' was accepted")
    print(f"{path}: {len(mutations)} mutations rejected")


def main(argv):
    args = argv[1:]
    selftest = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    backends = ["sodium"]
    if "--backend" in args:
        i = args.index("--backend")
        choice = args[i + 1] if i + 1 < len(args) else ""
        del args[i:i + 2]
        if choice not in ("sodium", "pure", "both"):
            print("--backend: sodium, pure or both")
            return 2
        backends = ["sodium", "pure"] if choice == "both" else [choice]
    check_both = "--check-backends" in args
    args = [a for a in args if a != "--check-backends"]
    if check_both:
        try:
            ristretto255.check_backends()
        except BackendMissing as e:
            print(f"verify_zeus.py: {e}; run scripts/ensure-python.sh")
            return 3
        except Invalid as e:
            print(f"BACKENDS DIFFER: {e}")
            return 1
    if not args:
        if check_both:
            return 0
        print(__doc__)
        return 2
    for backend in backends:
        try:
            ristretto255.use_backend(backend)
        except BackendMissing as e:
            print(f"verify_zeus.py: {e}; run scripts/ensure-python.sh (or use --backend pure)")
            return 3
        for path in args:
            start = time.perf_counter()
            try:
                what = verify_file(path, reproduce=backend == "sodium")
            except Invalid as e:
                print(f"{path}: INVALID: {e}")
                return 1
            except (KeyError, IndexError, ValueError, TypeError, AttributeError) as e:
                print(f"{path}: INVALID: malformed ({type(e).__name__}: {e})")
                return 1
            took = time.perf_counter() - start
            print(f"{path}: VALID ({what}; {backend} backend, {took:.2f} s)")
            if selftest and "cases" not in load(path):
                self_test(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
