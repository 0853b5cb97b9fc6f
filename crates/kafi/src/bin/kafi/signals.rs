//! SIGINT and SIGTERM: ask the command to stop, and exit if it does not.
//!
//! The command runs on a current-thread runtime, so a jq expression that
//! spins blocks any async handler. A plain thread therefore waits for the
//! signals: it sets the shared [`Interrupt`], which the read loops check
//! before every message (they then write, flush and commit what was
//! processed and fail with the counts), and it exits by itself with the
//! counts if the work does not acknowledge the request within [`GRACE`]
//! (a runaway expression), or a second signal comes. Either way the exit
//! code is 128 + the signal number: 130 for SIGINT, 143 for SIGTERM.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kafi::shell::{signal_name, Interrupt};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// How long the work has to come back to the stop request.
pub const GRACE: Duration = Duration::from_millis(250);

/// How long a clean stop (flush and commit) may take once acknowledged.
const CLEANUP: Duration = Duration::from_secs(10);

static INTERRUPT: OnceLock<Interrupt> = OnceLock::new();

/// The process's stop request, given to every reading command.
pub fn interrupt() -> &'static Interrupt {
    INTERRUPT.get_or_init(Interrupt::new)
}

/// The exit code after `signal`.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(255)
}

/// Starts the thread that handles SIGINT and SIGTERM.
pub fn spawn() -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("kafi-signals".into())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else {
                return;
            };
            let interrupt = interrupt();
            interrupt.request(signal);
            let asked = Instant::now();
            loop {
                std::thread::sleep(Duration::from_millis(5));
                if signals.pending().next().is_some() {
                    force_exit(signal, "a second signal came");
                }
                let waited = asked.elapsed();
                if !interrupt.acknowledged() && waited >= GRACE {
                    force_exit(
                        signal,
                        "the work in progress did not stop (a jq expression running without \
                         end?): it was abandoned; nothing past the last commit was committed",
                    );
                }
                if waited >= CLEANUP {
                    force_exit(
                        signal,
                        "writing and committing the processed messages took too long",
                    );
                }
            }
        })?;
    Ok(())
}

fn force_exit(signal: i32, reason: &str) -> ! {
    let counts = match interrupt().progress() {
        Some((consumed, produced)) => {
            format!(" after consuming {consumed} and producing {produced} message(s)")
        }
        None => String::new(),
    };
    eprintln!(
        "kafi: error: interrupted by {}{counts}; {reason}",
        signal_name(signal)
    );
    std::process::exit(i32::from(exit_code(signal)))
}
