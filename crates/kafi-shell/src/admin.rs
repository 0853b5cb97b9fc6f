//! Cluster administration: brokers, broker configs and ACLs. Storages
//! without them (the emulations) answer `Unsupported`.

use std::collections::BTreeMap;

use kafi_core::Acl;

use crate::{Result, Shell};

impl Shell {
    /// Brokers: id → `host:port`.
    pub async fn brokers(&self) -> Result<BTreeMap<i32, String>> {
        Ok(self.storage().brokers().await?)
    }

    /// A broker's configuration.
    pub async fn broker_config(&self, broker: i32) -> Result<BTreeMap<String, String>> {
        Ok(self.storage().broker_config(broker).await?)
    }

    /// Sets configuration entries of a broker.
    pub async fn set_broker_config(
        &self,
        broker: i32,
        entries: &BTreeMap<String, String>,
    ) -> Result<()> {
        Ok(self.storage().alter_broker_config(broker, entries).await?)
    }

    /// ACLs matching `filter` (empty fields match everything).
    pub async fn acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        Ok(self.storage().acls(filter).await?)
    }

    /// Creates an ACL.
    pub async fn create_acl(&self, acl: &Acl) -> Result<()> {
        Ok(self.storage().create_acl(acl).await?)
    }

    /// Deletes the ACLs matching `filter`; returns them.
    pub async fn delete_acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        Ok(self.storage().delete_acls(filter).await?)
    }
}
