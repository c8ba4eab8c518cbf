//! Issue 5, requests like curl and wget: headers, credentials (`-u`, URL userinfo,
//! netrc) and cookies asserted from the server's request log; no credentials across
//! a cross-host redirect nor in any output; proxies; rate and wait options. What is
//! sent is checked in this process; the environment (`HOME`, `*_PROXY`,
//! `SSL_CERT_FILE`), flag parsing and what the binary prints, through the binary.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use fetchall::{Credentials, Options};

use crate::support;
use crate::support::cli::text;
use crate::support::faults::Fault;
use crate::support::harness::{self, Ending, Run};
use crate::support::tree::write_files;
use crate::support::{ListingStyle, LoggedRequest, TestServer};

/// `Basic base64("ann:s3cret")`.
const ANN_BASIC: &str = "Basic YW5uOnMzY3JldA==";

fn fetchall(dir: &Path, args: &[&str]) -> Output {
    fetchall_with(dir, args, &[])
}

fn fetchall_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fetchall"));
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    command
        .args(["--retry-wait", "0.05", "--read-timeout", "2", "-o", "out"])
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run fetchall")
}

/// The options of [`fetchall`] for `url`, into `work/out`.
fn options(url: String, work: &Path) -> Options {
    let mut options = harness::options([url], &work.join("out"));
    harness::retry_wait(&mut options, Duration::from_millis(50));
    options.read_timeout = Duration::from_secs(2);
    options
}

/// `-u ann:s3cret`.
fn ann() -> Option<Credentials> {
    Some(Credentials::new("ann", Some("s3cret".into())))
}

/// Panics with the run's events unless it ended clean.
fn assert_clean(run: &Run) {
    assert_eq!(run.ending(), Ending::Clean, "{}", run.log());
}

fn header(request: &LoggedRequest, name: &str) -> Option<String> {
    Some(request.headers.get(name)?.to_str().ok()?.to_string())
}

fn serve(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, TestServer) {
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), files);
    let server = TestServer::start(served.path(), ListingStyle::Python);
    (served, server)
}

#[test]
fn headers_and_user_credentials_reach_every_request_to_the_start_host() {
    let (_served, server) = serve(&[("pub/a.txt", b"a".to_vec()), ("pub/b.txt", b"b".to_vec())]);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = options(server.url("/pub/"), work.path());
    options.request.headers = vec![
        ("X-Token".into(), "abc".into()),
        ("Accept-Language".into(), "fr".into()),
    ];
    options.request.user = ann();
    assert_clean(&harness::mirror(&options));
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    for request in &requests {
        assert_eq!(
            header(request, "x-token").as_deref(),
            Some("abc"),
            "{}",
            request.target
        );
        assert_eq!(header(request, "accept-language").as_deref(), Some("fr"));
        assert_eq!(header(request, "authorization").as_deref(), Some(ANN_BASIC));
    }
}

#[test]
fn credentials_in_the_url_work_like_user_and_never_show() {
    let (_served, server) = serve(&[("pub/a.txt", b"a".to_vec())]);
    server.can(
        "/pub/gone.txt",
        support::Canned {
            status: axum::http::StatusCode::NOT_FOUND,
            headers: vec![],
            body: vec![],
        },
    );
    server.can(
        "/pub/",
        support::Canned::html(r#"<a href="a.txt">a</a> <a href="gone.txt">gone</a>"#),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/pub/").replace("http://", "http://ann:s3cret@");
    let output = fetchall(work.path(), &["--json", &url]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    for request in server.requests() {
        assert_eq!(
            header(&request, "authorization").as_deref(),
            Some(ANN_BASIC),
            "{}",
            request.target
        );
    }
    let everything = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!everything.contains("s3cret"), "{everything}");
    assert!(everything.contains("gone.txt"));

    // A start page that fails reports its URL without the password.
    let failing = server
        .url("/nowhere/")
        .replace("http://", "http://ann:s3cret@");
    let output = fetchall(work.path(), &[&failing]);
    assert_eq!(output.status.code(), Some(2));
    let everything = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        !everything.contains("s3cret") && everything.contains("nowhere"),
        "{everything}"
    );
}

#[test]
fn a_redirect_to_another_host_carries_no_credentials_or_cookies() {
    let (_served, server) = serve(&[
        ("pub/local.txt", b"local".to_vec()),
        ("pub/moved.bin", b"placeholder".to_vec()),
    ]);
    let (_other_files, other) = serve(&[("pub/moved.bin", b"moved".to_vec())]);
    server.faults().always(
        "/pub/moved.bin",
        Fault::Redirect(other.url("/pub/moved.bin")),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let port = server
        .url("")
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    std::fs::write(
        work.path().join("cookies.txt"),
        format!("127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tc00kie\n# port {port} is not part of a cookie's domain\n"),
    )
    .expect("cookies");
    let mut options = options(server.url("/pub/"), work.path());
    options.request.user = ann();
    options.request.cookies = Some(work.path().join("cookies.txt"));
    assert_clean(&harness::mirror(&options));
    assert_eq!(
        std::fs::read(work.path().join("out/moved.bin")).expect("moved"),
        b"moved"
    );

    let first_hop = server
        .requests()
        .into_iter()
        .find(|request| request.target == "/pub/moved.bin")
        .expect("asked the first host");
    assert_eq!(
        header(&first_hop, "authorization").as_deref(),
        Some(ANN_BASIC)
    );
    assert_eq!(
        header(&first_hop, "cookie").as_deref(),
        Some("session=c00kie")
    );
    let second_hop = other.requests();
    assert_eq!(second_hop.len(), 1, "{second_hop:?}");
    assert_eq!(
        header(&second_hop[0], "authorization"),
        None,
        "credentials crossed to another port"
    );
    assert_eq!(
        header(&second_hop[0], "cookie"),
        None,
        "cookies crossed to another port"
    );
}

#[test]
fn netrc_credentials_go_to_their_machine_only() {
    let (_served, server) = serve(&[("a.txt", b"a".to_vec())]);
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        work.path().join("netrc"),
        "machine 127.0.0.1\n  login ann\n  password s3cret\n",
    )
    .expect("netrc");
    std::fs::write(
        work.path().join("other-netrc"),
        "machine files.example.org login bob password x\n",
    )
    .expect("netrc");

    let output = fetchall(work.path(), &["--netrc-file", "netrc", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| header(r, "authorization").as_deref() == Some(ANN_BASIC))
    );

    server.clear_log();
    let output = fetchall(
        work.path(),
        &["--force", "--netrc-file", "other-netrc", &server.url("/")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| header(r, "authorization").is_none())
    );

    // --netrc reads $HOME/.netrc.
    server.clear_log();
    std::fs::rename(work.path().join("netrc"), work.path().join(".netrc")).expect("rename");
    let home = work.path().to_string_lossy().into_owned();
    let output = fetchall_with(
        work.path(),
        &["--force", "--netrc", &server.url("/")],
        &[("HOME", &home)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| header(r, "authorization").as_deref() == Some(ANN_BASIC))
    );
}

#[test]
fn cookies_are_sent_by_domain_and_path() {
    let (_served, server) = serve(&[("pub/a.txt", b"a".to_vec())]);
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        work.path().join("cookies.txt"),
        "# Netscape HTTP Cookie File\n\
         127.0.0.1\tFALSE\t/pub\tFALSE\t0\tpub\t1\n\
         #HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\troot\t2\n\
         127.0.0.1\tFALSE\t/private\tFALSE\t0\tprivate\t3\n\
         127.0.0.1\tFALSE\t/\tTRUE\t0\tsecure\t4\n\
         127.0.0.1\tFALSE\t/\tFALSE\t1\texpired\t5\n\
         example.org\tTRUE\t/\tFALSE\t0\tother\t6\n",
    )
    .expect("cookies");
    let mut options = options(server.url("/pub/"), work.path());
    options.request.cookies = Some(work.path().join("cookies.txt"));
    assert_clean(&harness::mirror(&options));
    for request in server.requests() {
        assert_eq!(
            header(&request, "cookie").as_deref(),
            Some("pub=1; root=2"),
            "{}",
            request.target
        );
    }
}

#[test]
fn a_user_without_password_and_no_terminal_fails_clearly() {
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall(work.path(), &["-u", "ann", "http://127.0.0.1:9/"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no terminal") && stderr.contains("--netrc"),
        "{stderr}"
    );
}

#[test]
fn unusable_request_options_are_usage_errors() {
    let work = tempfile::tempdir().expect("temp dir");
    for args in [
        vec!["-H", "no colon"],
        vec!["--cookies", "missing.txt"],
        vec!["--netrc-file", "missing"],
        vec!["--cacert", "missing.pem"],
        vec!["--limit-rate", "fast"],
        vec!["--random-wait"],
    ] {
        let mut all = args.clone();
        all.push("http://127.0.0.1:9/");
        let output = fetchall(work.path(), &all);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    std::fs::write(work.path().join("empty.pem"), "not a certificate").expect("write");
    let output = fetchall(
        work.path(),
        &["--cacert", "empty.pem", "http://127.0.0.1:9/"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("empty.pem"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_proxy_gets_every_request_in_absolute_form() {
    let (_served, proxy) = serve(&[("pub/a.txt", b"a".to_vec()), ("pub/b.txt", b"b".to_vec())]);
    let work = tempfile::tempdir().expect("temp dir");
    // The host does not exist: only the proxy can answer.
    let start = "http://files.invalid/pub/";
    let output = fetchall(work.path(), &["--proxy", &proxy.url(""), start]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read(work.path().join("out/b.txt")).expect("b"),
        b"b"
    );
    let hosts: Vec<Option<String>> = proxy.requests().iter().map(|r| header(r, "host")).collect();
    assert_eq!(hosts.len(), 3);
    assert!(
        hosts
            .iter()
            .all(|host| host.as_deref() == Some("files.invalid")),
        "{hosts:?}"
    );

    // The same from the environment.
    proxy.clear_log();
    let output = fetchall_with(
        work.path(),
        &["--force", start],
        &[("HTTP_PROXY", &proxy.url(""))],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(proxy.requests().len(), 3);
}

#[test]
fn rate_limit_and_wait_still_deliver_every_byte() {
    let body = support::tree::pseudo_random_bytes(9, 300_000);
    let (_served, server) = serve(&[("a.bin", body.clone()), ("b.txt", b"b".to_vec())]);
    let work = tempfile::tempdir().expect("temp dir");
    let mut options = options(server.url("/"), work.path());
    options.limit_rate = Some(4 * 1024 * 1024);
    options.wait = Duration::from_millis(50);
    options.random_wait = true;
    assert_clean(&harness::mirror(&options));
    assert_eq!(
        std::fs::read(work.path().join("out/a.bin")).expect("a"),
        body
    );
}

/// The credential headers a test passes with `-H`, in the case the user typed.
const SECRET_HEADERS: [(&str, &str); 3] = [
    ("Authorization", "Bearer t0ken"),
    ("Cookie", "session=c00kie"),
    ("Proxy-Authorization", "Basic cHJveHk6cHc="),
];

#[test]
fn credential_headers_go_only_to_the_start_origin_whatever_the_listing_links() {
    let (_served, a) = serve(&[
        ("pub/local.txt", b"local".to_vec()),
        ("pub/moved.bin", b"placeholder".to_vec()),
    ]);
    let (_other_files, b) = serve(&[
        ("files/one.bin", b"one".to_vec()),
        ("files/two.bin", b"two".to_vec()),
        ("files/moved.bin", b"moved".to_vec()),
    ]);
    // A's listing links files on B (another port: another origin), and one of its own
    // files redirects to B.
    a.can(
        "/pub/",
        support::Canned::html(format!(
            r#"<a href="local.txt">local</a> <a href="{}">one</a> <a href="{}">two</a> <a href="moved.bin">moved</a>"#,
            b.url("/files/one.bin"),
            b.url("/files/two.bin"),
        )),
    );
    a.faults()
        .always("/pub/moved.bin", Fault::Redirect(b.url("/files/moved.bin")));
    // The names as typed: mixed case, lower case, upper case.
    let spellings: [fn(&str) -> String; 3] = [
        str::to_string,
        str::to_ascii_lowercase,
        str::to_ascii_uppercase,
    ];
    for spell in spellings {
        a.clear_log();
        b.clear_log();
        let work = tempfile::tempdir().expect("temp dir");
        let mut options = options(a.url("/pub/"), work.path());
        for (name, value) in SECRET_HEADERS {
            options
                .request
                .headers
                .push((spell(name), value.to_string()));
        }
        options
            .request
            .headers
            .push((spell("X-Api-Key"), "k3y".to_string()));
        options.span_hosts = true;
        assert_clean(&harness::mirror(&options));
        for name in ["one.bin", "two.bin", "moved.bin", "local.txt"] {
            assert!(work.path().join("out").join(name).is_file(), "{name}");
        }

        let on_a = a.requests();
        assert_eq!(on_a.len(), 3, "listing, local.txt, moved.bin: {on_a:?}");
        for request in &on_a {
            for (name, value) in SECRET_HEADERS {
                assert_eq!(
                    header(request, name).as_deref(),
                    Some(value),
                    "{name} on {}",
                    request.target
                );
            }
            assert_eq!(header(request, "x-api-key").as_deref(), Some("k3y"));
        }
        let on_b = b.requests();
        assert_eq!(on_b.len(), 3, "one, two, moved: {on_b:?}");
        for request in &on_b {
            for (name, _) in SECRET_HEADERS {
                assert_eq!(
                    header(request, name),
                    None,
                    "{name} (typed {}) reached the other origin: {}",
                    spell(name),
                    request.target
                );
            }
            assert_eq!(
                header(request, "x-api-key").as_deref(),
                Some("k3y"),
                "other -H headers go everywhere: {}",
                request.target
            );
        }
    }
}

/// Runs the binary with no `SSL_CERT_FILE` but the one given in `env`.
fn fetchall_tls(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fetchall"))
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().copied())
        .args(["--retry-wait", "0.05", "--read-timeout", "2", "-o", "out"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run fetchall")
}

#[test]
fn a_self_signed_certificate_the_user_gives_is_trusted_for_its_name_only() {
    use crate::support::tls::TestCertificate;
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), &[("pub/a.txt", b"a".to_vec())]);
    for (kind, ca) in [("CA:TRUE", true), ("no basic constraints", false)] {
        let certificate = TestCertificate::self_signed(&["127.0.0.1", "localhost"], ca, false);
        let server =
            TestServer::start_tls_certificate(served.path(), ListingStyle::Nginx, &certificate);
        let work = tempfile::tempdir().expect("temp dir");
        let pem = work.path().join("server.pem");
        certificate.write_pem(&pem);

        let output = fetchall_tls(
            work.path(),
            &["--cacert", "server.pem", &server.url("/pub/")],
            &[],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{kind}, --cacert: {}",
            text(&output.stderr)
        );
        assert_eq!(
            std::fs::read(work.path().join("out/a.txt")).expect("a.txt"),
            b"a"
        );

        let again = tempfile::tempdir().expect("temp dir");
        let output = fetchall_tls(
            again.path(),
            &[&server.url("/pub/")],
            &[("SSL_CERT_FILE", &pem)],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{kind}, SSL_CERT_FILE: {}",
            text(&output.stderr)
        );
        assert_eq!(
            std::fs::read(again.path().join("out/a.txt")).expect("a.txt"),
            b"a"
        );
    }

    // Given, but expired; and given for another name only.
    for (case, certificate) in [
        (
            "expired",
            TestCertificate::self_signed(&["127.0.0.1"], true, true),
        ),
        (
            "other name",
            TestCertificate::self_signed(&["nas.example"], true, false),
        ),
    ] {
        let server =
            TestServer::start_tls_certificate(served.path(), ListingStyle::Nginx, &certificate);
        let work = tempfile::tempdir().expect("temp dir");
        certificate.write_pem(&work.path().join("server.pem"));
        let output = fetchall_tls(
            work.path(),
            &["--cacert", "server.pem", &server.url("/pub/")],
            &[],
        );
        assert_eq!(
            output.status.code(),
            Some(2),
            "{case}: {}",
            text(&output.stderr)
        );
        assert!(!work.path().join("out/a.txt").exists(), "{case}");
    }
}

#[test]
fn a_machine_without_a_certificate_store_mirrors_plain_http_and_says_why_https_fails() {
    use crate::support::tls::TestCertificate;
    let served = tempfile::tempdir().expect("temp dir");
    write_files(served.path(), &[("pub/a.txt", b"a".to_vec())]);
    // A slim container without a CA store: no system root to be found.
    let no_store = tempfile::tempdir().expect("temp dir");
    let no_roots = [("SSL_CERT_DIR", no_store.path())];

    // Plain HTTP needs no root: as with curl and wget, it works.
    let server = TestServer::start(served.path(), ListingStyle::Nginx);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall_tls(work.path(), &[&server.url("/pub/")], &no_roots);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read(work.path().join("out/a.txt")).expect("a.txt"),
        b"a"
    );

    // HTTPS: refused at once, with the reason and the way out.
    let certificate = TestCertificate::self_signed(&["127.0.0.1"], true, false);
    let tls = TestServer::start_tls_certificate(served.path(), ListingStyle::Nginx, &certificate);
    let work = tempfile::tempdir().expect("temp dir");
    let output = fetchall_tls(work.path(), &[&tls.url("/pub/")], &no_roots);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("no trusted root certificates"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(tls.connections(), 1, "{}", text(&output.stderr));

    // The certificate given with --cacert is enough.
    certificate.write_pem(&work.path().join("server.pem"));
    let output = fetchall_tls(
        work.path(),
        &["--cacert", "server.pem", &tls.url("/pub/")],
        &no_roots,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read(work.path().join("out/a.txt")).expect("a.txt"),
        b"a"
    );
}

#[test]
fn a_refused_certificate_is_final_at_once() {
    use crate::support::tls::TestCertificate;
    let served = tempfile::tempdir().expect("temp dir");
    write_files(
        served.path(),
        &[("pub/a.txt", b"a".to_vec()), ("iso/x.iso", b"x".to_vec())],
    );
    let certificate = TestCertificate::self_signed(&["127.0.0.1"], true, false);
    let server =
        TestServer::start_tls_certificate(served.path(), ListingStyle::Nginx, &certificate);
    let work = tempfile::tempdir().expect("temp dir");

    // A start page: one connection, no retry (there are five by default).
    let output = fetchall_tls(work.path(), &[&server.url("/pub/")], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("certificate"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        server.connections(),
        1,
        "the refused start page was retried: {}",
        text(&output.stderr)
    );

    // A direct file link: its HEAD, then one GET as a page, and no more.
    let output = fetchall_tls(work.path(), &[&server.url("/iso/x.iso")], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_eq!(server.connections(), 3, "the refused file link was retried");

    // A file linked from a plain HTTP listing: one failed file, one connection.
    let (_listing_files, listing) = serve(&[]);
    listing.can(
        "/",
        support::Canned::html(format!(r#"<a href="{}">a</a>"#, server.url("/pub/a.txt"))),
    );
    let output = fetchall_tls(work.path(), &["--span-hosts", &listing.url("/")], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("certificate"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(server.connections(), 4, "the refused file was retried");
}
