//! A consumer group member: JoinGroup/SyncGroup with the range assignor,
//! heartbeats and rejoins in a background task, LeaveGroup on close.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, GroupId, HeartbeatRequest,
    JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::sync::{watch, Mutex};

use crate::client::{topic_name, Client};
use crate::conn::Connection;
use crate::error::{check, Error as KafkaError, ErrorCode};
use crate::ops::Member;

const PROTOCOL: &str = "range";

/// What the group assigned to this member.
#[derive(Clone, Debug, Default)]
pub(crate) struct Assignment {
    pub(crate) generation: i32,
    pub(crate) member_id: Arc<str>,
    /// Partitions of our topic.
    pub(crate) partitions: Vec<i32>,
}

impl Assignment {
    pub(crate) fn member(&self) -> Member {
        Member {
            generation: self.generation,
            member_id: self.member_id.clone(),
        }
    }
}

struct State {
    client: Arc<Client>,
    conn: Mutex<Connection>,
    group: String,
    topic: String,
    session_timeout_ms: i32,
    tx: watch::Sender<Assignment>,
}

/// A joined member; the heartbeat task runs until [`Membership::leave`].
pub(crate) struct Membership {
    state: Arc<State>,
    pub(crate) rx: watch::Receiver<Assignment>,
    task: tokio::task::JoinHandle<()>,
    pub(crate) coordinator: String,
}

impl Membership {
    /// Joins `group` for `topic` and waits for the first assignment.
    pub(crate) async fn join(
        client: Arc<Client>,
        group: &str,
        topic: &str,
        session_timeout_ms: u64,
    ) -> Result<Self, KafkaError> {
        let coordinator = client.coordinator(group).await?;
        let conn = client.dedicated(&coordinator).await?;
        let (tx, rx) = watch::channel(Assignment::default());
        let state = Arc::new(State {
            client,
            conn: Mutex::new(conn),
            group: group.to_owned(),
            topic: topic.to_owned(),
            session_timeout_ms: session_timeout_ms.clamp(1000, i32::MAX as u64) as i32,
            tx,
        });
        let first = state.join_and_sync(String::new()).await?;
        state.tx.send_replace(first);
        let task = tokio::spawn(heartbeat_loop(state.clone()));
        Ok(Self {
            state,
            rx,
            task,
            coordinator,
        })
    }

    /// The current assignment.
    pub(crate) fn current(&self) -> Assignment {
        self.rx.borrow().clone()
    }

    /// Leaves the group and stops the heartbeats.
    pub(crate) async fn leave(self) {
        self.task.abort();
        let a = self.current();
        let mut conn = self.state.conn.lock().await;
        let mut request = LeaveGroupRequest::default().with_group_id(group_id(&self.state.group));
        let member = StrBytes::from_string(a.member_id.to_string());
        request = if conn.version::<LeaveGroupRequest>().unwrap_or(0) >= 3 {
            request.with_members(vec![MemberIdentity::default().with_member_id(member)])
        } else {
            request.with_member_id(member)
        };
        match conn.send_timeout(&request, Duration::from_secs(5)).await {
            Ok(r) if !ErrorCode(r.error_code).is_ok() => {
                tracing::debug!(group = %self.state.group, code = r.error_code, "LeaveGroup refused")
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(group = %self.state.group, error = %e, "LeaveGroup failed"),
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn group_id(group: &str) -> GroupId {
    GroupId(StrBytes::from_string(group.to_owned()))
}

fn versioned<T: Encodable>(value: &T, version: i16) -> Result<Bytes, KafkaError> {
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    value
        .encode(&mut buf, version)
        .map_err(|e| KafkaError::Protocol {
            broker: String::new(),
            operation: "JoinGroup",
            reason: format!("encoding consumer protocol data: {e}"),
        })?;
    Ok(buf.freeze())
}

fn unversioned<T: Decodable + Default>(mut data: Bytes) -> Result<T, KafkaError> {
    if data.len() < 2 {
        return Ok(T::default());
    }
    let version = data.get_i16().min(3);
    T::decode(&mut data, version).map_err(|e| KafkaError::Protocol {
        broker: String::new(),
        operation: "SyncGroup",
        reason: format!("decoding consumer protocol data: {e}"),
    })
}

/// The range assignor: per topic, members sorted by id get consecutive
/// ranges of partitions, the first ones one more when it does not divide.
pub(crate) fn range_assign(
    members: &BTreeMap<String, Vec<String>>,
    partitions: &BTreeMap<String, i32>,
) -> BTreeMap<String, BTreeMap<String, Vec<i32>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<i32>>> = members
        .keys()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    for (topic, &count) in partitions {
        let subscribed: Vec<&String> = members
            .iter()
            .filter(|(_, topics)| topics.contains(topic))
            .map(|(m, _)| m)
            .collect();
        if subscribed.is_empty() {
            continue;
        }
        let n = count / subscribed.len() as i32;
        let extra = count % subscribed.len() as i32;
        let mut next = 0;
        for (i, member) in subscribed.iter().enumerate() {
            let take = n + i32::from((i as i32) < extra);
            let assigned: Vec<i32> = (next..next + take).collect();
            next += take;
            out.get_mut(*member)
                .expect("member listed")
                .insert(topic.clone(), assigned);
        }
    }
    out
}

impl State {
    async fn join_and_sync(&self, mut member_id: String) -> Result<Assignment, KafkaError> {
        let subscription = versioned(
            &ConsumerProtocolSubscription::default()
                .with_topics(vec![StrBytes::from_string(self.topic.clone())]),
            0,
        )?;
        let rebalance_timeout = self.session_timeout_ms.max(30_000);
        let mut conn = self.conn.lock().await;
        loop {
            let request = JoinGroupRequest::default()
                .with_group_id(group_id(&self.group))
                .with_session_timeout_ms(self.session_timeout_ms)
                .with_rebalance_timeout_ms(rebalance_timeout)
                .with_member_id(StrBytes::from_string(member_id.clone()))
                .with_protocol_type(StrBytes::from_static_str("consumer"))
                .with_protocols(vec![JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str(PROTOCOL))
                    .with_metadata(subscription.clone())]);
            let timeout = Duration::from_millis(
                rebalance_timeout as u64 + self.session_timeout_ms as u64 + 5000,
            );
            let joined = conn.send_timeout(&request, timeout).await?;
            match ErrorCode(joined.error_code) {
                ErrorCode::NONE => {}
                ErrorCode::MEMBER_ID_REQUIRED => {
                    // Rejoin with the id the broker gave us.
                    member_id = joined.member_id.to_string();
                    continue;
                }
                ErrorCode::UNKNOWN_MEMBER_ID if !member_id.is_empty() => {
                    member_id.clear();
                    continue;
                }
                ErrorCode::REBALANCE_IN_PROGRESS => continue,
                code => {
                    check("JoinGroup", format!("group {}", self.group), code.0, None)?;
                }
            }
            member_id = joined.member_id.to_string();
            let generation = joined.generation_id;
            let assignments = if joined.leader.as_str() == member_id {
                self.assign(&joined.members).await?
            } else {
                Vec::new()
            };
            let request = SyncGroupRequest::default()
                .with_group_id(group_id(&self.group))
                .with_generation_id(generation)
                .with_member_id(StrBytes::from_string(member_id.clone()))
                .with_protocol_type(Some(StrBytes::from_static_str("consumer")))
                .with_protocol_name(Some(StrBytes::from_static_str(PROTOCOL)))
                .with_assignments(assignments);
            let synced = conn.send_timeout(&request, timeout).await?;
            match ErrorCode(synced.error_code) {
                ErrorCode::NONE => {}
                ErrorCode::REBALANCE_IN_PROGRESS => continue,
                ErrorCode::UNKNOWN_MEMBER_ID => {
                    member_id.clear();
                    continue;
                }
                code => check("SyncGroup", format!("group {}", self.group), code.0, None)?,
            }
            let assignment: ConsumerProtocolAssignment = unversioned(synced.assignment)?;
            let mut partitions: Vec<i32> = assignment
                .assigned_partitions
                .iter()
                .filter(|t| t.topic.0.as_str() == self.topic)
                .flat_map(|t| t.partitions.iter().copied())
                .collect();
            partitions.sort_unstable();
            tracing::debug!(group = %self.group, generation, ?partitions, "joined group");
            return Ok(Assignment {
                generation,
                member_id: Arc::from(member_id.as_str()),
                partitions,
            });
        }
    }

    async fn assign(
        &self,
        members: &[kafka_protocol::messages::join_group_response::JoinGroupResponseMember],
    ) -> Result<Vec<SyncGroupRequestAssignment>, KafkaError> {
        let mut subscriptions = BTreeMap::new();
        for m in members {
            let sub: ConsumerProtocolSubscription = unversioned(m.metadata.clone())?;
            subscriptions.insert(
                m.member_id.to_string(),
                sub.topics.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            );
        }
        let mut topics: Vec<String> = subscriptions.values().flatten().cloned().collect();
        topics.sort();
        topics.dedup();
        let mut counts = BTreeMap::new();
        for t in &topics {
            match self.client.topic(t).await {
                Ok(meta) => {
                    counts.insert(t.clone(), meta.count());
                }
                Err(e) if e.code() == Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) => {}
                Err(e) => return Err(e),
            }
        }
        let plan = range_assign(&subscriptions, &counts);
        let mut out = Vec::new();
        for (member, topics) in plan {
            let assignment = ConsumerProtocolAssignment::default().with_assigned_partitions(
                topics
                    .into_iter()
                    .map(|(t, ps)| {
                        AssignedTopic::default()
                            .with_topic(topic_name(&t))
                            .with_partitions(ps)
                    })
                    .collect(),
            );
            out.push(
                SyncGroupRequestAssignment::default()
                    .with_member_id(StrBytes::from_string(member))
                    .with_assignment(versioned(&assignment, 0)?),
            );
        }
        Ok(out)
    }
}

async fn heartbeat_loop(state: Arc<State>) {
    let interval = Duration::from_millis((state.session_timeout_ms as u64 / 3).clamp(100, 3000));
    loop {
        tokio::time::sleep(interval).await;
        let current = state.tx.borrow().clone();
        let request = HeartbeatRequest::default()
            .with_group_id(group_id(&state.group))
            .with_generation_id(current.generation)
            .with_member_id(StrBytes::from_string(current.member_id.to_string()));
        let result = {
            let mut conn = state.conn.lock().await;
            conn.send_timeout(
                &request,
                Duration::from_millis(state.session_timeout_ms as u64),
            )
            .await
        };
        let rejoin_as = match result {
            Ok(r) if ErrorCode(r.error_code).is_ok() => continue,
            Ok(r) if ErrorCode(r.error_code) == ErrorCode::REBALANCE_IN_PROGRESS => {
                Some(current.member_id.to_string())
            }
            Ok(r)
                if matches!(
                    ErrorCode(r.error_code),
                    ErrorCode::UNKNOWN_MEMBER_ID | ErrorCode::ILLEGAL_GENERATION
                ) =>
            {
                Some(String::new())
            }
            Ok(r) => {
                tracing::warn!(group = %state.group, code = r.error_code, "heartbeat failed");
                continue;
            }
            Err(e) => {
                tracing::warn!(group = %state.group, error = %e, "heartbeat failed; reconnecting");
                if let Ok(addr) = state.client.coordinator(&state.group).await {
                    if let Ok(conn) = state.client.dedicated(&addr).await {
                        *state.conn.lock().await = conn;
                    }
                }
                Some(current.member_id.to_string())
            }
        };
        if let Some(member_id) = rejoin_as {
            match state.join_and_sync(member_id).await {
                Ok(a) => {
                    state.tx.send_replace(a);
                }
                Err(e) => {
                    tracing::warn!(group = %state.group, error = %e, "rejoining group failed")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_splits_like_kafka() {
        let members: BTreeMap<String, Vec<String>> = [
            ("a".to_string(), vec!["t".to_string()]),
            ("b".to_string(), vec!["t".to_string()]),
        ]
        .into();
        let counts: BTreeMap<String, i32> = [("t".to_string(), 3)].into();
        let plan = range_assign(&members, &counts);
        assert_eq!(plan["a"]["t"], vec![0, 1]);
        assert_eq!(plan["b"]["t"], vec![2]);
    }
}
