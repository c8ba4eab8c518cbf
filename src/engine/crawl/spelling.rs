//! One folder, however its URL is spelled: escapes normalised, `index.html` and
//! the trailing slash ignored, so the same folder reached by different spellings is
//! read once.

use url::Url;

/// A directory URL in a canonical form, so the same folder reached by different
/// spellings is read once: percent-escapes of unreserved characters decoded, the
/// others upper-cased; `index.html` and a missing trailing slash ignored; no query
/// or fragment.
pub fn normalized_directory(url: &Url) -> String {
    let mut path = normalize_escapes(url.path());
    for index_name in ["index.html", "index.htm"] {
        if let Some(stripped) = path.strip_suffix(index_name)
            && stripped.ends_with('/')
        {
            path = stripped.to_string();
        }
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!(
        "{}://{}:{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or_default(),
        path
    )
}

/// `…/dir` as the folder `…/dir/`, without query or fragment.
pub(crate) fn folder_url(url: &Url) -> Url {
    let mut folder = url.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    if !folder.path().ends_with('/') {
        let path = format!("{}/", folder.path());
        folder.set_path(&path);
    }
    folder
}

/// Percent-escapes of unreserved characters decoded, the others upper-cased.
pub(crate) fn normalize_escapes(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[index + 1]), hex(bytes[index + 2]))
        {
            let byte = high * 16 + low;
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
            index += 3;
        } else {
            out.push(bytes[index] as char);
            index += 1;
        }
    }
    out
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_spellings_normalize_to_one_form() {
        let normal = |text: &str| normalized_directory(&Url::parse(text).expect("test URL"));
        let canonical = normal("http://h/a%20b/c/");
        assert_eq!(normal("http://h/a%20b/c"), canonical);
        assert_eq!(normal("http://h/a%20b/c/index.html"), canonical);
        assert_eq!(normal("http://H:80/a%20b/%63/"), canonical);
        assert_eq!(normal("http://h/a%20b/c/?C=N;O=D"), canonical);
        assert_ne!(normal("http://h/a%20b/d/"), canonical);
        assert_eq!(normal("http://h/x%2fy/"), normal("http://h/x%2Fy/"));
    }
}
