//! JivoChat's Bot API signs nothing: the unguessable webhook key in the URL Jivo was given is
//! what authenticates a request, so verify checks only the optional source allow list.

use omnigate_connector_core::{allowlist, ChannelContext, InboundRequest, VerifyError};

pub fn verify(req: &InboundRequest<'_>, channel: &ChannelContext<'_>) -> Result<(), VerifyError> {
    allowlist::check(channel.settings, req.source_ip)
}
