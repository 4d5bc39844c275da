//! Escaping of untrusted text (agent names, review texts, survey comments, team names, tags)
//! for each output format. Every renderer passes every string from the report or the facts
//! through one of these; HTML goes through askama's auto-escaping (see `html.rs`).

/// Plain text: drops control characters (C0, C1, DEL: ANSI escape sequences lose their ESC
/// and cannot recolour a terminal) and bidirectional overrides (which can make a line read
/// backwards); every kind of line break or tab becomes one space, so a name cannot forge a
/// line of the digest.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}') {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if c.is_control() || is_bidi_control(c) {
            continue;
        } else {
            out.push(c);
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Slack mrkdwn (and Slack `plain_text`): `&`, `<` and `>` become entities, as Slack's
/// "escaping text" rules require, so `<!channel>`, `<@U123>` and `<http://x|y>` in a review
/// stay text and never notify anyone or make a link. Control characters go as in [`plain`].
pub fn slack(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in plain(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// [`slack`] for text shown inside a code block: backticks are replaced too, so a name
/// cannot close the block and format what follows.
pub fn slack_code(s: &str) -> String {
    slack(s).replace('`', "ʼ")
}

/// Cuts `s` to at most `max` characters, ending with `…` when cut (on a char boundary).
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strips_controls_and_line_breaks() {
        assert_eq!(plain("a\u{1b}[31mred\u{7}\nb\r\n\tc"), "a[31mred b c");
        assert_eq!(plain("x\u{202E}evil"), "xevil");
        assert_eq!(plain("Zoë <b>&"), "Zoë <b>&");
    }

    #[test]
    fn slack_makes_mentions_and_links_inert() {
        assert_eq!(
            slack("<!channel> <@U123> <http://x|y> & co"),
            "&lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt; &amp; co"
        );
        // Already-escaped input is escaped again: it is text, not markup.
        assert_eq!(slack("&lt;"), "&amp;lt;");
        assert_eq!(slack_code("a```b"), "aʼʼʼb");
    }

    #[test]
    fn truncate_counts_chars() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
    }
}
