//! `POST /v1/helpdesks/chatwoot/{destination_id}/callback`: a Chatwoot inbox's `webhook_url`.
//! Chatwoot waits 5 s and never retries, so the callback is verified, stored (the reply queued
//! durably in the relay) and answered at once; the provider is called afterwards by the relay.
//! De-duplicated on `X-Chatwoot-Delivery`, and on the Chatwoot message id through the reply's
//! idempotency key.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use omnigate_connector_core::{ChannelContext, Connector, InboundRequest};
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use super::schemas::{self, Problem};
use super::{json, ApiError, ApiResult, AppState};
use crate::domain::channel::ChannelState;
use crate::domain::destination::{ChatwootSettings, Destination};
use crate::error::Code;
use crate::helpdesk::chatwoot::callback::{decide, Decision};
use crate::helpdesk::chatwoot::{
    writeback, LINK_CALLBACK, LINK_CONVERSATION, LINK_MESSAGE, LINK_REPLY,
};
use crate::ingress::{headers_of, read_body};
use crate::store::{MessageStatus, RelayedMessage};

const DELIVERY_HEADER: &str = "x-chatwoot-delivery";
const SIGNATURE_HEADER: &str = "x-chatwoot-signature";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(callback);
}

fn answer(status: &str, extra: Value) -> HttpResponse {
    let mut body = json!({"status": status});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    json(StatusCode::OK, body)
}

/// Checks `X-Chatwoot-Signature` with the inbox secret (timestamp within 5 minutes). An unsigned
/// callback passes only when the destination allows it (Chatwoot before 4.13).
fn verify(req: &HttpRequest, body: &[u8], s: &ChatwootSettings) -> ApiResult<()> {
    let headers = headers_of(req.headers());
    let signed = headers.iter().any(|(k, _)| k == SIGNATURE_HEADER);
    let secret = match (&s.inbox_secret, signed) {
        (_, false) if s.allow_unsigned_callbacks => return Ok(()),
        (None, _) if s.allow_unsigned_callbacks => return Ok(()),
        (None, _) => {
            return Err(ApiError::new(
                Code::SignatureMissing,
                "this destination has no inbox_secret to verify callbacks with",
            ))
        }
        (Some(secret), _) => secret,
    };
    let mut credentials = Map::new();
    credentials.insert("webhook_secret".into(), Value::String(secret.clone()));
    let settings = Map::new();
    let inbound = InboundRequest {
        topic: None,
        headers: &headers,
        body,
        source_ip: None,
        received_at: chrono::Utc::now().timestamp(),
    };
    let ctx = ChannelContext {
        credentials: &credentials,
        settings: &settings,
    };
    omnigate_chatwoot::Chatwoot
        .verify(&inbound, &ctx)
        .map_err(|e| {
            tracing::warn!(code = e.code(), "Chatwoot callback refused: {e}");
            ApiError::with_status(StatusCode::UNAUTHORIZED, Code::from(&e), e.to_string())
        })
}

#[utoipa::path(
    tag = "helpdesks",
    operation_id = "chatwootCallback",
    summary = "A Chatwoot inbox's callback (signed by Chatwoot)",
    params(("destination_id" = String, Path, description = "The Chatwoot destination's id")),
    request_body(content = Value, description = "Chatwoot's webhook event", content_type = "application/json"),
    responses(
        (status = 200, description = "Verified; what became of it", body = schemas::CallbackAnswer),
        (status = 400, description = "`invalid_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`signature_missing`, `signature_invalid`, `timestamp_out_of_window`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such Chatwoot destination", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`body_too_large`", body = Problem, content_type = "application/problem+json")
    ),
    security(())
)]
#[post("/v1/helpdesks/chatwoot/{destination_id}/callback")]
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let dest = state
        .store
        .get_destination(&id)
        .await?
        .filter(|d| d.chatwoot.is_some())
        .ok_or_else(|| ApiError::not_found("chatwoot destination"))?;
    let Some(settings) = dest.chatwoot.clone() else {
        return Err(ApiError::not_found("chatwoot destination"));
    };
    let body = read_body(req.headers(), payload, state.settings.server.max_body_bytes).await?;
    verify(&req, &body, &settings)?;
    let parsed: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(Code::InvalidJson, e.to_string()))?;
    let delivery = req
        .headers()
        .get(DELIVERY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|d| !d.is_empty() && d.len() <= 255)
        .map(str::to_string);
    if let Some(d) = &delivery {
        if state
            .store
            .link(&dest.id, LINK_CALLBACK, d)
            .await?
            .is_some()
        {
            return Ok(answer("duplicate", json!({})));
        }
    }
    let request_id = super::middleware::request_id::of(&req);
    let response = act(
        &state,
        &dest,
        decide(&parsed),
        delivery.as_deref(),
        request_id,
    )
    .await?;
    if let Some(d) = &delivery {
        let event = parsed["event"].as_str().unwrap_or("unknown");
        state
            .store
            .put_link(&dest.id, LINK_CALLBACK, d, event, false)
            .await?;
    }
    Ok(response)
}

async fn act(
    state: &AppState,
    dest: &Destination,
    decision: Decision,
    delivery: Option<&str>,
    request_id: Option<String>,
) -> ApiResult<HttpResponse> {
    let display_id = match &decision {
        Decision::Ignore(reason) => return Ok(answer("ignored", json!({"reason": reason}))),
        Decision::Relay { display_id, .. } | Decision::Resolved { display_id } => *display_id,
    };
    let conversation = match state
        .store
        .link_by_value(&dest.id, LINK_CONVERSATION, &display_id.to_string())
        .await?
    {
        Some(c) => c,
        None => return Ok(answer("ignored", json!({"reason": "unknown_conversation"}))),
    };
    let conv = state
        .store
        .conversation(&conversation)
        .await?
        .ok_or_else(|| {
            ApiError::internal(format!("conversation {conversation} is linked but unknown"))
        })?;
    let channel = state.store.get_channel(&conv.channel_id).await?;
    let connector = channel
        .as_ref()
        .and_then(|c| state.registry.get(&c.provider));
    let (Some(channel), Some(connector)) = (channel, connector) else {
        return Ok(answer("ignored", json!({"reason": "channel_deleted"})));
    };
    let refusal = if !connector.capabilities().replies {
        Some((
            "reply_not_supported",
            format!("{} has no API to send replies", channel.provider),
        ))
    } else if channel.state != ChannelState::Approved {
        Some((
            "channel_not_approved",
            format!("the channel is {}", channel.state.as_str()),
        ))
    } else {
        None
    };
    // Each content to relay with its idempotency key; the Chatwoot message id for a reply.
    let (message_id, items): (Option<u64>, Vec<(Value, String)>) = match decision {
        Decision::Relay {
            message_id,
            contents,
            ..
        } => {
            if state
                .store
                .link_by_value(&dest.id, LINK_MESSAGE, &message_id.to_string())
                .await?
                .is_some()
            {
                return Ok(answer("ignored", json!({"reason": "created_by_omnigate"})));
            }
            let items = contents
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c, writeback::idempotency_key(&dest.id, message_id, i)))
                .collect();
            (Some(message_id), items)
        }
        Decision::Resolved { .. } => {
            let Some(action) = connector.resolve_action() else {
                return Ok(answer(
                    "ignored",
                    json!({"reason": "provider_has_no_resolve"}),
                ));
            };
            let tag = delivery
                .map(str::to_string)
                .unwrap_or_else(crate::ids::event_id);
            (
                None,
                vec![(action, format!("chatwoot-resolved:{}:{tag}", dest.id))],
            )
        }
        Decision::Ignore(reason) => return Ok(answer("ignored", json!({"reason": reason}))),
    };
    let refused = |code: &str, detail: String| {
        let (store, client, dest_id) = (
            state.store.clone(),
            state.helpdesk_client.clone(),
            dest.id.clone(),
        );
        let reason = format!("{code}: {detail}");
        let timeout = state.settings.delivery.request_timeout;
        if let Some(mid) = message_id {
            let link = format!("{display_id}:{mid}");
            let key = format!("refused:{mid}");
            tokio::spawn(async move {
                if store
                    .put_link(&dest_id, LINK_REPLY, &key, &link, true)
                    .await
                    .is_ok()
                {
                    writeback::report(
                        store.as_ref(),
                        &client,
                        timeout,
                        &dest_id,
                        &key,
                        Some(&reason),
                    )
                    .await;
                }
            });
        }
        answer("refused", json!({"code": code, "detail": detail}))
    };
    if let Some((code, detail)) = refusal {
        return Ok(refused(code, detail));
    }
    for (content, _) in &items {
        if let Err(e) = connector.validate_reply(content) {
            return Ok(refused(e.code, e.message));
        }
    }
    let mut queued = Vec::new();
    for (content, key) in items {
        let now = crate::domain::envelope::now();
        let message = RelayedMessage {
            id: crate::ids::message_id(),
            conversation_id: conv.id.clone(),
            channel_id: channel.id.clone(),
            idempotency_key: Some(key),
            content,
            status: MessageStatus::Queued,
            attempts: 0,
            steps: Vec::new(),
            error: None,
            echo_event_id: None,
            next_attempt_at: None,
            next_attempt_ms: 0,
            created_at: now.clone(),
            updated_at: now,
            finished_at: None,
            request_id: request_id.clone(),
        };
        if let Some(mid) = message_id {
            // Linked before it is queued, so the outcome always finds its Chatwoot message.
            state
                .store
                .put_link(
                    &dest.id,
                    LINK_REPLY,
                    &message.id,
                    &format!("{display_id}:{mid}"),
                    true,
                )
                .await?;
        }
        let (stored, _) = state.store.queue_message(message).await?;
        queued.push(stored.id);
    }
    state.relay_wake.notify_one();
    tracing::info!(destination = %dest.id, conversation = %conv.id, replies = queued.len(), "Chatwoot callback queued");
    Ok(answer("queued", json!({"message_ids": queued})))
}

/// This module's routes in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(callback))]
pub(super) struct Doc;
