//! Hostile strings in an agent name, a review text, a survey comment and the team name come
//! out inert in every format, and cut to the same limits in every format however long.

use deskpulse_digest::escape::{NAME_CHARS, QUOTE_CHARS};
use deskpulse_digest::{RenderedDigest, render_html, render_slack, render_text};

use crate::fixtures::{self, IMG, SCRIPT, sample};
use crate::{assert_valid_block_kit, build, slack_texts};

#[test]
fn html_escapes_every_untrusted_string() {
    let mut s = sample(true);
    s.report.team = "Ops \"A\" & 'B' <b>".into();
    let d = build(&s);
    let html = render_html(&d).unwrap().html;
    assert!(
        !html.to_lowercase().contains("<script"),
        "raw <script in HTML"
    );
    assert!(!html.contains("<img src=x"), "raw <img in HTML");
    assert!(!html.contains("<!channel>") && !html.contains("<@U123>"));
    // The texts are there, escaped: agent name, review text, survey comment.
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("Terrible &#60;script&#62;") || html.contains("Terrible &lt;script&gt;"));
    assert!(
        html.contains("fix this &#60;!channel&#62;") || html.contains("fix this &lt;!channel&gt;")
    );
    // Quotes and ampersands too.
    assert!(
        html.contains("Ops &#34;A&#34; &#38; &#39;B&#39; &#60;b&#62;")
            || html.contains("Ops &quot;A&quot; &amp; &#x27;B&#x27; &lt;b&gt;"),
        "team name: {}",
        &html[html.find("Ops").unwrap()..][..80]
    );
    assert!(!html.contains("<b>"));
}

#[test]
fn slack_mentions_and_links_are_inert() {
    let mut s = sample(true);
    s.report.team = "<!here> team".into();
    let d = build(&s);
    let v = serde_json::to_value(render_slack(&d)).unwrap();
    let texts = slack_texts(&v);
    assert_slack_inert(&texts);
    let all = texts.join("\n");
    assert!(
        all.contains("&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.example|click&gt; &amp; co"),
        "agent name / review"
    );
    assert!(
        all.contains("&lt;@U123&gt; fix this &lt;!channel&gt; &amp; now"),
        "survey comment"
    );
    assert!(
        all.contains("&lt;!here&gt; team"),
        "team name in the header"
    );
    assert!(all.contains(&SCRIPT.replace('<', "&lt;").replace('>', "&gt;")));
    assert!(all.contains(&IMG.replace('<', "&lt;").replace('>', "&gt;")));
}

#[test]
fn plain_text_strips_control_characters() {
    let mut s = sample(true);
    s.reviews.push(fixtures::review(
        "r9",
        "google",
        1.0,
        "red\u{1b}[31m alert\u{7}\nFAKE LINE",
        "a\rb",
        false,
    ));
    s.report.agents[0].name = "Eve\u{1b}]0;pwned\u{7}\u{202e}".into();
    let d = build(&s);
    let text = render_text(&d);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "control character in text"
    );
    assert!(!text.contains('\u{202e}'));
    assert!(text.contains("red[31m alert FAKE LINE"));
    assert!(!text.lines().any(|l| l.starts_with("FAKE LINE")));
    assert!(text.contains("Eve]0;pwned"));
    // Text is text: the hostile strings are shown as they are, not interpreted.
    assert!(text.contains(SCRIPT));
}

/// Slack texts in which no mention, link or markup survived: no raw `<`, `>` only as the
/// quote marker, every `&` the start of an entity we wrote.
pub fn assert_slack_inert(texts: &[String]) {
    for t in texts {
        assert!(!t.contains("<!"), "unescaped <! in {t:?}");
        assert!(!t.contains("<@"), "unescaped <@ in {t:?}");
        assert!(!t.contains("<http"), "a link in {t:?}");
        assert!(!t.contains('<'), "raw < in {t:?}");
        for line in t.lines() {
            // `>` only as the quote marker at the start of a line.
            assert!(
                !line.get(1..).unwrap_or("").contains('>'),
                "raw > in {line:?}"
            );
        }
        // Every & starts an entity we wrote.
        for (i, _) in t.match_indices('&') {
            let rest = &t[i..];
            assert!(
                rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;"),
                "bare & in {t:?}"
            );
        }
    }
}

/// Every `&` of `html` starts a whole entity (`&#60;`, `&amp;`): nothing was cut inside
/// one, and no raw `&` came through.
fn assert_entities_whole(html: &str) {
    for (i, _) in html.match_indices('&') {
        let rest = &html[i + 1..];
        let end = rest.find(';').filter(|e| *e <= 10);
        let name = end.map(|e| &rest[..e]);
        assert!(
            name.is_some_and(
                |n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '#')
            ),
            "a broken entity at {i}: {:?}",
            &html[i..(i + 20).min(html.len())]
        );
    }
}

#[test]
fn million_character_strings_are_cut_in_every_format_and_stay_escaped() {
    const MILLION: usize = 1_000_000;
    // Repeats `unit` to a million characters or more: markup, entities' raw material and
    // quotes all the way, so any cut lands next to something to escape.
    let huge = |unit: &str| unit.repeat(MILLION / unit.chars().count() + 1);
    let mut s = sample(true);
    s.report.team = huge("Ops <b>&\"'");
    s.report.agents[0].name = huge("<script>alert(1)</script>&\"'é");
    s.reviews[0].title = Some(huge("<!channel> & "));
    s.reviews[0].text = Some(huge("<img src=x onerror=alert(1)> & \"'"));
    s.reviews[0].author_name = Some(huge("<@U123>&"));
    s.reviews[0].platform = huge("trust<pilot>&");
    s.ratings[0].comment = Some(huge("<!channel> fix this & \"now\" "));
    for long in [&s.report.team, &s.report.agents[0].name] {
        assert!(long.chars().count() >= MILLION);
    }
    let d = build(&s);
    let r = RenderedDigest::render(&d).unwrap();
    let slack = serde_json::to_string(&r.slack).unwrap();
    for (what, len) in [
        ("HTML", r.html.html.len()),
        ("text", r.text.len()),
        ("Slack", slack.len()),
    ] {
        assert!(len < 200_000, "the {what} digest is {len} bytes");
    }
    assert!(
        r.subject.chars().count() < 200 && r.subject.contains('…'),
        "subject {:?}",
        r.subject
    );

    // HTML: cut before escaping, so every entity is whole and no markup came through.
    let html = &r.html.html;
    assert_entities_whole(html);
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("<img src=x") && !html.contains("<b>"));
    assert!(!html.contains("<!channel>") && !html.contains("<@U123>"));
    // The names are there, cut to NAME_CHARS (ellipsis included) and escaped.
    let text_of_html = unescape(html);
    let cut = |unit: &str| {
        let mut c: String = unit.chars().cycle().take(NAME_CHARS - 1).collect();
        c.push('…');
        c
    };
    for unit in [
        "<script>alert(1)</script>&\"'é",
        "<@U123>&",
        "trust<pilot>&",
        "Ops <b>&\"'",
    ] {
        assert!(
            text_of_html.contains(&cut(unit)),
            "{unit:?} not cut to {NAME_CHARS} in the HTML"
        );
        // ...and nowhere longer.
        let prefix: String = unit.chars().cycle().take(NAME_CHARS).collect();
        assert!(
            !text_of_html.contains(&prefix),
            "{unit:?} longer than {NAME_CHARS} in the HTML"
        );
    }
    // Quoted texts: cut to QUOTE_CHARS.
    let review: String = "<!channel> & "
        .chars()
        .cycle()
        .take(QUOTE_CHARS - 1)
        .collect();
    assert!(
        text_of_html.contains(&format!("{review}…")),
        "review not cut to {QUOTE_CHARS}"
    );
    let comment: String = "<!channel> fix this & \"now\" "
        .chars()
        .cycle()
        .take(QUOTE_CHARS - 1)
        .collect();
    assert!(
        text_of_html.contains(&format!("{comment}…")),
        "comment not cut to {QUOTE_CHARS}"
    );

    // Slack: every text inert and whole.
    let v = serde_json::to_value(&r.slack).unwrap();
    assert_valid_block_kit(&v);
    assert_slack_inert(&slack_texts(&v));

    // Text: cut the same way, and still no control character.
    assert!(!r.text.chars().any(|c| c.is_control() && c != '\n'));
    assert!(r.text.contains(&format!("{review}…")) && r.text.contains(&cut("<@U123>&")));
}

/// `html` with askama's entities (either spelling) turned back into characters.
fn unescape(html: &str) -> String {
    [
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_owned(), |s, (e, c)| s.replace(e, c))
}
