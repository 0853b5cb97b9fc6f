//! Requests shared by the storage, producers and consumers: offsets,
//! watermarks and committed group offsets.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    BrokerId, FetchRequest, GroupId, ListOffsetsRequest, OffsetCommitRequest, OffsetFetchRequest,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::{topic_name, Client, TopicMeta};
use crate::error::{check, Error as KafkaError, ErrorCode};

/// `ListOffsets` timestamps.
pub(crate) const EARLIEST: i64 = -2;
/// `ListOffsets` timestamps.
pub(crate) const LATEST: i64 = -1;

/// Partitions grouped by leader.
pub(crate) fn by_leader(
    meta: &TopicMeta,
    partitions: impl IntoIterator<Item = i32>,
) -> BTreeMap<i32, Vec<i32>> {
    let mut out: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for p in partitions {
        out.entry(meta.leader(p).unwrap_or(-1)).or_default().push(p);
    }
    out
}

/// `ListOffsets` for each partition at its timestamp: partition → (offset, timestamp).
pub(crate) async fn list_offsets(
    client: &Client,
    topic: &str,
    meta: &TopicMeta,
    times: &BTreeMap<i32, i64>,
) -> Result<BTreeMap<i32, i64>, KafkaError> {
    let mut out = BTreeMap::new();
    for (leader, partitions) in by_leader(meta, times.keys().copied()) {
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(topic_name(topic))
                .with_partitions(
                    partitions
                        .iter()
                        .map(|p| {
                            ListOffsetsPartition::default()
                                .with_partition_index(*p)
                                .with_current_leader_epoch(-1)
                                .with_timestamp(times[p])
                        })
                        .collect(),
                )]);
        let response = client.request_broker(leader, &request).await?;
        for t in response.topics {
            for p in t.partitions {
                check(
                    "ListOffsets",
                    format!("{topic} partition {}", p.partition_index),
                    p.error_code,
                    None,
                )?;
                out.insert(p.partition_index, p.offset);
            }
        }
    }
    Ok(out)
}

/// `(low, high)` per partition. The high watermark comes from a Fetch
/// response where it exceeds ListOffsets' answer (tansu's ListOffsets
/// latest is wrong after multi-record batches).
pub(crate) async fn watermarks(
    client: &Client,
    topic: &str,
    meta: &TopicMeta,
) -> Result<BTreeMap<i32, (i64, i64)>, KafkaError> {
    let all: Vec<i32> = meta.partitions.iter().map(|(p, _)| *p).collect();
    let lows = list_offsets(
        client,
        topic,
        meta,
        &all.iter().map(|p| (*p, EARLIEST)).collect(),
    )
    .await?;
    let highs = list_offsets(
        client,
        topic,
        meta,
        &all.iter().map(|p| (*p, LATEST)).collect(),
    )
    .await?;
    let mut out = BTreeMap::new();
    for (leader, partitions) in by_leader(meta, all.iter().copied()) {
        let request = fetch_request(
            topic,
            partitions.iter().map(|p| (*p, highs[p].max(lows[p]))),
            // tansu answers nothing at all to a Fetch with max_wait 0.
            50,
            1024,
            1024 * 1024,
        )
        .with_min_bytes(0);
        let response = client.request_broker(leader, &request).await?;
        for t in response.responses {
            for p in t.partitions {
                let low = lows.get(&p.partition_index).copied().unwrap_or(0);
                let listed = highs.get(&p.partition_index).copied().unwrap_or(low);
                let high = if ErrorCode(p.error_code).is_ok() {
                    listed.max(p.high_watermark)
                } else {
                    listed
                };
                out.insert(p.partition_index, (low.min(high), high));
            }
        }
    }
    for p in all {
        out.entry(p)
            .or_insert_with(|| (lows[&p], highs[&p].max(lows[&p])));
    }
    Ok(out)
}

/// A Fetch request for one topic.
pub(crate) fn fetch_request(
    topic: &str,
    partitions: impl Iterator<Item = (i32, i64)>,
    max_wait_ms: i32,
    partition_max_bytes: i32,
    max_bytes: i32,
) -> FetchRequest {
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(max_bytes)
        .with_isolation_level(0)
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(topic))
            .with_partitions(
                partitions
                    .map(|(p, offset)| {
                        FetchPartition::default()
                            .with_partition(p)
                            .with_current_leader_epoch(-1)
                            .with_fetch_offset(offset)
                            .with_last_fetched_epoch(-1)
                            .with_log_start_offset(-1)
                            .with_partition_max_bytes(partition_max_bytes)
                    })
                    .collect(),
            )])
        .with_rack_id(StrBytes::from_static_str(""))
}

/// Committed offsets of `group`: topic → partition → offset.
pub(crate) async fn fetch_committed(
    client: &Client,
    coordinator: &str,
    group: &str,
    topic: Option<(&str, &[i32])>,
) -> Result<BTreeMap<String, BTreeMap<i32, i64>>, KafkaError> {
    use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
    let request = OffsetFetchRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
        .with_topics(topic.map(|(t, partitions)| {
            vec![OffsetFetchRequestTopic::default()
                .with_name(topic_name(t))
                .with_partition_indexes(partitions.to_vec())]
        }));
    let response = client.request_at(coordinator, &request).await?;
    check(
        "OffsetFetch",
        format!("group {group}"),
        response.error_code,
        None,
    )?;
    let mut out: BTreeMap<String, BTreeMap<i32, i64>> = BTreeMap::new();
    for t in response.topics {
        for p in t.partitions {
            if ErrorCode(p.error_code) == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION {
                continue;
            }
            check(
                "OffsetFetch",
                format!(
                    "group {group} topic {} partition {}",
                    t.name.0, p.partition_index
                ),
                p.error_code,
                None,
            )?;
            if p.committed_offset >= 0 {
                out.entry(t.name.0.to_string())
                    .or_default()
                    .insert(p.partition_index, p.committed_offset);
            }
        }
    }
    Ok(out)
}

/// Member identity for commits from a group member; `None` commits as a
/// simple (non-member) client.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) generation: i32,
    pub(crate) member_id: Arc<str>,
}

/// Commits `offsets` of `topic` for `group`.
pub(crate) async fn commit(
    client: &Client,
    coordinator: &str,
    group: &str,
    member: Option<&Member>,
    topic: &str,
    offsets: &BTreeMap<i32, i64>,
) -> Result<(), KafkaError> {
    let request = OffsetCommitRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
        .with_generation_id_or_member_epoch(member.map_or(-1, |m| m.generation))
        .with_member_id(StrBytes::from_string(
            member.map_or_else(String::new, |m| m.member_id.to_string()),
        ))
        .with_retention_time_ms(-1)
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic_name(topic))
            .with_partitions(
                offsets
                    .iter()
                    .map(|(p, o)| {
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(*p)
                            .with_committed_offset(*o)
                            .with_committed_leader_epoch(-1)
                    })
                    .collect(),
            )]);
    let response = client.request_at(coordinator, &request).await?;
    for t in response.topics {
        for p in t.partitions {
            check(
                "OffsetCommit",
                format!(
                    "group {group} topic {topic} partition {}",
                    p.partition_index
                ),
                p.error_code,
                None,
            )?;
        }
    }
    Ok(())
}
