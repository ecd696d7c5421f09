//! Naver signs nothing; the webhook key was matched by the gateway, and the optional source
//! allow list is checked here.

use omnigate_connector_core::{allowlist, ChannelContext, InboundRequest, VerifyError};

use crate::config::NAVER_SOURCE_RANGES;

/// `"naver_published_ranges"` in `allowed_source_ips` stands for the ranges Naver publishes.
pub const PRESETS: [allowlist::Preset<'static>; 1] =
    [("naver_published_ranges", &NAVER_SOURCE_RANGES)];

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check_with(channel.settings, req.source_ip, &PRESETS)
}
