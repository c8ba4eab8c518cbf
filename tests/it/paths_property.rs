//! Property: whatever an href says, the path fetchall would write stays inside the
//! output folder, is made of plain names and holds no control characters.

use std::path::{Component, Path};

use fetchall::listing::extract_links;
use fetchall::plan::paths::{self, MAX_NAME_BYTES, is_contained};
use fetchall::select::{Scope, Verdict};
use proptest::prelude::*;
use url::Url;

/// Pieces that hostile or broken links are made of.
fn href_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just("/".to_string()),
        Just("\\".to_string()),
        Just("%2e%2e".to_string()),
        Just("%2E.".to_string()),
        Just("%2f".to_string()),
        Just("%5C".to_string()),
        Just("%00".to_string()),
        Just("%c0%ae".to_string()),
        Just("//".to_string()),
        Just("?".to_string()),
        Just("#".to_string()),
        Just("&amp;".to_string()),
        Just("&#47;".to_string()),
        Just("C:".to_string()),
        Just("http://127.0.0.1:1/".to_string()),
        "[a-zA-Z0-9 ._~-]{1,12}",
        "[\\x00-\\x1f\\x7f]{1,3}",
        "\\PC{1,8}",
        "a{250,260}",
    ]
}

fn href() -> impl Strategy<Value = String> {
    prop::collection::vec(href_piece(), 1..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    // 4,000 cases in `cargo test`; at scale: PROPTEST_CASES=1000000 (see README).
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(4000)
    ))]

    #[test]
    fn no_href_maps_outside_the_output_folder(href in href(), span_hosts in any::<bool>()) {
        let page = Url::parse("http://127.0.0.1:8000/pub/files/").expect("page URL");
        let html = format!("<a href=\"{}\">x</a>", href.replace('"', "&quot;"));
        let scope = Scope::new(&page, span_hosts);
        for link in extract_links(&html, &page) {
            let Ok(resolved) = &link.url else { continue };
            let Verdict::File(url) = scope.classify(&link.href, resolved, &page) else {
                continue;
            };
            let mapped = paths::path_under(scope.start_dir(), &url)
                .unwrap_or_else(|| paths::file_name_only(&url));
            let Ok(relative) = mapped else { continue };
            let path = relative.to_path_buf();
            prop_assert!(is_contained(&path), "{href:?} -> {path:?}");
            let root = Path::new("/output");
            let joined = root.join(&path);
            prop_assert!(joined.starts_with(root));
            for component in path.components() {
                let Component::Normal(name) = component else {
                    return Err(TestCaseError::fail(format!("{href:?} -> {path:?}")));
                };
                let name = name.to_string_lossy();
                prop_assert!(name.len() <= MAX_NAME_BYTES);
                prop_assert!(!name.chars().any(char::is_control), "{name:?}");
                prop_assert!(name != "." && name != "..");
            }
        }
    }
}
