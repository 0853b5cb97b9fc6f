//! The cluster client: bootstrap with bounded retries, broker addresses
//! from Metadata, one pooled connection per broker, and group coordinators.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    FindCoordinatorRequest, MetadataRequest, MetadataResponse, TopicName,
};
use kafka_protocol::protocol::{Request, StrBytes};
use tokio::sync::Mutex;

use crate::config::ClientConfig;
use crate::conn::Connection;
use crate::error::{check, Error as KafkaError, ErrorCode};

type Slot = Arc<Mutex<Option<Connection>>>;

/// A topic's partitions and their leaders.
#[derive(Clone, Debug, Default)]
pub(crate) struct TopicMeta {
    /// `(partition, leader broker id)`, sorted by partition.
    pub(crate) partitions: Vec<(i32, i32)>,
}

impl TopicMeta {
    pub(crate) fn count(&self) -> i32 {
        self.partitions.len() as i32
    }

    pub(crate) fn leader(&self, partition: i32) -> Option<i32> {
        self.partitions
            .iter()
            .find(|(p, _)| *p == partition)
            .map(|(_, l)| *l)
    }
}

/// A connection to a cluster.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) config: ClientConfig,
    brokers: StdMutex<BTreeMap<i32, String>>,
    pool: StdMutex<HashMap<String, Slot>>,
}

pub(crate) fn topic_name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_owned()))
}

impl Client {
    /// Connects to the cluster, trying every bootstrap server up to
    /// `block.num.retries` times, `block.interval` apart.
    pub(crate) async fn connect(config: ClientConfig) -> Result<Arc<Self>, KafkaError> {
        config.check_bootstrap().map_err(KafkaError::Unsupported)?;
        let client = Arc::new(Client {
            config,
            brokers: StdMutex::new(BTreeMap::new()),
            pool: StdMutex::new(HashMap::new()),
        });
        let start = Instant::now();
        let mut attempts = 0;
        let mut last = String::from("no bootstrap server configured");
        let connect_timeout = client.config.deadline().min(Duration::from_secs(10));
        for round in 0..client.config.retries {
            if round > 0 {
                tokio::time::sleep(client.config.interval).await;
            }
            for addr in client.config.bootstrap.clone() {
                attempts += 1;
                match Connection::open(&addr, &client.config, connect_timeout).await {
                    Ok(mut conn) => {
                        let response = conn.send(&metadata_request(Some(&[]))).await;
                        match response {
                            Ok(response) => {
                                client.learn(&response);
                                client.put(&addr, conn);
                                return Ok(client);
                            }
                            Err(e) if e.is_retryable() => last = e.to_string(),
                            Err(e) => return Err(e),
                        }
                    }
                    Err(e) if e.is_retryable() => last = e.to_string(),
                    Err(e) => return Err(e),
                }
            }
        }
        Err(KafkaError::Unreachable {
            servers: client.config.bootstrap_text.clone(),
            attempts,
            seconds: start.elapsed().as_secs_f64(),
            last,
        })
    }

    fn learn(&self, response: &MetadataResponse) {
        let mut brokers = self.brokers.lock().expect("broker map lock");
        for b in &response.brokers {
            brokers.insert(b.node_id.0, format!("{}:{}", b.host, b.port));
        }
    }

    fn put(&self, addr: &str, conn: Connection) {
        let slot = Arc::new(Mutex::new(Some(conn)));
        self.pool
            .lock()
            .expect("pool lock")
            .insert(addr.to_owned(), slot);
    }

    fn slot(&self, addr: &str) -> Slot {
        self.pool
            .lock()
            .expect("pool lock")
            .entry(addr.to_owned())
            .or_insert_with(|| Arc::new(Mutex::new(None)))
            .clone()
    }

    /// Known brokers: id → `host:port`.
    pub(crate) fn brokers(&self) -> BTreeMap<i32, String> {
        self.brokers.lock().expect("broker map lock").clone()
    }

    /// The address of broker `id`, refreshing metadata once if unknown.
    pub(crate) async fn broker_addr(&self, id: i32) -> Result<String, KafkaError> {
        if let Some(addr) = self.brokers().get(&id) {
            return Ok(addr.clone());
        }
        self.metadata(Some(&[])).await?;
        self.brokers()
            .get(&id)
            .cloned()
            .ok_or_else(|| KafkaError::Protocol {
                broker: self.config.bootstrap_text.clone(),
                operation: "Metadata",
                reason: format!("broker {id} is not in the cluster metadata"),
            })
    }

    /// Some broker to send cluster-wide requests to.
    fn any_addr(&self) -> String {
        self.brokers()
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| self.config.bootstrap[0].clone())
    }

    /// Opens a connection of its own (for long-blocking requests such as
    /// JoinGroup or a consumer's fetches).
    pub(crate) async fn dedicated(&self, addr: &str) -> Result<Connection, KafkaError> {
        let timeout = self.config.deadline().min(Duration::from_secs(10));
        let mut last = None;
        for attempt in 0..self.config.retries {
            if attempt > 0 {
                tokio::time::sleep(self.config.interval).await;
            }
            match Connection::open(addr, &self.config, timeout).await {
                Ok(c) => return Ok(c),
                Err(e) if e.is_retryable() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| KafkaError::Io {
            broker: addr.to_owned(),
            reason: "no connection attempt made".into(),
        }))
    }

    /// Sends a request to the broker at `addr`, reconnecting and retrying on
    /// connection failures (at most `block.num.retries` times).
    pub(crate) async fn request_at<R: Request>(
        &self,
        addr: &str,
        request: &R,
    ) -> Result<R::Response, KafkaError> {
        let slot = self.slot(addr);
        let mut last = None;
        for attempt in 0..self.config.retries {
            if attempt > 0 {
                tokio::time::sleep(self.config.interval).await;
            }
            let mut guard = slot.lock().await;
            if guard.is_none() {
                let timeout = self.config.deadline().min(Duration::from_secs(10));
                match Connection::open(addr, &self.config, timeout).await {
                    Ok(c) => *guard = Some(c),
                    Err(e) if e.is_retryable() => {
                        last = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let conn = guard.as_mut().expect("connection just opened");
            match conn.send(request).await {
                Ok(response) => return Ok(response),
                Err(e @ KafkaError::Io { .. }) => {
                    *guard = None;
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| KafkaError::Io {
            broker: addr.to_owned(),
            reason: "no attempt made".into(),
        }))
    }

    /// Sends a request to any broker.
    pub(crate) async fn request<R: Request>(&self, request: &R) -> Result<R::Response, KafkaError> {
        let addr = self.any_addr();
        match self.request_at(&addr, request).await {
            Err(KafkaError::Io { .. }) if self.config.bootstrap.len() > 1 => {
                let mut last = None;
                for addr in self.config.bootstrap.clone() {
                    match self.request_at(&addr, request).await {
                        Ok(r) => return Ok(r),
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.expect("several bootstrap servers"))
            }
            other => other,
        }
    }

    /// Sends a request to broker `id`.
    pub(crate) async fn request_broker<R: Request>(
        &self,
        id: i32,
        request: &R,
    ) -> Result<R::Response, KafkaError> {
        let addr = self.broker_addr(id).await?;
        self.request_at(&addr, request).await
    }

    /// The controller's broker id (for admin requests), or any broker.
    pub(crate) async fn controller_addr(&self) -> Result<String, KafkaError> {
        let response = self.request(&metadata_request(Some(&[]))).await?;
        self.learn(&response);
        let id = response.controller_id.0;
        match self.brokers().get(&id) {
            Some(addr) if id >= 0 => Ok(addr.clone()),
            _ => Ok(self.any_addr()),
        }
    }

    /// Metadata for `topics` (`None` = all, empty = brokers only).
    pub(crate) async fn metadata(
        &self,
        topics: Option<&[&str]>,
    ) -> Result<MetadataResponse, KafkaError> {
        let response = self.request(&metadata_request(topics)).await?;
        self.learn(&response);
        Ok(response)
    }

    /// Partitions and leaders of one topic; retries while leaders are
    /// being elected.
    pub(crate) async fn topic(&self, topic: &str) -> Result<TopicMeta, KafkaError> {
        let mut attempt = 0;
        loop {
            let response = self.metadata(Some(&[topic])).await?;
            let result = (|| -> Result<TopicMeta, KafkaError> {
                let t = response
                    .topics
                    .iter()
                    .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == topic))
                    .ok_or_else(|| {
                        KafkaError::broker(
                            "Metadata",
                            topic,
                            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                            None,
                        )
                    })?;
                check("Metadata", topic, t.error_code, None)?;
                let mut partitions: Vec<(i32, i32)> = t
                    .partitions
                    .iter()
                    .map(|p| (p.partition_index, p.leader_id.0))
                    .collect();
                partitions.sort_unstable();
                if let Some(p) = t
                    .partitions
                    .iter()
                    .find(|p| ErrorCode(p.error_code) == ErrorCode::LEADER_NOT_AVAILABLE)
                {
                    check(
                        "Metadata",
                        format!("{topic} partition {}", p.partition_index),
                        5,
                        None,
                    )?;
                }
                Ok(TopicMeta { partitions })
            })();
            match result {
                Err(e) if e.is_retryable() && attempt + 1 < self.config.retries => {
                    attempt += 1;
                    tokio::time::sleep(self.config.interval).await;
                }
                other => return other,
            }
        }
    }

    /// The address of `group`'s coordinator.
    pub(crate) async fn coordinator(&self, group: &str) -> Result<String, KafkaError> {
        let mut attempt = 0;
        loop {
            let response = self
                .request(
                    &FindCoordinatorRequest::default()
                        .with_key(StrBytes::from_string(group.to_owned()))
                        .with_key_type(0),
                )
                .await?;
            match check(
                "FindCoordinator",
                format!("group {group}"),
                response.error_code,
                response.error_message.as_deref(),
            ) {
                Ok(()) => return Ok(format!("{}:{}", response.host, response.port)),
                Err(e) if e.is_retryable() && attempt + 1 < self.config.retries => {
                    attempt += 1;
                    tokio::time::sleep(self.config.interval).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

pub(crate) fn metadata_request(topics: Option<&[&str]>) -> MetadataRequest {
    MetadataRequest::default()
        .with_topics(topics.map(|ts| {
            ts.iter()
                .map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t))))
                .collect()
        }))
        .with_allow_auto_topic_creation(false)
}
