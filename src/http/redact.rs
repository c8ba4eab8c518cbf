//! Keeping credentials out of everything fetchall reports: a URL is shown with its
//! password replaced by `****` (the user name stays, as curl and uv show it), and
//! any text that may quote a URL (an HTTP library's error message) is scrubbed the
//! same way before it becomes an event.
//!
//! ```
//! use fetchall::redact_text;
//!
//! assert_eq!(
//!     redact_text("error for url (https://ann:secret@host/x)"),
//!     "error for url (https://ann:****@host/x)"
//! );
//! ```

use std::fmt;

use url::Url;

/// The mask shown instead of a password.
const MASK: &str = "****";

/// Displays a URL with its password masked.
#[derive(Debug, Clone, Copy)]
pub struct SafeUrl<'a>(pub &'a Url);

impl fmt::Display for SafeUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.password().is_none() {
            return f.write_str(self.0.as_str());
        }
        let mut url = self.0.clone();
        let _ = url.set_password(Some(MASK));
        f.write_str(url.as_str())
    }
}

/// A URL as text, password masked.
pub fn redacted(url: &Url) -> String {
    SafeUrl(url).to_string()
}

/// `text` with the password of every `scheme://user:password@` in it masked.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(index) = rest.find("://") {
        let (before, after) = rest.split_at(index + 3);
        out.push_str(before);
        // The authority ends at the first `/`, `?`, `#`, space or quote.
        let end = after
            .find(|character: char| {
                matches!(character, '/' | '?' | '#' | ')' | '>' | '"' | '\'')
                    || character.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push(':');
                        out.push_str(MASK);
                    }
                    None => out.push_str(userinfo),
                }
                out.push('@');
                out.push_str(host);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Formats an error and all its causes on one line: `a: b: c`.
///
/// reqwest's own messages are terse ("error sending request"); the useful part
/// ("connection refused") is several sources down.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    // HTTP library messages quote the URL, credentials included.
    redact_text(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_wherever_they_appear() {
        let url = Url::parse("http://127.0.0.1:8/a").expect("URL");
        assert_eq!(SafeUrl(&url).to_string(), "http://127.0.0.1:8/a");
        for (text, expected) in [
            ("plain words", "plain words"),
            ("http://h/x", "http://h/x"),
            ("http://u@h/x", "http://u@h/x"),
            (
                "see http://u:p@h:80/x and https://v:q%40r@g",
                "see http://u:****@h:80/x and https://v:****@g",
            ),
            ("(http://u:p@h)", "(http://u:****@h)"),
        ] {
            assert_eq!(redact_text(text), expected);
        }
    }
}
