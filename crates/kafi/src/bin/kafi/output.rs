//! Standard output in large chunks, messages as JSON lines, and the
//! progress spinner.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use kafi::core::RawMessage;
use kafi::serde::Codec;
use kafi::shell::FnError;

/// Buffered standard output written in large chunks.
pub struct Out {
    buf: Vec<u8>,
    stdout: io::StdoutLock<'static>,
}

impl Out {
    pub fn new() -> Self {
        Self {
            buf: Vec::with_capacity(1 << 17),
            stdout: io::stdout().lock(),
        }
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.stdout.write_all(&self.buf)?;
        self.buf.clear();
        self.stdout.flush()
    }

    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.push(b'\n');
        self.maybe_flush()
    }

    /// Prints `m` as one JSON line, decoded with `codec` (the form `kafi
    /// cat` prints and `kafi produce --envelope` reads). A message that does
    /// not decode prints nothing.
    #[inline]
    pub fn message(&mut self, codec: &Codec, m: &RawMessage) -> Result<(), FnError> {
        codec.write_json_line(&mut self.buf, m)?;
        self.maybe_flush()?;
        Ok(())
    }

    /// Prints `prefix`, a space and `m` as [`Out::message`] does.
    pub fn prefixed_message(
        &mut self,
        prefix: &str,
        codec: &Codec,
        m: &RawMessage,
    ) -> Result<(), FnError> {
        let mark = self.buf.len();
        self.buf.extend_from_slice(prefix.as_bytes());
        self.buf.push(b' ');
        if let Err(e) = codec.write_json_line(&mut self.buf, m) {
            self.buf.truncate(mark);
            return Err(e.into());
        }
        self.maybe_flush()?;
        Ok(())
    }
}

/// A spinner on stderr when it is a terminal.
pub fn progress(label: &str) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} messages ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message(label.to_owned());
    Some(bar)
}
