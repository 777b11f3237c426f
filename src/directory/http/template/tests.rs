use super::*;
use crate::config::{HttpSettings, Preset};
use crate::directory::http::response::select;
use serde_json::json;

fn resolved(preset: Preset) -> HttpTemplate {
    HttpTemplate::resolve(&HttpSettings {
        preset: Some(preset),
        base_url: Some("https://crm.example.com".into()),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn every_preset_resolves_with_only_a_base_url() {
    for p in [
        Preset::Seed,
        Preset::Hubspot,
        Preset::Pipedrive,
        Preset::Zoho,
        Preset::Odoo,
        Preset::Freshsales,
    ] {
        let t = resolved(p);
        assert!(t.journal.is_some() && t.create.is_some(), "{p:?}");
    }
}

#[test]
fn star_paths_collect_every_element() {
    let doc = json!({"a": [{"v": "1"}, {"v": "2"}, {"w": 3}]});
    let got: Vec<_> = select(&doc, "/a/*/v")
        .into_iter()
        .filter_map(text_of)
        .collect();
    assert_eq!(got, vec!["1", "2"]);
    assert_eq!(select(&doc, "").len(), 1);
    assert!(select(&doc, "/missing/x").is_empty());
}

#[test]
fn hubspot_answer_maps_names_phones_and_vip() {
    let t = resolved(Preset::Hubspot);
    let doc = json!({"total": 1, "results": [{"id": "512", "properties": {
        "firstname": "Lisa", "lastname": "Simpson", "phone": "+1 555 123 4567",
        "mobilephone": null, "company": "Springfield Pizza", "vip": "true"}}]});
    let found = t.customers(&doc).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "512");
    assert_eq!(found[0].name, "Lisa Simpson");
    assert_eq!(found[0].phones, vec!["+1 555 123 4567"]);
    assert!(found[0].vip);
    assert_eq!(found[0].company.as_deref(), Some("Springfield Pizza"));
}

#[test]
fn zoho_vip_comes_from_a_tag_rule_and_a_result_without_id_is_an_error() {
    let t = resolved(Preset::Zoho);
    let doc = json!({"data": [{"id": "1", "Full_Name": "Ann", "Tag": [{"name": "vip customer"}]}]});
    assert!(t.customers(&doc).unwrap()[0].vip);
    let doc = json!({"data": [{"Full_Name": "Ann"}]});
    assert!(t.customers(&doc).unwrap_err().contains("no id"));
}

#[test]
fn odoo_reports_json_rpc_errors() {
    let t = resolved(Preset::Odoo);
    let doc = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
        "data": {"name": "odoo.exceptions.AccessDenied", "message": "Access Denied"}}});
    assert_eq!(t.error_in(&doc).as_deref(), Some("Access Denied"));
    assert_eq!(t.database.as_deref(), Some("crm"));
}

#[test]
fn bad_templates_are_refused_with_the_key() {
    let err = HttpTemplate::resolve(&HttpSettings {
        base_url: Some("https://x.example".into()),
        lookup: RequestTemplate {
            url: Some("{base_url}/s?q={phone}".into()),
            ..Default::default()
        },
        map: crate::config::ResponseMap {
            id: Some("/id".into()),
            name: Some(OneOrMany::One("/n".into())),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(err.key, "lookup.url", "{err}");
    assert!(err.message.contains("{phone}"), "{err}");
    let err = HttpTemplate::resolve(&HttpSettings {
        preset: Some(Preset::Seed),
        base_url: Some("ftp://x".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(err.key, "base_url", "{err}");
    assert!(err.message.contains("http"), "{err}");
}
