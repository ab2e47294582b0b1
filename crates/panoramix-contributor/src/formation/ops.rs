//! The formation operations by name, their arguments as JSON: what a host that
//! selects operations from data uses (a recorded run replayed in another build,
//! [`crate::record::replay_procedure`]).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::{Formation, Procedure};
use crate::io::StepError;
use crate::spec::MixnetSpec;

/// The `i`-th argument of `args` (a JSON array) as a `T`.
fn arg<T: DeserializeOwned>(op: &str, args: &Json, i: usize) -> Result<T, StepError> {
    let v = args
        .as_array()
        .and_then(|a| a.get(i))
        .cloned()
        .unwrap_or(Json::Null);
    serde_json::from_value(v)
        .map_err(|e| StepError::State(format!("{op}: argument {}: {e}", i + 1)))
}

fn json<T: Serialize + 'static>(p: Procedure<T>) -> Procedure<Json> {
    p.map(|t| serde_json::to_value(t).unwrap_or(Json::Null))
}

impl Formation {
    /// The operation named `op` (as the JavaScript `FormationMachine` names
    /// its methods: `register`, `create`, `proposal`, `join`, `proposeJoint`, `joinProgress`,
    /// `proposeJointAmong`, `completeSpec`, `confirmJoint`, `confirmJointFrom`, `finish`,
    /// `proposeSuccessor`, `reviewSuccessor`, `coSign`, `successor`,
    /// `agreedSuccessor`, `current`, `membership`, `requestJoin`,
    /// `approveJoin`, `refuseJoin`) with `args`, a JSON array of its
    /// arguments in the order of the method's. Its result is the operation's,
    /// as serde gives it in JSON (a pair: an array).
    pub fn operation(&mut self, op: &str, args: &Json) -> Result<Procedure<Json>, StepError> {
        let s = |i| arg::<String>(op, args, i);
        let spec = |i| arg::<MixnetSpec>(op, args, i);
        let strings = |i| arg::<Vec<String>>(op, args, i);
        Ok(match op {
            "register" => json(self.register(&s(0)?, &s(1)?, arg(op, args, 2)?)),
            "create" => json(self.create(&spec(0)?, arg(op, args, 1)?)),
            "proposal" => json(self.proposal(&s(0)?)),
            "join" => json(self.join(&s(0)?, &spec(1)?)),
            "proposeJoint" => json(self.propose_joint(&s(0)?, &spec(1)?, &strings(2)?)),
            "joinProgress" => json(self.join_progress(&s(0)?, &strings(1)?)),
            "proposeJointAmong" => json(self.propose_joint_among(&spec(0)?, &strings(1)?)),
            "completeSpec" => json(self.complete_spec(&spec(0)?, &strings(1)?)),
            "confirmJoint" => json(self.confirm_joint(&spec(0)?)),
            "confirmJointFrom" => json(self.confirm_joint_from(&spec(0)?, &s(1)?, &s(2)?)),
            "finish" => json(self.finish(&s(0)?)),
            "proposeSuccessor" => json(self.propose_successor(&s(0)?, &strings(1)?, &s(2)?)),
            "reviewSuccessor" => json(self.review_successor(&s(0)?)),
            "coSign" => json(self.co_sign(&s(0)?, &s(1)?)),
            "successor" => json(self.successor(&s(0)?)),
            "agreedSuccessor" => json(self.agreed_successor(&s(0)?)),
            "current" => json(self.current(&s(0)?)),
            "membership" => json(self.membership(&s(0)?)),
            "requestJoin" => json(self.request_join(&s(0)?, &spec(1)?)),
            "approveJoin" => json(self.approve_join(&s(0)?, &s(1)?, &s(2)?)),
            "refuseJoin" => json(self.refuse_join(&s(0)?, &s(1)?, &s(2)?)),
            other => return Err(StepError::State(format!("no formation operation {other}"))),
        })
    }
}
