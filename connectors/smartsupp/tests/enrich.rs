//! A contact named by id only, filled in from Smartsupp's contacts API: which events ask for
//! it, the call the gateway makes, and how the answer is read (pure; answers in tests/answers).

use omnigate_connector_core::testing::{detail, Kit};
use omnigate_connector_core::{
    Connector, EnrichContext, Enrichment, EventType, Method, NormalizedEvent,
};
use omnigate_smartsupp::Smartsupp;
use serde_json::json;

fn event(name: &str) -> NormalizedEvent {
    Kit::new(&Smartsupp, env!("CARGO_MANIFEST_DIR"))
        .fixture(name)
        .remove(0)
}

#[test]
fn a_new_conversation_with_a_contact_id_only_is_thin_a_named_message_is_not() {
    let opened = event("conversation-opened.json");
    assert_eq!(opened.event_type, EventType::ConversationOpened);
    assert!(Smartsupp.needs_enrichment(&opened));
    assert_eq!(detail(&opened)["thin"], true);
    // The contact's message names its author; an agent's message is about the agent.
    for name in [
        "contact-replied.json",
        "agent-replied.json",
        "conversation-closed.json",
    ] {
        assert!(!Smartsupp.needs_enrichment(&event(name)), "{name}");
    }
}

#[test]
fn the_contact_is_read_with_the_api_token() {
    let creds = Smartsupp.example_credentials();
    let ctx = EnrichContext {
        credentials: &creds,
        api_base: "https://api.smartsupp.test/",
    };
    let call = Smartsupp
        .enrichment_call(&ctx, &event("conversation-opened.json"))
        .unwrap();
    assert_eq!(call.method, Method::Get);
    assert_eq!(
        call.url,
        "https://api.smartsupp.test/v2/contacts/ct_51Rk8Wd"
    );
    let token = creds["api_token"].as_str().unwrap();
    assert!(call
        .headers
        .contains(&("authorization".into(), format!("Bearer {token}"))));
}

#[test]
fn the_answer_fills_in_the_name_email_and_phone() {
    let thin = event("conversation-opened.json");
    let body = std::fs::read(format!(
        "{}/tests/answers/contact.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let Enrichment::Enriched(e) = Smartsupp.read_enrichment(&thin, 200, &body) else {
        panic!("not enriched")
    };
    let c = e.contact.as_ref().unwrap();
    assert_eq!(c.provider_ref.as_deref(), Some("ct_51Rk8Wd"));
    assert_eq!(c.name.as_deref(), Some("Petra Holub"));
    assert_eq!(c.email.as_deref(), Some("petra@example.com"));
    assert_eq!(c.phone.as_deref(), Some("+420601234567"));
    assert_eq!(e.event_type, EventType::ConversationOpened);
    assert_eq!(detail(&e).get("thin"), None);
    // The same contact wrapped in `data` reads the same.
    let wrapped = serde_json::to_vec(&json!({"data": {"name": "Petra Holub"}})).unwrap();
    let Enrichment::Enriched(w) = Smartsupp.read_enrichment(&thin, 200, &wrapped) else {
        panic!("not enriched")
    };
    assert_eq!(w.contact.unwrap().name.as_deref(), Some("Petra Holub"));
}

#[test]
fn a_deleted_contact_or_a_revoked_token_is_final() {
    let thin = event("conversation-opened.json");
    let code = |status| match Smartsupp.read_enrichment(&thin, status, b"{}") {
        Enrichment::Refused { code, .. } => code,
        Enrichment::Retryable { code, .. } => format!("retry {code}"),
        Enrichment::Enriched(_) => "enriched".into(),
    };
    assert_eq!(code(404), "not_found");
    assert_eq!(code(401), "access_denied");
    assert_eq!(code(502), "retry http_502");
}
