//! The "sign in again" notification: when a directory's OAuth grant is gone, one
//! notification names it and offers **Sign in**; a click becomes [`Intent::SignIn`].
//! Pops for calls go on meanwhile (the chain skips the directory that cannot answer).
//! [`run`] owns the notifications' waiting tasks and awaits them when it stops.

use super::Intent;
use crate::oauth::SignInNeeded;
use notify_rust::{Notification, NotificationResponse, Timeout};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc::UnboundedSender};
use tokio_util::sync::CancellationToken;

/// Shows a notification for each notice until `notices` closes or `stop` is cancelled; owns
/// the tasks waiting for clicks and, on stop, ends and awaits them. Run it on the owner's
/// tracker.
pub async fn run(
    mut notices: broadcast::Receiver<SignInNeeded>,
    intents: UnboundedSender<Intent>,
    stop: CancellationToken,
) {
    let mut waiting = tokio::task::JoinSet::new();
    loop {
        let notice = tokio::select! {
            n = notices.recv() => n,
            Some(_) = waiting.join_next(), if !waiting.is_empty() => continue,
            () = stop.cancelled() => break,
        };
        match notice {
            Ok(n) => {
                waiting.spawn(show(n, intents.clone()));
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    waiting.shutdown().await;
}

async fn show(notice: SignInNeeded, intents: UnboundedSender<Intent>) {
    let mut n = Notification::new();
    n.summary(&format!("{}: sign in again", notice.directory))
        .body(&super::markup::escape(&format!(
            "Lookups and call logging in {} are paused until you sign in.",
            notice.directory
        )))
        .appname("screenpop")
        .icon("dialog-password")
        .timeout(Timeout::Never)
        .action("sign-in", "Sign in");
    let handle = match n.show_async().await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, directory = %notice.directory, "sign-in notification not shown");
            return;
        }
    };
    let clicked = Arc::new(Mutex::new(false));
    let sink = Arc::clone(&clicked);
    handle
        .wait_for_action_async(move |r: &NotificationResponse| {
            let yes = matches!(r, NotificationResponse::Action(a) if a == "sign-in")
                || matches!(r, NotificationResponse::Default);
            *crate::sync::lock(&sink) = yes;
        })
        .await;
    if *crate::sync::lock(&clicked) {
        let _ = intents.send(Intent::SignIn {
            directory: notice.directory,
        });
    }
}
