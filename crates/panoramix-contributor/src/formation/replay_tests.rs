use panoramix_core::Keypair;
use panoramix_core::backend::{FormationError, JointKeys, OwnerKeys};
use panoramix_core::wire::Peer;
use serde_json::{Value as Json, json};

use super::tests::spec;
use super::{Backends, Progress};
use crate::HttpResponse;
use crate::io::Effect;
use crate::record::{ProcedureOutcome, ProcedureRecorder, ProcedureRecording, replay_procedure};

struct Keys;

impl OwnerKeys for Keys {
    fn name(&self) -> &'static str {
        "SPHINXMIX"
    }

    fn joint_keys(&self, _: &[Peer], _: &str) -> Result<JointKeys, FormationError> {
        Ok(JointKeys::default())
    }
}

fn backends() -> Backends {
    Backends::new(vec![Box::new(Keys)])
}

/// Record `op` with `args` against a controller that creates negotiation N1
/// and accepts contributions.
fn record(op: &str, args: Json) -> ProcedureRecording {
    let key = Keypair::from_secret(&[1; 32]);
    let mut r = ProcedureRecorder::new(&key, "ctl", [9; 32], op, args.clone());
    let mut p = r
        .formation(backends())
        .unwrap()
        .operation(op, &args)
        .unwrap();
    p.begin(1_700_000_000);
    r.begin(1_700_000_000);
    loop {
        match p.poll() {
            Progress::Effect(Effect::Http(req)) => {
                let data = if req.path == "/panoramix/negotiations/" {
                    json!({"id": "N1", "title": "mixnet:m", "participants": null,
                        "status": "OPEN", "text": null, "timestamp": null, "consensus": null})
                } else {
                    json!({"consensus": null})
                };
                let resp = HttpResponse {
                    status: 200,
                    body: json!({ "data": data }),
                };
                r.http(&req, &resp);
                p.handle(resp).unwrap();
            }
            Progress::Effect(Effect::Save(_)) => unreachable!("formation saves nothing"),
            Progress::Done(result) => {
                r.end(ProcedureOutcome::Done { result });
                return r.recording().clone();
            }
            Progress::Failed(e) => panic!("{e}"),
        }
    }
}

#[test]
fn a_recorded_procedure_replays_and_a_difference_is_caught() {
    let rec = record("create", json!([spec(), 2]));
    let ProcedureOutcome::Done { result } = &rec.outcome else {
        unreachable!()
    };
    assert_eq!(result[0], "N1");
    assert_eq!(result[1].as_array().unwrap().len(), 2);
    assert_eq!(rec.entries.len(), 2);
    let back: ProcedureRecording =
        serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
    replay_procedure(&back, backends()).unwrap();
    // another seed: other nonces (and invitation secrets)
    let mut bad = back.clone();
    bad.seed = hex::encode([8u8; 32]);
    let e = replay_procedure(&bad, backends()).unwrap_err();
    assert_eq!(e.entry, 0, "{e}");
    // another result
    let mut bad = back.clone();
    bad.outcome = ProcedureOutcome::Done {
        result: json!(null),
    };
    assert_eq!(replay_procedure(&bad, backends()).unwrap_err().entry, 2);
    // another operation or unusable arguments
    let mut bad = back.clone();
    bad.args = json!([spec()]);
    assert!(replay_procedure(&bad, backends()).is_err());
    bad.operation = "nothing".into();
    assert!(replay_procedure(&bad, backends()).is_err());
}

#[test]
fn every_operation_is_selected_by_name_with_its_arguments() {
    let s = json!(spec());
    let mut f = super::Formation::new(
        Keypair::from_secret(&[1; 32]),
        "ctl",
        backends(),
        Box::new(rand_core::OsRng),
    );
    for (op, args) in [
        ("register", json!(["n", "SPHINXMIX", {}])),
        ("create", json!([s, 1])),
        ("proposal", json!(["N|i"])),
        ("join", json!(["N|i", s])),
        ("proposeJoint", json!(["N", s, ["N|i"]])),
        ("proposeJointAmong", json!([s, ["a"]])),
        ("completeSpec", json!([s, ["a"]])),
        ("confirmJoint", json!([s])),
        ("finish", json!(["m"])),
        ("proposeSuccessor", json!(["j", ["a"], "m2"])),
        ("reviewSuccessor", json!(["j"])),
        ("coSign", json!(["N", "text"])),
        ("successor", json!(["j"])),
        ("agreedSuccessor", json!(["j"])),
        ("current", json!(["j"])),
    ] {
        assert!(f.operation(op, &args).is_ok(), "{op}");
        assert!(
            f.operation(op, &json!([])).is_err(),
            "{op} without arguments"
        );
    }
}
