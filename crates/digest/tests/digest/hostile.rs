//! Hostile strings in an agent name, a review text, a survey comment and the team name come
//! out inert in every format.

use deskpulse_digest::{render_html, render_slack, render_text};

use crate::fixtures::{self, IMG, SCRIPT, sample};
use crate::{build, slack_texts};

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
    for t in &texts {
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
