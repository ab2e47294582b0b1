use panoramix_core::Keypair;
use panoramix_core::backend::{FormationError, JointKeys};
use panoramix_core::canonical::Value;
use panoramix_core::identity::sha256_hex;
use panoramix_core::negotiation::Text;
use panoramix_core::wire::Peer;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value as Json, json};

use super::steps::JointData;
use super::*;
use crate::HttpRequest;
use crate::spec::Election;

/// Sphinx owner keys that check nothing but that each owner published a mix key.
struct Keys;

impl OwnerKeys for Keys {
    fn name(&self) -> &'static str {
        "SPHINXMIX"
    }

    fn joint_keys(&self, owners: &[Peer], _: &str) -> Result<JointKeys, FormationError> {
        if owners.iter().any(|p| p.crypto_params["mix_key"].is_null()) {
            return Err(FormationError::msg("an owner published no mix key"));
        }
        Ok(JointKeys::default())
    }
}

fn key(n: u8) -> Keypair {
    Keypair::from_secret(&[n; 32])
}

fn formation(n: u8, seed: u8) -> Formation {
    Formation::new(
        key(n),
        "ctl",
        Backends::new(vec![Box::new(Keys)]),
        Box::new(ChaCha20Rng::from_seed([seed; 32])),
    )
}

pub(super) fn spec() -> MixnetSpec {
    MixnetSpec {
        name: "m".into(),
        backend: "SPHINXMIX".into(),
        params: json!({"BODY_LEN": 1024, "MAX_HOPS": 5}),
        size_min: 1,
        size_max: 4,
        close_after: None,
        election_public_key: None,
        terms: String::new(),
        graph: None,
        previous: None,
        election: None,
        reconfiguration: None,
    }
}

fn ok(data: Json) -> HttpResponse {
    HttpResponse {
        status: 200,
        body: json!({"data": data}),
    }
}

fn page(items: Json) -> HttpResponse {
    HttpResponse {
        status: 200,
        body: json!({"data": items, "next": null}),
    }
}

fn data(req: &HttpRequest) -> Json {
    let body: Json = serde_json::from_str(req.body.as_deref().unwrap_or("null")).unwrap();
    body["data"].clone()
}

/// Drive `p` to its end with `answer`; the result and the requests sent.
fn drive<T>(
    p: &mut Procedure<T>,
    mut answer: impl FnMut(&HttpRequest) -> HttpResponse,
) -> (Result<T, StepError>, Vec<HttpRequest>) {
    p.begin(1_700_000_000);
    let mut sent = Vec::new();
    loop {
        match p.poll() {
            Progress::Effect(Effect::Http(req)) => {
                let r = answer(&req);
                sent.push(req);
                p.handle(r).unwrap();
            }
            Progress::Effect(Effect::Save(_)) => p.saved().unwrap(),
            Progress::Done(t) => return (Ok(t), sent),
            Progress::Failed(e) => return (Err(e), sent),
        }
    }
}

/// A controller that knows one negotiation and accepts contributions.
fn create_answers(req: &HttpRequest) -> HttpResponse {
    match req.path.as_str() {
        "/panoramix/negotiations/" => ok(json!({"id": "N1", "title": "mixnet:m",
            "participants": null, "status": "OPEN", "text": null, "timestamp": null,
            "consensus": null})),
        "/panoramix/contributions/" => ok(json!({"consensus": null})),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn invitations_parse_or_say_what_they_look_like() {
    assert_eq!(
        parse_invitation(" N|abc \n").unwrap(),
        ("N".to_owned(), "abc".to_owned())
    );
    for bad in ["Nabc", "|abc", "N|", ""] {
        assert!(
            matches!(parse_invitation(bad), Err(StepError::State(_))),
            "{bad}"
        );
    }
}

#[test]
fn a_voter_list_too_long_for_the_controller_is_refused() {
    let with = |n: usize| MixnetSpec {
        backend: "ZEUS".into(),
        election: Some(Election {
            question: "q".into(),
            options: vec!["yes".into(), "no".into()],
            voters: (0..n).map(|i| format!("{i:064x}")).collect(),
        }),
        ..spec()
    };
    assert!(check_description_size(&with(900)).is_ok());
    let err = check_description_size(&with(1000)).unwrap_err().to_string();
    assert!(err.contains("1000 voter credentials"), "{err}");
    // and create stops before any request
    let (r, sent) = drive(&mut formation(1, 1).create(&with(1000), 2), create_answers);
    assert!(r.is_err() && sent.is_empty());
}

#[test]
fn create_proposes_the_hashes_of_seeded_invitation_secrets() {
    let (r, sent) = drive(&mut formation(1, 7).create(&spec(), 3), create_answers);
    let (neg, invitations) = r.unwrap();
    assert_eq!(neg, "N1");
    assert_eq!(sent.len(), 2);
    // an open negotiation: no participant list
    assert_eq!(data(&sent[0]), json!({"title": "mixnet:m"}));
    let text = Text::parse(data(&sent[1])["text"].as_str().unwrap()).unwrap();
    let hashes: Vec<Value> = invitations
        .iter()
        .map(|i| {
            let (n, secret) = parse_invitation(i).unwrap();
            assert_eq!(n, "N1");
            assert_eq!(secret.len(), 32);
            Value::str(sha256_hex(secret.as_bytes()))
        })
        .collect();
    assert_eq!(text.meta.get("invitations"), Some(&Value::List(hashes)));
    assert_eq!(text.meta.get("accept"), Some(&Value::Int(0)));
    // the same seed replays to the same requests and secrets; another does not
    let (again, sent2) = drive(&mut formation(1, 7).create(&spec(), 3), create_answers);
    assert_eq!(again.unwrap().1, invitations);
    assert_eq!(sent2, sent);
    let (other, _) = drive(&mut formation(1, 8).create(&spec(), 3), create_answers);
    assert_ne!(other.unwrap().1, invitations);
}

fn contribution(id: i64, signer: &Keypair, text: &str) -> Json {
    json!({"id": id, "negotiation_id": "N1", "signer_key_id": signer.key_id(),
        "key_data": signer.key_data(), "text": text, "signature": "", "latest": true})
}

fn answer_text(invitation: &str) -> String {
    let (_, inv) = parse_invitation(invitation).unwrap();
    let mut meta = std::collections::BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    meta.insert("invitation_id".into(), Value::str(inv));
    Text::encode(Value::str("spec"), meta)
}

/// The coordinator's view: the proposal, then these joiners' answers.
fn joint_answers(joined: Vec<(i64, Keypair, String)>) -> impl FnMut(&HttpRequest) -> HttpResponse {
    let coordinator = key(1);
    move |req: &HttpRequest| match (req.method.as_str(), req.path.as_str()) {
        ("GET", p) if p.starts_with("/panoramix/contributions/") => {
            let mut items = vec![contribution(1, &coordinator, "proposal")];
            for (id, k, text) in &joined {
                items.push(contribution(*id, k, text));
            }
            page(json!(items))
        }
        ("GET", p) if p.starts_with("/panoramix/peers/") => {
            let id = p
                .trim_start_matches("/panoramix/peers/")
                .trim_end_matches('/');
            ok(
                json!({"peer_id": id, "name": "p", "key_data": "", "key_type": "ed25519",
                "crypto_backend": "SPHINXMIX", "crypto_params": {"mix_key": "k"},
                "owners": [], "status": "READY", "roles": [], "consensus_id": ""}),
            )
        }
        ("POST", "/panoramix/negotiations/") => ok(json!({"id": "J1", "title": "joint:m",
            "participants": null, "status": "OPEN", "text": null, "timestamp": null,
            "consensus": null})),
        ("POST", "/panoramix/contributions/") => ok(json!({"consensus": null})),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_joint_peer_is_proposed_once_every_invitation_is_used_in_join_order() {
    let invitations = vec!["N1|aa".to_owned(), "N1|bb".to_owned()];
    let (b, c) = (key(2), key(3));
    // one of two joined: wait
    let joined = vec![(5, key(2), answer_text(&invitations[1]))];
    let (r, _) = drive(
        &mut formation(1, 1).propose_joint("N1", &spec(), &invitations),
        joint_answers(joined),
    );
    assert_eq!(r.unwrap(), None);
    let joined = vec![
        (7, key(3), answer_text(&invitations[0])),
        (5, key(2), answer_text(&invitations[1])),
    ];
    let (r, sent) = drive(
        &mut formation(1, 1).propose_joint("N1", &spec(), &invitations),
        joint_answers(joined),
    );
    assert_eq!(r.unwrap().as_deref(), Some("J1"));
    let owners = json!([key(1).key_id(), b.key_id(), c.key_id()]);
    let create = sent
        .iter()
        .find(|r| r.method == "POST" && r.path == "/panoramix/negotiations/")
        .unwrap();
    assert_eq!(
        data(create),
        json!({"title": "joint:m", "participants": owners})
    );
    let last = sent.last().unwrap();
    let text = Text::parse(data(last)["text"].as_str().unwrap()).unwrap();
    let proposed = JointData::of(&text).unwrap();
    assert_eq!(json!(proposed.owners), owners);
    assert_eq!(proposed.crypto_params, spec());
}

#[test]
fn an_answer_without_a_valid_unused_invitation_is_ignored_not_fatal() {
    let invitations = vec!["N1|aa".to_owned(), "N1|bb".to_owned()];
    // a typo, then a reuse of a used invitation: ignored, the set-up waits
    let joined = || {
        vec![
            (5, key(4), answer_text("N1|zz")),
            (6, key(2), answer_text(&invitations[0])),
            (7, key(5), answer_text(&invitations[0])),
        ]
    };
    let (r, _) = drive(
        &mut formation(1, 1).join_progress("N1", &invitations),
        joint_answers(joined()),
    );
    let progress = r.unwrap();
    assert_eq!(progress.joined, vec![key(2).key_id()]);
    assert_eq!(progress.pending, 1);
    let ignored: Vec<(String, &str)> = progress
        .ignored
        .iter()
        .map(|i| (i.signer.clone(), i.reason.as_str()))
        .collect();
    assert_eq!(ignored[0].0, key(4).key_id());
    assert!(
        ignored[0].1.contains("not one of this proposal's"),
        "{ignored:?}"
    );
    assert_eq!(ignored[1].0, key(5).key_id());
    assert!(ignored[1].1.contains("already used by"), "{ignored:?}");
    let (r, sent) = drive(
        &mut formation(1, 1).propose_joint("N1", &spec(), &invitations),
        joint_answers(joined()),
    );
    assert_eq!(r.unwrap(), None);
    assert!(sent.iter().all(|r| r.method == "GET"));
    // the valid answer comes: the joint peer is proposed without the bogus signers
    let mut joined = joined();
    joined.push((8, key(3), answer_text(&invitations[1])));
    let (r, sent) = drive(
        &mut formation(1, 1).propose_joint("N1", &spec(), &invitations),
        joint_answers(joined),
    );
    assert_eq!(r.unwrap().as_deref(), Some("J1"));
    let create = sent
        .iter()
        .find(|r| r.method == "POST" && r.path == "/panoramix/negotiations/")
        .unwrap();
    let owners = json!([key(1).key_id(), key(2).key_id(), key(3).key_id()]);
    assert_eq!(data(create)["participants"], owners);
}

/// A joiner's view of negotiation N1: the coordinator's proposal with the
/// hashes of `invitations`, then `answers`.
fn proposal_answers(
    invitations: &[&str],
    answers: Vec<(i64, Keypair, String)>,
) -> impl FnMut(&HttpRequest) -> HttpResponse {
    let hashes: Vec<Value> = invitations
        .iter()
        .map(|i| Value::str(sha256_hex(parse_invitation(i).unwrap().1.as_bytes())))
        .collect();
    let mut meta = std::collections::BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    meta.insert("invitations".into(), Value::List(hashes));
    let body = panoramix_core::canonical::from_json(&json!(spec())).unwrap();
    let proposal = Text::encode(body, meta);
    move |req: &HttpRequest| match req.path.as_str() {
        "/panoramix/negotiations/N1/" => ok(json!({"id": "N1", "title": "mixnet:m",
            "participants": null, "status": "OPEN", "text": null, "timestamp": null,
            "consensus": null})),
        "/panoramix/negotiations/J1/" => ok(json!({"id": "J1", "title": "joint:m",
            "participants": null, "status": "OPEN", "text": null, "timestamp": null,
            "consensus": null})),
        p if p.starts_with("/panoramix/negotiations/") => HttpResponse {
            status: 404,
            body: json!({"error": {"code": "not_found", "message": "no negotiation"}}),
        },
        p if p.starts_with("/panoramix/contributions/") => {
            let mut items = vec![contribution(1, &key(1), &proposal)];
            for (id, k, text) in &answers {
                items.push(contribution(*id, k, text));
            }
            page(json!(items))
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn a_joiner_checks_its_invitation_before_anything_and_says_what_is_wrong() {
    let invs = ["N1|aa", "N1|bb"];
    let check = |invitation: &str, answers: Vec<(i64, Keypair, String)>| {
        let (r, sent) = drive(
            &mut formation(2, 1).proposal(invitation),
            proposal_answers(&invs, answers),
        );
        assert!(sent.iter().all(|r| r.method == "GET"));
        r.map_err(|e| e.to_string())
    };
    let (got, by) = check("N1|bb", vec![]).unwrap();
    assert_eq!((got, by), (spec(), key(1).key_id()));
    // a typo in the negotiation id, or a negotiation that is not a proposal
    let err = check("N2|bb", vec![]).unwrap_err();
    assert!(
        err.contains("no negotiation N2") && err.contains("before `|`"),
        "{err}"
    );
    let err = check("J1|bb", vec![]).unwrap_err();
    assert!(err.contains("not a mix-net proposal"), "{err}");
    // a typo in the invitation id
    let err = check("N1|bz", vec![]).unwrap_err();
    assert!(
        err.contains("not one of the 2 invitations") && err.contains("after `|`"),
        "{err}"
    );
    // used by someone else; used by me (a re-run) is fine
    let err = check("N1|aa", vec![(5, key(3), answer_text("N1|aa"))]).unwrap_err();
    assert!(
        err.contains(&format!("already used by {}", key(3).key_id())),
        "{err}"
    );
    assert!(check("N1|aa", vec![(5, key(2), answer_text("N1|aa"))]).is_ok());
}

#[test]
fn a_refused_owner_key_fails_the_proposal_before_anything_is_written() {
    let invitations = vec!["N1|aa".to_owned()];
    let joined = vec![(5, key(2), answer_text(&invitations[0]))];
    let mut answers = joint_answers(joined);
    let (r, sent) = drive(
        &mut formation(1, 1).propose_joint("N1", &spec(), &invitations),
        |req: &HttpRequest| {
            let mut r = answers(req);
            if req.path.contains(&key(2).key_id()) {
                r.body["data"]["crypto_params"] = json!({});
            }
            r
        },
    );
    assert_eq!(r.unwrap_err().to_string(), "an owner published no mix key");
    assert!(sent.iter().all(|r| r.method == "GET"));
}

#[test]
fn a_refused_request_fails_with_the_controllers_answer() {
    let (r, _) = drive(&mut formation(1, 1).create(&spec(), 1), |_| HttpResponse {
        status: 409,
        body: json!({"error": {"code": "conflict", "message": "exists"}}),
    });
    match r {
        Err(StepError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (409, "conflict"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_procedure_runs_once_begun_and_only_once() {
    let mut p = formation(1, 1).create(&spec(), 1);
    assert!(matches!(p.poll(), Progress::Failed(StepError::State(_))));
    let (r, _) = drive(&mut p, create_answers);
    assert!(r.is_ok());
    assert!(matches!(p.poll(), Progress::Failed(StepError::State(_))));
    assert!(matches!(p.saved(), Err(StepError::NoPendingEffect)));
}

/// The text proposing the joint peer of `spec` owned by `owners`, with `key_data`.
fn joint_text(spec: &MixnetSpec, owners: &[String], key_data: &str) -> String {
    let a = crate::api::Action {
        method: "POST".into(),
        path: "/panoramix/peers/".into(),
        data: json!({"peer_id": panoramix_core::identity::joint_peer_id(key_data),
            "name": spec.name, "key_data": key_data, "key_type": "ed25519",
            "crypto_backend": spec.backend, "crypto_params": spec, "owners": owners,
            "status": "READY"}),
        info: json!({"resource": "peer", "operation": "create", "nonce": "00", "ts": 1}),
    };
    crate::api::text_for(&[a], true, std::collections::BTreeMap::new())
}

fn negotiation(id: &str, participants: &[String], done: Option<&str>) -> Json {
    json!({"id": id, "title": "t", "participants": participants,
        "status": if done.is_some() { "DONE" } else { "OPEN" }, "text": done,
        "timestamp": null, "consensus": done.map(|_| "C1")})
}

/// A joiner's view of a `joint:` negotiation holding `contribs` (signer, text).
fn confirm_answers(
    participants: Vec<String>,
    contribs: Vec<(Keypair, String)>,
) -> impl FnMut(&HttpRequest) -> HttpResponse {
    let mut answers = joint_answers(Vec::new());
    move |req: &HttpRequest| match (req.method.as_str(), req.path.as_str()) {
        ("GET", p) if p.starts_with("/panoramix/negotiations/?title=joint%3Am") => {
            page(json!([negotiation("J1", &participants, None)]))
        }
        ("GET", p) if p.starts_with("/panoramix/contributions/") => page(json!(
            contribs
                .iter()
                .enumerate()
                .map(|(i, (k, t))| contribution(i as i64 + 1, k, t))
                .collect::<Vec<_>>()
        )),
        _ => answers(req),
    }
}

#[test]
fn a_joiner_co_signs_only_the_joint_peer_it_reviewed() {
    let owners = vec![key(1).key_id(), key(2).key_id()];
    let good_key = panoramix_core::identity::joint_key_data("m", &owners);
    let other = MixnetSpec {
        size_max: 9,
        ..spec()
    };
    let me_out = vec![key(1).key_id(), key(3).key_id()];
    let cases = [
        (joint_text(&spec(), &owners, &good_key), None),
        (
            joint_text(&spec(), &me_out, &good_key),
            Some("leaves me out"),
        ),
        (
            joint_text(&other, &owners, &good_key),
            Some("differs from the reviewed"),
        ),
        (
            joint_text(&spec(), &owners, &"ab".repeat(32)),
            Some("does not recompute"),
        ),
    ];
    for (text, refusal) in cases {
        let answers = confirm_answers(owners.clone(), vec![(key(1), text.clone())]);
        let (r, sent) = drive(&mut formation(2, 1).confirm_joint(&spec()), answers);
        let posts: Vec<&HttpRequest> = sent.iter().filter(|r| r.method == "POST").collect();
        match refusal {
            None => {
                assert_eq!(
                    r.unwrap(),
                    panoramix_core::identity::joint_peer_id(&good_key)
                );
                assert_eq!(posts.len(), 1);
                assert_eq!(data(posts[0])["text"], json!(text));
                assert_eq!(data(posts[0])["negotiation_id"], "J1");
            }
            Some(why) => {
                let err = r.unwrap_err().to_string();
                assert!(err.contains(why), "{err}");
                assert!(posts.is_empty());
            }
        }
    }
    // signed already, or not a participant: nothing to do
    let text = joint_text(&spec(), &owners, &good_key);
    for (participants, contribs) in [
        (
            owners.clone(),
            vec![(key(1), text.clone()), (key(2), text.clone())],
        ),
        (me_out.clone(), vec![(key(1), text.clone())]),
    ] {
        let answers = confirm_answers(participants, contribs);
        let (r, sent) = drive(&mut formation(2, 1).confirm_joint(&spec()), answers);
        assert_eq!(r.unwrap(), None);
        assert!(sent.iter().all(|r| r.method == "GET"));
    }
}

#[test]
fn the_joint_peer_is_proposed_among_given_owners_once_their_keys_check() {
    let owners: Vec<String> = [key(2), key(1), key(3)]
        .iter()
        .map(|k| k.key_id())
        .collect();
    let (r, sent) = drive(
        &mut formation(1, 1).propose_joint_among(&spec(), &owners),
        joint_answers(vec![]),
    );
    assert_eq!(r.unwrap(), "J1");
    let peers: Vec<&str> = sent
        .iter()
        .filter(|r| r.path.starts_with("/panoramix/peers/"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(peers.len(), 3, "every owner's keys are checked: {peers:?}");
    let create = sent
        .iter()
        .find(|r| r.method == "POST" && r.path == "/panoramix/negotiations/")
        .unwrap();
    assert_eq!(
        data(create),
        json!({"title": "joint:m", "participants": owners})
    );
    let text = Text::parse(data(sent.last().unwrap())["text"].as_str().unwrap()).unwrap();
    let proposed = JointData::of(&text).unwrap();
    assert_eq!(proposed.owners, owners);
    assert_eq!(proposed.crypto_params, spec());
    // a refused key: nothing is written
    let mut answers = joint_answers(vec![]);
    let (r, sent) = drive(
        &mut formation(1, 1).propose_joint_among(&spec(), &owners),
        |req: &HttpRequest| {
            let mut r = answers(req);
            if req.path.contains(&key(3).key_id()) {
                r.body["data"]["crypto_params"] = json!({});
            }
            r
        },
    );
    assert_eq!(r.unwrap_err().to_string(), "an owner published no mix key");
    assert!(sent.iter().all(|r| r.method == "GET"));
    let (r, sent) = drive(
        &mut formation(1, 1).propose_joint_among(&spec(), &[]),
        joint_answers(vec![]),
    );
    assert!(r.is_err() && sent.is_empty());
}

#[test]
fn a_joiner_ignores_a_joint_proposal_the_coordinator_did_not_make() {
    let owners = vec![key(1).key_id(), key(2).key_id()];
    let good_key = panoramix_core::identity::joint_key_data("m", &owners);
    let text = joint_text(&spec(), &owners, &good_key);
    let leaves_me_out = joint_text(&spec(), &[key(9).key_id(), key(3).key_id()], &good_key);
    let coordinator = key(1).key_id();
    // a stranger's proposals (well-formed or not): neither co-signed nor fatal
    for t in [text.clone(), leaves_me_out, "not a text".to_owned()] {
        let answers = confirm_answers(owners.clone(), vec![(key(9), t)]);
        let p = &mut formation(2, 1).confirm_joint_from(&spec(), &coordinator, "N1");
        let (r, sent) = drive(p, answers);
        assert_eq!(r.unwrap(), None);
        assert!(sent.iter().all(|r| r.method == "GET"));
    }
    // the coordinator's: checked and co-signed
    let answers = confirm_answers(owners.clone(), vec![(key(1), text.clone())]);
    let p = &mut formation(2, 1).confirm_joint_from(&spec(), &coordinator, "N1");
    let (r, sent) = drive(p, answers);
    assert_eq!(
        r.unwrap(),
        panoramix_core::identity::joint_peer_id(&good_key)
    );
    assert_eq!(sent.iter().filter(|r| r.method == "POST").count(), 1);
    // the coordinator's proposal for an abandoned set-up (another `mixnet:`
    // negotiation): ignored; for this one: co-signed
    for (answers_neg, signs) in [("N0", false), ("N1", true)] {
        let mut t = Text::parse(&text).unwrap();
        t.meta.insert("proposal".into(), Value::str(answers_neg));
        let t = Text::encode(t.body, t.meta);
        let answers = confirm_answers(owners.clone(), vec![(key(1), t)]);
        let p = &mut formation(2, 1).confirm_joint_from(&spec(), &coordinator, "N1");
        let (r, sent) = drive(p, answers);
        assert_eq!(r.unwrap().is_some(), signs);
        let posts = sent.iter().filter(|r| r.method == "POST").count();
        assert_eq!(posts, usize::from(signs));
    }
    // signed already (an interrupted join run again): the same joint peer, no new signature
    let answers = confirm_answers(owners.clone(), vec![(key(1), text.clone()), (key(2), text)]);
    let p = &mut formation(2, 1).confirm_joint_from(&spec(), &coordinator, "N1");
    let (r, sent) = drive(p, answers);
    assert_eq!(
        r.unwrap(),
        panoramix_core::identity::joint_peer_id(&good_key)
    );
    assert!(sent.iter().all(|r| r.method == "GET"));
}
