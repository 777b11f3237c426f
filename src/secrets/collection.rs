//! A default keyring collection on a fresh desk, over the Secret Service D-Bus API.
//!
//! A session that starts gnome-keyring with an empty password (headless desks, kiosks,
//! auto-login, `dbus-run-session -- xvfb-run make run` in a new home) has no login
//! collection, so the `default` alias points nowhere and every store fails with "Object does
//! not exist at path …/collection/login". The spec's answer is `CreateCollection` with the
//! alias `default` (returned as is if one exists); gnome-keyring answers that with a password
//! prompt, which a desk without a prompter can never show. There gnome-keyring's own
//! `CreateWithMasterPassword` creates the login collection with the same empty password the
//! session unlocks with — what its `--unlock` would have made — and the alias is set to it.
//! Blocking D-Bus calls: callers run this off the async workers.

use dbus::arg::{PropMap, RefArg, Variant};
use dbus::blocking::{Connection, Proxy};
use std::time::Duration;

const BUS_NAME: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE: &str = "org.freedesktop.Secret.Service";
const GNOME_KEYRING: &str = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface";
const LABEL: &str = "org.freedesktop.Secret.Collection.Label";
const TIMEOUT: Duration = Duration::from_secs(10);

/// What [`ensure_default`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultCollection {
    /// The `default` alias already named a collection.
    Existed,
    /// A collection existed without the alias; the alias now names it.
    Aliased(String),
    /// A new collection was created (empty password, as the session's keyring was started).
    Created(String),
}

/// Why no default collection could be made.
#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    #[error("no Secret Service on the session bus: {0}")]
    Bus(#[from] dbus::Error),
    #[error("the keyring wants a password for a new collection and no prompt can be shown here; create a \"Login\" keyring in Passwords and Keys (seahorse) or KWallet")]
    NeedsPrompt,
}

/// Makes sure the Secret Service has a `default` collection; see the module docs.
pub fn ensure_default() -> Result<DefaultCollection, CollectionError> {
    let connection = Connection::new_session()?;
    let service = connection.with_proxy(BUS_NAME, SERVICE_PATH, TIMEOUT);
    if alias(&service)?.is_some() {
        return Ok(DefaultCollection::Existed);
    }
    use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;
    let collections: Vec<dbus::Path<'static>> = service.get(SERVICE, "Collections")?;
    // The session collection is gnome-keyring's in-memory one: gone at logout.
    if let Some(existing) = collections.iter().find(|p| !p.ends_with("/session")) {
        set_alias(&service, existing)?;
        return Ok(DefaultCollection::Aliased(existing.to_string()));
    }
    match create_with_empty_password(&service, login_properties()) {
        Ok(created) => {
            set_alias(&service, &created)?;
            return Ok(DefaultCollection::Created(created.to_string()));
        }
        Err(e) if e.name() == Some("org.freedesktop.DBus.Error.UnknownMethod") => {}
        Err(e) if e.name() == Some("org.freedesktop.DBus.Error.UnknownInterface") => {}
        Err(e) => return Err(e.into()),
    }
    // Another Secret Service (KWallet, KeePassXC): the spec's way; it may ask to prompt.
    let (created, prompt): (dbus::Path<'static>, dbus::Path<'static>) =
        service.method_call(SERVICE, "CreateCollection", (login_properties(), "default"))?;
    if &*prompt != "/" {
        return Err(CollectionError::NeedsPrompt);
    }
    Ok(DefaultCollection::Created(created.to_string()))
}

/// A collection labelled "Login" (gnome-keyring makes its path `…/collection/login`).
fn login_properties() -> PropMap {
    let mut properties = PropMap::new();
    properties.insert(
        LABEL.into(),
        Variant(Box::new("Login".to_string()) as Box<dyn RefArg>),
    );
    properties
}

/// The collection the `default` alias names, if any.
fn alias(service: &Proxy<'_, &Connection>) -> Result<Option<dbus::Path<'static>>, dbus::Error> {
    let (path,): (dbus::Path<'static>,) =
        service.method_call(SERVICE, "ReadAlias", ("default",))?;
    Ok((&*path != "/").then_some(path))
}

fn set_alias(
    service: &Proxy<'_, &Connection>,
    collection: &dbus::Path<'_>,
) -> Result<(), dbus::Error> {
    service.method_call::<(), _, _, _>(SERVICE, "SetAlias", ("default", collection.clone()))
}

/// gnome-keyring's prompt-free creation; the secret travels in a plain session (it is empty).
fn create_with_empty_password(
    service: &Proxy<'_, &Connection>,
    properties: PropMap,
) -> Result<dbus::Path<'static>, dbus::Error> {
    let (_, session): (Variant<Box<dyn RefArg>>, dbus::Path<'static>) = service.method_call(
        SERVICE,
        "OpenSession",
        ("plain", Variant(Box::new(String::new()) as Box<dyn RefArg>)),
    )?;
    let master = (session, Vec::<u8>::new(), Vec::<u8>::new(), "text/plain");
    let (created,): (dbus::Path<'static>,) = service.method_call(
        GNOME_KEYRING,
        "CreateWithMasterPassword",
        (properties, master),
    )?;
    Ok(created)
}
