//! A box as a unit (docs/api.md "Boxes"): a whole box in one download, and
//! one signed upload per part of at most [`boxes::PART_BYTES`].

use crate::{Client, ClientError, pct};
use panoramix_core::boxes::{self, Frame, Receipt};
use panoramix_core::model::MsgBox;
use panoramix_core::wire::Message;
use serde_json::Value as Json;

impl Client {
    /// Every message of a box, in as few box transfers as the controller's
    /// byte budget allows (one, unless the box is larger than it). A 404 or
    /// 405 means a controller without the box route ([`Client::messages`]
    /// falls back to the paged listing).
    pub fn download_box(
        &self,
        endpoint_id: &str,
        box_name: &str,
    ) -> Result<Vec<Message>, ClientError> {
        let bx = MsgBox::parse(box_name).ok_or_else(|| ClientError::Api {
            status: 400,
            code: "invalid".into(),
            message: format!("no box {box_name}"),
        })?;
        let base = format!(
            "{}?endpoint_id={}&box={box_name}",
            boxes::PATH,
            pct(endpoint_id)
        );
        let mut out = Vec::new();
        let mut path = base.clone();
        loop {
            let text = match self.get(&path)? {
                Json::String(t) => t,
                _ => {
                    return Err(ClientError::BoxTransfer {
                        path,
                        source: boxes::BoxError::Magic,
                    });
                }
            };
            let d = boxes::decode(text.as_bytes(), false, boxes::MAX_COUNT).map_err(|source| {
                ClientError::BoxTransfer {
                    path: path.clone(),
                    source,
                }
            })?;
            let (msgs, next) = boxes::to_messages(endpoint_id, bx, d);
            out.extend(msgs);
            match next {
                Some(n) => path = format!("{base}&after={n}"),
                None => return Ok(out),
            }
        }
    }

    /// Upload `frames` (ids 0) into box `box_name` of `endpoint_id`: one signed
    /// request per part of at most [`boxes::PART_BYTES`], each stored whole or
    /// not at all. Returns the receipts.
    pub fn upload_box(
        &self,
        endpoint_id: &str,
        box_name: &str,
        frames: &[Frame],
    ) -> Result<Vec<Receipt>, ClientError> {
        let bx = MsgBox::parse(box_name).ok_or_else(|| ClientError::Api {
            status: 400,
            code: "invalid".into(),
            message: format!("no box {box_name}"),
        })?;
        let mut out = Vec::new();
        for r in boxes::parts(frames, boxes::PART_BYTES) {
            let part = &frames[r];
            let data = boxes::upload_data(endpoint_id, bx, part);
            let info = self.info("box", "create", serde_json::Map::new());
            let env = self.envelope(data, info, None)?.to_string();
            let body = boxes::encode_upload(&env, part);
            let answer = self.send_signed("POST", boxes::PATH, body.as_bytes())?;
            out.push(Self::data_of(boxes::PATH, answer)?);
        }
        Ok(out)
    }
}
