//! Issue 5: the `--json` output checked against its documented schema
//! (`docs/events.md`): every line's fields and their JSON types, and every documented
//! kind seen at least once across a few real runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support;
use crate::support::faults::Fault;
use crate::support::tree::{pseudo_random_bytes, sha256_hex, write_files};
use crate::support::{ListingStyle, TestServer};

/// `event` → (`field` → type), read from the documentation.
fn documented_schema() -> BTreeMap<String, BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/events.md"))
            .expect("docs/events.md");
    let mut schema: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("### `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            current = Some(name.to_string());
            schema.entry(name.to_string()).or_default();
        } else if let (Some(event), Some(row)) = (&current, line.strip_prefix("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let field = cells[0].trim_end_matches('`');
            let kind = cells.get(1).expect("a type column").trim();
            schema
                .get_mut(event)
                .expect("event")
                .insert(field.to_string(), kind.to_string());
        }
    }
    schema
}

fn has_type(value: &Value, kind: &str) -> bool {
    if let Some(base) = kind.strip_suffix(" or null") {
        return value.is_null() || has_type(value, base);
    }
    match kind {
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        other => panic!("unknown type `{other}` in docs/events.md"),
    }
}

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    support::cli::run(
        dir,
        &[
            "--json",
            "--retry-wait",
            "0.05",
            "--read-timeout",
            "2",
            "-o",
            "out",
        ],
        args,
    )
}

#[test]
fn the_json_output_follows_docs_events_md() {
    let schema = documented_schema();
    assert!(schema.len() >= 14, "{schema:?}");
    let a = b"a\n".to_vec();
    let sums = format!("{}  a.txt\n", sha256_hex(&a));
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[
            ("a.txt", a),
            ("big.bin", pseudo_random_bytes(1, 300_000)),
            ("broken.bin", b"never served".to_vec()),
            ("SHA256SUMS", sums.into_bytes()),
            ("MD5SUMS", b"never served".to_vec()),
            ("sub/a.txt", b"another a\n".to_vec()),
        ],
    );
    let server = TestServer::start(served.path(), ListingStyle::Apache);
    server
        .faults()
        .always("/broken.bin", Fault::Status(404, vec![]));
    server
        .faults()
        .always("/MD5SUMS", Fault::Status(404, vec![]));
    server
        .faults()
        .script("/big.bin", [Fault::Status(503, vec![])]);
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/");

    let runs = [
        (
            vec!["-r", "--flat", "--manifest", "m.jsonl", url.as_str()],
            1,
        ),
        (vec!["-r", "--flat", url.as_str()], 1),
        // A dry run fails what the real run fails: `broken.bin`, `MD5SUMS`; with
        // `--force` it plans the files the runs above left up to date.
        (
            vec!["-r", "--flat", "--dry-run", "--force", url.as_str()],
            1,
        ),
    ];
    let mut outputs = Vec::new();
    for (args, code) in &runs {
        let output = fetchall(work.path(), args);
        assert_eq!(
            output.status.code(),
            Some(*code),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push(output);
    }
    // mini_httpd links folders without a slash: under -r, `folder_found`.
    let slashless = tempfile::tempdir().expect("temp dir");
    write_files(slashless.path(), &[("d/x.txt", b"x\n".to_vec())]);
    let slashless_server = TestServer::start(slashless.path(), ListingStyle::MiniHttpd);
    let output = fetchall(work.path(), &["-r", &slashless_server.url("/")]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    outputs.push(output);
    let missing_page = server.url("/nowhere/");
    let output = fetchall(work.path(), &[&missing_page]);
    assert_eq!(output.status.code(), Some(2));
    outputs.push(output);
    // `--delete` (issue 14): a stale local file goes (`deleted`); then another,
    // held back by `--max-delete 0` (`delete_held`). `broken.bin` fails: exit 1.
    let mirror = tempfile::tempdir().expect("temp dir");
    for (stale, args) in [
        ("stale.bin", vec!["-r", "--delete", url.as_str()]),
        (
            "stale too.bin",
            vec!["-r", "--delete", "--max-delete", "0", url.as_str()],
        ),
    ] {
        write_files(
            &mirror.path().join("out"),
            &[(stale, b"gone upstream".to_vec())],
        );
        let output = fetchall(mirror.path(), &args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push(output);
    }

    let mut seen = BTreeSet::new();
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(
            lines
                .last()
                .is_some_and(|line| line.contains(r#""event":"summary""#)),
            "{stdout}"
        );
        for line in lines {
            let value: Value = serde_json::from_str(line).expect("every stdout line is JSON");
            let object = value.as_object().expect("an object");
            let event = object["event"].as_str().expect("an event name");
            let fields = schema
                .get(event)
                .unwrap_or_else(|| panic!("`{event}` is not documented in docs/events.md: {line}"));
            let actual: BTreeSet<&str> = object
                .keys()
                .map(String::as_str)
                .filter(|key| *key != "event")
                .collect();
            let expected: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
            assert_eq!(actual, expected, "fields of `{event}`: {line}");
            for (field, kind) in fields {
                assert!(
                    has_type(&object[field], kind),
                    "`{event}.{field}` should be {kind}: {line}"
                );
            }
            if event == "skipped" {
                let reason = object["reason"].as_object().expect("reason object");
                assert!(reason["kind"].is_string(), "{line}");
                assert!(
                    reason.keys().all(|key| key == "kind" || key == "detail"),
                    "{line}"
                );
            }
            seen.insert(event.to_string());
        }
    }
    let never: Vec<&String> = schema
        .keys()
        .filter(|event| !seen.contains(*event))
        .collect();
    assert!(never.is_empty(), "documented but never seen: {never:?}");
}
