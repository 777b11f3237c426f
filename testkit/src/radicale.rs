//! A real Radicale (CardDAV, from PyPI) on 127.0.0.1 for one test: a temp storage folder
//! with one address book `/USER/contacts/` holding the given vCards, htpasswd auth (plain),
//! started on a free port; stopped and deleted on drop. `scripts/deps.sh test` installs
//! Radicale into `${XDG_CACHE_HOME:-$HOME/.cache}/screenpop-test/venv`.

use super::ports::free_port;
use super::process::{log_file, spawn, terminate, wait_until};
use std::fs;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;
use tempfile::TempDir;

/// A running Radicale.
pub struct Radicale {
    pub port: u16,
    pub user: String,
    child: Child,
    dir: TempDir,
}

/// The radicale executable: the test venv's, else one on PATH.
fn executable() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_default();
    let venv = cache.join("screenpop-test/venv/bin/radicale");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("radicale")
    }
}

impl Radicale {
    /// Starts Radicale for `user`/`password` with `cards` (file name, vCard text) in the
    /// address book.
    pub fn start(user: &str, password: &str, cards: &[(&str, &str)]) -> Radicale {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-radicale-")
            .tempdir()
            .expect("temp dir");
        let d = dir.path();
        let book = d.join("collection-root").join(user).join("contacts");
        fs::create_dir_all(&book).expect("address book dir");
        fs::write(book.join(".Radicale.props"), r#"{"tag": "VADDRESSBOOK"}"#).expect("props");
        for (name, card) in cards {
            fs::write(book.join(name), card).expect("vcard");
        }
        fs::write(d.join("users"), format!("{user}:{password}\n")).expect("htpasswd");
        let port = free_port();
        let mut cmd = Command::new(executable());
        cmd.arg(format!("--storage-filesystem-folder={}", d.display()))
            .arg(format!("--server-hosts=127.0.0.1:{port}"))
            .arg("--auth-type=htpasswd")
            .arg(format!(
                "--auth-htpasswd-filename={}",
                d.join("users").display()
            ))
            .arg("--auth-htpasswd-encryption=plain")
            .stdout(log_file(&d.join("radicale.out")).expect("log"))
            .stderr(log_file(&d.join("radicale.log")).expect("log"));
        let child = spawn(&mut cmd).expect("start radicale (run `scripts/deps.sh test`)");
        let mut radicale = Radicale {
            port,
            user: user.into(),
            child,
            dir,
        };
        let up = wait_until(Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        if !up {
            let log =
                fs::read_to_string(radicale.dir.path().join("radicale.log")).unwrap_or_default();
            terminate(&mut radicale.child, Duration::from_secs(1));
            panic!("radicale did not listen on {port}: {log}");
        }
        radicale
    }

    /// The address book's URL.
    pub fn book_url(&self) -> String {
        format!("http://127.0.0.1:{}/{}/contacts/", self.port, self.user)
    }

    /// Adds a vCard file to the address book on disk (Radicale sees it on the next request).
    pub fn add_card(&self, name: &str, card: &str) {
        let book = self
            .dir
            .path()
            .join("collection-root")
            .join(&self.user)
            .join("contacts");
        fs::write(book.join(name), card).expect("vcard");
    }
}

impl Drop for Radicale {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(3));
    }
}
