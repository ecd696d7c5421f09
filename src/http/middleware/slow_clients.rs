//! Slow clients: once a request's head is in, its body must arrive within
//! `server.body_read_timeout` (408 `body_timeout` otherwise), and one source address may have at
//! most `server.max_requests_per_source` requests open at once (429 beyond), so a client that
//! opens many requests and trickles or withholds their bodies cannot hold the gateway's
//! connections and file descriptors. The head itself is bounded by actix's
//! `client_request_timeout` (`server.header_read_timeout`).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use futures_util::Stream;
use tokio::time::Sleep;

use crate::error::Code;
use crate::http::{ApiError, AppState};

/// Requests open per source address.
#[derive(Default)]
pub struct InFlight {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open request; counted down when the request ends, however it ends. A handler that
/// answers with a long-lived stream takes it out of the request's extensions and keeps it until
/// the stream ends, so an open stream counts as an open request of its source.
pub struct Open {
    counts: Arc<InFlight>,
    ip: IpAddr,
}

impl InFlight {
    fn enter(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Open> {
        // A poisoned lock only means a panic mid-update; the counts are still usable.
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Open {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A body stream that fails with `TimedOut` once its deadline passes.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired = true;
            let late = io::Error::new(io::ErrorKind::TimedOut, "the body was not sent in time");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// Whether a body read failed on its deadline.
pub fn timed_out(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut)
}

/// The middleware: caps open requests per source and puts a deadline on the body.
pub async fn slow_clients<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let server = &state.settings.server;
    let source = crate::ingress::source_ip(
        req.headers(),
        req.peer_addr().map(|a| a.ip()),
        server.trust_forwarded_for,
    );
    let open = match source {
        Some(ip) => match state
            .limits
            .in_flight
            .enter(ip, server.max_requests_per_source)
        {
            Some(open) => Some(open),
            None => {
                let busy = ApiError::new(
                    Code::RateLimited,
                    "too many open requests from this address; retry after 1 s",
                )
                .retry_after(1);
                return Ok(req.error_response(busy).map_into_right_body());
            }
        },
        None => None,
    };
    let body = Deadline {
        inner: req.take_payload(),
        sleep: Box::pin(tokio::time::sleep(server.body_read_timeout)),
        expired: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(body),
    });
    if let Some(open) = open {
        req.extensions_mut().insert(open);
    }
    let answer = next.call(req).await;
    answer.map(|res| {
        // Counted down now, unless the handler kept it for its stream.
        drop(res.request().extensions_mut().remove::<Open>());
        res.map_into_left_body()
    })
}
