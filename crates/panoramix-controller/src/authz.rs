//! Authorization, decided in one place. The table (also in `docs/protocol.md` §6):
//!
//! | action | who may do it |
//! |---|---|
//! | create a negotiation | any signed key |
//! | contribute to a negotiation | any signed key; only the named participants if the negotiation names them; the request signer must be the contributor |
//! | register an individual peer | the key itself, by a consensus it signed |
//! | create a joint peer | one of its owners, by a consensus every owner signed; the owners must be registered individual peers and the joint key must recompute |
//! | create an endpoint; close it; mark it processed | a controller of the endpoint's peer, by a consensus every controller signed |
//! | assign or revoke a role | an authority, by a consensus every authority signed |
//! | post to an INBOX fed by a link | a controller of this endpoint's peer or of the linked source's peer; the text must be in the source box, once |
//! | post to any other INBOX | anyone signed if the endpoint is public, else a controller of its peer |
//! | post to a PROCESSBOX | a controller of the endpoint's peer (plus the link rule when a link feeds it) |
//! | post to ACCEPTED or OUTBOX | nobody: only consensus moves messages there |
//! | read anything | anyone, unsigned |
//!
//! The *controllers* of a peer are its owners, or the peer itself when it has none.

use crate::error::ApiError;

/// The keys that act for a peer: its owners, or the peer itself when it has none.
pub fn controllers(peer_id: &str, owners: &[String]) -> Vec<String> {
    if owners.is_empty() {
        vec![peer_id.to_owned()]
    } else {
        owners.to_vec()
    }
}

/// A consensus-bearing action on a peer: the requester must be one of its
/// controllers and every controller must have signed the consensus.
pub fn check_peer_action(
    requester: &str,
    controllers: &[String],
    signers: &[String],
) -> Result<(), ApiError> {
    if !controllers.iter().any(|c| c == requester) {
        return Err(ApiError::Forbidden(
            "only an owner of the peer may do this".into(),
        ));
    }
    if let Some(missing) = controllers.iter().find(|c| !signers.contains(c)) {
        return Err(ApiError::ConsensusMismatch(
            format!("owner {missing} did not sign the consensus").into(),
        ));
    }
    Ok(())
}
