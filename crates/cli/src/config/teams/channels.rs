//! `[[teams.channels]]`: where a team's digest goes — e-mail (through `[smtp]`) or a Slack
//! incoming webhook, whose URL is a credential.

use crate::config::KeyError;
use deskpulse_connector::Secret;
use serde::Deserialize;

#[derive(Debug, Clone)]
pub enum ChannelSettings {
    Email { name: String, to: Vec<String> },
    Slack { name: String, webhook_url: Secret },
}

/// A `[[teams.channels]]` table as written: the keys of every kind, checked against its kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileChannel {
    kind: String,
    name: Option<String>,
    to: Option<Vec<String>>,
    webhook_url: Option<Secret>,
}

/// The channels of the team at `team_key` (`teams[0]`).
pub(super) fn validate(
    team_key: &str,
    channels: Vec<FileChannel>,
) -> Result<Vec<ChannelSettings>, KeyError> {
    channels
        .into_iter()
        .enumerate()
        .map(|(j, c)| {
            let key = format!("{team_key}.channels[{j}]");
            match c.kind.as_str() {
                "email" => email(&key, c),
                "slack" => slack(&key, c),
                other => Err(KeyError::new(
                    format!("{key}.kind"),
                    format!("unknown channel kind {other:?} (use \"email\" or \"slack\")"),
                )),
            }
        })
        .collect()
}

fn email(key: &str, c: FileChannel) -> Result<ChannelSettings, KeyError> {
    let name = c.name.unwrap_or(c.kind);
    let to = c.to.filter(|v| !v.is_empty()).ok_or_else(|| {
        KeyError::new(
            format!("{key}.to"),
            "an email channel needs `to = [\"someone@example.com\"]`",
        )
    })?;
    if let Some(a) = to.iter().find(|a| !a.contains('@')) {
        return Err(KeyError::new(
            format!("{key}.to"),
            format!("{a:?} is not an e-mail address"),
        ));
    }
    if c.webhook_url.is_some() {
        return Err(KeyError::new(
            format!("{key}.webhook_url"),
            "belongs to slack channels, not email",
        ));
    }
    Ok(ChannelSettings::Email { name, to })
}

fn slack(key: &str, c: FileChannel) -> Result<ChannelSettings, KeyError> {
    let name = c.name.unwrap_or(c.kind);
    let webhook_url = c.webhook_url.ok_or_else(|| {
        KeyError::new(
            format!("{key}.webhook_url"),
            "a slack channel needs `webhook_url` (an incoming-webhook URL, e.g. \"${SLACK_WEBHOOK_URL}\")",
        )
    })?;
    let url = webhook_url.expose();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(KeyError::new(
            format!("{key}.webhook_url"),
            "must be an http(s) URL",
        ));
    }
    if c.to.is_some() {
        return Err(KeyError::new(
            format!("{key}.to"),
            "belongs to email channels, not slack",
        ));
    }
    Ok(ChannelSettings::Slack { name, webhook_url })
}

#[cfg(test)]
mod tests {
    use super::ChannelSettings;
    use crate::config::testing::{ZD, parse};

    #[test]
    fn debug_output_hides_secrets() {
        let s = parse(
            &format!(
                "{ZD}\n[[teams.channels]]\nkind = \"slack\"\nwebhook_url = \"https://hooks.slack.test/T/B/secretpath\"\n"
            ),
            &[("ZD_TOKEN", "tok-123")],
        );
        // the channel lands on the last team table; only the Debug output matters here
        let dbg = format!("{:?}", s.map(|s| s.teams).unwrap_or_default());
        assert!(!dbg.contains("secretpath"), "{dbg}");
    }

    fn channel(body: &str) -> Result<Vec<ChannelSettings>, String> {
        parse(
            &format!("[[teams]]\nname = \"a\"\n[[teams.channels]]\n{body}"),
            &[],
        )
        .map(|s| s.teams[0].channels.clone())
    }

    #[test]
    fn each_kind_takes_its_own_keys() {
        match channel("kind = \"email\"\nto = [\"lead@example.com\"]\n").unwrap()[..] {
            [ChannelSettings::Email { ref name, ref to }] => {
                assert_eq!(
                    (name.as_str(), &to[..]),
                    ("email", &["lead@example.com".to_owned()][..])
                );
            }
            ref other => panic!("{other:?}"),
        }
        let slack =
            "kind = \"slack\"\nname = \"ops\"\nwebhook_url = \"https://hooks.slack.test/T/B/x\"\n";
        assert!(matches!(
            &channel(slack).unwrap()[..],
            [ChannelSettings::Slack { name, .. }] if name == "ops"
        ));
        for (body, key, says) in [
            ("kind = \"email\"\n", "to", "needs `to"),
            (
                "kind = \"email\"\nto = [\"lead\"]\n",
                "to",
                "not an e-mail address",
            ),
            (
                "kind = \"email\"\nto = [\"a@b.c\"]\nwebhook_url = \"https://h/x\"\n",
                "webhook_url",
                "belongs to slack",
            ),
            ("kind = \"slack\"\n", "webhook_url", "needs `webhook_url`"),
            (
                "kind = \"slack\"\nwebhook_url = \"hooks/x\"\n",
                "webhook_url",
                "http(s) URL",
            ),
            (
                "kind = \"slack\"\nwebhook_url = \"https://h/x\"\nto = [\"a@b.c\"]\n",
                "to",
                "belongs to email",
            ),
            ("kind = \"pager\"\n", "kind", "unknown channel kind"),
        ] {
            let e = channel(body).unwrap_err();
            assert!(
                e.contains(&format!("`teams[0].channels[0].{key}`")) && e.contains(says),
                "{body}→ {e}"
            );
        }
    }
}
