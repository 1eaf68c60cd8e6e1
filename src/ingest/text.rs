//! Cleaning text that community directories publish: HTML descriptions to
//! plain text, and e-mail addresses and web addresses with stray characters.
//! Every change is described, so the importer can report it.

/// Characters that take no space and carry nothing (zero-width space,
/// joiners, byte-order mark, soft hyphen).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// A JSON value as trimmed text, when it is a non-empty string.
pub(crate) fn json_text(value: Option<&serde_json::Value>) -> Option<String> {
    value
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// What [`html_to_text`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sanitised {
    /// Tags were removed.
    pub had_html: bool,
    /// Images (often inline `data:` images) removed.
    pub images_removed: usize,
}

impl Sanitised {
    /// A sentence for the import report, when anything was removed.
    pub fn describe(&self) -> Option<String> {
        match (self.had_html, self.images_removed) {
            (false, _) => None,
            (true, 0) => Some("HTML was converted to plain text".into()),
            (true, n) => Some(format!(
                "HTML was converted to plain text ({n} embedded image{} removed)",
                if n == 1 { "" } else { "s" }
            )),
        }
    }
}

/// The entity's character, for the entities directories use.
fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| !c.is_control() || *c == '\n');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "pound" => '£',
        "euro" => '€',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        _ => return None,
    })
}

/// HTML (or plain text) as plain text: tags removed, block ends as line
/// breaks, list items as bullets, entities decoded, scripts, styles and
/// images dropped, invisible characters removed and spaces tidied. Text with
/// no tags is only tidied.
pub fn html_to_text(html: &str) -> (String, Sanitised) {
    let mut out = String::with_capacity(html.len().min(1 << 16));
    let mut report = Sanitised::default();
    let mut rest = html;
    let mut skip_until: Option<&'static str> = None;
    while !rest.is_empty() {
        if let Some(end) = skip_until {
            match find_ci(rest, end) {
                Some(i) => {
                    rest = &rest[i + end.len()..];
                    skip_until = None;
                }
                None => rest = "",
            }
            continue;
        }
        let Some(lt) = rest.find(['<', '&']) else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if rest.starts_with('&') {
            let end = rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'));
            match end.map(|e| e + 1) {
                Some(e) if rest[e..].starts_with(';') && e > 1 => match entity(&rest[1..e]) {
                    Some(c) => {
                        out.push(c);
                        rest = &rest[e + 1..];
                    }
                    None => {
                        out.push('&');
                        rest = &rest[1..];
                    }
                },
                _ => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
            continue;
        }
        // A tag, a comment, or a lone '<'.
        let after = &rest[1..];
        let looks_like_tag =
            after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if !looks_like_tag {
            out.push('<');
            rest = after;
            continue;
        }
        if after.starts_with("!--") {
            rest = match after.find("-->") {
                Some(i) => &after[i + 3..],
                None => "",
            };
            report.had_html = true;
            continue;
        }
        let Some(gt) = tag_end(after) else {
            // An unclosed tag: the rest is markup, not text.
            report.had_html = true;
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        report.had_html = true;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match name.as_str() {
            "script" if !closing => skip_until = Some("</script>"),
            "style" if !closing => skip_until = Some("</style>"),
            "img" => report.images_removed += 1,
            "br" => out.push('\n'),
            "li" if !closing => out.push_str("\n• "),
            "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "li" | "tr"
            | "table" | "blockquote" => out.push('\n'),
            "td" | "th" if closing => out.push(' '),
            _ => {}
        }
    }
    (tidy(&out), report)
}

/// Finds `needle` (ASCII) in `hay`, ignoring ASCII case.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..h.len().saturating_sub(n.len() - 1)).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// The end of a tag's text (its `>`), skipping quoted attribute values
/// (which may hold `>`, and long `data:` images).
fn tag_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '>' => return Some(i),
            None => {}
        }
    }
    None
}

/// Spaces tidied: invisible characters removed, no-break and narrow spaces
/// as spaces, the private-use bullet as a bullet, runs of spaces as one,
/// at most one blank line, no space at line ends.
pub fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        let mut line = String::with_capacity(raw.len());
        let mut space = false;
        for c in raw.chars() {
            let c = match c {
                '\u{00A0}' | '\u{202F}' | '\u{2007}' | '\t' => ' ',
                '\u{F0B7}' => '•',
                c if invisible(c) => continue,
                c if c.is_control() => continue,
                c => c,
            };
            if c == ' ' {
                space = true;
                continue;
            }
            if space && !line.is_empty() {
                line.push(' ');
            }
            space = false;
            line.push(c);
        }
        let blank = line.is_empty();
        if blank && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// An e-mail address with the stray characters directories leave in them
/// removed (spaces, no-break and zero-width spaces, a `mailto:` prefix, a
/// trailing full stop), and whether anything was removed. `None` when
/// nothing is left.
pub fn clean_email(raw: &str) -> Option<(String, bool)> {
    let mut text: String = raw
        .chars()
        .filter(|&c| !invisible(c) && !c.is_whitespace())
        .collect();
    if let Some(rest) = text.strip_prefix("mailto:") {
        text = rest.to_string();
    }
    while text.ends_with('.') || text.ends_with(',') || text.ends_with(';') {
        text.pop();
    }
    let changed = text != raw;
    (!text.is_empty()).then_some((text, changed))
}

/// A web address as a link: trimmed, with `https://` added when the scheme
/// is missing (`www.example.org`), and whether it was changed. `None` when
/// nothing is left or it is not a web address at all.
pub fn clean_url(raw: &str) -> Option<(String, bool)> {
    let text: String = raw.chars().filter(|&c| !invisible(c)).collect();
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Some((text.to_string(), text != raw));
    }
    if lower.contains("://") || lower.starts_with("mailto:") || lower.starts_with("javascript:") {
        return None;
    }
    let host = text.split(['/', '?', '#']).next().unwrap_or("");
    if host.contains('.') && !host.contains(' ') && !host.contains('@') {
        return Some((format!("https://{text}"), true));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        let (t, s) = html_to_text(
            "<p>Hello&nbsp;<strong>there</strong> &amp; welcome</p><ul><li>One</li><li>Two</li></ul><p><br></p>",
        );
        assert_eq!(t, "Hello there & welcome\n\n• One\n\n• Two");
        assert!(s.had_html);
        let (t, s) = html_to_text(
            "<p>Look<img src=\"data:image/png;base64,AAAA>BBBB\" alt='x'> here</p><script>alert(1)</script>",
        );
        assert_eq!(t, "Look here");
        assert_eq!(s.images_removed, 1);
        assert_eq!(
            s.describe().as_deref(),
            Some("HTML was converted to plain text (1 embedded image removed)")
        );
        let (t, s) = html_to_text("Plain 3 < 4 & 5 > 2, caf\u{200B}e\u{00A0} ok");
        assert_eq!(t, "Plain 3 < 4 & 5 > 2, cafe ok");
        assert!(!s.had_html);
        assert_eq!(html_to_text("<p><br></p>").0, "");
        assert_eq!(
            html_to_text("a &#8211; b &#x2014; c &bogus; d").0,
            "a – b — c &bogus; d"
        );
    }

    #[test]
    fn emails_and_urls_are_cleaned() {
        assert_eq!(
            clean_email("\u{00A0}spot@example.org"),
            Some(("spot@example.org".into(), true))
        );
        assert_eq!(
            clean_email("\u{200B}info@r-evolution.org.uk"),
            Some(("info@r-evolution.org.uk".into(), true))
        );
        assert_eq!(
            clean_email("help@mencap.org.uk."),
            Some(("help@mencap.org.uk".into(), true))
        );
        assert_eq!(clean_email("a@b.org"), Some(("a@b.org".into(), false)));
        assert_eq!(clean_email(" \u{200B} "), None);
        assert_eq!(
            clean_url("www.example.org/x"),
            Some(("https://www.example.org/x".into(), true))
        );
        assert_eq!(
            clean_url("https://a.org"),
            Some(("https://a.org".into(), false))
        );
        assert_eq!(clean_url("javascript:alert(1)"), None);
        assert_eq!(clean_url("example_counselling"), None);
        assert_eq!(clean_url(""), None);
    }
}
