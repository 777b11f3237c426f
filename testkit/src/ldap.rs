//! A real OpenLDAP `slapd` on 127.0.0.1 for one test: a temp dir with a `slapd.conf` (core,
//! cosine and inetOrgPerson schemas, one mdb database), loaded from an LDIF with `slapadd`,
//! started in the foreground (`-d 0`) on a free port; stopped and deleted on drop.
//! Needs the Debian packages `slapd` and `ldap-utils` (`scripts/deps.sh test`).

use super::ports::free_port;
use super::process::{log_file, spawn, terminate, wait_until};
use std::fs;
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::Duration;
use tempfile::TempDir;

/// The directory's suffix.
pub const BASE_DN: &str = "dc=example,dc=com";
/// The bind DN with read access to everything.
pub const BIND_DN: &str = "cn=admin,dc=example,dc=com";

/// A running slapd.
pub struct Slapd {
    pub port: u16,
    child: Child,
    dir: TempDir,
}

impl Slapd {
    /// Starts slapd with `password` as the admin's password and `people_ldif` (entries under
    /// `ou=people,dc=example,dc=com`) loaded.
    pub fn start(password: &str, people_ldif: &str) -> Slapd {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-slapd-")
            .tempdir()
            .expect("temp dir");
        let d = dir.path();
        fs::create_dir_all(d.join("db")).expect("db dir");
        let conf = d.join("slapd.conf");
        fs::write(
            &conf,
            format!(
                "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\npidfile {pid}\nmodulepath /usr/lib/ldap\n\
                 moduleload back_mdb\ndatabase mdb\nmaxsize 10485760\nsuffix \"{BASE_DN}\"\n\
                 rootdn \"{BIND_DN}\"\nrootpw {password}\ndirectory {db}\n",
                pid = d.join("slapd.pid").display(),
                db = d.join("db").display(),
            ),
        )
        .expect("write slapd.conf");
        let ldif = d.join("data.ldif");
        fs::write(
            &ldif,
            format!(
                "dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
                 dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n\n{people_ldif}"
            ),
        )
        .expect("write the LDIF");
        let loaded = Command::new("slapadd")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif)
            .output()
            .unwrap_or_else(|e| panic!("slapadd not runnable ({e}): run `scripts/deps.sh test`"));
        assert!(
            loaded.status.success(),
            "slapadd failed: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let port = free_port();
        let mut cmd = Command::new("slapd");
        cmd.arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{port}/"))
            .args(["-d", "0"])
            .stdout(log_file(&d.join("slapd.log")).expect("log"))
            .stderr(log_file(&d.join("slapd.err")).expect("log"));
        let child = spawn(&mut cmd).expect("start slapd");
        let mut slapd = Slapd { port, child, dir };
        let up = wait_until(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        if !up {
            let err = fs::read_to_string(slapd.dir.path().join("slapd.err")).unwrap_or_default();
            terminate(&mut slapd.child, Duration::from_secs(1));
            panic!("slapd did not listen on {port}: {err}");
        }
        slapd
    }

    /// `ldap://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(3));
    }
}
