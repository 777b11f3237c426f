//! LDAP against a real slapd and CardDAV against a real Radicale, both on 127.0.0.1.

use super::{chain, support};
use screenpop::directory::LookupError;

const LDAP_PEOPLE: &str = "dn: uid=lisa,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: lisa
cn: Lisa Simpson
sn: Simpson
o: Springfield Pizza
telephoneNumber: +1 555-123-4567
description: Last order: 2 pepperoni pizzas
employeeType: VIP

dn: uid=ned,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: ned
cn: Ned Flanders
sn: Flanders
mobile: 555 777 4567
homePhone: +49 30 1234 4567

dn: uid=weird,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: weird
cn: Filter *)(uid=* Injection
sn: X
telephoneNumber: 555 000 9999
";

fn ldap_config(url: &str, extra: &str) -> String {
    format!(
        "[[directory]]\nkind = \"ldap\"\nname = \"corp\"\nurl = \"{url}\"\nbase_dn = \"{}\"\n\
         bind_dn = \"{}\"\nsecret = \"crm-token\"\ntimeout_ms = 2000\n\
         [directory.attributes]\nid = \"uid\"\nvip = {{ path = \"employeeType\", equals = \"VIP\" }}\n{extra}",
        support::ldap::BASE_DN,
        support::ldap::BIND_DN
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldap_finds_people_by_any_phone_attribute_in_any_format() {
    let slapd = support::ldap::Slapd::start("bind-pw-81", LDAP_PEOPLE);
    let s = chain(&ldap_config(&slapd.url(), ""), "bind-pw-81").await;

    let lisa = s.lookup("(555) 123 4567").await.unwrap();
    assert_eq!(lisa.len(), 1, "{lisa:?}");
    assert_eq!(lisa[0].id, "lisa");
    assert_eq!(lisa[0].name, "Lisa Simpson");
    assert_eq!(lisa[0].company.as_deref(), Some("Springfield Pizza"));
    assert_eq!(
        lisa[0].note.as_deref(),
        Some("Last order: 2 pepperoni pizzas")
    );
    assert!(lisa[0].vip);

    // Ned shares the last four digits with Lisa but only his own numbers match.
    let ned = s.lookup("5557774567").await.unwrap();
    assert_eq!(
        ned.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec!["ned"]
    );
    let ned = s.lookup("+49 30 12344567").await.unwrap();
    assert_eq!(ned.len(), 1, "homePhone in international format");
    assert!(!ned[0].vip);
    assert!(s.lookup("5550001111").await.unwrap().is_empty());

    let wrong = chain(&ldap_config(&slapd.url(), ""), "wrong").await;
    let err = wrong.lookup("5551234567").await.unwrap_err().to_string();
    assert!(err.contains("bind") && err.contains("49"), "{err}");
    assert!(!err.contains("wrong"), "{err}");

    let starttls = chain(
        &ldap_config(&slapd.url(), "").replace("timeout_ms", "starttls = true\ntimeout_ms"),
        "bind-pw-81",
    )
    .await;
    let err = starttls.lookup("5551234567").await.unwrap_err();
    assert!(
        matches!(err, LookupError::Unreachable(_)),
        "StartTLS against a plain server must fail: {err}"
    );

    let down = chain(
        &ldap_config(&format!("ldap://127.0.0.1:{}", support::free_port()), ""),
        "x",
    )
    .await;
    assert!(matches!(
        down.lookup("5551234567").await.unwrap_err(),
        LookupError::Unreachable(_)
    ));
}

fn vcard(uid: &str, name: &str, tel: &str, extra: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nTEL;TYPE=CELL:{tel}\r\n{extra}END:VCARD\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carddav_matches_vcard_numbers_and_sees_new_cards() {
    let lisa = vcard(
        "lisa-1",
        "Lisa Simpson",
        "+1 (555) 123-4567",
        "ORG:Springfield Pizza\r\nURL:https://crm.example.com/lisa\r\n",
    );
    let ned = vcard("ned-1", "Ned Flanders", "555.777.0000", "");
    let dav = support::radicale::Radicale::start(
        "alice",
        "dav-pw-33",
        &[("lisa.vcf", &lisa), ("ned.vcf", &ned)],
    );
    let toml = format!(
        "[[directory]]\nkind = \"carddav\"\nname = \"book\"\nurl = \"{}\"\nusername = \"alice\"\nsecret = \"crm-token\"\nrefresh_s = 0\n",
        dav.book_url()
    );
    let s = chain(&toml, "dav-pw-33").await;
    let found = s.lookup("5551234567").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, "lisa-1");
    assert_eq!(found[0].company.as_deref(), Some("Springfield Pizza"));
    assert_eq!(
        s.dir().profile_url(&found[0]).as_deref(),
        Some("https://crm.example.com/lisa")
    );
    assert!(s.lookup("5559990000").await.unwrap().is_empty());

    dav.add_card(
        "maggie.vcf",
        &vcard("maggie-1", "Maggie Simpson", "555 999 0000", ""),
    );
    let found = s.lookup("5559990000").await.unwrap();
    assert_eq!(
        found.first().map(|c| c.name.as_str()),
        Some("Maggie Simpson")
    );

    let wrong = chain(&toml, "nope").await;
    let err = wrong.lookup("5551234567").await.unwrap_err().to_string();
    assert!(err.contains("401"), "{err}");
}
