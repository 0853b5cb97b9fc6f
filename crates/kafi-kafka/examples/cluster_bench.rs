//! Produce and consume N ~100-byte messages through the library:
//! `cargo run --release -p kafi-kafka --example cluster_bench -- BOOTSTRAP [N] [PARTITIONS]`.
//! Prints one JSON line with messages/s for each direction.

use std::time::Instant;

use bytes::Bytes;
use kafi_core::storage::{ConsumerOptions, ProducerOptions, StartOffsets};
use kafi_core::{ProduceRecord, Storage, TopicSpec};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = args
        .next()
        .ok_or("usage: cluster_bench BOOTSTRAP [N] [PARTITIONS] [TOPIC]")?;
    let n: usize = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let partitions: i32 = args.next().map_or(Ok(1), |s| s.parse())?;
    let topic = args
        .next()
        .unwrap_or_else(|| format!("kafi_bench_{}", kafi_core::message::now_millis()));
    let settings = kafi_config::KafiSettings {
        session_timeout_ms: 6000,
        ..Default::default()
    };
    let c = kafi_kafka::ClusterStorage::connect_plaintext(&bootstrap, settings).await?;
    if !c.topic_exists(&topic).await? {
        c.create_topic(
            &topic,
            &TopicSpec {
                partitions,
                ..Default::default()
            },
        )
        .await?;
    }
    let value = Bytes::from(vec![b'x'; 90]);
    let start = Instant::now();
    let mut p = c
        .producer(
            &topic,
            ProducerOptions {
                // produce.batch.size as kafi configures it by default.
                batch_size: kafi_config::KafiSettings::default().produce_batch_size,
                flush_timeout: -1.0,
            },
        )
        .await?;
    for i in 0..n {
        p.send(ProduceRecord {
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(value.clone()),
            ..Default::default()
        })
        .await?;
    }
    p.close().await?;
    let produce = n as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut consumer = c
        .consumer(
            &topic,
            ConsumerOptions {
                group: "bench".into(),
                start: StartOffsets::Explicit((0..partitions).map(|p| (p, 0)).collect()),
                auto_offset_reset: kafi_config::AutoOffsetReset::Earliest,
                enable_auto_commit: false,
                consume_timeout: 1.0,
                session_timeout_ms: 6000,
            },
        )
        .await?;
    let mut count = 0usize;
    let mut bytes = 0usize;
    while count < n {
        let batch = consumer.poll(10_000).await?;
        if batch.is_empty() {
            break;
        }
        count += batch.len();
        bytes += batch
            .iter()
            .map(|m| m.value.as_ref().map_or(0, |v| v.len()))
            .sum::<usize>();
    }
    let consume = count as f64 / start.elapsed().as_secs_f64();
    println!(
        "{{\"messages\": {n}, \"consumed\": {count}, \"value_bytes\": {bytes}, \"produce_msgs_per_s\": {produce:.0}, \"consume_msgs_per_s\": {consume:.0}, \"topic\": \"{topic}\"}}"
    );
    Ok(())
}
