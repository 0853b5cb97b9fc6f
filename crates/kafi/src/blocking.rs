//! A blocking API for scripts and notebooks: the same storages without
//! async code. Each storage owns a small tokio runtime on which it runs
//! [`crate::open`] and every command; do not call these methods from
//! inside async code.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafi_config::{StorageConfig, StorageKind};
use kafi_serde::Message;
use kafi_shell::{FnError, Payload, ReadOptions, Result, WordCount, WriteOptions};

/// A storage with blocking methods.
#[derive(Clone, Debug)]
pub struct Shell {
    inner: kafi_shell::Shell,
    runtime: Arc<tokio::runtime::Runtime>,
}

/// Kafka emulated on the local file system, blocking.
#[derive(Debug)]
pub struct Local;

impl Local {
    /// Opens the local storage configured in `name`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(name: &str) -> Result<Shell> {
        Shell::open(StorageKind::Local, name)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime can be built")
}

/// A Kafka cluster, blocking.
#[cfg(feature = "cluster")]
#[derive(Debug)]
pub struct Cluster;

#[cfg(feature = "cluster")]
impl Cluster {
    /// Connects to the cluster configured in `name`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(name: &str) -> Result<Shell> {
        Shell::open(StorageKind::Cluster, name)
    }
}

impl Shell {
    /// Opens the storage `kind` named `name` ([`crate::open`]).
    pub fn open(kind: StorageKind, name: &str) -> Result<Self> {
        let runtime = runtime();
        let inner = runtime.block_on(crate::open(kind, name))?;
        Ok(Self {
            inner,
            runtime: Arc::new(runtime),
        })
    }

    /// Opens the storage a loaded config describes ([`crate::open_config`]).
    pub fn open_config(config: &StorageConfig) -> Result<Self> {
        let runtime = runtime();
        let inner = runtime.block_on(crate::open_config(config))?;
        Ok(Self {
            inner,
            runtime: Arc::new(runtime),
        })
    }

    /// Wraps an async shell.
    pub fn from_async(inner: kafi_shell::Shell) -> Self {
        Self {
            inner,
            runtime: Arc::new(runtime()),
        }
    }

    /// The async shell (for its settings accessors and everything else).
    pub fn as_async(&self) -> &kafi_shell::Shell {
        &self.inner
    }

    fn run<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }

    /// Topic names matching `pattern`.
    pub fn ls(&self) -> Result<Vec<String>> {
        self.run(self.inner.ls(None))
    }

    /// Whether the topic exists.
    pub fn exists(&self, topic: &str) -> Result<bool> {
        self.run(self.inner.exists(topic))
    }

    /// Creates a topic with one partition.
    pub fn touch(&self, topic: &str) -> Result<()> {
        self.run(self.inner.touch(topic, 1, BTreeMap::new()))
    }

    /// Deletes topics matching `pattern`.
    pub fn rm(&self, pattern: &str) -> Result<Vec<String>> {
        self.run(self.inner.rm(pattern))
    }

    /// `{partition: (low, high)}`.
    pub fn watermarks(&self, topic: &str) -> Result<BTreeMap<i32, (i64, i64)>> {
        self.run(self.inner.watermarks(topic))
    }

    /// A producer with the storage's default types.
    pub fn producer(&self, topic: &str) -> Result<Producer> {
        Ok(Producer {
            inner: self.run(self.inner.producer(topic, &WriteOptions::new()))?,
            runtime: self.runtime.clone(),
        })
    }

    /// All messages.
    pub fn cat(&self, topic: &str) -> Result<Vec<Message>> {
        self.run(self.inner.cat(topic, &ReadOptions::new()))
    }

    /// The first `n` messages.
    pub fn head(&self, topic: &str, n: u64) -> Result<Vec<Message>> {
        self.run(self.inner.head(topic, n, &ReadOptions::new()))
    }

    /// The last `n` messages.
    pub fn tail(&self, topic: &str, n: u64) -> Result<Vec<Message>> {
        self.run(self.inner.tail(topic, n, &ReadOptions::new()))
    }

    /// Copies a topic: `(read, written)`.
    pub fn cp(&self, topic: &str, target: &Shell, target_topic: &str) -> Result<(u64, u64)> {
        self.run(self.inner.cp(
            topic,
            &target.inner,
            target_topic,
            &ReadOptions::new(),
            &WriteOptions::new(),
        ))
    }

    /// Copies with a map function.
    pub fn map_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        f: impl FnMut(Message) -> Result<Message, FnError>,
    ) -> Result<(u64, u64)> {
        self.run(self.inner.map_to(
            topic,
            &target.inner,
            target_topic,
            &ReadOptions::new(),
            &WriteOptions::new(),
            f,
        ))
    }

    /// Copies with a flat-map function.
    pub fn flatmap_to(
        &self,
        topic: &str,
        target: &Shell,
        target_topic: &str,
        f: impl FnMut(Message) -> Result<Vec<Message>, FnError>,
    ) -> Result<(u64, u64)> {
        self.run(self.inner.flatmap_to(
            topic,
            &target.inner,
            target_topic,
            &ReadOptions::new(),
            &WriteOptions::new(),
            f,
        ))
    }

    /// The messages for which `f` is true.
    pub fn filter(
        &self,
        topic: &str,
        f: impl FnMut(&Message) -> Result<bool, FnError>,
    ) -> Result<Vec<Message>> {
        self.run(self.inner.filter(topic, &ReadOptions::new(), f))
    }

    /// Folds over the messages.
    pub fn foldl<A>(
        &self,
        topic: &str,
        init: A,
        f: impl FnMut(A, Message) -> Result<A, FnError>,
    ) -> Result<(A, u64)> {
        self.run(self.inner.foldl(topic, &ReadOptions::new(), init, f))
    }

    /// `(matching messages, matching, read)`.
    pub fn grep(&self, topic: &str, pattern: &str) -> Result<(Vec<Message>, u64, u64)> {
        self.run(self.inner.grep(topic, pattern, &ReadOptions::new()))
    }

    /// Messages, words and bytes.
    pub fn wc(&self, topic: &str) -> Result<WordCount> {
        self.run(self.inner.wc(topic, &ReadOptions::new()))
    }

    /// The differing message pairs of two topics.
    pub fn diff(
        &self,
        topic: &str,
        other: &Shell,
        other_topic: &str,
    ) -> Result<Vec<(Option<Message>, Option<Message>)>> {
        self.run(
            self.inner
                .diff(topic, &other.inner, other_topic, &ReadOptions::new()),
        )
    }
}

/// A blocking producer.
pub struct Producer {
    inner: kafi_shell::Producer,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl Producer {
    /// Produces `value` with an optional key.
    pub fn produce(&mut self, value: impl Payload, key: Option<&str>) -> Result<()> {
        let produce = self.inner.produce(value).key(key);
        self.runtime.block_on(async { produce.await })
    }

    /// Flushes and closes; returns how many messages were produced.
    pub fn close(self) -> Result<u64> {
        self.runtime.block_on(self.inner.close())
    }
}
