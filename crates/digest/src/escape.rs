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

/// [`slack`] for text that must not format either, wherever it stands in mrkdwn: Slack has no
/// escape for its formatting marks, so the ones that could open or close a style become
/// look-alikes that do not (`*` → `∗`, `~` → `∼`, `` ` `` → `ʼ`, and `_` → `ˍ` unless it
/// joins two letters or digits, so `zendesk_main` stays as it is). A source name or a
/// vendor's error text written `*URGENT*` then reads as written instead of bold.
pub fn slack_literal(s: &str) -> String {
    let escaped = slack(s);
    let chars: Vec<char> = escaped.chars().collect();
    let joins = |i: usize| {
        i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            '*' => '∗',
            '~' => '∼',
            '`' => 'ʼ',
            '_' if !joins(i) => 'ˍ',
            c => *c,
        })
        .collect()
}

/// [`slack`] for text shown inside a code block: backticks are replaced too, so a name
/// cannot close the block and format what follows.
pub fn slack_code(s: &str) -> String {
    slack(s).replace('`', "ʼ")
}

/// Longest name any format shows: an agent, a review's author, the team, a review platform
/// or survey source, a channel, a tag, a social account or metric, a currency. Table columns
/// may cut shorter still (the text and Slack agent tables).
pub const NAME_CHARS: usize = 40;
/// Longest quoted text: a review (title and text) or a survey comment.
pub const QUOTE_CHARS: usize = 280;
/// Longest vendor error text quoted (a failing source's last error), and longest note of
/// what a period misses from a source.
pub const ERROR_CHARS: usize = 200;
/// Longest line of prose that carries untrusted parts: a suggestion naming tags, an attention
/// line naming a source and its last error.
pub const LINE_CHARS: usize = 500;

/// Cuts `s` to at most `max` characters, ending with `…` when cut (on a char boundary).
///
/// This is the one cutting function of every renderer, and it runs on the raw string,
/// **before** the format's escaping: a cut can then never split an entity (`&amp;`) the
/// escaping writes. Text that is already escaped goes through [`truncate_escaped`].
pub fn truncate(s: &str, max: usize) -> String {
    // `nth` stops at the limit: a megabyte-long name is not counted to its end.
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
            out.push('…');
            out
        }
    }
}

/// Untrusted text for plain text, and for HTML before askama escapes it: [`truncate`] to
/// `max`, then [`plain`]. Cut first, escape after.
pub fn plain_cut(s: &str, max: usize) -> String {
    plain(&truncate(s, max))
}

/// Untrusted text for Slack: [`truncate`] to `max`, then [`slack`]. Cut first, escape after.
pub fn slack_cut(s: &str, max: usize) -> String {
    slack(&truncate(s, max))
}

/// Untrusted text for Slack that must not format: [`truncate`] to `max`, then
/// [`slack_literal`].
pub fn slack_literal_cut(s: &str, max: usize) -> String {
    slack_literal(&truncate(s, max))
}

/// [`truncate`] for text already escaped for Slack or HTML (a whole section assembled from
/// escaped parts): a cut that would land inside an entity (`&lt;`, `&#39;`) moves to before
/// its `&`, so the result never shows half an entity nor a bare `&`.
pub fn truncate_escaped(s: &str, max: usize) -> String {
    if s.char_indices().nth(max).is_none() {
        return s.to_owned();
    }
    let mut kept: String = s.chars().take(max.saturating_sub(1)).collect();
    if let Some(amp) = kept.rfind('&') {
        // Escaped text has `&` only at the start of an entity, whose `;` ends it.
        if !kept[amp..].contains(';') {
            kept.truncate(amp);
        }
    }
    kept.push('…');
    kept
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
    fn slack_literal_leaves_no_formatting_mark() {
        assert_eq!(
            slack_literal("*bold* _it_ ~gone~ `code` <!channel>"),
            "∗bold∗ ˍitˍ ∼gone∼ ʼcodeʼ &lt;!channel&gt;"
        );
        // An underscore inside a name joins it and formats nothing: kept.
        assert_eq!(
            slack_literal("zendesk_main ticket_events"),
            "zendesk_main ticket_events"
        );
        assert_eq!(slack_literal("a_ _b"), "aˍ ˍb");
    }

    #[test]
    fn truncate_counts_chars() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        // Cut first, escape after: the entity is whole or absent, never split.
        assert_eq!(slack(&truncate("abc<def", 5)), "abc&lt;…");
    }

    #[test]
    fn truncate_escaped_never_splits_an_entity() {
        assert_eq!(truncate_escaped("a &amp; b", 20), "a &amp; b");
        // The cut would fall inside `&lt;`: it moves to before the `&`.
        assert_eq!(truncate_escaped("abc&lt;def", 6), "abc…");
        // A whole entity before the cut stays.
        assert_eq!(truncate_escaped("a&lt;bcdefgh", 7), "a&lt;b…");
        assert_eq!(truncate_escaped("héllo wörld", 6), "héllo…");
    }
}
