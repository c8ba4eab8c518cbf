//! The `fetchall` command: parse arguments, pick a reporter, run the library, map the
//! result to an exit code.

/// `eprintln!` that never panics: a full or closed stderr has no one to tell.
macro_rules! stderr {
    ($($arg:tt)*) => {
        $crate::cli::output::stderr_line(format_args!($($arg)*))
    };
}

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use fetchall::event::manifest::ManifestReporter;
use fetchall::{CancellationToken, Reporter, Summary};

use cli::args::{Args, Command};
use cli::output::Output;
use cli::report::{BarsReporter, JsonReporter, PlainReporter, TreeReporter, Verbosity};

/// Documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Every file downloaded or up to date.
    Success = 0,
    /// Some files failed.
    SomeFailed = 1,
    /// Bad usage, or a start page given on the command line could not be fetched.
    Usage = 2,
    /// Another run holds the output folder's lock (and `--wait-for-lock` was not given).
    Locked = 3,
    /// A line could not be written to stdout (disk full, I/O error): the run was
    /// stopped there, as by Ctrl-C.
    OutputFailed = 4,
    /// Interrupted by Ctrl-C or SIGTERM.
    Interrupted = 130,
    /// stdout was closed (`fetchall … | head`): the run was stopped there, as by
    /// Ctrl-C, quietly. 128 + SIGPIPE, what a shell shows for curl or wget killed
    /// by the signal.
    BrokenPipe = 141,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // One thread for the network: the bytes go to disk on the writer threads
    // (and blocking work on tokio's pool), so a second worker only added
    // cross-thread wake-ups. Measured against two workers, same wall time, less
    // CPU: 1,000 small files 4-14% (HTTP, HTTPS), 20,000 tiny files 15%, one
    // 4 GB file as fast.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            stderr!("error: cannot start the async runtime: {error}");
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let exit = runtime.block_on(run(args));
    ExitCode::from(exit as u8)
}

async fn run(args: Args) -> Exit {
    args.color.apply();
    if let Some(command) = &args.command {
        return run_command(command);
    }
    let options = match options_from(&args) {
        Ok(options) => options,
        Err(exit) => return exit,
    };
    // Made before the reporters: a line that cannot be written stops the run.
    let cancel = CancellationToken::new();
    let output = Arc::new(Output::new(cancel.clone()));
    let Reporting { reporter, manifest } =
        match with_manifest(&args, choose_reporter(&args, &output)) {
            Ok(chosen) => chosen,
            Err(exit) => return exit,
        };
    tokio::spawn(stop_on_signals(cancel.clone()));
    let result = fetchall::mirror(&options, reporter, cancel).await;
    // stdout failed: the run stopped for that, and says nothing more (the reason,
    // if any, is already on stderr).
    if let Some(exit) = output.exit() {
        return exit;
    }
    let exit = match result {
        Ok(summary) => exit_code(&summary),
        Err(error) => {
            print_error(&error);
            match error {
                fetchall::Error::Locked { .. } => Exit::Locked,
                _ => Exit::Usage,
            }
        }
    };
    // A manifest that lacks downloaded files (disk full, I/O error) is a failed
    // part of the run, never a silent one.
    match manifest.and_then(|manifest| manifest.failure()) {
        Some(failure) => {
            stderr!("error: {failure}");
            if exit == Exit::Success {
                Exit::SomeFailed
            } else {
                exit
            }
        }
        None => exit,
    }
}

/// The run's options from the flags: the URL list read, the password asked for.
/// A mistake is said on stderr and ends the run with a usage error.
fn options_from(args: &Args) -> Result<fetchall::Options, Exit> {
    // `--netrc` reads `$HOME/.netrc`: without HOME the run would go on without the
    // credentials asked for, and fail later with a 401 that does not say why.
    if args.netrc && std::env::var_os("HOME").is_none() {
        stderr!("error: --netrc reads $HOME/.netrc, but HOME is not set");
        stderr!("hint: give the file with --netrc-file FILE");
        return Err(Exit::Usage);
    }
    let mut options = match args.to_options() {
        Ok(options) => options,
        Err(error) => {
            print_error(&error);
            return Err(Exit::Usage);
        }
    };
    if let Some(path) = &args.input_file {
        let read = read_once_if_stream(path).and_then(|read_as| {
            let input = read_input_file(&read_as)?;
            Ok((read_as, input))
        });
        match read {
            Ok((_, Input::Urls(urls))) => options.list_urls = urls,
            Ok((read_as, Input::UrlFile)) => options.list_file = Some(read_as),
            Ok((read_as, Input::Plan)) => options.plan = Some(read_as),
            Err(error) => {
                stderr!("error: cannot read the URL list `{}`", path.display());
                stderr!("  caused by: {error}");
                return Err(Exit::Usage);
            }
        }
        let no_list = options.list_urls.is_empty() && options.list_file.is_none();
        if options.urls.is_empty() && no_list && options.plan.is_none() {
            stderr!("error: no URL in `{}`", path.display());
            return Err(Exit::Usage);
        }
    }
    match args
        .user
        .as_deref()
        .map(cli::credentials::user_credentials)
        .transpose()
    {
        Ok(user) => options.request.user = user,
        Err(error) => {
            stderr!("error: {error}");
            return Err(Exit::Usage);
        }
    }
    Ok(options)
}

/// The reporter a run gets, and the `--manifest` inside it, kept to ask at the end
/// whether every line was written.
struct Reporting {
    reporter: Arc<dyn Reporter>,
    manifest: Option<Arc<ManifestReporter>>,
}

/// `--manifest FILE`: a reporter that writes one line per downloaded file and
/// passes every event on to `reporter`.
fn with_manifest(args: &Args, mut reporter: Arc<dyn Reporter>) -> Result<Reporting, Exit> {
    let mut manifest = None;
    match &args.manifest {
        // A dry run writes nothing: not even an empty manifest over the last one.
        Some(path) if args.dry_run => stderr!(
            "warning: a dry run does not write the manifest `{}`",
            path.display()
        ),
        Some(path) => match ManifestReporter::create(path, reporter) {
            Ok(created) => {
                let created = Arc::new(created);
                manifest = Some(Arc::clone(&created));
                reporter = created;
            }
            Err(error) => {
                stderr!("error: cannot create the manifest `{}`", path.display());
                stderr!("  caused by: {error}");
                return Err(Exit::Usage);
            }
        },
        None => {}
    }
    Ok(Reporting { reporter, manifest })
}

/// What `-i FILE` holds.
enum Input {
    /// A list of URLs read from stdin, read whole (it cannot be read twice).
    Urls(Vec<String>),
    /// A file of URLs with at least one in it, left for the run to read as a
    /// stream.
    UrlFile,
    /// A plan (a dry run's JSON lines), left for the run to read as a stream.
    Plan,
}

/// Where `-i PATH` is read from: `PATH` itself for a file, else stdin (`-`). A
/// pipe, a FIFO or a shell's `<(…)` can be read only once, and a list is read in
/// passes (a look at its first line, a count, then the run's survey and starts):
/// each pass would drain it, and a FIFO nobody writes to again would hold the run
/// for ever. Put in the place of stdin, it is read once, as `-i -` is.
fn read_once_if_stream(path: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
    let stdin = std::path::PathBuf::from("-");
    if *path == stdin {
        return Ok(stdin);
    }
    let kind = std::fs::metadata(path)?.file_type();
    if kind.is_file() || kind.is_dir() {
        return Ok(path.to_path_buf());
    }
    let stream = std::fs::File::open(path)?;
    rustix::stdio::dup2_stdin(&stream)?;
    Ok(stdin)
}

/// `-i FILE` (or `-` for stdin): a plan if its first line that says anything is a
/// JSON object, else its URLs. A list of URLs with a JSON line in it is refused,
/// naming the line: the two do not mix.
fn read_input_file(path: &std::path::Path) -> std::io::Result<Input> {
    use std::io::BufRead;
    let stdin = path == std::path::Path::new("-");
    if stdin {
        // Looked at without taking it: the run reads a plan from the same buffer.
        let mut input = std::io::stdin().lock();
        if starts_as_plan(input.fill_buf()?) {
            return Ok(Input::Plan);
        }
    } else {
        let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
        if starts_as_plan(file.fill_buf()?) {
            return Ok(Input::Plan);
        }
    }
    if !stdin {
        // Checked line by line, keeping nothing: a list of millions of URLs is
        // read as a stream by the run.
        let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
        let mut bytes = Vec::new();
        let (mut number, mut urls) = (0, 0);
        loop {
            bytes.clear();
            if file.read_until(b'\n', &mut bytes)? == 0 {
                break;
            }
            number += 1;
            let text = String::from_utf8_lossy(&bytes);
            let line = text.trim_start_matches('\u{feff}').trim();
            if line.starts_with('{') {
                return Err(mixed_list(number));
            }
            urls += usize::from(!line.is_empty() && !line.starts_with('#'));
        }
        return Ok(if urls == 0 {
            Input::Urls(Vec::new())
        } else {
            Input::UrlFile
        });
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)?;
    // One line in another encoding (a Latin-1 comment) must not stop the batch: it
    // becomes a line that fails on its own, if it is a URL at all.
    let text = String::from_utf8_lossy(&bytes);
    if let Some(number) = text.lines().position(|line| line.trim().starts_with('{')) {
        return Err(mixed_list(number + 1));
    }
    Ok(Input::Urls(fetchall::read_url_list(&text)))
}

/// A list of URLs with a JSON line (numbered from 1) in it.
fn mixed_list(number: usize) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "line {number} is JSON, but the lines before it are URLs: a list of URLs \
             and a plan (the JSON lines of a dry run) cannot be mixed"
        ),
    )
}

/// Whether the first line of `start` that says anything (after a byte-order mark,
/// blank lines and `#` comments) opens a JSON object.
fn starts_as_plan(start: &[u8]) -> bool {
    let text = String::from_utf8_lossy(start);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .is_some_and(|line| line.starts_with('{'))
}

/// The subcommands: no runtime, no network.
fn run_command(command: &Command) -> Exit {
    let mut text = Vec::new();
    match command {
        Command::Verify { dir, strict, json } => return cli::verify::run(dir, *strict, *json),
        Command::Completions { shell } => {
            let mut command = <Args as clap::CommandFactory>::command();
            // Into memory, then out: `generate` panics on a failed write.
            clap_complete::generate(*shell, &mut command, "fetchall", &mut text);
        }
        Command::Man => {
            let command = <Args as clap::CommandFactory>::command();
            if let Err(error) = clap_mangen::Man::new(command).render(&mut text) {
                stderr!("error: cannot write the man page: {error}");
                return Exit::Usage;
            }
        }
    }
    let output = Output::standalone();
    output.bytes(&text);
    match output.exit() {
        // `fetchall man | head`: the reader has seen what it wanted.
        None | Some(Exit::BrokenPipe) => Exit::Success,
        Some(exit) => exit,
    }
}

/// `error: …` then one `  caused by: …` line per source.
fn print_error(error: &dyn std::error::Error) {
    use fetchall::redact_text;
    stderr!("error: {}", redact_text(&error.to_string()));
    let mut source = error.source();
    while let Some(cause) = source {
        stderr!("  caused by: {}", redact_text(&cause.to_string()));
        source = cause.source();
    }
}

fn choose_reporter(args: &Args, output: &Arc<Output>) -> Arc<dyn Reporter> {
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    if args.json {
        Arc::new(JsonReporter::new(Arc::clone(output)))
    } else if args.dry_run {
        Arc::new(TreeReporter::new(verbosity, Arc::clone(output)))
    } else if std::io::stdout().is_terminal() && !args.quiet {
        Arc::new(BarsReporter::new(verbosity, Arc::clone(output)))
    } else {
        Arc::new(PlainReporter::new(verbosity, Arc::clone(output)))
    }
}

fn exit_code(summary: &Summary) -> Exit {
    if summary.interrupted {
        Exit::Interrupted
    } else if summary.pages_failed > 0 {
        Exit::Usage
    } else if summary.failed > 0 {
        Exit::SomeFailed
    } else {
        Exit::Success
    }
}

/// The first Ctrl-C (or SIGTERM) stops new transfers and lets the run report its
/// summary; the second exits at once.
async fn stop_on_signals(cancel: CancellationToken) {
    let mut signals_seen = 0;
    loop {
        if wait_for_signal().await.is_err() {
            return;
        }
        signals_seen += 1;
        if signals_seen == 1 {
            cancel.cancel();
        } else {
            std::process::exit(Exit::Interrupted as i32);
        }
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
