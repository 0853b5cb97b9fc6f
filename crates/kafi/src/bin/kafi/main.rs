//! The `kafi` command: thin argument handling over the kafi crates; every
//! command maps to a method of [`kafi::Shell`].

mod cli;
mod cluster_cmd;
mod commands;
#[cfg(unix)]
mod fatal;
mod output;
mod registry_cmd;
mod signals;

use std::process::ExitCode;

use clap::Parser;

use crate::output::{exit_code, report};

// The CLI allocates per message in transforms; mimalloc is much faster there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The stack of the thread running the command: jq recursion needs it.
#[cfg(unix)]
const COMMAND_STACK: usize = fatal::COMMAND_STACK;
#[cfg(not(unix))]
const COMMAND_STACK: usize = 256 << 20;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
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

fn run(command: cli::Command) -> u8 {
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
