//! OAuth 2 sign-in and token upkeep of the HTTP directories, against the loopback
//! authorization server in front of a loopback CRM serving the documented shapes: connect in
//! the browser (authorization code + PKCE) or with a device code, then lookups that keep
//! working as tokens expire — one refresh however many lookups wait on it, a rotated refresh
//! token stored, Zoho's refresh limit kept — and a revoked grant that degrades the directory,
//! asks to sign in, and leaves the other directories answering. Secrets are in the in-memory
//! store here; tests/oauth_daemon.rs runs the real binary with the real keyring.

use screenpop_testkit as support;

use screenpop::config::Settings;
use screenpop::directory::chain::Chain;
use screenpop::directory::{BuildContext, Directory, LookupError};
use screenpop::event::Health;
use screenpop::oauth::Prompt;
use screenpop::secrets::{MemoryStore, SecretStore};
use screenpop::store::cache::LookupCache;
use screenpop::store::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::crm::{Crm, Person, Shape};
use support::oauth::{approve_in_browser, AuthServer, Flavour};

const CLIENT_ID: &str = "1000.SCREENPOPTEST";
const CLIENT_SECRET: &str = "cs-9f2e7d-not-a-real-secret";

fn lisa() -> Person {
    let mut p = Person::new("101", "Lisa", "Simpson", "+1 555 123 4567");
    p.vip = true;
    p
}

struct Setup {
    settings: Settings,
    secrets: Arc<MemoryStore>,
    chain: Arc<Chain>,
    rules: screenpop::phone::PhoneRules,
}

async fn setup(toml: &str) -> Setup {
    let settings = Settings::from_parts(Path::new("test.toml"), Some(toml), &[])
        .unwrap_or_else(|e| panic!("config refused: {e}\n{toml}"));
    let secrets = Arc::new(MemoryStore::default());
    secrets.set("client-secret", CLIENT_SECRET).unwrap();
    secrets.set("seed-token", "seed-tok").unwrap();
    let store = Store::in_memory().await.unwrap();
    let rules = settings.phone_rules().unwrap();
    let ctx = BuildContext {
        store: store.clone(),
        secrets: secrets.clone(),
        rules: rules.clone(),
    };
    let dirs = screenpop::directory::build(&settings.directory_chain(), &ctx);
    Setup {
        chain: Arc::new(Chain::new(dirs, LookupCache::new(store), 3600, 300)),
        settings,
        secrets,
        rules,
    }
}

impl Setup {
    fn dir(&self) -> Arc<dyn Directory> {
        Arc::clone(&self.chain.directories()[0])
    }

    async fn lookup(&self, n: &str) -> Result<Vec<screenpop::directory::Customer>, LookupError> {
        self.dir().lookup(&self.rules.keys(n).unwrap()).await
    }

    /// `screenpop connect NAME`, the browser played by a thread following the redirects.
    async fn connect(&self, name: &str) -> screenpop::oauth::Connected {
        let mut browser = None;
        let mut prompt = |p: Prompt| {
            if let Prompt::OpenBrowser { url } = p {
                browser = Some(std::thread::spawn(move || approve_in_browser(&url)));
            }
        };
        let connected = screenpop::connect::connect_directory(
            &self.settings,
            name,
            false,
            self.secrets.clone(),
            &mut prompt,
        )
        .await
        .expect("connect");
        let status = browser
            .expect("the browser was asked to open")
            .join()
            .unwrap();
        assert_eq!(status, 200, "the loopback callback did not accept the code");
        connected
    }

    fn stored(&self, entry: &str) -> serde_json::Value {
        let raw = self.secrets.get(entry).unwrap().expect("token entry");
        serde_json::from_str(&raw).unwrap()
    }
}

fn zoho_crm() -> Crm {
    let crm = Crm::start(Shape::Zoho, "unused", vec![lisa()]);
    let base = format!("http://127.0.0.1:{}", crm.port);
    let mut server = AuthServer::new(Flavour::Zoho, CLIENT_ID, Some(CLIENT_SECRET));
    server.api_base = Some(base);
    crm.with_oauth(server)
}

/// Zoho in the EU data centre; the API domain comes from the token response.
fn zoho_config(crm: &Crm, extra: &str) -> String {
    format!(
        "[[directory]]\nkind = \"http\"\npreset = \"zoho\"\nbase_url = \"https://www.zohoapis.eu\"\ntimeout_ms = 2000\njournal = true\n\
         [directory.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"client-secret\"\nauth_url = \"{}\"\ntoken_url = \"{}\"\n{extra}",
        crm.oauth_url("authorize"),
        crm.oauth_url("token"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_in_the_browser_then_zoho_lookups_work() {
    let crm = zoho_crm();
    let s = setup(&zoho_config(&crm, "")).await;
    let before = s.lookup("555-123-4567").await.unwrap_err();
    assert!(
        matches!(&before, LookupError::SignIn(m) if m.contains("screenpop connect zoho")),
        "{before}"
    );

    let connected = s.connect("zoho").await;
    assert_eq!(connected.entry, "oauth:zoho");
    assert!(connected.refresh_token);
    assert_eq!(
        connected.api_base.as_deref(),
        Some(format!("http://127.0.0.1:{}", crm.port).as_str())
    );
    let asked = crm.auth(|a| a.authorizations[0].clone());
    assert_eq!(
        asked.get("access_type").map(String::as_str),
        Some("offline")
    );
    assert!(
        asked
            .get("scope")
            .is_some_and(|s| s.contains("ZohoCRM.modules.contacts.READ,")),
        "Zoho scopes are comma-separated: {asked:?}"
    );

    let found = s.lookup("555-123-4567").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "Lisa Simpson");
    let sent = crm.with(|st| st.auth_seen.last().cloned().unwrap_or_default());
    assert!(sent.starts_with("Zoho-oauthtoken at-"), "{sent}");
    let stored = s.stored("oauth:zoho");
    assert!(stored["refresh_token"]
        .as_str()
        .is_some_and(|r| r.starts_with("rt-")));
    assert_eq!(crm.auth(|a| a.refreshes()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_expiring_mid_run_is_refreshed_once_and_the_rotation_kept() {
    let crm = Crm::start(Shape::Salesforce, "unused", vec![lisa_in_salesforce()]);
    let mut server = AuthServer::new(Flavour::Salesforce, CLIENT_ID, Some(CLIENT_SECRET));
    server.api_base = Some(format!("http://127.0.0.1:{}", crm.port));
    let crm = crm.with_oauth(server);
    let s = setup(&salesforce_config(&crm)).await;
    s.connect("salesforce").await;
    assert_eq!(s.lookup("555-123-4567").await.unwrap().len(), 1);
    let first_refresh = s.stored("oauth:salesforce")["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Salesforce gives no expiry: the session ends on the server, the next lookup gets a 401.
    crm.auth(AuthServer::expire_access);
    let found = s.lookup("555-123-4567").await.unwrap();
    assert_eq!(found.len(), 1, "the lookup after the refresh found Lisa");
    assert_eq!(crm.auth(|a| a.refreshes()), 1);
    assert_eq!(
        crm.with(|st| st.unauthorized),
        1,
        "one 401, then the retried request"
    );
    let rotated = s.stored("oauth:salesforce")["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(
        rotated, first_refresh,
        "the rotated refresh token was stored"
    );

    // The old refresh token is void at the provider; the stored one keeps working.
    crm.auth(AuthServer::expire_access);
    assert_eq!(s.lookup("555-123-4567").await.unwrap().len(), 1);
    assert_eq!(crm.auth(|a| a.refreshes()), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_is_refreshed_before_the_request() {
    let crm = zoho_crm();
    crm.auth(|a| a.lifetime_s = 30);
    let s = setup(&zoho_config(&crm, "")).await;
    s.connect("zoho").await;
    s.lookup("555-123-4567").await.unwrap();
    assert_eq!(crm.auth(|a| a.refreshes()), 1, "refreshed ahead of expiry");
    assert_eq!(
        crm.with(|st| st.unauthorized),
        0,
        "no request went out with a stale token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lookups_during_a_refresh_cause_one_refresh() {
    let crm = zoho_crm();
    let s = setup(&zoho_config(&crm, "")).await;
    s.connect("zoho").await;
    crm.auth(|a| {
        a.expire_access();
        a.delay = Duration::from_millis(300);
    });
    let dir = s.dir();
    let numbers: Vec<_> = (0..8)
        .map(|i| s.rules.keys(&format!("+1 555 123 456{i}")).unwrap())
        .collect();
    let all = futures::future::join_all(numbers.iter().map(|n| dir.lookup(n))).await;
    for r in &all {
        assert!(r.is_ok(), "{r:?}");
    }
    assert_eq!(all[7].as_ref().unwrap().len(), 1, "Lisa (…4567) found");
    assert_eq!(
        crm.auth(|a| a.refreshes()),
        1,
        "one refresh for eight lookups"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoho_gets_at_most_ten_tokens_per_ten_minutes() {
    let crm = zoho_crm();
    let s = setup(&zoho_config(&crm, "")).await;
    s.connect("zoho").await;
    // Tokens the provider already considers expired: every use needs a new one.
    crm.auth(|a| {
        a.expire_access();
        a.lifetime_s = 0;
    });
    let mut throttled = None;
    for _ in 0..8 {
        match s.lookup("555-123-4567").await {
            Err(e) if e.to_string().contains("rate limited") => {
                throttled = Some(e);
                break;
            }
            _ => {}
        }
    }
    assert!(throttled.is_some(), "the limit was never reached");
    assert_eq!(
        crm.auth(|a| a.refreshes()),
        10,
        "ten refreshes, not one more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_grant_degrades_the_directory_asks_to_sign_in_and_pops_go_on() {
    let zoho = zoho_crm();
    let seed = Crm::start(
        Shape::Seed,
        "seed-tok",
        vec![Person::new("S1", "Bart", "Simpson", "+1 555 987 6543")],
    );
    let toml = format!(
        "{}\n[[directory]]\nkind = \"http\"\npreset = \"seed\"\nname = \"backoffice\"\nbase_url = \"{}\"\nsecret = \"seed-token\"\n",
        zoho_config(&zoho, ""),
        seed.base_url()
    );
    let s = setup(&toml).await;
    s.connect("zoho").await;
    let mut notices = screenpop::oauth::sign_in_notices();
    zoho.auth(AuthServer::revoke);

    let outcome = s
        .chain
        .lookup(&s.rules.keys("+1 555 987 6543").unwrap())
        .await;
    assert_eq!(
        outcome.directory.as_deref(),
        Some("backoffice"),
        "the other directory answered"
    );
    assert_eq!(outcome.matches[0].name, "Bart Simpson");
    let health = s.chain.health();
    let (_, zoho_health) = health.iter().find(|(n, _)| n == "zoho").unwrap();
    assert!(
        matches!(zoho_health, Health::Down(r) if r.contains("sign in again") && r.contains("invalid_code")),
        "{zoho_health:?}"
    );
    let notice = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match notices.recv().await {
                Ok(n) if n.directory == "zoho" => return n,
                Ok(_) => continue,
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .expect("a sign-in notice");
    assert!(notice.reason.contains("invalid_code"));
    // Later lookups do not hammer the token endpoint.
    let refreshes = zoho.auth(|a| a.refreshes());
    assert!(s.lookup("555-123-4567").await.is_err());
    assert_eq!(zoho.auth(|a| a.refreshes()), refreshes);

    // Signing in again revives it.
    zoho.auth(|a| a.revoked = false);
    s.connect("zoho").await;
    assert_eq!(s.lookup("555-123-4567").await.unwrap().len(), 1);
}

fn lisa_in_salesforce() -> Person {
    let mut p = Person::new("003000000000101", "Lisa", "Simpson", "(555) 123-4567");
    p.company = Some("Springfield Pizza".into());
    p
}

fn salesforce_config(crm: &Crm) -> String {
    format!(
        "[[directory]]\nkind = \"http\"\npreset = \"salesforce\"\ntimeout_ms = 2000\njournal = true\n\
         [directory.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"client-secret\"\nauth_url = \"{}\"\ntoken_url = \"{}\"\n",
        crm.oauth_url("authorize"),
        crm.oauth_url("token"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_waits_out_authorization_pending() {
    // Salesforce's dialect: device request and polling both on the token endpoint.
    let crm = Crm::start(Shape::Salesforce, "unused", vec![lisa_in_salesforce()]);
    let mut server = AuthServer::new(Flavour::Salesforce, CLIENT_ID, Some(CLIENT_SECRET));
    server.api_base = Some(format!("http://127.0.0.1:{}", crm.port));
    let crm = crm.with_oauth(server);
    let s = setup(&salesforce_config(&crm)).await;
    let mut code = None;
    let mut prompt = |p: Prompt| {
        if let Prompt::EnterCode { user_code, .. } = p {
            code = Some(user_code);
        }
    };
    let connected = screenpop::connect::connect_directory(
        &s.settings,
        "salesforce",
        true,
        s.secrets.clone(),
        &mut prompt,
    )
    .await
    .expect("device sign-in");
    assert_eq!(code.as_deref(), Some("WDJB-MJHT"));
    assert!(connected.refresh_token);
    assert_eq!(
        crm.auth(|a| a.grants.get("device").copied()),
        Some(3),
        "two pending polls, then the token"
    );
    assert_eq!(s.lookup("555-123-4567").await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_finds_contacts_leads_and_accounts_and_journals_a_task_once() {
    let crm = Crm::start(Shape::Salesforce, "unused", {
        let mut lead = Person::new("00Q000000000202", "Marge", "Bouvier", "+15559876543");
        lead.company = Some("Bouvier Travel".into());
        let account = Person::new("001000000000303", "Kwik-E-Mart", "", "555.987.6543");
        vec![lisa_in_salesforce(), lead, account]
    });
    let base = format!("http://127.0.0.1:{}", crm.port);
    let mut server = AuthServer::new(Flavour::Salesforce, CLIENT_ID, Some(CLIENT_SECRET));
    server.api_base = Some(base.clone());
    let crm = crm.with_oauth(server);
    let s = setup(&salesforce_config(&crm)).await;
    s.connect("salesforce").await;

    let lisa = s.lookup("+1 555 123 4567").await.unwrap();
    assert_eq!(lisa.len(), 1);
    assert_eq!(lisa[0].id, "Contact/003000000000101");
    assert_eq!(lisa[0].company.as_deref(), Some("Springfield Pizza"));
    assert_eq!(
        s.dir().profile_url(&lisa[0]).as_deref(),
        Some(format!("{base}/lightning/r/Contact/003000000000101/view").as_str()),
        "profile from the token's instance_url"
    );
    let mut two: Vec<String> = s
        .lookup("555-987-6543")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    two.sort();
    assert_eq!(two, vec!["Account/001000000000303", "Lead/00Q000000000202"]);

    let call = support::calls::record(
        "sf-call-1",
        "+15551234567",
        Some(("salesforce", "Contact/003000000000101")),
    );
    assert_eq!(s.dir().journaled(&call).await.unwrap(), Some(false));
    s.dir().journal(&call).await.unwrap();
    assert_eq!(
        s.dir().journaled(&call).await.unwrap(),
        Some(true),
        "found by CallObject"
    );
    crm.with(|st| {
        let task = &st.journal_applied[0];
        assert_eq!(task["TaskSubtype"], "Call");
        assert_eq!(task["CallObject"], "sf-call-1");
        assert_eq!(task["CallDurationInSeconds"], 95);
        assert_eq!(task["WhoId"], "003000000000101");
        assert_eq!(task["CallType"], "Inbound");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamics_server_to_server_finds_records_in_their_stored_formats_and_logs_a_phonecall() {
    let crm = Crm::start(Shape::Dynamics, "unused", {
        let mut contact = Person::new(
            "c0000000-0000-0000-0000-000000000101",
            "Lisa",
            "Simpson",
            "(555) 123-4567",
        );
        contact.company = Some("Springfield Pizza".into());
        vec![
            contact,
            Person::new(
                "a0000000-0000-0000-0000-000000000202",
                "Kwik-E-Mart",
                "",
                "+15559876543",
            ),
            Person::new(
                "1ead0000-0000-0000-0000-000000000303",
                "Marge",
                "Bouvier",
                "+1 555-222-3333",
            ),
        ]
    });
    let crm = crm.with_oauth(AuthServer::new(
        Flavour::Standard,
        CLIENT_ID,
        Some(CLIENT_SECRET),
    ));
    let base = format!("http://127.0.0.1:{}", crm.port);
    let toml = format!(
        "[[directory]]\nkind = \"http\"\npreset = \"dynamics\"\nbase_url = \"{base}\"\ntimeout_ms = 2000\njournal = true\n\
         [directory.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"client-secret\"\ntenant = \"contoso.onmicrosoft.com\"\ntoken_url = \"{}\"\n",
        crm.oauth_url("token"),
    );
    let s = setup(&toml).await;
    // Client credentials: no sign-in, the first lookup gets a token by itself.
    let lisa = s.lookup("+1 555 123 4567").await.unwrap();
    assert_eq!(lisa.len(), 1, "national format as stored");
    assert_eq!(lisa[0].id, "contact/c0000000-0000-0000-0000-000000000101");
    assert_eq!(lisa[0].company.as_deref(), Some("Springfield Pizza"));
    assert_eq!(
        s.dir().profile_url(&lisa[0]).as_deref(),
        Some(format!("{base}/main.aspx?pagetype=entityrecord&etn=contact&id=c0000000-0000-0000-0000-000000000101").as_str())
    );
    assert_eq!(
        s.lookup("555 987 6543").await.unwrap()[0].id,
        "account/a0000000-0000-0000-0000-000000000202"
    );
    assert_eq!(
        s.lookup("5552223333").await.unwrap()[0].id,
        "lead/1ead0000-0000-0000-0000-000000000303"
    );
    assert_eq!(
        crm.auth(|a| a.grants.get("client_credentials").copied()),
        Some(1),
        "one token for every lookup"
    );

    let call = support::calls::record(
        "dyn-call-1",
        "+15551234567",
        Some(("dynamics", "contact/c0000000-0000-0000-0000-000000000101")),
    );
    assert_eq!(
        s.dir().journaled(&call).await.unwrap(),
        Some(false),
        "404 by key is a clear no"
    );
    s.dir().journal(&call).await.unwrap();
    assert_eq!(s.dir().journaled(&call).await.unwrap(), Some(true));
    crm.with(|st| {
        let pc = &st.journal_applied[0];
        assert_eq!(
            pc["regardingobjectid_contact_phonecall@odata.bind"],
            "/contacts(c0000000-0000-0000-0000-000000000101)"
        );
        assert_eq!(
            pc["phonecall_activity_parties"][0]["partyid_contact@odata.bind"],
            "/contacts(c0000000-0000-0000-0000-000000000101)"
        );
        assert_eq!(pc["statecode"], 1, "closed");
        assert_eq!(pc["directioncode"], false, "incoming");
        assert_eq!(pc["actualdurationminutes"], 2);
    });
}

/// Polls `lookup` until `done` holds for its answer (the sync runs on its own interval).
async fn lookup_until(
    s: &Setup,
    n: &str,
    done: impl Fn(&[screenpop::directory::Customer]) -> bool,
) -> bool {
    for _ in 0..100 {
        if let Ok(found) = s.lookup(n).await {
            if done(&found) {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn synced_address_book_picks_up_an_added_and_a_deleted_contact(preset: &str, shape: Shape) {
    let bart = Person::new("AAMkAGbart", "Bart", "Simpson", "+1 555 987 6543");
    let crm = Crm::start(shape, "unused", vec![lisa(), bart]);
    let crm = crm.with_oauth(AuthServer::new(Flavour::Standard, CLIENT_ID, None));
    let toml = format!(
        "[[directory]]\nkind = \"http\"\npreset = \"{preset}\"\nbase_url = \"http://127.0.0.1:{}\"\nrefresh_s = 1\ntimeout_ms = 2000\n\
         [directory.oauth]\nclient_id = \"{CLIENT_ID}\"\nauth_url = \"{}\"\ntoken_url = \"{}\"\n",
        crm.port,
        crm.oauth_url("authorize"),
        crm.oauth_url("token"),
    );
    let s = setup(&toml).await;
    s.connect(preset).await;
    let lisa = s.lookup("555-123-4567").await.unwrap();
    assert_eq!(
        lisa.len(),
        1,
        "{preset}: the first sync (two pages) indexed Lisa"
    );
    assert!(
        lisa[0].vip || shape == Shape::Google,
        "{preset}: VIP category"
    );
    assert_eq!(
        s.lookup("+1 555 987 6543").await.unwrap().len(),
        1,
        "{preset}"
    );

    crm.with(|st| {
        st.people.retain(|p| p.first != "Bart");
        st.people.push(Person::new(
            "AAMkAGmaggie",
            "Maggie",
            "Simpson",
            "+1 555 222 3333",
        ));
    });
    let added = lookup_until(&s, "555 222 3333", |f| {
        f.len() == 1 && f[0].name == "Maggie Simpson"
    })
    .await;
    assert!(added, "{preset}: the added contact never arrived");
    let deleted = lookup_until(&s, "+1 555 987 6543", <[_]>::is_empty).await;
    assert!(deleted, "{preset}: the deleted contact stayed");
    assert!(
        crm.with(|st| st.incremental_syncs) >= 1,
        "{preset}: later rounds used the delta link / sync token"
    );
    assert_eq!(
        s.lookup("555-123-4567").await.unwrap().len(),
        1,
        "{preset}: unchanged contacts stay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_delta_sync_picks_up_an_added_and_a_deleted_contact() {
    synced_address_book_picks_up_an_added_and_a_deleted_contact(
        "microsoft365",
        Shape::Microsoft365,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_sync_token_picks_up_an_added_and_a_deleted_contact() {
    synced_address_book_picks_up_an_added_and_a_deleted_contact("google", Shape::Google).await;
}
