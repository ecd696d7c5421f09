//! Making one provider call a connector described ([`ProviderCall`]): through the gateway's one
//! outbound client, with a timeout, reading at most [`MAX_ANSWER`] bytes of the answer. Shared
//! by the relay (replies) and enrichment (thin events); what the answer means is the
//! connector's to say.

use std::time::Duration;

use omnigate_connector_core::{Method, ProviderCall};

/// The largest provider answer read; the rest is ignored.
pub const MAX_ANSWER: usize = 64 * 1024;

/// Why a call got no answer at all: always worth trying again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreached {
    /// `timeout` or `connect_failed`.
    pub code: &'static str,
    pub message: String,
}

/// Sends `call` and returns the answer's status and (capped) body. `request_id` is passed on
/// as `x-request-id`, for tracing a call back to the request that caused it.
pub async fn send(
    client: &reqwest::Client,
    call: ProviderCall,
    timeout: Duration,
    request_id: Option<&str>,
) -> Result<(u16, Vec<u8>), Unreached> {
    let method = match call.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
    };
    let mut req = client.request(method, &call.url).timeout(timeout);
    if !call.body.is_empty() || call.method != Method::Get {
        req = req.body(call.body);
    }
    for (k, v) in &call.headers {
        req = req.header(k, v);
    }
    if let Some(id) = request_id {
        req = req.header("x-request-id", id);
    }
    match req.send().await {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let mut body = Vec::new();
            while let Ok(Some(chunk)) = resp.chunk().await {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_ANSWER {
                    break;
                }
            }
            Ok((status, body))
        }
        Err(e) => Err(Unreached {
            code: if e.is_timeout() {
                "timeout"
            } else {
                "connect_failed"
            },
            message: format!("the provider could not be reached: {e}"),
        }),
    }
}
