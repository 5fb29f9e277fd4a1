//! Secrets kept for others are sealed at rest with the operator's key.

use hashwatch_access::secrets::{is_sealed, Purpose, SecretError, SecretsKey};
use hashwatch_server::secrets::{seal_stored, Sealing};
use hashwatch_store::{feeds, records, BankKind, BankSettings, Role, Webhook};
use reqwest::StatusCode;
use serde_json::json;

use crate::{on_both, Served};

const WEBHOOK_SECRET: &str = "0123456789abcdef-webhook";
const API_KEY: &str = "hw_0123456789abcdef-subscription";

/// Before: the webhook secret sat in the database in plain text (and in
/// every delivery row); a server without a key stored it anyway.
async fn webhook_secrets_are_sealed_at_rest(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let admin = s.key("acme", &[Role::Admin]).await;
    let (status, answer) = s.post("/c/banks", &admin, json!({"name": "HOOKED"})).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let webhook = json!({"webhook": {"url": "http://127.0.0.1:9/hook", "secret": WEBHOOK_SECRET}});
    let (status, answer) = s
        .put("/c/bank/HOOKED/settings", &admin, webhook.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let store = s.store();
    let stored = tokio::task::spawn_blocking(move || records(store.as_ref()).stored_secrets())
        .await
        .expect("read")
        .expect("secrets");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(is_sealed(&stored[0].value), "{stored:?}");
    assert!(!stored[0].value.contains(WEBHOOK_SECRET), "{stored:?}");
    // (A server without the key would not start on a sealed secret.)
    let (status, answer) = s
        .put("/c/bank/HOOKED/settings", &admin, json!({"webhook": null}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    s.stop().await;

    // A server without a key stores no secret.
    let s = Served::start(&spec, |c| c.secrets_key = None).await;
    let admin = s.key("acme", &[Role::Admin]).await;
    let (status, answer) = s.put("/c/bank/HOOKED/settings", &admin, webhook).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::BAD_REQUEST, &json!("no_secrets_key")),
        "{answer}"
    );
    s.stop().await;
}
on_both!(webhook_secrets_are_sealed_at_rest);

/// Secrets stored before the server had a key are sealed when it starts
/// with one; a wrong key, or none, is refused before anything is sent.
async fn secrets_stored_before_are_sealed_at_start(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let store = s.store();
    tokio::task::spawn_blocking(move || {
        let r = records(store.as_ref());
        r.create_bank(
            "OLD",
            BankKind::Positive,
            &BankSettings {
                webhook: Some(Webhook {
                    url: "http://127.0.0.1:9/hook".into(),
                    secret: WEBHOOK_SECRET.into(),
                }),
                ..BankSettings::default()
            },
            None,
        )
        .expect("bank");
        feeds(store.as_ref())
            .subscribe(
                "http://127.0.0.1:9/feeds/X",
                "OLD",
                &"00".repeat(32),
                Some(API_KEY),
            )
            .expect("subscription");
        let key = SecretsKey::from_bytes(&[1; 32]);
        assert_eq!(
            seal_stored(store.as_ref(), None).expect("no key, nothing sealed yet"),
            Sealing {
                sealed: 0,
                unsealed: 2
            }
        );
        assert_eq!(
            seal_stored(store.as_ref(), Some(&key)).expect("sealed"),
            Sealing {
                sealed: 2,
                unsealed: 0
            }
        );
        let stored = r.stored_secrets().expect("secrets");
        for (secret, purpose, plain) in [
            (&stored[0], Purpose::Webhook, WEBHOOK_SECRET),
            (&stored[1], Purpose::Subscription, API_KEY),
        ] {
            assert!(!secret.value.contains(plain), "{stored:?}");
            assert_eq!(key.open(purpose, &secret.value).as_deref(), Ok(plain));
        }
        // Once is enough; a wrong key and no key are refused.
        assert_eq!(
            seal_stored(store.as_ref(), Some(&key)).expect("sealed"),
            Sealing::default()
        );
        let refused = |key: Option<&SecretsKey>| {
            seal_stored(store.as_ref(), key)
                .expect_err("refused")
                .downcast::<SecretError>()
                .map(|e| *e)
                .expect("a secrets error")
        };
        assert_eq!(
            refused(Some(&SecretsKey::from_bytes(&[2; 32]))),
            SecretError::Unopenable
        );
        assert_eq!(refused(None), SecretError::NoKey);
        let audit = r
            .audit_events(&Default::default())
            .expect("audit")
            .into_iter()
            .filter(|e| e.event.action == "secrets.seal")
            .count();
        assert_eq!(audit, 1);
    })
    .await
    .expect("checks");
    s.stop().await;
}
on_both!(secrets_stored_before_are_sealed_at_start);
