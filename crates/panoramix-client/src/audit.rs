//! Downloading a controller's audit log.

use crate::{Client, ClientError};
use panoramix_core::audit::{Head, Record};
use panoramix_core::wire::Cursor;
use serde::Deserialize;

/// A page of `GET /panoramix/audit/`: entries, the next page's cursor, and the
/// controller-signed head.
#[derive(Deserialize)]
struct AuditPage {
    data: Vec<Record>,
    #[serde(default)]
    next: Option<Cursor>,
    head: Head,
}

/// Download a controller's whole audit log (unsigned GETs) and its signed head
/// (as the last page gave it; check it with [`Head::verify`]).
pub fn audit_log(agent: &ureq::Agent, base: &str) -> Result<(Vec<Record>, Head), ClientError> {
    let base = base.trim_end_matches('/');
    let mut out: Vec<Record> = Vec::new();
    let mut after = String::from("0");
    loop {
        let path = format!("/panoramix/audit/?after={after}&limit=1000");
        let r = Client::decode(&path, agent.get(&format!("{base}{path}")).call())?;
        let page: AuditPage = Client::parse(&path, r)?;
        out.extend(page.data);
        match page.next {
            Some(n) => after = n.to_string(),
            None => return Ok((out, page.head)),
        }
    }
}
