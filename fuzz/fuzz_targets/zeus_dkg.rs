//! Fuzz the threshold trustees' key generation (`panoramix_zeus::dkg`): the
//! JSON forms of a key generation transcript (`Dkg`), of one `Dealing` and
//! of one `Complaint`, and `Dkg::verify` against five fixed trustee keys,
//! plus a structure-aware mode that mutates a valid 3-of-5 key generation.
//!
//! The fixture (built once, deterministically): five trustees with keys
//! published for the session "fuzz-keys", an honest key generation
//! "fuzz-dkg" with threshold 3, every trustee's view of it (its secret
//! share), every dealer's dealing with all shares garbled and signed by it
//! (a cheating dealer), and for every (dealer, complainant) pair the
//! complainant's complaint about the garbled share, with a valid proof (about
//! the honest share it is false, so void).
//!
//! Input layout: the first byte selects the mode, the rest is the input:
//! * 0: a `Dkg` as JSON;
//! * 1: a `Dealing` as JSON, put in the honest key generation in place of
//!   its dealer's (appended if the dealer is not 1 … 5);
//! * 2: a `Complaint` as JSON, appended to the honest key generation;
//! * 3: up to 24 mutations of the honest key generation, 4 bytes each
//!   (`op a b c`, see `mutate`), then, if it verifies, a decryption by a
//!   fuzzer-chosen set of trustees.
//!
//! Invariants, whatever the input (`check`):
//! * nothing panics; whatever parses re-serialises to JSON that parses to
//!   the same value;
//! * `verify` is deterministic, and if it succeeds: the qualified dealers
//!   are ascending, distinct, in 1 … 5, at least the threshold, and with the
//!   disqualified ones they are every trustee exactly once; the void
//!   complaints are distinct indices of the complaint list; there is one
//!   verification key per trustee; the election key is the sum of the
//!   qualified dealings' constant-term commitments;
//! * if the session and threshold are the honest ones, the dealers distinct
//!   and in range, and at least 3 of the dealings are unmodified honest ones,
//!   `verify` succeeds and qualifies every unmodified honest dealing
//!   (complaints about an honest share are void, whoever makes them);
//! * if every qualified dealing is an unmodified honest one, every
//!   trustee's secret share (from its honest view) matches its verification
//!   key, and any 3 or more of the qualified trustees decrypt (one invalid
//!   partial decryption among 4 or more is skipped);
//! * with all five honest dealings the outcome is the honest one (every
//!   complaint void);
//! * every attributed dealing names the trustee it is attributed to, and a
//!   dealer whose signed garbled dealing is attributed is not qualified when
//!   one of its recipients' valid complaints is on the list; a dealer that
//!   signed both its honest and its garbled dealing is not counted as honest
//!   (it equivocated); a changed dealing no longer carries its dealer's
//!   signature and is ignored.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use panoramix_fuzz::rng::FuzzRng;
use panoramix_zeus::dkg::{self, Complaint, Dealing, Dkg, DkgOutcome};
use panoramix_zeus::encoding::random_scalar;
use panoramix_zeus::{
    HexScalar, MixContext, Outcome, PartialDecryption, Point, TrusteeKey, TrusteeSecret,
    ZeusParams, combine, encode_plaintext, partial_decrypt,
};

const N: usize = 5;
const T: u32 = 3;
const KEY_SESSION: &str = "fuzz-keys";
const SESSION: &str = "fuzz-dkg";
const ELECTION: &str = "fuzz-election";
const MAX_OPS: usize = 24;

struct Fixture {
    keys: Vec<TrusteeKey>,
    honest: Dkg,
    outcome: DkgOutcome,
    /// Trustee j's view of the honest key generation (index j − 1).
    views: Vec<dkg::Received>,
    /// `valid_complaint[i − 1][j − 1]`: trustee j's complaint about dealer
    /// i's share in `garbled[i − 1]`, with a valid proof.
    valid_complaint: Vec<Vec<Complaint>>,
    /// Dealer i's dealing with every share garbled, signed by dealer i (a
    /// cheating dealer), index i − 1.
    garbled: Vec<Dealing>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = FuzzRng(0x5eed_d4c9);
        let secrets: Vec<TrusteeSecret> =
            (0..N).map(|_| TrusteeSecret::generate(&mut rng)).collect();
        let keys: Vec<TrusteeKey> = secrets
            .iter()
            .map(|s| s.publish(KEY_SESSION, &mut rng))
            .collect();
        let dealings = (1..=N as u32)
            .map(|i| {
                dkg::deal(SESSION, T, &keys, i, &secrets[i as usize - 1], &mut rng)
                    .expect("honest dealing")
            })
            .collect();
        let honest = Dkg {
            session_id: SESSION.into(),
            threshold: T,
            dealings,
            complaints: Vec::new(),
        };
        let views: Vec<dkg::Received> = (1..=N as u32)
            .map(|j| {
                dkg::receive(&honest, &keys, j, &secrets[j as usize - 1], &mut rng)
                    .expect("honest view")
            })
            .collect();
        assert!(views.iter().all(|v| v.complaints.is_empty()));
        let outcome = honest.verify(&keys).expect("honest key generation");
        assert_eq!(outcome.qualified, vec![1, 2, 3, 4, 5]);
        // every share garbled: every trustee complains about every dealer
        let mut garbled = honest.clone();
        for d in &mut garbled.dealings {
            for s in &mut d.shares {
                s.ciphertext.0[0] ^= 1;
            }
            let secret = &secrets[d.dealer as usize - 1];
            dkg::sign_dealing(SESSION, T, &keys, d, secret, &mut rng).expect("signs");
        }
        let mut valid_complaint = vec![Vec::new(); N];
        for (j, s) in secrets.iter().enumerate() {
            let v = dkg::receive(&garbled, &keys, j as u32 + 1, s, &mut rng).expect("view");
            assert_eq!(v.complaints.len(), N);
            for c in v.complaints {
                valid_complaint[c.dealer as usize - 1].push(c);
            }
        }
        Fixture {
            keys,
            honest,
            outcome,
            views,
            valid_complaint,
            garbled: garbled.dealings,
        }
    })
}

/// Flip bits of one byte of a point.
fn flip(p: &mut Point, at: u8, mask: u8) {
    p.0[at as usize % 32] ^= mask.max(1);
}

/// Change one hex digit of a scalar (kept only if still canonical).
fn flip_scalar(s: &mut HexScalar, at: u8, by: u8) {
    let mut h = s.to_hex().into_bytes();
    let k = at as usize % h.len();
    let digit = (h[k] as char).to_digit(16).unwrap_or(0);
    let new = (digit + 1 + u32::from(by) % 15) % 16;
    h[k] = char::from_digit(new, 16).unwrap_or('0') as u8;
    if let Ok(x) = HexScalar::from_hex(&String::from_utf8_lossy(&h)) {
        *s = x;
    }
}

/// Apply mutation `op` with arguments `a`, `b`, `c` (an operation on an
/// empty list does nothing):
/// 0 flip a commitment byte, 1 an ephemeral key byte, 2 a share ciphertext
/// byte, 3 a proof byte; 4 drop, 5 duplicate, 6 swap dealings; 7 add a
/// complaint with a valid proof, 8 mutate a complaint's field; 9 change a
/// dealer index; 10 swap, drop, renumber or repeat shares; 11 drop or repeat
/// a commitment; 12 change the threshold, 13 the session; 14 copy another
/// dealing's commitment, 15 another dealing's share ciphertext; 16 put a
/// dealer's signed garbled dealing in place of a dealing.
fn mutate(f: &Fixture, d: &mut Dkg, op: u8, a: u8, b: u8, c: u8) {
    let nd = d.dealings.len();
    let pick = |x: u8, len: usize| (len > 0).then(|| x as usize % len);
    match op % 17 {
        0 => {
            if let Some(k) = pick(a, nd) {
                let cs = &mut d.dealings[k].commitments;
                if let Some(m) = pick(b, cs.len()) {
                    flip(&mut cs[m], c, c >> 3);
                }
            }
        }
        1 | 2 => {
            if let Some(k) = pick(a, nd) {
                let shares = &mut d.dealings[k].shares;
                if let Some(m) = pick(b, shares.len()) {
                    let p = if op % 16 == 1 {
                        &mut shares[m].ephemeral
                    } else {
                        &mut shares[m].ciphertext
                    };
                    flip(p, c, c >> 3);
                }
            }
        }
        3 => {
            if let Some(k) = pick(a, nd) {
                let proof = &mut d.dealings[k].proof;
                if b & 1 == 0 {
                    flip(&mut proof.commitment, c, b);
                } else {
                    flip_scalar(&mut proof.response, c, b);
                }
            }
        }
        4 => {
            if let Some(k) = pick(a, nd) {
                d.dealings.remove(k);
            }
        }
        5 => {
            if let Some(k) = pick(a, nd) {
                let copy = d.dealings[k].clone();
                d.dealings.insert(b as usize % (nd + 1), copy);
            }
        }
        6 => {
            if let (Some(x), Some(y)) = (pick(a, nd), pick(b, nd)) {
                d.dealings.swap(x, y);
            }
        }
        7 => {
            // a complaint with a valid proof (false about an honest share)
            let c = f.valid_complaint[a as usize % N][b as usize % N];
            d.complaints.push(c);
        }
        8 => {
            if let Some(k) = pick(a, d.complaints.len()) {
                let cp = &mut d.complaints[k];
                match b % 6 {
                    0 => cp.complainant = u32::from(c % 8),
                    1 => cp.dealer = u32::from(c % 8),
                    2 => flip(&mut cp.shared_key, c, b),
                    3 => flip(&mut cp.proof.a, c, b),
                    4 => flip(&mut cp.proof.b, c, b),
                    _ => flip_scalar(&mut cp.proof.s, c, b),
                }
            }
        }
        9 => {
            if let Some(k) = pick(a, nd) {
                d.dealings[k].dealer = u32::from(b % 8);
            }
        }
        10 => {
            if let Some(k) = pick(a, nd) {
                let shares = &mut d.dealings[k].shares;
                match c % 4 {
                    0 => {
                        if let (Some(x), Some(y)) =
                            (pick(b, shares.len()), pick(b >> 4, shares.len()))
                        {
                            shares.swap(x, y);
                        }
                    }
                    1 => {
                        shares.pop();
                    }
                    2 => {
                        if let Some(x) = pick(b, shares.len()) {
                            shares[x].recipient = u32::from(c >> 2);
                        }
                    }
                    _ => {
                        if let Some(x) = pick(b, shares.len()) {
                            let s = shares[x];
                            shares.push(s);
                        }
                    }
                }
            }
        }
        11 => {
            if let Some(k) = pick(a, nd) {
                let cs = &mut d.dealings[k].commitments;
                if b & 1 == 0 {
                    cs.pop();
                } else if let Some(m) = pick(c, cs.len()) {
                    let p = cs[m];
                    cs.push(p);
                }
            }
        }
        12 => d.threshold = u32::from(a % 8),
        13 => d.session_id.push(char::from(b'a' + a % 26)),
        14 => {
            // a commitment of another dealing
            if let (Some(x), Some(y)) = (pick(a, nd), pick(b, nd)) {
                let src = d.dealings[y].commitments.clone();
                let cs = &mut d.dealings[x].commitments;
                if let (Some(m), Some(p)) = (pick(c, cs.len()), pick(c >> 4, src.len())) {
                    cs[m] = src[p];
                }
            }
        }
        16 => {
            if let Some(k) = pick(a, nd) {
                let i = b as usize % N;
                d.dealings[k] = f.garbled[i].clone();
            }
        }
        _ => {
            // another dealing's share ciphertext (a share for the wrong
            // polynomial, well-formed)
            if let (Some(x), Some(y)) = (pick(a, nd), pick(b, nd)) {
                let j = c as usize % N;
                if j < d.dealings[x].shares.len() && j < d.dealings[y].shares.len() {
                    d.dealings[x].shares[j].ciphertext = d.dealings[y].shares[j].ciphertext;
                }
            }
        }
    }
}

/// Is `d` an unmodified honest dealing?
fn honest_dealing(f: &Fixture, d: &Dealing) -> bool {
    (d.dealer as usize)
        .checked_sub(1)
        .and_then(|k| f.honest.dealings.get(k))
        .is_some_and(|h| h == d)
}

/// The sum of points (`None`: one does not decode, or no point).
fn sum(points: impl Iterator<Item = Point>) -> Option<Point> {
    let mut acc = None;
    for p in points {
        let q = p.decode().ok()?;
        acc = Some(match acc {
            None => q,
            Some(a) => a + q,
        });
    }
    acc.map(|a| Point::from_point(&a))
}

/// Verify `d` and check every invariant; returns the outcome.
fn check(f: &Fixture, d: &Dkg) -> Option<DkgOutcome> {
    let json = serde_json::to_string(d).expect("serialises");
    assert_eq!(serde_json::from_str::<Dkg>(&json).ok().as_ref(), Some(d));

    let r = d.verify(&f.keys);
    assert_eq!(
        format!("{r:?}"),
        format!("{:?}", d.verify(&f.keys)),
        "verify is deterministic"
    );

    let same_setup = d.session_id == SESSION && d.threshold == T;
    let mut dealers: Vec<u32> = d.dealings.iter().map(|x| x.dealer).collect();
    dealers.sort_unstable();
    dealers.dedup();
    let distinct_in_range =
        dealers.len() == d.dealings.len() && dealers.iter().all(|i| (1..=N as u32).contains(i));
    // dealers whose signed garbled dealing is also in the list signed two
    // different dealings: they are disqualified however honest the other is
    let equivocating = |i: u32| {
        d.dealings
            .iter()
            .any(|x| (1..=N as u32).contains(&i) && *x == f.garbled[i as usize - 1])
    };
    // distinct dealers (identical copies of a dealing are folded)
    let mut honest_present: Vec<u32> = d
        .dealings
        .iter()
        .filter(|x| honest_dealing(f, x) && !equivocating(x.dealer))
        .map(|x| x.dealer)
        .collect();
    honest_present.sort_unstable();
    honest_present.dedup();
    if same_setup && distinct_in_range && honest_present.len() >= T as usize {
        assert!(
            r.is_ok(),
            "{} honest dealings must verify: {r:?}",
            honest_present.len()
        );
    }
    let o = r.ok()?;

    // shape of the outcome
    assert!(o.qualified.windows(2).all(|w| w[0] < w[1]));
    assert!(o.qualified.iter().all(|i| (1..=N as u32).contains(i)));
    assert!(o.qualified.len() >= d.threshold as usize);
    let mut all: Vec<u32> = o.qualified.clone();
    all.extend(o.disqualified.iter().map(|(i, _)| *i));
    all.sort_unstable();
    assert_eq!(all, (1..=N as u32).collect::<Vec<_>>());
    assert!(o.void_complaints.windows(2).all(|w| w[0] < w[1]));
    assert!(o.void_complaints.iter().all(|k| *k < d.complaints.len()));
    assert_eq!(o.verification_keys.len(), N);
    assert_eq!(o.attributed.len(), N);
    for (k, p) in o.attributed.iter().enumerate() {
        if let Some(p) = p {
            assert_eq!(
                d.dealings[*p].dealer as usize,
                k + 1,
                "attributed to its dealer"
            );
            assert!(!o.ignored_dealings.contains(p));
        }
    }
    let qualified_dealings: Vec<&Dealing> = o
        .qualified
        .iter()
        .map(|i| {
            let p = o.attributed[*i as usize - 1].expect("a qualified dealer has a dealing");
            &d.dealings[p]
        })
        .collect();
    assert_eq!(
        sum(qualified_dealings.iter().map(|x| x.commitments[0])),
        Some(o.public_key),
        "the election key is the sum of the qualified constant terms"
    );

    if same_setup {
        for i in &honest_present {
            assert!(
                o.qualified.contains(i),
                "honest dealer {i} disqualified: {o:?}"
            );
        }
    }
    // a dealer's signed garbled dealing, attributed to it, with one of its
    // recipients' valid complaints on the list: the dealer is disqualified
    if same_setup {
        for (k, p) in o.attributed.iter().enumerate() {
            let Some(p) = p else { continue };
            if d.dealings[*p] != f.garbled[k] {
                continue;
            }
            if f.valid_complaint[k]
                .iter()
                .any(|c| d.complaints.contains(c))
            {
                assert!(
                    !o.qualified.contains(&(k as u32 + 1)),
                    "dealer {} qualified despite an upheld complaint",
                    k + 1
                );
            }
        }
    }

    if qualified_dealings.iter().all(|x| honest_dealing(f, x)) {
        for (j, v) in f.views.iter().enumerate() {
            let s = v.secret_share(&o).expect("every honest share was received");
            assert_eq!(s.public_key(), o.verification_keys[j], "VK_{}", j + 1);
        }
    }
    if same_setup && honest_present.len() == N {
        assert_eq!(o.qualified, f.outcome.qualified);
        assert!(o.disqualified.is_empty());
        assert_eq!(o.public_key, f.outcome.public_key);
        assert_eq!(o.verification_keys, f.outcome.verification_keys);
        assert_eq!(
            o.void_complaints,
            (0..d.complaints.len()).collect::<Vec<_>>()
        );
    }
    Some(o)
}

/// Decrypt one ciphertext under the outcome's key with the qualified
/// trustees chosen by `choice` (one bit each, at least 3 needed); with 4 or
/// more, the first one's partial decryption is made invalid and must be
/// skipped.
fn decrypt_with(f: &Fixture, d: &Dkg, o: &DkgOutcome, choice: u8) {
    let mut rng = FuzzRng(u64::from(choice));
    let chosen: Vec<u32> = o
        .qualified
        .iter()
        .copied()
        .filter(|j| choice & (1 << (j - 1)) != 0)
        .collect();
    let mut p = ZeusParams::new(ELECTION, o.public_key);
    p.trustees = f.keys.clone();
    p.trustee_key_session = KEY_SESSION.into();
    p.dkg = Some(d.clone());
    let ctx = MixContext::new(ELECTION, &o.public_key).expect("election key decodes");
    let m = encode_plaintext(b"fuzz").expect("encodes");
    let cts = vec![ctx.encrypt_point(&m, &random_scalar(&mut rng)).compress()];
    let mut partials: Vec<PartialDecryption> = chosen
        .iter()
        .map(|&j| {
            let s = f.views[j as usize - 1]
                .secret_share(o)
                .expect("honest share");
            partial_decrypt(ELECTION, &s, j as usize - 1, &cts, &mut rng).expect("decrypts")
        })
        .collect();
    let mut valid = partials.len();
    if partials.len() > T as usize {
        partials[0].factors[0] = partials[1].factors[0];
        valid -= 1;
    }
    let r = combine(&p, &cts, &partials, &mut rng);
    if valid >= T as usize {
        assert_eq!(
            r.expect("t valid partials decrypt"),
            vec![Outcome::Plaintext(b"fuzz".to_vec())]
        );
    } else {
        assert!(r.is_err(), "{valid} valid partial decryptions decrypted");
    }
}

/// `PANORAMIX_FUZZ_DKG_SEEDS=DIR`: write the JSON seeds (modes 0 to 2), made
/// from the fixture, into `DIR` (how `fuzz/corpus/zeus_dkg/` was made).
fn write_seeds(f: &Fixture, dir: &str) {
    let write = |name: &str, mode: u8, json: String| {
        let mut bytes = vec![mode];
        bytes.extend_from_slice(json.as_bytes());
        std::fs::write(format!("{dir}/{name}"), bytes).expect("writes a seed");
    };
    let to_json = |d: &Dkg| serde_json::to_string(d).expect("serialises");
    write("dkg_honest", 0, to_json(&f.honest));
    // dealer 2's share for trustee 4 garbled: trustee 4's complaint is upheld;
    // trustee 1's complaint about dealer 3 is void
    let mut d = f.honest.clone();
    d.dealings[1] = f.garbled[1].clone();
    d.complaints = vec![f.valid_complaint[1][3], f.valid_complaint[2][0]];
    write("dkg_complaints", 0, to_json(&d));
    write(
        "dealing_honest",
        1,
        serde_json::to_string(&f.honest.dealings[2]).expect("serialises"),
    );
    write(
        "dealing_garbled",
        1,
        serde_json::to_string(&d.dealings[1]).expect("serialises"),
    );
    write(
        "complaint_valid",
        2,
        serde_json::to_string(&f.valid_complaint[1][3]).expect("serialises"),
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    static SEEDS: OnceLock<()> = OnceLock::new();
    SEEDS.get_or_init(|| {
        if let Ok(dir) = std::env::var("PANORAMIX_FUZZ_DKG_SEEDS") {
            write_seeds(f, &dir);
        }
    });
    match mode % 4 {
        0 => {
            if let Ok(d) = serde_json::from_slice::<Dkg>(rest) {
                check(f, &d);
            }
        }
        1 => {
            if let Ok(x) = serde_json::from_slice::<Dealing>(rest) {
                let json = serde_json::to_string(&x).expect("serialises");
                assert_eq!(serde_json::from_str::<Dealing>(&json).ok(), Some(x.clone()));
                let mut d = f.honest.clone();
                match (x.dealer as usize).checked_sub(1).filter(|k| *k < N) {
                    Some(k) => d.dealings[k] = x,
                    None => d.dealings.push(x),
                }
                check(f, &d);
            }
        }
        2 => {
            if let Ok(c) = serde_json::from_slice::<Complaint>(rest) {
                let json = serde_json::to_string(&c).expect("serialises");
                assert_eq!(serde_json::from_str::<Complaint>(&json).ok(), Some(c));
                let mut d = f.honest.clone();
                d.complaints.push(c);
                let o = check(f, &d).expect("a complaint cannot stop an honest key generation");
                assert_eq!(o.qualified, f.outcome.qualified);
            }
        }
        _ => {
            let Some((&choice, ops)) = rest.split_first() else {
                return;
            };
            let mut d = f.honest.clone();
            for op in ops.chunks_exact(4).take(MAX_OPS) {
                mutate(f, &mut d, op[0], op[1], op[2], op[3]);
            }
            if let Some(o) = check(f, &d) {
                let qualified_honest = o.qualified.iter().all(|i| {
                    d.dealings
                        .iter()
                        .any(|x| x.dealer == *i && honest_dealing(f, x))
                });
                if choice & 0x80 != 0 && qualified_honest {
                    decrypt_with(f, &d, &o, choice);
                }
            }
        }
    }
});
