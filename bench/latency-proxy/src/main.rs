//! `latency-proxy --listen 127.0.0.1:P --upstream 127.0.0.1:Q --rtt-ms MS
//! [--connect-delay-ms MS]`: forwards TCP from P to Q with MS of round-trip time
//! added (see the library's docs). Prints `listening on ADDR` once it accepts, so a
//! script that passed port 0 can read the port.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use latency_proxy::{Config, serve};

const USAGE: &str =
    "usage: latency-proxy --listen ADDR --upstream ADDR --rtt-ms MS [--connect-delay-ms MS]
  --listen ADDR           address to accept on (port 0 picks one; it is printed)
  --upstream ADDR         address to forward to
  --rtt-ms MS             round-trip time to add (each direction gets half)
  --connect-delay-ms MS   wait before a new connection carries data (default: RTT/2)";

/// The command line, validated.
struct Arguments {
    listen: SocketAddr,
    config: Config,
}

fn parse_arguments() -> Result<Arguments, String> {
    let mut listen = None;
    let mut upstream = None;
    let mut rtt = None;
    let mut connect_delay = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = arguments
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => listen = Some(parse_address(&value)?),
            "--upstream" => upstream = Some(parse_address(&value)?),
            "--rtt-ms" => rtt = Some(parse_millis(&value)?),
            "--connect-delay-ms" => connect_delay = Some(parse_millis(&value)?),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let listen = listen.ok_or("--listen is required")?;
    let upstream = upstream.ok_or("--upstream is required")?;
    let rtt = rtt.ok_or("--rtt-ms is required")?;
    let mut config = Config::new(upstream, rtt);
    if let Some(delay) = connect_delay {
        config = config.with_connect_delay(delay);
    }
    Ok(Arguments { listen, config })
}

fn parse_address(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|error| format!("bad address `{text}`: {error}"))
}

fn parse_millis(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|millis| millis.is_finite() && *millis >= 0.0)
        .map(|millis| Duration::from_secs_f64(millis / 1000.0))
        .ok_or_else(|| format!("bad number of milliseconds `{text}`"))
}

fn main() -> ExitCode {
    let arguments = match parse_arguments() {
        Ok(arguments) => arguments,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(arguments.listen).await?;
        println!("listening on {}", listener.local_addr()?);
        serve(listener, arguments.config).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
