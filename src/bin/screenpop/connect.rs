//! `screenpop connect NAME [--device]`: signs in to the OAuth 2 provider of the
//! `[[directory]]` called NAME and says where the tokens went (the core's
//! [`screenpop::connect::connect_directory`], which the desktop's Connect button calls too).

use crate::output::usage;
use anyhow::Result;
use screenpop::config::Settings;
use screenpop::oauth::{AuthError, Prompt};
use screenpop::secrets::Keyring;
use std::process::ExitCode;
use std::sync::Arc;

/// Runs the sign-in and reports it.
pub async fn run(settings: &Settings, name: &str, device: bool) -> Result<ExitCode> {
    let mut prompt = |p: Prompt| match &p {
        Prompt::OpenBrowser { url } => {
            screenpop::connect::open_in_browser(&p);
            eprintln!("Sign in to {name} in your browser. If it did not open, visit:\n  {url}");
            eprintln!("Waiting for the sign-in (5 minutes at most)…");
        }
        Prompt::EnterCode {
            verification_uri,
            verification_uri_complete,
            user_code,
        } => {
            eprintln!("To sign in to {name}, visit {verification_uri} and enter the code:\n\n    {user_code}\n");
            if let Some(direct) = verification_uri_complete {
                eprintln!("(or open {direct})");
            }
            eprintln!("Waiting for the sign-in…");
        }
    };
    let connected = screenpop::connect::connect_directory(
        settings,
        name,
        device,
        Arc::new(Keyring),
        &mut prompt,
    )
    .await
    .map_err(|e| match e {
        AuthError::Refused(_) | AuthError::NotConnected(_) => usage(e),
        other => anyhow::Error::new(other),
    })?;
    println!(
        "Signed in to {}: tokens stored in the keyring (service \"screenpop\", entry {:?}).",
        connected.directory, connected.entry
    );
    if let Some(base) = &connected.api_base {
        println!("  API: {base}");
    }
    match (connected.refresh_token, connected.expires_in_s) {
        (true, _) => {
            println!("  screenpop refreshes the access token by itself; no need to sign in again.")
        }
        (false, Some(s)) => println!(
            "  No refresh token was issued: the access token expires in {} min.",
            s / 60
        ),
        (false, None) => println!("  No refresh token was issued."),
    }
    Ok(ExitCode::SUCCESS)
}
