//! `Content-Disposition` file names (`--content-disposition`). The name comes from the
//! server, so it is as untrusted as a link: only its last component is kept, and it
//! goes through the same sanitising as any other local name.

use percent_encoding::percent_decode_str;

use crate::plan::paths;

/// The file name a `Content-Disposition` value suggests, sanitised, if it names one.
/// `filename*=UTF-8''…` (RFC 6266 / 8187) wins over `filename="…"`.
pub fn file_name(value: &str) -> Option<String> {
    let parameters = split_parameters(value);
    let extended = parameters.iter().find_map(|(name, value)| {
        name.eq_ignore_ascii_case("filename*")
            .then(|| decode_extended(value))
            .flatten()
    });
    let plain = || {
        parameters
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("filename"))
            .map(|(_, value)| value.clone())
    };
    let raw = extended.or_else(plain)?;
    // `../../x`, `C:\x`, `/etc/x`: only the last component is a name.
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if last.is_empty() {
        return None;
    }
    // `local_name` percent-decodes, and this name is not percent-encoded: protect `%`.
    paths::local_name(&last.replace('%', "%25")).ok()
}

/// `attachment; filename="a;b.txt"; size=3` → [("filename", "a;b.txt"), ("size", "3")].
fn split_parameters(value: &str) -> Vec<(String, String)> {
    let mut parameters = Vec::new();
    let mut rest = value;
    while let Some(semicolon) = find_unquoted(rest, ';') {
        rest = &rest[semicolon + 1..];
        let end = find_unquoted(rest, ';').unwrap_or(rest.len());
        let parameter = &rest[..end];
        if let Some((name, value)) = parameter.split_once('=') {
            parameters.push((name.trim().to_string(), unquote(value.trim())));
        }
    }
    parameters
}

fn find_unquoted(text: &str, wanted: char) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (index, character) in text.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if character == wanted && !quoted => return Some(index),
            _ => {}
        }
    }
    None
}

fn unquote(value: &str) -> String {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|value| value.strip_suffix('"'))
    else {
        return value.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for character in inner.chars() {
        if escaped || character != '\\' {
            out.push(character);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

/// `UTF-8''na%C3%AFve.txt` → `naïve.txt`; other charsets are not trusted.
fn decode_extended(value: &str) -> Option<String> {
    let (charset, rest) = value.split_once('\'')?;
    let (_language, encoded) = rest.split_once('\'')?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    percent_decode_str(encoded)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_and_sanitised() {
        let cases = [
            ("attachment; filename=\"report.pdf\"", Some("report.pdf")),
            ("attachment; filename=plain.zip", Some("plain.zip")),
            (
                "attachment; filename=\"a;b \\\"q\\\".txt\"",
                Some("a;b \"q\".txt"),
            ),
            (
                "attachment; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve%20file.txt",
                Some("naïve file.txt"),
            ),
            ("attachment; filename=\"../../etc/passwd\"", Some("passwd")),
            (
                "attachment; filename=\"C:\\\\evil\\\\x.exe\"",
                Some("x.exe"),
            ),
            ("attachment; filename=\"100%41.txt\"", Some("100%41.txt")),
            ("attachment; filename=\"..\"", None),
            (
                "attachment; filename=\"new\nline.txt\"",
                Some("new%0Aline.txt"),
            ),
            ("attachment", None),
            ("inline; filename=\"\"", None),
        ];
        for (value, expected) in cases {
            assert_eq!(file_name(value).as_deref(), expected, "{value}");
        }
    }
}
