//! Command-line arguments (clap) and their translation into library [`Options`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use fetchall::ChecksumSource;
use fetchall::Existing;
use fetchall::{Filters, Options};

/// Download every file linked from a web page — typically a server's directory
/// listing — concurrently, streamed to disk, and atomically.
#[derive(Debug, Parser)]
#[command(name = "fetchall", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 all files downloaded or up to date; 1 some files failed; \
2 bad usage or a start page could not be fetched; 3 the output folder is in use by \
another run; 130 interrupted."
)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    /// A task other than downloading.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Pages to read (directory listings or any HTML page of links, `ftp://` and
    /// `ftps://` folders), or direct links to files (any answer that is not HTML).
    #[arg(required_unless_present = "input_file", value_name = "URL")]
    pub urls: Vec<String>,

    /// Read more URLs from FILE (`-` for stdin): one per line, blank lines and
    /// `#` comments ignored. Or a plan: the JSON lines of `--dry-run --json`, whose
    /// `planned` files are fetched to their planned paths under `-o DIR` without
    /// reading any listing (with `--shard K/N`, this run's share of them).
    #[arg(short = 'i', long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,

    /// Folder to write into [default: the last path segment of the URL, e.g. `bots`
    /// for https://host/files/bots/].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Requests in flight at once: listing pages, files, and each connection of a
    /// split file.
    #[arg(short, long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,

    /// Requests in flight at once to one host [default: same as --jobs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub per_host: Option<u16>,

    /// Seconds allowed to establish a connection.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    pub connect_timeout: Duration,

    /// Seconds allowed with no bytes arriving before a transfer fails.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub read_timeout: Duration,

    /// A page or file body slower than RATE bytes per second (`500`, `1k`, `2M`)
    /// over any --speed-time seconds fails (and is tried once more); 0 turns the
    /// check off.
    #[arg(long, value_name = "RATE", default_value = "1k", value_parser = fetchall::select::parse_size)]
    pub speed_limit: u64,

    /// Seconds over which --speed-limit is measured; a body is judged only after its
    /// first SECS.
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_seconds)]
    pub speed_time: Duration,

    /// List what would be downloaded (URL, local path, size from HEAD) and write nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Also download files linked on other hosts (saved by file name).
    #[arg(long)]
    pub span_hosts: bool,

    /// List folders with WebDAV PROPFIND (Depth: 1): exact sizes and times of every entry.
    #[arg(long)]
    pub webdav: bool,

    /// With --span-hosts: only these hosts and their sub-domains (comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub domains: Vec<String>,

    /// Print only errors.
    #[arg(short, long, conflicts_with_all = ["verbose", "json"])]
    pub quiet: bool,

    /// Print every event, including transfer starts.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print one JSON object per event on stdout (no progress bars).
    #[arg(long)]
    pub json: bool,

    /// When to use colours: `auto` (on a terminal, unless NO_COLOR is set),
    /// `always` or `never`.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,

    /// Value of the User-Agent header [default: fetchall/VERSION].
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,

    /// Save each file under the name its server gives in `Content-Disposition`
    /// (sanitised like any name, in the link's folder) instead of the link's name.
    #[arg(long)]
    pub content_disposition: bool,

    /// Write through a symlinked folder inside the output folder even when it leads
    /// outside it (by default such a file fails; symlinks to folders inside the output
    /// folder are always followed, symlinked files never).
    #[arg(long)]
    pub follow_symlinks: bool,

    /// When another run is writing the output folder, wait for it to finish instead
    /// of stopping at once with exit code 3.
    #[arg(long)]
    pub wait_for_lock: bool,

    /// Mirror: after the run, delete local files (then emptied folders) that their
    /// folder's complete listing no longer names. Never files the filters leave
    /// out, another --shard's, fetchall's own, nor anything when a listing failed
    /// or the run was interrupted.
    #[arg(long)]
    pub delete: bool,

    /// With --delete: when more than N files would be deleted, delete none and
    /// fail (exit 1).
    #[arg(long, value_name = "N", requires = "delete")]
    pub max_delete: Option<u64>,

    /// Most connections for one large file: it is split into ranges fetched in
    /// parallel when the server accepts ranges, each connection after the first
    /// taking a --jobs slot when one is free (1 turns splitting off).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub split: u16,

    /// Smallest range of a split file; files under twice this size are not split.
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = fetchall::select::parse_size)]
    pub min_split_size: u64,

    /// Follow sub-directory links and mirror the tree below the start URL.
    #[arg(short, long)]
    pub recursive: bool,

    /// With -r: how deep to go, as in wget: 1 = the start page's files only, 2 = also
    /// its sub-directories' files... [default: unlimited; 0 also means unlimited]
    #[arg(short = 'l', long, value_name = "N")]
    pub level: Option<usize>,

    /// Save every file directly in the output folder; a name already taken gets a
    /// number (`x (2).zip`), decided in crawl order and reported.
    #[arg(long)]
    pub flat: bool,

    /// File names to accept: comma-separated globs (`*.zip,*.txt`) or suffixes (`zip`).
    #[arg(short = 'A', long, value_name = "GLOBS")]
    pub accept: Vec<String>,

    /// File names to reject (same syntax as --accept); reject wins over accept.
    #[arg(short = 'R', long, value_name = "GLOBS")]
    pub reject: Vec<String>,

    /// Only files whose path relative to the start URL matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub include: Option<String>,

    /// No file or directory whose relative path (directories end with `/`) matches
    /// this regex; an excluded directory is not crawled (`--exclude '^old/'`).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Option<String>,

    /// Skip files smaller than this (`10M`, `1.5GiB`, `200k`), when the size is known.
    #[arg(long, value_name = "SIZE", value_parser = fetchall::select::parse_size)]
    pub min_size: Option<u64>,

    /// Skip files larger than this, when the size is known.
    #[arg(long, value_name = "SIZE", value_parser = fetchall::select::parse_size)]
    pub max_size: Option<u64>,

    /// Skip files not modified after this date (`2024-01-31`, `2024-01-31T12:00:00Z`),
    /// when the date is known.
    #[arg(long, value_name = "DATE", value_parser = fetchall::listing::parse_user_date)]
    pub newer_than: Option<std::time::SystemTime>,
    /// Retries of a file after a transient failure (dropped connection, timeout,
    /// 408/425/429/5xx); each continues from where the last attempt stopped.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,

    /// Longest wait before one retry, in seconds (a Retry-After is cut to it).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub retry_wait: Duration,

    /// Never touch a file that already exists: count it as up to date, ask nothing.
    #[arg(long, conflicts_with = "force")]
    pub no_clobber: bool,

    /// Download every file again, even when the local copy looks current.
    #[arg(long)]
    pub force: bool,

    /// Where expected digests come from: `auto` (checksum files found in the
    /// listings: SHA256SUMS, *.sha256...), `off`, a local checksum FILE or a URL.
    /// A file whose digest differs fails and is deleted.
    #[arg(long, value_name = "auto|off|FILE|URL", default_value = "auto")]
    pub checksums: ChecksumSource,

    /// Download only share K of N of the files (1 <= K <= N), chosen by a stable hash
    /// of each file's path relative to the start URL; N runs with K = 1..N download
    /// disjoint sets whose union is the full mirror.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<fetchall::Shard>,

    /// Write one JSON line per downloaded file (path, size, sha256, url, mtime).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// Extra header for every request, as in curl: `-H 'Name: value'` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,

    /// Basic authentication (the FTP login for `ftp://`) for the start URLs' hosts:
    /// `USER:PASSWORD`, or `USER` to be asked for the password on the terminal.
    /// Never sent to other hosts.
    #[arg(short = 'u', long, value_name = "USER[:PASS]")]
    pub user: Option<String>,

    /// Credentials per host from ~/.netrc (`machine HOST login USER password PASS`).
    #[arg(long, conflicts_with = "netrc_file")]
    pub netrc: bool,

    /// Credentials per host from this netrc file.
    #[arg(long, value_name = "FILE")]
    pub netrc_file: Option<PathBuf>,

    /// Send the matching cookies of this Netscape cookies.txt file (as exported by
    /// browsers, curl -c and wget --save-cookies).
    #[arg(long, value_name = "FILE")]
    pub cookies: Option<PathBuf>,

    /// Every request through this proxy [default: HTTP_PROXY, HTTPS_PROXY,
    /// ALL_PROXY and NO_PROXY from the environment].
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Also trust the certificates of this PEM file (a private CA).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Accept any TLS certificate (expired, self-signed, wrong host). Unsafe.
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Total download rate of the run, all transfers together (`500k`, `2M`;
    /// bytes per second, K/M/G are powers of 1024; 0 means no limit).
    #[arg(long, value_name = "RATE", value_parser = fetchall::select::parse_size)]
    pub limit_rate: Option<u64>,

    /// Seconds between the starts of two requests to one host.
    #[arg(short = 'w', long, value_name = "SECS", value_parser = parse_seconds)]
    pub wait: Option<Duration>,

    /// With --wait: vary each wait between 0.5 and 1.5 times it, as wget does.
    #[arg(long, requires = "wait")]
    pub random_wait: bool,
}

/// Tasks other than downloading.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an existing mirror against the checksum files in it (no network).
    /// Exit 0 when every listed file present is intact, 1 otherwise.
    Verify {
        /// The mirror's folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Also fail when a listed file is missing (a partial or sharded mirror
        /// lacks files by design, so missing files only warn by default).
        #[arg(long)]
        strict: bool,
        /// One JSON object per file on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script: `fetchall completions bash >
    /// /etc/bash_completion.d/fetchall`.
    Completions {
        /// The shell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `fetchall man > /usr/local/share/man/man1/fetchall.1`.
    Man,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colours on a terminal, unless `NO_COLOR` is set (to anything but empty).
    Auto,
    /// Always colours, even in a pipe.
    Always,
    /// Never colours.
    Never,
}

impl ColorChoice {
    /// Tells the terminal layer (console, under indicatif) what was chosen.
    pub fn apply(self) {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let enabled = match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if no_color => false,
            // console's own detection: a terminal, CLICOLOR, CLICOLOR_FORCE.
            ColorChoice::Auto => return,
        };
        console::set_colors_enabled(enabled);
        console::set_colors_enabled_stderr(enabled);
    }
}

impl Args {
    /// The library options these arguments ask for, or why they are unusable.
    pub fn to_options(&self) -> Result<Options, fetchall::FilterError> {
        let mut options = Options::new(self.urls.iter().cloned());
        options.output = self.output.clone();
        options.jobs = usize::from(self.jobs);
        options.jobs_per_host = usize::from(self.per_host.unwrap_or(self.jobs));
        options.connect_timeout = self.connect_timeout;
        options.read_timeout = self.read_timeout;
        options.low_speed = fetchall::LowSpeed {
            limit: self.speed_limit,
            time: self.speed_time,
        };
        options.dry_run = self.dry_run;
        options.span_hosts = self.span_hosts;
        options.webdav = self.webdav;
        options.domains = self.domains.clone();
        if let Some(user_agent) = &self.user_agent {
            options.user_agent = user_agent.clone();
        }
        options.recursive = self.recursive;
        options.max_level = self.level.filter(|level| *level > 0);
        options.flat = self.flat;
        options.content_disposition = self.content_disposition;
        options.follow_symlinks = self.follow_symlinks;
        options.wait_for_lock = self.wait_for_lock;
        options.delete = self.delete;
        options.max_delete = self.max_delete;
        options.split = fetchall::SplitPolicy {
            max_segments: usize::from(self.split),
            min_segment_size: self.min_split_size.max(1),
        };
        let mut filters = Filters::default()
            .with_accept(&self.accept)?
            .with_reject(&self.reject)?
            .with_include(self.include.as_deref())?
            .with_exclude(self.exclude.as_deref())?;
        filters.min_size = self.min_size;
        filters.max_size = self.max_size;
        filters.newer_than = self.newer_than;
        filters.shard = self.shard;
        options.filters = filters;
        options.retry.retries = self.retries;
        options.retry.max_wait = self.retry_wait;
        options.retry.base_wait = options.retry.base_wait.min(self.retry_wait);
        options.existing = if self.no_clobber {
            Existing::Keep
        } else if self.force {
            Existing::Replace
        } else {
            Existing::Compare
        };
        options.checksums = self.checksums.clone();
        options.record_sha256 = self.manifest.is_some();
        options.never_delete = self.manifest.iter().cloned().collect();
        options.request.headers = self.headers.clone();
        options.request.netrc = self.netrc_file.clone().or_else(|| {
            self.netrc
                .then(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".netrc")))
                .flatten()
        });
        options.request.cookies = self.cookies.clone();
        options.request.proxy = self.proxy.clone();
        options.request.cacert = self.cacert.clone();
        options.request.insecure = self.insecure;
        // `--limit-rate 0` means no limit, as with curl; taken literally it was one
        // byte a second, a run that never ends (and that Ctrl-C cannot stop).
        options.limit_rate = self.limit_rate.filter(|rate| *rate > 0);
        options.wait = self.wait.unwrap_or_default();
        options.random_wait = self.random_wait;
        Ok(options)
    }
}

/// `Name: value`, as curl reads `-H`.
fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!("`{text}` is not `Name: value`")),
    }
}

/// Parses a positive number of seconds (`10`, `0.5`).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(format!("`{text}` must be a positive number of seconds"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_of_zero_is_no_limit() {
        let options = |rate: &str| {
            Args::parse_from(["fetchall", "--limit-rate", rate, "http://h/"])
                .to_options()
                .map(|options| options.limit_rate)
                .ok()
        };
        assert_eq!(options("0"), Some(None));
        assert_eq!(options("2k"), Some(Some(2048)));
    }

    #[test]
    fn seconds_are_parsed_and_checked() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
    }

    #[test]
    fn per_host_defaults_to_jobs() {
        let args = Args::parse_from(["fetchall", "-j", "4", "http://h/"]);
        assert_eq!(args.to_options().map(|o| o.jobs_per_host).ok(), Some(4));
    }
}
