//! ACLs: describe, create and delete, with Kafka's numeric codes ↔ kafi's
//! lower-case names.

use kafi_core::{Acl, Error, Result};
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::{CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest};
use kafka_protocol::protocol::StrBytes;

use crate::error::check;
use crate::storage::{kerr, Inner};

const RESOURCE_TYPES: &[(i8, &str)] = &[
    (1, "any"),
    (2, "topic"),
    (3, "group"),
    (4, "cluster"),
    (5, "transactional_id"),
    (6, "delegation_token"),
    (7, "user"),
];
const PATTERN_TYPES: &[(i8, &str)] = &[(1, "any"), (2, "match"), (3, "literal"), (4, "prefixed")];
const OPERATIONS: &[(i8, &str)] = &[
    (1, "any"),
    (2, "all"),
    (3, "read"),
    (4, "write"),
    (5, "create"),
    (6, "delete"),
    (7, "alter"),
    (8, "describe"),
    (9, "cluster_action"),
    (10, "describe_configs"),
    (11, "alter_configs"),
    (12, "idempotent_write"),
    (13, "create_tokens"),
    (14, "describe_tokens"),
];
const PERMISSIONS: &[(i8, &str)] = &[(1, "any"), (2, "deny"), (3, "allow")];

fn code(table: &[(i8, &str)], what: &str, value: &str, filter: bool, default: &str) -> Result<i8> {
    let value = value.trim().to_ascii_lowercase().replace('-', "_");
    let value = if value.is_empty() {
        if filter {
            "any".to_owned()
        } else {
            default.to_owned()
        }
    } else {
        value
    };
    table
        .iter()
        .find(|(_, n)| *n == value)
        .map(|(c, _)| *c)
        .filter(|c| filter || *c != 1 || value != "any")
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "ACL {what} {value:?} is not one of {}",
                table
                    .iter()
                    .filter(|(c, _)| filter || *c != 1)
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

fn name(table: &[(i8, &str)], code: i8) -> String {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| format!("unknown({code})"), |(_, n)| (*n).to_owned())
}

/// Numeric codes of an ACL: resource type, pattern type, operation, permission.
pub(crate) struct Codes {
    pub(crate) resource_type: i8,
    pub(crate) pattern_type: i8,
    pub(crate) operation: i8,
    pub(crate) permission: i8,
}

/// Codes of an ACL to create (`any` is not allowed) or of a filter.
pub(crate) fn codes(acl: &Acl, filter: bool) -> Result<Codes> {
    Ok(Codes {
        resource_type: code(
            RESOURCE_TYPES,
            "resource type",
            &acl.resource_type,
            filter,
            "topic",
        )?,
        pattern_type: code(
            PATTERN_TYPES,
            "pattern type",
            &acl.pattern_type,
            filter,
            "literal",
        )?,
        operation: code(OPERATIONS, "operation", &acl.operation, filter, "all")?,
        permission: code(PERMISSIONS, "permission", &acl.permission, filter, "allow")?,
    })
}

/// A filter string: `None` (any) when empty.
pub(crate) fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// An ACL from its codes.
pub(crate) fn from_codes(
    resource_type: i8,
    resource_name: &str,
    pattern_type: i8,
    principal: &str,
    host: &str,
    operation: i8,
    permission: i8,
) -> Acl {
    Acl {
        resource_type: name(RESOURCE_TYPES, resource_type),
        resource_name: resource_name.to_owned(),
        pattern_type: name(PATTERN_TYPES, pattern_type),
        principal: principal.to_owned(),
        host: host.to_owned(),
        operation: name(OPERATIONS, operation),
        permission: name(PERMISSIONS, permission),
    }
}

impl Inner {
    /// The ACLs matching `filter`, sorted.
    pub(crate) async fn describe_acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        let c = codes(filter, true)?;
        let request = DescribeAclsRequest::default()
            .with_resource_type_filter(c.resource_type)
            .with_resource_name_filter(opt(&filter.resource_name).map(StrBytes::from_string))
            .with_pattern_type_filter(c.pattern_type)
            .with_principal_filter(opt(&filter.principal).map(StrBytes::from_string))
            .with_host_filter(opt(&filter.host).map(StrBytes::from_string))
            .with_operation(c.operation)
            .with_permission_type(c.permission);
        let response = self.client.request(&request).await.map_err(kerr)?;
        check(
            "describe ACLs",
            "",
            response.error_code,
            response.error_message.as_deref(),
        )
        .map_err(kerr)?;
        let mut out = Vec::new();
        for r in response.resources {
            for a in r.acls {
                out.push(from_codes(
                    r.resource_type,
                    &r.resource_name,
                    r.pattern_type,
                    &a.principal,
                    &a.host,
                    a.operation,
                    a.permission_type,
                ));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Creates one ACL.
    pub(crate) async fn create_acl(&self, binding: &Acl) -> Result<()> {
        let c = codes(binding, false)?;
        if binding.principal.is_empty() {
            return Err(Error::InvalidArgument(
                "an ACL needs a principal (e.g. User:alice)".into(),
            ));
        }
        let request = CreateAclsRequest::default().with_creations(vec![AclCreation::default()
            .with_resource_type(c.resource_type)
            .with_resource_name(StrBytes::from_string(binding.resource_name.clone()))
            .with_resource_pattern_type(c.pattern_type)
            .with_principal(StrBytes::from_string(binding.principal.clone()))
            .with_host(StrBytes::from_string(if binding.host.is_empty() {
                "*".to_owned()
            } else {
                binding.host.clone()
            }))
            .with_operation(c.operation)
            .with_permission_type(c.permission)]);
        let response = self.client.request(&request).await.map_err(kerr)?;
        for r in response.results {
            check("create ACL", "", r.error_code, r.error_message.as_deref()).map_err(kerr)?;
        }
        Ok(())
    }

    /// Deletes the ACLs matching `filter`; returns them, sorted.
    pub(crate) async fn delete_acls(&self, filter: &Acl) -> Result<Vec<Acl>> {
        let c = codes(filter, true)?;
        let request = DeleteAclsRequest::default().with_filters(vec![DeleteAclsFilter::default()
            .with_resource_type_filter(c.resource_type)
            .with_resource_name_filter(opt(&filter.resource_name).map(StrBytes::from_string))
            .with_pattern_type_filter(c.pattern_type)
            .with_principal_filter(opt(&filter.principal).map(StrBytes::from_string))
            .with_host_filter(opt(&filter.host).map(StrBytes::from_string))
            .with_operation(c.operation)
            .with_permission_type(c.permission)]);
        let response = self.client.request(&request).await.map_err(kerr)?;
        let mut out = Vec::new();
        for r in response.filter_results {
            check("delete ACLs", "", r.error_code, r.error_message.as_deref()).map_err(kerr)?;
            for m in r.matching_acls {
                check("delete ACL", "", m.error_code, m.error_message.as_deref()).map_err(kerr)?;
                out.push(from_codes(
                    m.resource_type,
                    &m.resource_name,
                    m.pattern_type,
                    &m.principal,
                    &m.host,
                    m.operation,
                    m.permission_type,
                ));
            }
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        let acl = Acl {
            resource_type: "Topic".into(),
            resource_name: "t".into(),
            principal: "User:alice".into(),
            host: "*".into(),
            operation: "read".into(),
            ..Default::default()
        };
        let c = codes(&acl, false).unwrap();
        assert_eq!(
            (c.resource_type, c.pattern_type, c.operation, c.permission),
            (2, 3, 3, 3)
        );
        assert!(codes(
            &Acl {
                operation: "any".into(),
                ..acl.clone()
            },
            false
        )
        .is_err());
        let f = codes(&Acl::default(), true).unwrap();
        assert_eq!(
            (f.resource_type, f.pattern_type, f.operation, f.permission),
            (1, 1, 1, 1)
        );
        assert_eq!(
            from_codes(2, "t", 4, "User:a", "*", 4, 2).pattern_type,
            "prefixed"
        );
    }
}
