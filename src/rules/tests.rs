//! Rules: conditions, first/all matching, the built-in VIP rule, and the explanation.

use super::*;
use crate::phone::PhoneRules;
use checks::glob;
use serde::Deserialize;

fn customer(vip: bool) -> Customer {
    Customer {
        id: "lisa".into(),
        name: "Lisa Simpson".into(),
        company: None,
        phones: vec![],
        vip,
        note: None,
        url: None,
        directory: "local".into(),
    }
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn facts<'a>(remote: &'a Remote, who: Option<&'a Customer>, when: &str) -> Facts<'a> {
    Facts {
        direction: Direction::Inbound,
        number: "+49 30 123456",
        remote,
        customer: who,
        local_time: at(when),
    }
}

fn rules(toml_text: &str) -> Rulebook {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        rules: RulesSettings,
        #[serde(default)]
        rule: Vec<RuleConfig>,
    }
    let f: File = toml::from_str(toml_text).expect("rules parse");
    Rulebook::new(&f.rules, &f.rule)
}

fn berlin() -> Remote {
    PhoneRules::new("DE", 8).unwrap().normalise("030 123456")
}

// 2025-01-06 is a Monday.
const MONDAY_10: &str = "2025-01-06 10:00";
const SATURDAY_10: &str = "2025-01-11 10:00";

#[test]
fn builtin_vip_rule_is_off_until_a_manager_is_set() {
    let remote = berlin();
    let vip = customer(true);
    let off = Rulebook::new(&RulesSettings::default(), &[]);
    assert!(!off.is_active());
    let routing = off.decide(&facts(&remote, Some(&vip), MONDAY_10));
    assert_eq!(routing, Routing::default());
    let verdict = &off.explain(&facts(&remote, Some(&vip), MONDAY_10))[0];
    assert!(verdict.matched && !verdict.fires);
    assert!(verdict.note.as_deref().unwrap().contains("manager"));

    assert_eq!(
        off.describe(),
        vec!["VIP (off: built-in; off until [rules] manager is set)"]
    );
    let on = rules("[rules]\nmanager = \"200\"\n");
    assert_eq!(on.describe(), vec!["VIP"]);
    let routing = on.decide(&facts(&remote, Some(&vip), MONDAY_10));
    assert!(routing.urgent);
    assert_eq!(routing.tags, vec!["vip"]);
    assert_eq!(routing.transfer.as_ref().unwrap().target, "200");
    assert_eq!(
        routing.log_line(),
        "transferring to 200 by rule VIP; urgent, tag vip by rule VIP"
    );
    let not_vip = customer(false);
    assert_eq!(
        on.decide(&facts(&remote, Some(&not_vip), MONDAY_10)),
        Routing::default()
    );
}

#[test]
fn first_match_stops_all_match_combines() {
    let text = |mode: &str| {
        format!(
            "[rules]\nmatch = \"{mode}\"\n\
             [[rule]]\nname = \"Germany\"\nwhen = {{ prefix = \"+49\" }}\ntag = \"de\"\nauto_open = true\n\
             [[rule]]\nname = \"Office hours\"\nwhen = {{ hours = \"Mo-Fr 09:00-17:00\" }}\nurgent = true\n"
        )
    };
    let remote = berlin();
    let f = facts(&remote, None, MONDAY_10);
    let first = rules(&text("first")).decide(&f);
    assert_eq!(first.rules, vec!["Germany"]);
    assert!(first.auto_open && !first.urgent);
    let all = rules(&text("all")).decide(&f);
    assert_eq!(all.rules, vec!["Germany", "Office hours"]);
    assert!(all.auto_open && all.urgent);
    let weekend = rules(&text("all")).decide(&facts(&remote, None, SATURDAY_10));
    assert_eq!(weekend.rules, vec!["Germany"]);
}

#[test]
fn unknown_silent_and_outbound_only_when_asked() {
    let book = rules(
        "[[rule]]\nname = \"Strangers\"\nwhen = { unknown = true }\nsilent = true\n\
         [[rule]]\nname = \"Out\"\nwhen = { direction = \"outbound\" }\ntag = \"out\"\n",
    );
    let remote = berlin();
    let known = customer(false);
    assert!(book.decide(&facts(&remote, None, MONDAY_10)).silent);
    assert!(!book.decide(&facts(&remote, Some(&known), MONDAY_10)).silent);
    let mut out = facts(&remote, None, MONDAY_10);
    out.direction = Direction::Outbound;
    assert_eq!(book.decide(&out).rules, vec!["Out"]);
}

#[test]
fn pattern_directory_and_explanations() {
    let book = rules(
        "[[rule]]\nname = \"Berlin CRM\"\nwhen = { pattern = \"+4930*\", directory = \"local\" }\ntransfer = \"sip:200@pbx\"\n",
    );
    let remote = berlin();
    let known = customer(false);
    let verdicts = book.explain(&facts(&remote, Some(&known), MONDAY_10));
    let v = &verdicts[0];
    assert!(v.fires, "{v:?}");
    assert!(v
        .checks
        .iter()
        .any(|c| c.why == "+4930123456 matches +4930*"));
    assert!(v
        .checks
        .iter()
        .any(|c| c.why == "the caller was found in local"));
    let none = book.explain(&facts(&remote, None, MONDAY_10));
    assert!(!none[0].fires);
    assert!(none[0]
        .checks
        .iter()
        .any(|c| !c.holds && c.why.contains("no directory")));
}

#[test]
fn two_transfers_in_all_mode_keep_the_first() {
    let book = rules(
        "[rules]\nmatch = \"all\"\n[[rule]]\nname = \"A\"\ntransfer = \"200\"\n[[rule]]\nname = \"B\"\ntransfer = \"300\"\n",
    );
    let remote = berlin();
    let r = book.decide(&facts(&remote, None, MONDAY_10));
    assert_eq!(r.transfer.unwrap().rule, "A");
    assert!(r.decisions[0].contains("no transfer to 300"));
}

#[test]
fn hours_syntax() {
    let h = Hours::parse("Mo-Fr 09:00-12:00,13:00-17:00; Sa 10:00-14:00").unwrap();
    assert!(h.contains(at("2025-01-06 09:00")));
    assert!(!h.contains(at("2025-01-06 12:30")));
    assert!(!h.contains(at("2025-01-06 17:00")));
    assert!(h.contains(at("2025-01-11 13:59")));
    assert!(!h.contains(at("2025-01-12 11:00")));
    let night = Hours::parse("Fr 22:00-06:00").unwrap();
    assert!(night.contains(at("2025-01-10 23:00")));
    assert!(night.contains(at("2025-01-11 05:59")));
    assert!(!night.contains(at("2025-01-12 05:00")));
    assert!(Hours::parse("Sa,Su")
        .unwrap()
        .contains(at("2025-01-12 03:00")));
    assert!(Hours::parse("08:00-24:00")
        .unwrap()
        .contains(at("2025-01-12 23:59")));
    assert!(Hours::parse("Fr-Mo")
        .unwrap()
        .contains(at("2025-01-12 03:00")));
    for bad in [
        "",
        "Mo-Fr 9-17",
        "Xy 09:00-10:00",
        "25:00-26:00",
        "10:00-10:00",
    ] {
        assert!(Hours::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn glob_matching() {
    assert!(glob("+4930*", "+4930123"));
    assert!(glob("*123", "+4930123"));
    assert!(!glob("+49??0*", "+4930123"));
    assert!(glob("+49?0*", "+4930123"));
    assert!(!glob("+4930", "+4930123"));
}
