//! Every connector against its real or documented-shape server on 127.0.0.1: the HTTP presets
//! against a loopback CRM serving each CRM's documented shapes (known, unknown, several
//! matches, malformed JSON, HTML error page, 401, 429 with Retry-After, slow, refused), LDAP
//! against a real slapd, CardDAV against a real Radicale. Secrets come from the in-memory
//! store here (this is about our logic); tests/crm_daemon.rs uses the real keyring.

use screenpop_testkit as support;

#[path = "connectors/ldap_carddav.rs"]
mod ldap_carddav;

use screenpop::config::Settings;
use screenpop::directory::chain::{Chain, StepResult};
use screenpop::directory::{BuildContext, Directory, LookupError, NewContact};
use screenpop::phone::Normalised;
use screenpop::secrets::{MemoryStore, SecretStore};
use screenpop::store::cache::LookupCache;
use screenpop::store::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::crm::{Crm, Mode, Person, Shape};

const TOKEN: &str = "tok-5f1e9a-test";

fn people() -> Vec<Person> {
    let mut lisa = Person::new("101", "Lisa", "Simpson", "+1 555 123 4567");
    lisa.vip = true;
    lisa.company = Some("Springfield Pizza".into());
    lisa.note = Some("Last order: 2 pepperoni pizzas".into());
    vec![
        lisa,
        Person::new("102", "Bart", "Simpson", "(555) 987-6543"),
        Person::new("103", "Homer", "Simpson", "555.987.6543"),
    ]
}

pub(crate) struct Setup {
    chain: Arc<Chain>,
    rules: screenpop::phone::PhoneRules,
}

pub(crate) async fn chain(toml: &str, secret: &str) -> Setup {
    let settings = Settings::from_parts(Path::new("test.toml"), Some(toml), &[])
        .unwrap_or_else(|e| panic!("config refused: {e}\n{toml}"));
    let secrets = Arc::new(MemoryStore::default());
    secrets.set("crm-token", secret).unwrap();
    let store = Store::in_memory().await.unwrap();
    let rules = settings.phone_rules().unwrap();
    let ctx = BuildContext {
        store: store.clone(),
        secrets,
        rules: rules.clone(),
    };
    let dirs = screenpop::directory::build(&settings.directory_chain(), &ctx);
    Setup {
        chain: Arc::new(Chain::new(dirs, LookupCache::new(store), 3600, 300)),
        rules,
    }
}

fn http_config(preset: &str, base_url: &str, extra: &str) -> String {
    format!(
        "[[directory]]\nkind = \"http\"\nname = \"crm\"\npreset = \"{preset}\"\nbase_url = \"{base_url}\"\n\
         secret = \"crm-token\"\nusername = \"agent@example.com\"\ntimeout_ms = 500\njournal = true\n{extra}"
    )
}

impl Setup {
    fn number(&self, n: &str) -> Normalised {
        self.rules.keys(n).expect("a number")
    }

    fn dir(&self) -> Arc<dyn Directory> {
        Arc::clone(&self.chain.directories()[0])
    }

    async fn lookup(&self, n: &str) -> Result<Vec<screenpop::directory::Customer>, LookupError> {
        self.dir().lookup(&self.number(n)).await
    }
}

async fn preset_answers_every_case(preset: &str, shape: Shape) {
    let crm = Crm::start(shape, TOKEN, people());
    let s = chain(&http_config(preset, &crm.base_url(), ""), TOKEN).await;

    let known = s.lookup("555-123-4567").await.unwrap();
    assert_eq!(known.len(), 1, "{preset}: {known:?}");
    assert_eq!(known[0].name, "Lisa Simpson", "{preset}");
    assert_eq!(known[0].id, "101", "{preset}");
    let url = s.dir().profile_url(&known[0]);
    assert!(
        url.as_deref()
            .is_none_or(|u| u.starts_with("http") && u.contains("101")),
        "{preset}: {url:?}"
    );
    if matches!(
        shape,
        Shape::Seed | Shape::Hubspot | Shape::Zoho | Shape::Freshsales
    ) {
        assert!(known[0].vip, "{preset}: VIP not recognised");
    }

    assert!(
        s.lookup("+1 555 000 1111").await.unwrap().is_empty(),
        "{preset}: unknown"
    );
    let several = s.lookup("5559876543").await.unwrap();
    let mut names: Vec<_> = several.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["Bart Simpson", "Homer Simpson"], "{preset}");

    crm.set_mode(Mode::Malformed);
    let err = s.lookup("5551234567").await.unwrap_err();
    assert!(
        matches!(&err, LookupError::BadResponse(m) if m.contains("malformed JSON")),
        "{preset}: {err}"
    );

    crm.set_mode(Mode::HtmlError);
    let err = s.lookup("5551234567").await.unwrap_err().to_string();
    assert!(
        err.contains("502") && err.contains("HTML"),
        "{preset}: {err}"
    );

    crm.set_mode(Mode::Slow(Duration::from_millis(1500)));
    let err = s.lookup("5551234567").await.unwrap_err();
    assert!(matches!(err, LookupError::Timeout(500)), "{preset}: {err}");

    crm.set_mode(Mode::RateLimited(30));
    let limited = chain(&http_config(preset, &crm.base_url(), ""), TOKEN).await;
    let err = limited.lookup("5551234567").await.unwrap_err().to_string();
    assert!(
        err.contains("rate limited") && err.contains("30 s"),
        "{preset}: {err}"
    );
    // Retry-After is honoured: the next lookup does not even reach the server.
    let before = crm.with(|st| st.lookups);
    crm.set_mode(Mode::Normal);
    let err = limited.lookup("5551234567").await.unwrap_err().to_string();
    assert!(err.contains("rate limited"), "{preset}: {err}");
    assert_eq!(
        crm.with(|st| st.lookups),
        before,
        "{preset}: request sent during the pause"
    );

    let wrong = chain(&http_config(preset, &crm.base_url(), ""), "not-the-token").await;
    let err = wrong.lookup("5551234567").await.unwrap_err();
    assert!(
        matches!(&err, LookupError::Rejected(m) if m.contains("401") || m.contains("login refused")),
        "{preset}: {err}"
    );
    assert!(
        !err.to_string().contains("not-the-token"),
        "{preset}: secret in {err}"
    );

    let refused = chain(
        &http_config(
            preset,
            &format!("http://127.0.0.1:{}", support::free_port()),
            "",
        ),
        TOKEN,
    )
    .await;
    let err = refused.lookup("5551234567").await.unwrap_err();
    assert!(
        matches!(&err, LookupError::Unreachable(m) if m.contains("refused")),
        "{preset}: {err}"
    );

    journal_and_create(&s, &crm, preset).await;
}

/// A finished call with Lisa reaches the CRM once per idempotency key; a contact created
/// from screenpop greets its next call at once even though the CRM's search lags.
async fn journal_and_create(s: &Setup, crm: &Crm, preset: &str) {
    let record = support::calls::record("call-77", "+15551234567", Some(("crm", "101")));
    s.dir()
        .journal(&record)
        .await
        .unwrap_or_else(|e| panic!("{preset}: {e}"));
    s.dir().journal(&record).await.unwrap();
    crm.with(|st| {
        assert_eq!(st.journal_requests.get("call-77"), Some(&2), "{preset}");
        assert_eq!(st.journal_applied.len(), 1, "{preset}");
        let body = st.journal_applied[0].to_string();
        assert!(
            body.contains("call-77") || body.contains("+15551234567"),
            "{preset}: {body}"
        );
    });

    crm.with(|st| st.search_lags_writes = true);
    let contact = NewContact {
        name: "Maggie Simpson".into(),
        phones: vec!["555 222 3333".into()],
        ..Default::default()
    };
    let number = s.number("5552223333");
    let created = s
        .chain
        .create_contact("crm", &contact, std::slice::from_ref(&number))
        .await
        .unwrap();
    assert!(created.id.starts_with("900"), "{preset}: {created:?}");
    assert!(
        s.lookup("5552223333").await.unwrap().is_empty(),
        "{preset}: the CRM should still be indexing"
    );
    let outcome = s.chain.lookup(&number).await;
    assert_eq!(
        outcome.matches.first().map(|c| c.name.as_str()),
        Some("Maggie Simpson"),
        "{preset}"
    );
    assert!(
        matches!(outcome.steps[0].result, StepResult::CachedHit { .. }),
        "{preset}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_shape_answers_every_case() {
    preset_answers_every_case("seed", Shape::Seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubspot_preset_answers_every_case() {
    preset_answers_every_case("hubspot", Shape::Hubspot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipedrive_preset_answers_every_case() {
    preset_answers_every_case("pipedrive", Shape::Pipedrive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoho_preset_answers_every_case_and_204_is_a_miss() {
    preset_answers_every_case("zoho", Shape::Zoho).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoo_preset_answers_every_case() {
    preset_answers_every_case("odoo", Shape::Odoo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freshsales_preset_answers_every_case() {
    preset_answers_every_case("freshsales", Shape::Freshsales).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_crm_is_reported_and_the_next_directory_answers() {
    let good = Crm::start(Shape::Seed, TOKEN, people());
    let down = format!("http://127.0.0.1:{}", support::free_port());
    let toml = format!(
        "{}\n[[directory]]\nkind = \"http\"\nname = \"backup\"\npreset = \"seed\"\nbase_url = \"{}\"\nsecret = \"crm-token\"\n",
        http_config("seed", &down, ""),
        good.base_url()
    );
    let s = chain(&toml, TOKEN).await;
    let outcome = s.chain.lookup(&s.number("5551234567")).await;
    assert_eq!(outcome.directory.as_deref(), Some("backup"));
    assert!(
        matches!(&outcome.steps[0].result, StepResult::Failed(m) if m.contains("refused")),
        "{:?}",
        outcome.steps
    );
    let health = s.chain.health();
    assert!(
        matches!(health[0].1, screenpop::event::Health::Down(_)),
        "{health:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipedrive_short_terms_are_not_sent() {
    let crm = Crm::start(Shape::Pipedrive, TOKEN, people());
    let s = chain(
        &http_config("pipedrive", &crm.base_url(), "min_digits = 5\n"),
        TOKEN,
    )
    .await;
    assert!(s.lookup("12").await.unwrap().is_empty());
    assert_eq!(crm.with(|st| st.lookups), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubspot_rate_limit_spaces_requests() {
    let crm = Crm::start(Shape::Hubspot, TOKEN, people());
    let s = chain(
        &http_config("hubspot", &crm.base_url(), "rate_limit_per_s = 10.0\n"),
        TOKEN,
    )
    .await;
    let started = std::time::Instant::now();
    for _ in 0..4 {
        s.lookup("5551234567").await.unwrap();
    }
    // Four requests at 10/s need at least three intervals of 100 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}
