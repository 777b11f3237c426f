//! `[[source]]` parsing and checks, through the real TOML loader.

use crate::config::{ConfigError, Settings, SourceConfig};
use std::path::Path;

fn parse(text: &str) -> Result<Settings, ConfigError> {
    Settings::from_parts(Path::new("/etc/screenpop.toml"), Some(text), &[])
}

#[test]
fn baresip_and_mqtt_sources_parse_with_defaults() {
    let s = parse(
        r#"
[[source]]
kind = "baresip"
address = "127.0.0.1:4444"

[[source]]
kind = "mqtt"
url = "mqtt://127.0.0.1:1883"
topic = "screenpop/201/events"
format = "screenpop"
"#,
    )
    .unwrap();
    let [SourceConfig::Baresip(b), SourceConfig::Mqtt(m)] = &s.sources[..] else {
        panic!("{:?}", s.sources)
    };
    assert_eq!(b.name(), "baresip");
    assert_eq!(b.keepalive_s, 15);
    assert_eq!(m.name(), "mqtt");
    assert_eq!(m.command_topic().unwrap(), "screenpop/201/commands");
    let broker = m.broker().unwrap();
    assert_eq!(
        (broker.host.as_str(), broker.port, broker.tls),
        ("127.0.0.1", 1883, false)
    );
}

#[test]
fn mqtt_topics_follow_extension_and_format() {
    let s = parse(
        "[[source]]\nkind = \"mqtt\"\nurl = \"mqtts://broker.example\"\nextension = \"201\"\n\
         [[source]]\nkind = \"mqtt\"\nurl = \"mqtt://[::1]:1999\"\nformat = \"baresip\"\nname = \"desk\"\n",
    )
    .unwrap();
    let [SourceConfig::Mqtt(a), SourceConfig::Mqtt(b)] = &s.sources[..] else {
        panic!()
    };
    assert_eq!(a.name(), "mqtt:201");
    assert_eq!(a.event_topic().unwrap(), "screenpop/201/events");
    assert_eq!(a.broker().unwrap().port, 8883);
    assert!(a.broker().unwrap().tls);
    assert_eq!(b.event_topic().unwrap(), "/baresip/event");
    assert_eq!(b.command_topic().unwrap(), "/baresip/command/");
    assert_eq!(b.broker().unwrap().host, "::1");
}

#[test]
fn bad_sources_name_the_key() {
    let cases = [
        (
            "kind = \"baresip\"\naddress = \"localhost\"",
            "source.0.address",
        ),
        (
            "kind = \"baresip\"\naddress = \"h:1\"\nkeepalive_s = 0",
            "source.0.keepalive_s",
        ),
        (
            "kind = \"mqtt\"\nurl = \"http://x\"\nextension = \"1\"",
            "source.0.url",
        ),
        (
            "kind = \"mqtt\"\nurl = \"mqtt://u:pw@x\"\nextension = \"1\"",
            "username",
        ),
        ("kind = \"mqtt\"\nurl = \"mqtt://x\"", "source.0.topic"),
        (
            "kind = \"mqtt\"\nurl = \"mqtt://x\"\nextension = \"1\"\nsecret = \"p\"",
            "source.0.secret",
        ),
        (
            "kind = \"mqtt\"\nurl = \"mqtt://x\"\nextension = \"1\"\nformat = \"xml\"",
            "xml",
        ),
        (
            "kind = \"baresip\"\naddress = \"h:1\"\ncolour = 1",
            "colour",
        ),
        ("kind = \"pigeon\"", "pigeon"),
    ];
    for (body, want) in cases {
        let err = parse(&format!("[[source]]\n{body}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{body:?}: {err} should mention {want}");
    }
}

#[test]
fn two_sources_with_one_name_are_refused() {
    let err = parse(
        "[[source]]\nkind = \"baresip\"\naddress = \"h:1\"\n[[source]]\nkind = \"baresip\"\naddress = \"h:2\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("\"baresip\"") && err.contains("unique"),
        "{err}"
    );
}
