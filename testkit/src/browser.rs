//! A stand-in web browser: a shell script that appends each URL it is asked to open to a
//! file, so a test can assert on the screen pop's CRM link without a real browser.
//!
//! Point `BROWSER` at [`BrowserCapture::script`]; [`crate::support::Desktop`] also registers
//! it as the desktop's http/https handler, because `xdg-open` asks the handler before `BROWSER`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The capture script and the file it appends opened URLs to.
#[derive(Debug, Clone)]
pub struct BrowserCapture {
    /// The executable to use as a browser: `script <url>` records `<url>`.
    pub script: PathBuf,
    /// One opened URL per line, in the order they were opened.
    pub capture_file: PathBuf,
}

impl BrowserCapture {
    /// Writes `browser.sh` into `dir`; URLs go to `dir/opened-urls.txt`.
    pub fn new(dir: &Path) -> io::Result<BrowserCapture> {
        let script = dir.join("browser.sh");
        let capture_file = dir.join("opened-urls.txt");
        let quoted = shell_quote(&capture_file)?;
        fs::write(
            &script,
            format!("#!/bin/sh\n# screenpop test browser: record, do not open.\nprintf '%s\\n' \"$1\" >> {quoted}\n"),
        )?;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755))?;
        Ok(BrowserCapture {
            script,
            capture_file,
        })
    }

    /// The URLs opened so far, oldest first (none if nothing was opened yet).
    pub fn read_urls(&self) -> Vec<String> {
        match fs::read_to_string(&self.capture_file) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(error) => panic!("read {}: {error}", self.capture_file.display()),
        }
    }

    /// `("BROWSER", script)`, ready for a child's environment.
    pub fn env(&self) -> (String, String) {
        ("BROWSER".to_owned(), self.script.display().to_string())
    }
}

/// Single-quotes a path for `sh`; paths with a quote in them are refused rather than escaped.
pub fn shell_quote(path: &Path) -> io::Result<String> {
    let text = path
        .to_str()
        .filter(|text| !text.contains('\''))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("path not usable in a shell script: {}", path.display()),
            )
        })?;
    Ok(format!("'{text}'"))
}
