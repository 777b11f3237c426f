//! Tests of number parsing: formats, prefixes, URIs, extensions, withheld callers, fuzzing.

use super::*;

fn us() -> PhoneRules {
    PhoneRules::new("US", DEFAULT_TAIL_DIGITS).unwrap()
}

fn e164(rules: &PhoneRules, raw: &str) -> Option<String> {
    rules.normalise(raw).number().and_then(|n| n.e164.clone())
}

#[test]
fn us_formats_agree_on_e164() {
    let r = us();
    for raw in [
        "(555) 123-4567",
        "+1 555 123 4567",
        "555.123.4567",
        "1-555-123-4567",
    ] {
        assert_eq!(e164(&r, raw).as_deref(), Some("+15551234567"), "{raw}");
    }
}

#[test]
fn seven_digit_local_number_gets_a_stable_key() {
    let r = us();
    assert_eq!(e164(&r, "555-1234"), e164(&r, "5551234"));
    assert!(e164(&r, "555-1234").is_some());
}

#[test]
fn double_zero_prefix_is_international() {
    let r = us();
    assert_eq!(
        e164(&r, "0030 21 0123 4567").as_deref(),
        Some("+302101234567")
    );
    let de = PhoneRules::new("DE", 8).unwrap();
    assert_eq!(e164(&de, "0049 30 123456").as_deref(), Some("+4930123456"));
    assert_eq!(e164(&de, "030 123456").as_deref(), Some("+4930123456"));
    assert_eq!(e164(&de, "+49 30 123456").as_deref(), Some("+4930123456"));
}

#[test]
fn trunk_zero_after_country_code_is_dropped_or_matches_by_tail() {
    let de = PhoneRules::new("DE", 8).unwrap();
    let a = de.normalise("+49 (0)30 123456").number().cloned().unwrap();
    let b = de.normalise("+4930123456").number().cloned().unwrap();
    assert!(a.e164 == b.e164 || a.tail == b.tail, "{a:?} vs {b:?}");
}

#[test]
fn sip_and_tel_uris_are_unwrapped() {
    let r = us();
    assert_eq!(
        e164(&r, "sip:+4930123456@127.0.0.1:5061;user=phone").as_deref(),
        Some("+4930123456")
    );
    assert_eq!(
        e164(&r, "<sip:+15551234567@pbx>").as_deref(),
        Some("+15551234567")
    );
    assert_eq!(
        e164(&r, "tel:+1-555-123-4567").as_deref(),
        Some("+15551234567")
    );
}

#[test]
fn extensions_are_kept_apart() {
    let r = us();
    let n = r.normalise("tel:+1-555-123-4567;ext=12");
    let n = n.number().unwrap();
    assert_eq!(n.e164.as_deref(), Some("+15551234567"));
    assert_eq!(n.extension.as_deref(), Some("12"));
    let n = r.normalise("555-123-4567 x 89");
    assert_eq!(n.number().unwrap().extension.as_deref(), Some("89"));
}

#[test]
fn withheld_callers_are_recognised() {
    let r = us();
    for raw in [
        "",
        "anonymous",
        "<unknown>",
        "sip:anonymous@anonymous.invalid",
        "  ",
    ] {
        assert_eq!(r.normalise(raw), Remote::Withheld, "{raw:?}");
    }
}

#[test]
fn garbage_is_unparseable_not_a_panic() {
    let r = us();
    assert!(matches!(
        r.normalise("sip:bob@host"),
        Remote::Unparseable { .. }
    ));
    assert!(matches!(
        r.normalise("hello world"),
        Remote::Unparseable { .. }
    ));
    assert!(matches!(r.normalise("+++"), Remote::Unparseable { .. }));
}

#[test]
fn internal_extensions_are_numbers_without_e164() {
    let n = us().normalise("201");
    let n = n.number().unwrap();
    assert_eq!(n.e164, None);
    assert_eq!(n.display, "201");
}

#[test]
fn home_numbers_display_nationally() {
    assert_eq!(us().normalise("+15551234567").display(), "(555) 123-4567");
    assert!(us().normalise("+4930123456").display().starts_with("+49"));
}

#[test]
fn unknown_region_is_an_error() {
    assert!(PhoneRules::new("XX", 8).is_err());
}

proptest::proptest! {
    #[test]
    fn normalise_never_panics(s in "\\PC{0,40}") {
        let _ = us().normalise(&s);
    }

    #[test]
    fn digit_strings_never_panic(s in "[+0-9 ()\\-]{0,24}") {
        let _ = us().normalise(&s);
    }
}
