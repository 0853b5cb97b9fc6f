//! Append-only versioned objects for state that several processes change
//! at once (topic metadata, committed offsets), built only from what every
//! object store honours: whole-object reads, create-if-absent, deletes and
//! unsorted, possibly incomplete listings.
//!
//! A directory holds versions `<n:020>.json`; the newest one is the state.
//! An update reads the newest version `n`, computes the new state from it
//! and creates `n + 1` with create-if-absent. Losing that race means another
//! writer created `n + 1` first: the update reads it and is computed again
//! on top of it (semantic merges, so nothing is lost).
//!
//! Invariants (see `docs/storage-format.md`, section 2):
//! * version `n + 1` is only created by a writer that read version `n`, so
//!   versions are created in order;
//! * compaction deletes old versions in ascending order and never one of
//!   the newest [`KEEP_VERSIONS`], so the versions present always form a
//!   contiguous range ending at the newest. Hence, reading upward from any
//!   existing version by name, the first missing name is past the newest.

use std::time::Duration;

use bytes::Bytes;
use kafi_core::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::layout;
use crate::random::{random_id, Backoff};
use crate::store::Store;

/// Versions kept by compaction (at least; at most twice as many exist).
pub(crate) const KEEP_VERSIONS: u64 = 16;

/// Updates give up after this many lost races in a row. Each lost race
/// means another writer succeeded, so this only trips under extreme,
/// sustained contention.
const MAX_UPDATE_ATTEMPTS: u32 = 1000;

/// A field of a stored state that fails validation.
#[derive(Debug)]
pub(crate) struct FieldError {
    /// The field, as written in the JSON (e.g. `partitions`).
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

/// State kept as versioned objects.
pub(crate) trait VersionedState: Serialize + DeserializeOwned + Clone + Send + Sync {
    /// What the objects hold, for messages (e.g. "topic metadata").
    const WHAT: &'static str;
    /// The id of the write that created this version.
    fn writer(&self) -> &str;
    /// Sets the id of the write creating this version.
    fn set_writer(&mut self, writer: String);
    /// Checks the values read from storage.
    fn check(&self) -> std::result::Result<(), FieldError>;
}

/// One version of a state.
#[derive(Clone, Debug)]
pub(crate) struct Version<T> {
    pub number: u64,
    pub state: T,
}

impl Store {
    /// Reads and checks version `number` of `dir`; `None` if missing.
    pub(crate) async fn read_version<T: VersionedState>(
        &self,
        dir: &str,
        number: u64,
    ) -> Result<Option<T>> {
        let path = layout::version(dir, number);
        let Some(data) = self.read(&path).await? else {
            return Ok(None);
        };
        parse_version(&data)
            .map(Some)
            .map_err(|(position, reason)| Error::Corrupt {
                path: self.display(&path),
                position,
                reason: format!("invalid {}: {reason}", T::WHAT),
            })
    }

    /// The version numbers present in `dir`, ascending.
    pub(crate) async fn list_versions(&self, dir: &str) -> Result<Vec<u64>> {
        let mut numbers: Vec<u64> = self
            .list(dir)
            .await?
            .iter()
            .filter_map(|name| layout::version_number(name))
            .collect();
        numbers.sort_unstable();
        Ok(numbers)
    }

    /// The newest version of `dir`, `None` if it has none. With `known`
    /// (a version read before), reads upward from it by name, without a
    /// listing; otherwise lists once, then reads upward from the newest
    /// listed version, since a listing can miss objects being created.
    pub(crate) async fn newest<T: VersionedState>(
        &self,
        dir: &str,
        known: Option<&Version<T>>,
    ) -> Result<Option<Version<T>>> {
        let mut current = match known {
            Some(v) => Some(v.clone()),
            None => self.newest_listed(dir).await?,
        };
        let mut next = current.as_ref().map_or(1, |v| v.number + 1);
        while let Some(state) = self.read_version(dir, next).await? {
            current = Some(Version {
                number: next,
                state,
            });
            next += 1;
        }
        Ok(current)
    }

    async fn newest_listed<T: VersionedState>(&self, dir: &str) -> Result<Option<Version<T>>> {
        for _ in 0..8 {
            let Some(&number) = self.list_versions(dir).await?.last() else {
                return Ok(None);
            };
            if let Some(state) = self.read_version(dir, number).await? {
                return Ok(Some(Version { number, state }));
            }
            // Compacted or deleted since the listing: list again.
        }
        Err(Error::backend(
            "cannot read",
            self.display(dir),
            "its newest version keeps disappearing",
        ))
    }

    /// Creates the version after the newest with `change(newest state)`,
    /// repeating on lost races; `change` returns `None` for "nothing to
    /// change" and may be called several times. Returns the newest version
    /// afterwards (the one written, or the unchanged newest).
    pub(crate) async fn update<T, F>(
        &self,
        dir: &str,
        known: Option<&Version<T>>,
        mut change: F,
    ) -> Result<Option<Version<T>>>
    where
        T: VersionedState,
        F: FnMut(Option<&T>) -> Result<Option<T>>,
    {
        let mut current = self.newest(dir, known).await?;
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(100));
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let Some(mut state) = change(current.as_ref().map(|v| &v.state))? else {
                return Ok(current);
            };
            let number = current.as_ref().map_or(1, |v| v.number + 1);
            let writer = random_id();
            state.set_writer(writer.clone());
            let data = serde_json::to_vec_pretty(&state).expect("state serializes");
            let path = layout::version(dir, number);
            if !self.put_if_absent(&path, Bytes::from(data)).await? {
                // Lost the race, or won it and the response was lost and the
                // write retried: the writer id tells which.
                match self.read_version::<T>(dir, number).await? {
                    Some(winner) if winner.writer() == writer => {}
                    Some(winner) => {
                        let winner = Version {
                            number,
                            state: winner,
                        };
                        current = self.newest(dir, Some(&winner)).await?;
                        backoff.wait().await;
                        continue;
                    }
                    None => {
                        current = self.newest(dir, None).await?;
                        backoff.wait().await;
                        continue;
                    }
                }
            }
            // Compaction deletes in ascending order, so if the version we
            // built on still exists, `number` had never been created before:
            // ours is a genuine successor. Otherwise we may have re-created a
            // compacted name behind the newest: take it back and start over.
            if number > 1 && !self.exists(&layout::version(dir, number - 1)).await? {
                tracing::debug!(dir, number, "version built on was compacted; retrying");
                self.delete(&path).await?;
                current = self.newest(dir, None).await?;
                continue;
            }
            self.compact(dir, number).await;
            return Ok(Some(Version { number, state }));
        }
        Err(Error::backend(
            "cannot update",
            self.display(dir),
            format!("lost {MAX_UPDATE_ATTEMPTS} races in a row to other writers"),
        ))
    }

    /// After writing version `written`, every [`KEEP_VERSIONS`] versions:
    /// deletes the versions up to `written - KEEP_VERSIONS`, oldest first,
    /// by name. Best effort: a failure stops it (keeping the contiguous
    /// range) and a later compaction carries on.
    async fn compact(&self, dir: &str, written: u64) {
        if written % KEEP_VERSIONS != 0 || written < 2 * KEEP_VERSIONS {
            return;
        }
        let hi = written - KEEP_VERSIONS;
        let mut lo = hi - KEEP_VERSIONS + 1;
        // Normally the previous compaction removed everything below `lo`;
        // if not (it failed or is still running), start from the oldest.
        if lo > 1 {
            match self.exists(&layout::version(dir, lo - 1)).await {
                Ok(false) => {}
                Ok(true) => match self.list_versions(dir).await {
                    Ok(listed) => lo = listed.first().copied().unwrap_or(lo).min(lo),
                    Err(_) => return,
                },
                Err(_) => return,
            }
        }
        self.delete_versions(dir, lo, hi).await;
    }

    /// Deletes every version below `number` (e.g. below a tombstone).
    pub(crate) async fn delete_versions_below(&self, dir: &str, number: u64) {
        if let Ok(listed) = self.list_versions(dir).await {
            if let Some(&lo) = listed.first() {
                if lo < number {
                    self.delete_versions(dir, lo, number - 1).await;
                }
            }
        }
    }

    async fn delete_versions(&self, dir: &str, lo: u64, hi: u64) {
        for number in lo..=hi {
            if let Err(e) = self.delete(&layout::version(dir, number)).await {
                tracing::debug!("compaction of {dir} stopped: {e}");
                return;
            }
        }
    }
}

/// Parses and checks a version, or `(byte position, reason)`.
fn parse_version<T: VersionedState>(data: &[u8]) -> std::result::Result<T, (u64, String)> {
    let state: T = serde_json::from_slice(data)
        .map_err(|e| (byte_position(data, e.line(), e.column()), e.to_string()))?;
    state.check().map_err(|FieldError { field, problem }| {
        let top = field.split('.').next().unwrap_or(&field);
        let position = find(data, format!("\"{top}\"").as_bytes()).unwrap_or(0);
        (position as u64, format!("field `{field}` {problem}"))
    })?;
    Ok(state)
}

/// The byte position of serde_json's 1-based line and column.
fn byte_position(data: &[u8], line: usize, column: usize) -> u64 {
    let line_start: usize = data
        .split_inclusive(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(data.len()) as u64
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_positions_count_lines() {
        let data = b"{\n  \"a\": 1,\n  \"b\": x\n}";
        assert_eq!(byte_position(data, 1, 1), 0);
        assert_eq!(byte_position(data, 3, 8), 19);
        assert_eq!(data[19], b'x');
    }
}
