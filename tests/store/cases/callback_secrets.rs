//! Chatwoot destinations stored before callback secrets existed get one at start.

use omnigate::domain::destination::DestinationKind;
use omnigate::domain::secret::{ExposeSecret, SecretString};
use omnigate::helpdesk::chatwoot::callback::give_callback_secrets;
use omnigate::helpdesk::chatwoot::settings::{self, ChatwootSettings};

use super::{destination, S};

pub async fn chatwoot_destinations_stored_without_a_callback_secret_get_one(s: S) {
    let mut old = destination(&["*"]);
    old.kind = DestinationKind::Chatwoot(ChatwootSettings {
        base_url: "http://127.0.0.1:9".into(),
        account_id: 1,
        inbox_id: 2,
        api_access_token: "token".into(),
        inbox_secret: None,
        allow_unsigned_callbacks: true,
        callback_secret: SecretString::default(),
    });
    let old = s.create_destination(old).await.unwrap();
    let webhook = s.create_destination(destination(&["*"])).await.unwrap();

    assert_eq!(give_callback_secrets(s.as_ref()).await.unwrap(), 1);
    let given = s.get_destination(&old.id).await.unwrap().unwrap();
    let secret = settings::of(&given)
        .unwrap()
        .callback_secret
        .expose_secret()
        .to_string();
    assert!(secret.len() >= 43, "an unguessable secret: {secret}");
    assert_eq!(
        settings::of(&given)
            .unwrap()
            .api_access_token
            .expose_secret(),
        "token"
    );
    let webhook = s.get_destination(&webhook.id).await.unwrap().unwrap();
    assert_eq!(webhook.kind_name(), "webhook");

    assert_eq!(
        give_callback_secrets(s.as_ref()).await.unwrap(),
        0,
        "once given, a secret stays"
    );
    let again = s.get_destination(&old.id).await.unwrap().unwrap();
    assert_eq!(
        settings::of(&again)
            .unwrap()
            .callback_secret
            .expose_secret(),
        secret
    );
}
