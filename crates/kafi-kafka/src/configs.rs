//! Brokers and the configs of topics and brokers (DescribeCluster,
//! DescribeConfigs, IncrementalAlterConfigs).

use std::collections::BTreeMap;

use kafi_core::{Error, Result};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{
    DescribeClusterRequest, DescribeConfigsRequest, IncrementalAlterConfigsRequest,
};
use kafka_protocol::protocol::StrBytes;

use crate::error::{check, to_core, Error as KafkaError};
use crate::storage::{kerr, Inner};

/// The config resource type of a topic.
pub(crate) const RESOURCE_TOPIC: i8 = 2;
/// The config resource type of a broker.
pub(crate) const RESOURCE_BROKER: i8 = 4;

impl Inner {
    pub(crate) async fn brokers(&self) -> Result<BTreeMap<i32, String>> {
        let described = async {
            let response = self
                .client
                .request(&DescribeClusterRequest::default())
                .await?;
            check(
                "DescribeCluster",
                "",
                response.error_code,
                response.error_message.as_deref(),
            )?;
            Ok::<_, KafkaError>(
                response
                    .brokers
                    .iter()
                    .map(|b| (b.broker_id.0, format!("{}:{}", b.host, b.port)))
                    .collect::<BTreeMap<_, _>>(),
            )
        }
        .await;
        match described {
            Ok(b) => Ok(b),
            // Brokers without DescribeCluster: Metadata lists them too.
            Err(KafkaError::Unsupported(_)) => {
                self.client.metadata(Some(&[])).await.map_err(kerr)?;
                Ok(self.client.brokers())
            }
            Err(e) => Err(kerr(e)),
        }
    }

    pub(crate) async fn describe_configs(
        &self,
        resource_type: i8,
        name: &str,
    ) -> Result<BTreeMap<String, String>> {
        let request = DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(name.to_owned()))
                .with_configuration_keys(None),
        ]);
        let response = if resource_type == RESOURCE_BROKER {
            let id: i32 = name.parse().map_err(|_| {
                Error::InvalidArgument(format!("broker id {name:?} is not a number"))
            })?;
            self.client.request_broker(id, &request).await
        } else {
            self.client.request(&request).await
        }
        .map_err(kerr)?;
        let mut out = BTreeMap::new();
        for r in response.results {
            check(
                "DescribeConfigs",
                &r.resource_name,
                r.error_code,
                r.error_message.as_deref(),
            )
            .map_err(|e| to_core(e, (resource_type == RESOURCE_TOPIC).then_some(name), None))?;
            for c in r.configs {
                if let Some(v) = c.value {
                    out.insert(c.name.to_string(), v.to_string());
                }
            }
        }
        Ok(out)
    }

    pub(crate) async fn alter_configs(
        &self,
        resource_type: i8,
        name: &str,
        entries: &BTreeMap<String, String>,
    ) -> Result<()> {
        let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(name.to_owned()))
                .with_configs(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            AlterableConfig::default()
                                .with_name(StrBytes::from_string(k.clone()))
                                .with_config_operation(0)
                                .with_value(Some(StrBytes::from_string(v.clone())))
                        })
                        .collect(),
                ),
        ]);
        let response = if resource_type == RESOURCE_BROKER {
            let id: i32 = name.parse().map_err(|_| {
                Error::InvalidArgument(format!("broker id {name:?} is not a number"))
            })?;
            self.client.request_broker(id, &request).await
        } else {
            self.client.request(&request).await
        }
        .map_err(kerr)?;
        for r in response.responses {
            check(
                "IncrementalAlterConfigs",
                &r.resource_name,
                r.error_code,
                r.error_message.as_deref(),
            )
            .map_err(|e| to_core(e, (resource_type == RESOURCE_TOPIC).then_some(name), None))?;
        }
        Ok(())
    }
}
