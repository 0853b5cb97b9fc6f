//! The last resort against a stack overflow: one `kafi: error:` line and
//! exit code 3 instead of Rust's abort (exit 134, "has overflowed its
//! stack").
//!
//! jaq evaluates jq expressions recursively and has no depth limit, so an
//! expression such as `def f: 1 + f; f`, or a value jq builds nested deeper
//! than anything can walk, exhausts any stack; kafi cannot bound that from
//! outside jaq. The command therefore runs on a thread with a large stack
//! ([`COMMAND_STACK`]) whose bounds are recorded here, and a SIGSEGV/SIGBUS
//! handler (run on the alternate signal stack Rust's runtime gives every
//! thread) reports a fault inside or just below that stack as a stack
//! overflow and exits. Any other fault is handed to the handler that was
//! there before (Rust's own), so it behaves as it always did.
//!
//! This needs `unsafe` (sigaction, and only async-signal-safe calls in the
//! handler: write and _exit): no safe API can catch a stack overflow. The
//! crate denies unsafe code and allows it in this module only.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::sync::OnceLock;

/// The stack of the thread that runs the command (reserved address space;
/// only the pages used are ever committed).
pub const COMMAND_STACK: usize = 256 << 20;

/// How far below a guarded stack a fault still counts as its overflow
/// (the guard page, and big frames that jump past it).
const BELOW: usize = 1 << 20;

thread_local! {
    /// The address range of this thread's stack, if guarded: `(low, high)`.
    /// A const-initialized `Cell` without destructor: safe to read in a
    /// signal handler.
    static GUARDED: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();
const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// Counts to mention in the message: read with atomic loads only.
static PROGRESS: OnceLock<&'static kafi::shell::Interrupt> = OnceLock::new();

/// Installs the handler; call once, early, on the main thread.
pub fn install(progress: &'static kafi::shell::Interrupt) {
    let _ = PROGRESS.set(progress);
    let mut previous: [libc::sigaction; 2] = unsafe { std::mem::zeroed() };
    // SAFETY: a zeroed sigaction is a valid value; `on_fault` has the
    // SA_SIGINFO signature and only makes async-signal-safe calls.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_fault as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        for (signal, previous) in SIGNALS.iter().zip(previous.iter_mut()) {
            libc::sigaction(*signal, &action, previous);
        }
    }
    let _ = PREVIOUS.set(previous);
}

/// Marks the current thread's stack, of `size` bytes, as guarded; call
/// first thing in the thread.
pub fn guard_this_thread(size: usize) {
    let marker = 0u8;
    // The address of a local of the thread's first frame: near the top.
    let high = std::ptr::addr_of!(marker) as usize;
    GUARDED.with(|g| g.set((high.saturating_sub(size + BELOW), high)));
}

extern "C" fn on_fault(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let address = unsafe { (*info).si_addr() } as usize;
    let (low, high) = GUARDED.with(Cell::get);
    if low < address && address < high {
        report_and_exit();
    }
    let index = SIGNALS.iter().position(|s| *s == signal).unwrap_or(0);
    match PREVIOUS.get().map(|p| p[index]) {
        Some(previous)
            if previous.sa_sigaction != libc::SIG_DFL
                && previous.sa_sigaction != libc::SIG_IGN
                && previous.sa_flags & libc::SA_SIGINFO != 0 =>
        {
            // SAFETY: the previous handler was installed with this signature.
            let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(previous.sa_sigaction) };
            handler(signal, info, context);
        }
        _ => {
            // Restore the default action: returning re-runs the faulting
            // instruction, which then terminates the process as before.
            // SAFETY: sigaction is async-signal-safe; the value is valid.
            unsafe {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &default, std::ptr::null_mut());
            }
        }
    }
}

fn report_and_exit() -> ! {
    let mut message = Message::default();
    message.push(
        b"kafi: error: stack overflow: the command recursed too deeply (a jq function that \
          recurses without end, such as `def f: 1 + f; f`, or a value nested too deeply for it)",
    );
    if let Some((consumed, produced)) = PROGRESS.get().and_then(|p| p.progress()) {
        message.push(b" after consuming ");
        message.number(consumed);
        message.push(b" and producing ");
        message.number(produced);
        message.push(b" message(s)");
    }
    message.push(b"\n");
    // SAFETY: write and _exit are async-signal-safe.
    unsafe {
        libc::write(2, message.bytes.as_ptr().cast(), message.len);
        libc::_exit(3);
    }
}

/// A message built without allocating.
struct Message {
    bytes: [u8; 512],
    len: usize,
}

impl Default for Message {
    fn default() -> Self {
        Self {
            bytes: [0; 512],
            len: 0,
        }
    }
}

impl Message {
    fn push(&mut self, text: &[u8]) {
        let n = text.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&text[..n]);
        self.len += n;
    }

    fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }
}
