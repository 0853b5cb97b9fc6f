//! The `kafi` command: thin argument handling over the kafi crates; every
//! command maps to a method of [`kafi::Shell`].
//!
//! A command goes parse ([`Cli`], clap) → resolve ([`resolve`]: flags into
//! typed options) → run ([`commands`], one module per group) → render
//! ([`render`] for results, [`output`] for messages). It runs on its own
//! thread with a large stack ([`fatal`] turns an overflow into an error),
//! while a signal thread ([`signals`]) turns SIGINT/SIGTERM into a clean
//! stop.

mod commands;
mod error;
#[cfg(unix)]
mod fatal;
mod output;
mod render;
mod resolve;
mod signals;

use std::process::ExitCode;

use clap::Parser;

use crate::error::{exit_code, report};

const EXAMPLES: &str = "\
Examples:
  kafi touch local:local topic_json --partitions 3
  kafi produce local:local topic_json --key 123 '{\"bla\": 123}'
  printf '456:{\"bla\": 456}\\n' | kafi produce local:local topic_json --key-separator :
  kafi cat local:local topic_json -n 10
  kafi cp local:local topic_json local:backup topic_json_copy --map '.value.bla += 42'
  kafi cp local:local topic_json local:local filtered --flatmap 'select(.value.bla == 456)'
  kafi grep local:local topic_json '.*456.*'
  kafi cat local:local t --type bytes | kafi produce local:other t2 --envelope --type bytes

A storage is KIND:CONFIG, KIND one of cluster, restproxy, local, s3, azureblob; CONFIG is
looked up as CONFIG.yaml/.yml in $KAFI_HOME (else .), then in configs/<kind>s/.

Exit codes: 0 success, 1 a false answer (exists: no; diff: differences),
2 usage or configuration error, 3 the operation failed, 130/143 after SIGINT/SIGTERM.";

/// kafi: a Swiss army knife for Kafka and files.
#[derive(Debug, Parser)]
#[command(name = "kafi", version, about, after_help = EXAMPLES)]
struct Cli {
    /// Log more (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: commands::Command,
}

// The CLI allocates per message in transforms; mimalloc is much faster there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The stack of the thread running the command: jq recursion needs it.
#[cfg(unix)]
const COMMAND_STACK: usize = fatal::COMMAND_STACK;
#[cfg(not(unix))]
const COMMAND_STACK: usize = 256 << 20;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    #[cfg(unix)]
    fatal::install(signals::interrupt());
    if let Err(e) = signals::spawn() {
        eprintln!("kafi: error: cannot handle signals: {e}");
        return ExitCode::from(3);
    }
    // The command runs on its own thread for its large stack; the main
    // thread only waits for it.
    let command = std::thread::Builder::new()
        .name("kafi".into())
        .stack_size(COMMAND_STACK)
        .spawn(move || {
            #[cfg(unix)]
            fatal::guard_this_thread(COMMAND_STACK);
            run(cli.command)
        });
    match command.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => ExitCode::from(code),
        // A panic was reported by the panic hook.
        Ok(Err(_)) => ExitCode::from(101),
        Err(e) => {
            eprintln!("kafi: error: cannot start the command thread: {e}");
            ExitCode::from(3)
        }
    }
}

fn run(command: commands::Command) -> u8 {
    // One command is one pipeline: a current-thread runtime avoids handing
    // every I/O completion across threads.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kafi: error: cannot start the async runtime: {e}");
            return 3;
        }
    };
    match runtime.block_on(commands::run(command)) {
        Ok(code) => code,
        Err(e) => {
            let code = exit_code(&e);
            if code != 0 {
                report(&e);
            }
            code
        }
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KAFI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
