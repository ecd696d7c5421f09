//! The connector registry: one line per provider crate. A provider is usable in the API once
//! it is listed here; nothing else in the gateway changes when one is added. A crate under
//! `connectors/` that is not listed fails the tests below, and so does a connector whose
//! declarations (credential fields, secrets, topics, signing) do not hold together.

use omnigate_connector_core::Connector;

static CONNECTORS: &[&dyn Connector] = &[
    &omnigate_naver_talktalk::NaverTalkTalk,
    &omnigate_chatlio::Chatlio,
    &omnigate_chatwoot::Chatwoot,
    &omnigate_crisp::Crisp,
    &omnigate_tawkto::Tawkto,
    &omnigate_zendesk_sunshine::ZendeskSunshine,
    &omnigate_livechat::LiveChat,
    &omnigate_tidio::Tidio,
    &omnigate_smartsupp::Smartsupp,
    &omnigate_jivochat::JivoChat,
    &omnigate_liveperson::LivePerson,
    &omnigate_hubspot::HubSpot,
];

#[derive(Clone, Copy)]
pub struct Registry {
    connectors: &'static [&'static dyn Connector],
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            connectors: CONNECTORS,
        }
    }
}

impl Registry {
    pub fn get(&self, provider: &str) -> Option<&'static dyn Connector> {
        self.connectors
            .iter()
            .copied()
            .find(|c| c.provider() == provider)
    }

    pub fn connectors(&self) -> &'static [&'static dyn Connector] {
        self.connectors
    }

    pub fn providers(&self) -> Vec<&'static str> {
        self.connectors.iter().map(|c| c.provider()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnigate_connector_core::testing::{crate_dir, declaration_problems};

    #[test]
    fn every_crate_under_connectors_is_registered_and_every_provider_has_its_crate() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors");
        let mut crates: Vec<String> = std::fs::read_dir(&root)
            .expect("connectors/ is readable")
            .filter_map(|e| e.ok())
            .filter(|e| {
                std::fs::read_to_string(e.path().join("Cargo.toml"))
                    .is_ok_and(|manifest| manifest.contains("[package]"))
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|dir| dir != "core")
            .collect();
        crates.sort();
        let mut registered: Vec<String> = Registry::default()
            .providers()
            .into_iter()
            .map(crate_dir)
            .collect();
        registered.sort();
        assert_eq!(
            crates, registered,
            "each connectors/<crate> is one line in CONNECTORS (provider id = folder name, '-' as '_')"
        );
    }

    /// Each README's credential table is the connector's declaration, rendered. Run with
    /// `OMNIGATE_WRITE_READMES=1` to write the tables after changing a declaration.
    #[test]
    fn every_connector_readme_shows_its_declared_credentials() {
        use omnigate_connector_core::credentials::{
            markdown_table, README_TABLE_END, README_TABLE_START,
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors");
        let write = std::env::var_os("OMNIGATE_WRITE_READMES").is_some();
        let mut stale = Vec::new();
        for connector in Registry::default().connectors() {
            let path = root.join(crate_dir(connector.provider())).join("README.md");
            let readme = std::fs::read_to_string(&path).expect("the connector has a README");
            let start = readme
                .find(README_TABLE_START)
                .map(|i| i + README_TABLE_START.len());
            let end = readme.find(README_TABLE_END);
            let (Some(start), Some(end)) = (start, end) else {
                stale.push(format!("{}: no credential table markers", path.display()));
                continue;
            };
            let expected = format!("\n{}", markdown_table(connector.credential_fields()));
            if readme[start..end] != expected {
                if write {
                    let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
                    std::fs::write(&path, updated).expect("README is writable");
                } else {
                    stale.push(format!("{}: the credential table differs", path.display()));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "{stale:#?}\nrun `OMNIGATE_WRITE_READMES=1 cargo test -p omnigate --lib readme` to update"
        );
    }

    #[test]
    fn every_connector_declares_what_the_gateway_needs_consistently() {
        let problems: Vec<String> = Registry::default()
            .providers()
            .into_iter()
            .filter_map(|id| Registry::default().get(id))
            .flat_map(declaration_problems)
            .collect();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn provider_ids_are_unique_and_naver_and_chatlio_are_registered() {
        let providers = Registry::default().providers();
        let mut unique = providers.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), providers.len());
        assert!(Registry::default().get("naver_talktalk").is_some());
        let chatlio = Registry::default()
            .get("chatlio")
            .expect("chatlio is registered");
        assert_eq!(
            chatlio.topics().len(),
            5,
            "one webhook URL per Chatlio webhook"
        );
        assert!(Registry::default().get("nope").is_none());
    }

    #[test]
    fn zendesk_sunshine_and_livechat_are_registered_and_can_reply() {
        for id in ["zendesk_sunshine", "livechat"] {
            let connector = Registry::default()
                .get(id)
                .unwrap_or_else(|| panic!("{id} is registered"));
            assert!(connector.capabilities().replies, "{id} relays replies");
            assert!(connector.topics().is_empty(), "{id} uses the bare URL");
        }
    }

    #[test]
    fn only_naver_hands_a_resolved_conversation_back_to_its_bot() {
        let resolve = |id: &str| Registry::default().get(id).and_then(|c| c.resolve_action());
        assert_eq!(
            resolve("naver_talktalk"),
            Some(serde_json::json!({"type": "handover_take"}))
        );
        for id in [
            "chatlio",
            "chatwoot",
            "crisp",
            "tawkto",
            "zendesk_sunshine",
            "livechat",
        ] {
            assert_eq!(resolve(id), None, "{id}");
        }
    }

    #[test]
    fn chatwoot_and_crisp_relay_replies_and_tawkto_is_inbound_only() {
        for (id, replies) in [("chatwoot", true), ("crisp", true), ("tawkto", false)] {
            let connector = Registry::default()
                .get(id)
                .unwrap_or_else(|| panic!("{id} is registered"));
            assert_eq!(connector.capabilities().replies, replies, "{id}");
            assert!(connector.topics().is_empty(), "{id} uses the bare URL");
            assert!(
                !connector.secret_fields().is_empty(),
                "{id} has secrets to mask"
            );
        }
    }
}
