//! `tel:`, `sip:` and `callto:` links (a click in a browser or CRM): the number or SIP URI
//! to dial, and the registration that makes the desktop send them to `screenpop-desktop`
//! (a desktop entry plus `xdg-mime default`). The desktop starts `screenpop-desktop <link>`;
//! a running instance takes the link over (see `instance`).

use std::path::PathBuf;
use std::process::Command;

/// The link schemes screenpop dials.
pub const SCHEMES: &[&str] = &["tel", "sip", "callto"];

/// The desktop entry's file name.
const ENTRY: &str = "screenpop-desktop-handler.desktop";

/// Makes this binary the handler of [`SCHEMES`]: writes the desktop entry into
/// `$XDG_DATA_HOME/applications` and sets it as the default with `xdg-mime`.
pub fn register() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // Installed from the package, whose `screenpop.desktop` declares the handler (the
    // desktop-file-utils trigger registers it): nothing to write, no xdg-mime.
    if let Some(entry) = packaged_entry(&exe) {
        return Ok(entry);
    }
    let dir = dirs::data_dir()
        .ok_or_else(|| std::io::Error::other("no data folder (is HOME set?)"))?
        .join("applications");
    std::fs::create_dir_all(&dir)?;
    let mimes: Vec<String> = SCHEMES
        .iter()
        .map(|s| format!("x-scheme-handler/{s}"))
        .collect();
    let entry = format!(
        "[Desktop Entry]\nType=Application\nName=screenpop\nComment=Call with screenpop\n\
         Exec=\"{}\" %u\nTerminal=false\nNoDisplay=true\nMimeType={};\n",
        exe.display(),
        mimes.join(";")
    );
    let path = dir.join(ENTRY);
    std::fs::write(&path, entry)?;
    let status = Command::new("xdg-mime")
        .arg("default")
        .arg(ENTRY)
        .args(&mimes)
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "xdg-mime default failed ({status})"
        )));
    }
    Ok(path)
}

/// The package's desktop entry (`<prefix>/share/applications/screenpop.desktop`) when this
/// binary is `<prefix>/bin/screenpop-desktop` of a package install.
fn packaged_entry(exe: &std::path::Path) -> Option<PathBuf> {
    let prefix = exe.parent().filter(|bin| bin.ends_with("bin"))?.parent()?;
    let entry = prefix.join("share/applications/screenpop.desktop");
    entry.is_file().then_some(entry)
}

/// What to dial for a link, or `None` if it is not a call link or names nobody.
pub fn dial_target(link: &str) -> Option<String> {
    let link = link.trim();
    let (scheme, rest) = link.split_once(':')?;
    let target = match scheme.to_ascii_lowercase().as_str() {
        "tel" | "callto" => rest.trim_start_matches("//"),
        // A SIP URI is dialled as a SIP URI (the softphone understands it).
        "sip" | "sips" => return (!rest.trim().is_empty()).then(|| link.to_string()),
        _ => return None,
    };
    // Drop URI parameters (`;phone-context=…`) and queries; keep the number as written.
    let target = target.split([';', '?']).next().unwrap_or_default();
    let target = screenpop::percent::decode(target);
    let target = target.trim();
    (!target.is_empty() && target.chars().any(|c| c.is_ascii_digit())).then(|| target.to_string())
}

#[cfg(test)]
mod tests {
    use super::dial_target;

    #[test]
    fn call_links_become_dial_targets() {
        assert_eq!(
            dial_target("tel:+1-555-1234").as_deref(),
            Some("+1-555-1234")
        );
        assert_eq!(
            dial_target("tel:%2B49%2030%20123456").as_deref(),
            Some("+49 30 123456")
        );
        assert_eq!(
            dial_target("tel:5551234;phone-context=example.com").as_deref(),
            Some("5551234")
        );
        assert_eq!(
            dial_target("callto://+15551234").as_deref(),
            Some("+15551234")
        );
        assert_eq!(
            dial_target("sip:lisa@pbx.example.com").as_deref(),
            Some("sip:lisa@pbx.example.com")
        );
        for junk in [
            "https://x.example",
            "tel:",
            "tel:abc",
            "mailto:a@b",
            "sip:",
            "nonsense",
        ] {
            assert_eq!(dial_target(junk), None, "{junk}");
        }
    }
}
