//! Where a directory signs in: its `[directory.oauth]` table laid over what the preset knows
//! about the provider (endpoints, default scopes, quirks), checked once at config load.
//!
//! Provider quirks live here and nowhere else: Salesforce's API base is the token response's
//! `instance_url` and its device flow runs on the token endpoint; Zoho's accounts domain
//! follows the data centre of `base_url` (`zohoapis.eu` → `accounts.zoho.eu`), its scopes are
//! comma-separated, it answers `api_domain`, and it issues at most ten access tokens per ten
//! minutes per refresh token; Microsoft's endpoints carry the tenant; Google and Zoho only
//! hand out a refresh token with `access_type=offline` + `prompt=consent`.

use crate::config::{OAuthFlow, OAuthSettings, Preset};
use crate::quote::check_http_url;
use std::time::Duration;

/// How a provider's device flow is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// RFC 8628 (Microsoft, Google, most others).
    Standard,
    /// `response_type=device_code` then `grant_type=device` on the token endpoint.
    Salesforce,
    /// `/oauth/v3/device/code` with `grant_type=device_request`, then `grant_type=device_token`.
    Zoho,
}

/// A resolved OAuth 2 client for one directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    /// The directory's name (messages, the default token entry).
    pub directory: String,
    pub client_id: String,
    /// Keyring entry of the client secret, if the client has one.
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    pub auth_url: Option<String>,
    pub token_url: String,
    pub device_url: Option<String>,
    pub flow: OAuthFlow,
    pub dialect: Dialect,
    pub redirect_port: Option<u16>,
    /// Keyring entry the tokens are kept in.
    pub token_entry: String,
    /// Extra authorization-request parameters.
    pub auth_params: Vec<(&'static str, &'static str)>,
    /// At most this many refreshes per window per refresh token.
    pub refresh_limit: Option<(usize, Duration)>,
    /// Join scopes with this (`" "`; Zoho: `","`).
    pub scope_separator: &'static str,
}

const MS: &str = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0";

/// What a preset knows about its provider.
fn defaults(preset: Option<Preset>, base_url: &str) -> OAuthSettings {
    let ms = |scopes: Vec<String>| OAuthSettings {
        auth_url: Some(format!("{MS}/authorize")),
        token_url: Some(format!("{MS}/token")),
        device_url: Some(format!("{MS}/devicecode")),
        scopes: Some(scopes),
        ..Default::default()
    };
    let root = base_url.trim_end_matches('/');
    match preset {
        Some(Preset::Salesforce) => OAuthSettings {
            auth_url: Some("https://login.salesforce.com/services/oauth2/authorize".into()),
            token_url: Some("https://login.salesforce.com/services/oauth2/token".into()),
            scopes: Some(vec!["api".into(), "refresh_token".into()]),
            ..Default::default()
        },
        Some(Preset::Zoho) => {
            let accounts = zoho_accounts(base_url);
            OAuthSettings {
                auth_url: Some(format!("{accounts}/oauth/v2/auth")),
                token_url: Some(format!("{accounts}/oauth/v2/token")),
                device_url: Some(format!("{accounts}/oauth/v3/device/code")),
                scopes: Some(vec![
                    "ZohoCRM.modules.contacts.READ".into(),
                    "ZohoCRM.modules.calls.ALL".into(),
                    "ZohoCRM.modules.contacts.CREATE".into(),
                ]),
                ..Default::default()
            }
        }
        Some(Preset::Dynamics) => ms(vec![
            format!("{root}/user_impersonation"),
            "offline_access".into(),
        ]),
        Some(Preset::Microsoft365) => ms(vec!["offline_access".into(), "Contacts.Read".into()]),
        Some(Preset::Google) => OAuthSettings {
            auth_url: Some("https://accounts.google.com/o/oauth2/v2/auth".into()),
            token_url: Some("https://oauth2.googleapis.com/token".into()),
            device_url: Some("https://oauth2.googleapis.com/device/code".into()),
            scopes: Some(vec![
                "https://www.googleapis.com/auth/contacts.readonly".into()
            ]),
            ..Default::default()
        },
        _ => OAuthSettings::default(),
    }
}

/// Zoho's accounts server for the data centre `base_url` lives in.
pub fn zoho_accounts(base_url: &str) -> String {
    let host = base_url
        .split("://")
        .nth(1)
        .and_then(|r| r.split(['/', ':']).next())
        .unwrap_or_default();
    match host.split_once("zohoapis.") {
        Some((_, tld)) if !tld.is_empty() => format!("https://accounts.zoho.{tld}"),
        _ => "https://accounts.zoho.com".into(),
    }
}

impl Provider {
    /// Lays `user` over the preset's provider and checks the result.
    pub fn resolve(
        directory: &str,
        preset: Option<Preset>,
        base_url: &str,
        user: &OAuthSettings,
    ) -> Result<Provider, String> {
        let s = user.over(&defaults(preset, base_url));
        let client_id = s
            .client_id
            .clone()
            .filter(|c| !c.trim().is_empty())
            .ok_or("oauth.client_id is required (the app registration's client id)")?;
        let tenant = s.tenant.clone().unwrap_or_else(|| "organizations".into());
        if tenant.contains(['/', '?', '#', ' ']) {
            return Err(format!(
                "oauth.tenant {tenant:?} is not a tenant id or domain"
            ));
        }
        let fill = |u: &Option<String>| u.as_ref().map(|u| u.replace("{tenant}", &tenant));
        let token_url = fill(&s.token_url).ok_or("oauth.token_url is required")?;
        check_http_url("oauth.token_url", &token_url)?;
        let auth_url = fill(&s.auth_url);
        let device_url = fill(&s.device_url);
        for (what, u) in [
            ("oauth.auth_url", &auth_url),
            ("oauth.device_url", &device_url),
        ] {
            if let Some(u) = u {
                check_http_url(what, u)?;
            }
        }
        let flow = s.flow.unwrap_or(match (preset, &s.client_secret) {
            // A Dynamics app with a secret is an application user (server to server).
            (Some(Preset::Dynamics), Some(_)) => OAuthFlow::ClientCredentials,
            _ => OAuthFlow::AuthorizationCode,
        });
        let mut scopes = s.scopes.clone().unwrap_or_default();
        if flow == OAuthFlow::ClientCredentials {
            scopes = match preset {
                // Client credentials ask for the resource's `.default` scope only.
                Some(Preset::Dynamics) => {
                    vec![format!("{}/.default", base_url.trim_end_matches('/'))]
                }
                Some(Preset::Microsoft365) => vec!["https://graph.microsoft.com/.default".into()],
                _ => scopes,
            };
            if s.client_secret.is_none() {
                return Err("oauth.flow = \"client_credentials\" needs oauth.client_secret (a keyring entry name)".into());
            }
        }
        if flow == OAuthFlow::AuthorizationCode && auth_url.is_none() {
            return Err("oauth.auth_url is required for the browser sign-in".into());
        }
        let dialect = match preset {
            Some(Preset::Salesforce) => Dialect::Salesforce,
            Some(Preset::Zoho) => Dialect::Zoho,
            _ => Dialect::Standard,
        };
        let offline = matches!(preset, Some(Preset::Zoho | Preset::Google));
        Ok(Provider {
            directory: directory.to_string(),
            client_id,
            client_secret: s.client_secret.clone(),
            scopes,
            auth_url,
            token_url,
            device_url,
            flow,
            dialect,
            redirect_port: s.redirect_port,
            token_entry: s
                .token_entry
                .clone()
                .unwrap_or_else(|| format!("oauth:{directory}")),
            auth_params: if offline {
                vec![("access_type", "offline"), ("prompt", "consent")]
            } else {
                Vec::new()
            },
            refresh_limit: (dialect == Dialect::Zoho).then_some((10, Duration::from_secs(600))),
            scope_separator: if dialect == Dialect::Zoho { "," } else { " " },
        })
    }

    /// The scopes as one request parameter.
    pub fn scope(&self) -> String {
        self.scopes.join(self.scope_separator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoho_accounts_follow_the_data_centre() {
        assert_eq!(
            zoho_accounts("https://www.zohoapis.eu"),
            "https://accounts.zoho.eu"
        );
        assert_eq!(
            zoho_accounts("https://www.zohoapis.com.au/crm"),
            "https://accounts.zoho.com.au"
        );
        assert_eq!(
            zoho_accounts("http://127.0.0.1:9"),
            "https://accounts.zoho.com"
        );
    }

    #[test]
    fn microsoft_endpoints_carry_the_tenant() {
        let user = OAuthSettings {
            client_id: Some("app".into()),
            tenant: Some("contoso.onmicrosoft.com".into()),
            ..Default::default()
        };
        let p = Provider::resolve(
            "m365",
            Some(Preset::Microsoft365),
            "https://graph.microsoft.com/v1.0",
            &user,
        )
        .unwrap();
        assert_eq!(
            p.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(p.flow, OAuthFlow::AuthorizationCode);
        assert_eq!(p.token_entry, "oauth:m365");
    }

    #[test]
    fn dynamics_with_a_secret_is_server_to_server() {
        let user = OAuthSettings {
            client_id: Some("app".into()),
            client_secret: Some("dyn-secret".into()),
            tenant: Some("t1".into()),
            ..Default::default()
        };
        let p = Provider::resolve(
            "crm",
            Some(Preset::Dynamics),
            "https://org.crm4.dynamics.com",
            &user,
        )
        .unwrap();
        assert_eq!(p.flow, OAuthFlow::ClientCredentials);
        assert_eq!(
            p.scopes,
            vec!["https://org.crm4.dynamics.com/.default".to_string()]
        );
    }

    #[test]
    fn a_client_id_is_required() {
        let e = Provider::resolve(
            "x",
            Some(Preset::Salesforce),
            "https://x",
            &OAuthSettings::default(),
        );
        assert!(e.unwrap_err().contains("client_id"));
    }
}
