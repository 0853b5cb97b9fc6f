//! Producer and consumer objects (the seed's `producer()` and `consumer()`).

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use bytes::Bytes;
use kafi_core::{Headers, ProduceRecord, RawConsumer, RawProducer, Timestamp};
use kafi_serde::{Codec, Data, Message};

use crate::options::{ReadOptions, WriteOptions};
use crate::stream::{producer_options, read_plan};
use crate::{Error, Result, Shell};

impl Shell {
    /// A producer of typed messages to `topic`, encoding with `options`'
    /// types and schemas (default: the storage's `key.type` and
    /// `value.type`). The topic must exist.
    pub async fn producer(&self, topic: &str, options: &WriteOptions) -> Result<Producer> {
        let settings = self.current();
        let producer = self
            .storage()
            .producer(topic, producer_options(&settings))
            .await?;
        let codec = self.write_codec(options);
        codec.prepare_encode(topic).await?;
        Ok(Producer {
            producer,
            codec,
            produced: 0,
        })
    }

    /// A consumer of `topic`, reading as every reading command does (see
    /// [`ReadOptions::group`]): with a named group from its committed
    /// offsets, committing when asked (or on every poll with
    /// `enable.auto.commit`); without one, every partition assigned from
    /// `auto.offset.reset`'s end (or `options.offsets`), and nothing to
    /// commit.
    pub async fn consumer(&self, topic: &str, options: &ReadOptions) -> Result<Consumer> {
        let settings = self.current();
        let plan = read_plan(self.storage().as_ref(), topic, &settings, options).await?;
        let consumer = self.storage().consumer(topic, plan.consumer).await?;
        Ok(Consumer {
            consumer,
            codec: self.read_codec(options),
            topic: topic.to_owned(),
            named: plan.named,
        })
    }
}

/// Something that can be a key or a value: text, JSON, bytes, [`Data`], or
/// `None` for null.
pub trait Payload {
    /// The payload as optional [`Data`].
    fn into_payload(self) -> Option<Data>;
}

macro_rules! payload {
    ($($t:ty),*) => {$(
        impl Payload for $t {
            fn into_payload(self) -> Option<Data> {
                Some(Data::from(self))
            }
        }
        impl Payload for Option<$t> {
            fn into_payload(self) -> Option<Data> {
                self.map(Data::from)
            }
        }
    )*};
}
payload!(&str, String, serde_json::Value, Bytes, Vec<u8>, &[u8]);

impl Payload for Data {
    fn into_payload(self) -> Option<Data> {
        Some(self)
    }
}

impl Payload for Option<Data> {
    fn into_payload(self) -> Option<Data> {
        self
    }
}

/// Writes typed messages to one topic.
pub struct Producer {
    producer: Box<dyn RawProducer>,
    codec: Codec,
    produced: u64,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("types", &self.codec.types())
            .finish_non_exhaustive()
    }
}

impl Producer {
    /// The codec (schemas registered, ids resolved) this producer encodes with.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// Produces `value`; set `key`, `headers`, `partition` and `timestamp`
    /// on the returned builder, then `.await` it.
    pub fn produce(&mut self, value: impl Payload) -> Produce<'_> {
        Produce {
            producer: self,
            record: Ok(ProduceRecord::default()),
            value: value.into_payload(),
            key: None,
        }
    }

    /// Produces a list of `(key, value)` pairs, encoding and handing them
    /// to the storage in chunks.
    pub async fn produce_list<K: Payload, V: Payload>(
        &mut self,
        items: impl IntoIterator<Item = (K, V)>,
    ) -> Result<()> {
        const CHUNK: usize = 1024;
        let mut records = Vec::with_capacity(CHUNK);
        for (key, value) in items {
            let key = key.into_payload();
            let value = value.into_payload();
            records.push(ProduceRecord {
                key: key.as_ref().map(|k| self.codec.encode_key(k)).transpose()?,
                value: value
                    .as_ref()
                    .map(|v| self.codec.encode_value(v))
                    .transpose()?,
                ..ProduceRecord::default()
            });
            if records.len() == CHUNK {
                self.produce_records(std::mem::replace(&mut records, Vec::with_capacity(CHUNK)))
                    .await?;
            }
        }
        self.produce_records(records).await
    }

    /// Produces encoded records as they are.
    pub async fn produce_records(&mut self, records: Vec<ProduceRecord>) -> Result<()> {
        let count = records.len() as u64;
        self.producer.send_all(records).await?;
        self.produced += count;
        Ok(())
    }

    /// Produces an encoded record as it is.
    pub async fn produce_record(&mut self, record: ProduceRecord) -> Result<()> {
        self.producer.send(record).await?;
        self.produced += 1;
        Ok(())
    }

    /// Writes everything buffered.
    pub async fn flush(&mut self) -> Result<()> {
        self.producer.flush().await?;
        Ok(())
    }

    /// Flushes and closes; returns how many messages were produced.
    pub async fn close(self) -> Result<u64> {
        self.producer.close().await?;
        Ok(self.produced)
    }
}

/// One message being produced; `.await` it to send.
#[must_use = "a Produce does nothing until awaited"]
pub struct Produce<'a> {
    producer: &'a mut Producer,
    record: Result<ProduceRecord>,
    value: Option<Data>,
    key: Option<Data>,
}

impl Produce<'_> {
    /// Sets the key.
    pub fn key(mut self, key: impl Payload) -> Self {
        self.key = key.into_payload();
        self
    }

    /// Sets the headers.
    pub fn headers(mut self, headers: Headers) -> Self {
        if let Ok(r) = &mut self.record {
            r.headers = headers;
        }
        self
    }

    /// Sets an explicit partition.
    pub fn partition(mut self, partition: i32) -> Self {
        if let Ok(r) = &mut self.record {
            r.partition = Some(partition);
        }
        self
    }

    /// Sets the timestamp in milliseconds (create time).
    pub fn timestamp(mut self, millis: i64) -> Self {
        if let Ok(r) = &mut self.record {
            r.timestamp = Some(Timestamp::create_time(millis));
        }
        self
    }
}

impl<'a> IntoFuture for Produce<'a> {
    type Output = Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let mut record = self.record?;
            let codec = &self.producer.codec;
            record.key = self.key.as_ref().map(|k| codec.encode_key(k)).transpose()?;
            record.value = self
                .value
                .as_ref()
                .map(|v| codec.encode_value(v))
                .transpose()?;
            self.producer.produce_record(record).await
        })
    }
}

/// Reads typed messages of one topic, for a consumer group or on
/// partitions assigned to it (see [`Shell::consumer`]).
pub struct Consumer {
    consumer: Box<dyn RawConsumer>,
    codec: Codec,
    topic: String,
    /// Reading for a named group (else nothing is committed).
    named: bool,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("group", &self.consumer.group())
            .field("types", &self.codec.types())
            .finish_non_exhaustive()
    }
}

impl Consumer {
    /// Up to `n` messages; empty when there is nothing more now.
    pub async fn consume(&mut self, n: usize) -> Result<Vec<Message>> {
        let batch = self.consumer.poll(n).await?;
        self.codec.prepare_decode(&batch).await?;
        batch
            .iter()
            .map(|m| self.codec.decode(m).map_err(Into::into))
            .collect()
    }

    /// Commits the given offsets, or the current positions, for the named
    /// group; a consumer without one has nothing to commit to (an
    /// [`Error::InvalidArgument`]).
    pub async fn commit(&mut self, offsets: Option<&BTreeMap<i32, i64>>) -> Result<()> {
        if !self.named {
            return Err(Error::InvalidArgument(format!(
                "the consumer of {} reads without a consumer group: there is nothing to commit \
                 (give ReadOptions::group)",
                self.topic
            )));
        }
        self.consumer.commit(offsets).await?;
        Ok(())
    }

    /// The next offset to read per partition.
    pub fn offsets(&self) -> BTreeMap<i32, i64> {
        self.consumer.positions()
    }

    /// The consumer group: the named one, or the throw-away name the
    /// storage sees for a consumer without one.
    pub fn group(&self) -> &str {
        self.consumer.group()
    }

    /// Closes the consumer.
    pub async fn close(self) -> Result<()> {
        self.consumer.close().await?;
        Ok(())
    }
}
