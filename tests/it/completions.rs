//! Issue 5: shell completions and the man page come from the clap definitions;
//! `--color` and `NO_COLOR` decide about colours.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Canned, ListingStyle, TestServer};

fn fetchall(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fetchall"));
    command.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    command
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("run fetchall")
}

#[test]
fn completions_for_each_shell_know_every_option() {
    let work = tempfile::tempdir().expect("temp dir");
    for shell in ["bash", "zsh", "fish"] {
        let output = fetchall(work.path(), &["completions", shell], &[]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for option in [
            "checksums",
            "shard",
            "input-file",
            "netrc-file",
            "limit-rate",
        ] {
            assert!(
                script.contains(option),
                "{shell} completion lacks --{option}"
            );
        }
    }
    assert_eq!(
        fetchall(work.path(), &["completions", "tcsh"], &[])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_man_page_is_roff_with_every_option() {
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["man"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH fetchall"),
        "{page}"
    );
    for option in ["checksums", "shard", "cookies", "verify", "completions"] {
        assert!(page.contains(option), "man page lacks {option}");
    }
}

#[test]
fn colours_follow_the_flag_and_no_color() {
    let served = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(served.path(), ListingStyle::Python);
    server.can("/list.html", Canned::html(r#"<a href="gone.txt">gone</a>"#));
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/list.html");
    let escape = |output: &Output| String::from_utf8_lossy(&output.stderr).contains('\u{1b}');

    let always = fetchall(
        work.path(),
        &["--color", "always", "-o", "out", &url],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(always.status.code(), Some(1));
    assert!(escape(&always), "--color always wins over NO_COLOR");
    // Not a terminal: no colours by default, nor when asked not to.
    assert!(!escape(&fetchall(work.path(), &["-o", "out", &url], &[])));
    assert!(!escape(&fetchall(
        work.path(),
        &["--color", "never", "-o", "out", &url],
        &[]
    )));
    assert!(!escape(&fetchall(
        work.path(),
        &["-o", "out", &url],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
    )));
}
