//! The subcommands, one module per group, each holding its clap
//! arguments and its handler: parse (clap), resolve (flags into typed
//! options, [`crate::resolve`]), run (a [`kafi::Shell`] method), render
//! ([`crate::render`], or messages as JSON lines). This module only
//! dispatches; nothing below depends on it.

mod cluster;
mod cp;
mod groups;
mod produce;
mod quickstart;
mod read;
mod registry;
mod topics;

use anyhow::Result;
use clap::Subcommand;

/// Every subcommand, in the order `kafi --help` lists them.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List topics (`l`/`ll` for partitions, watermarks and sizes).
    #[command(visible_alias = "topics")]
    Ls(topics::LsArgs),
    /// Long listing (same as ls -l).
    #[command(visible_alias = "ll")]
    L(topics::LArgs),
    /// Exit 0 if the topic exists, 1 if not.
    Exists(topics::TopicArgs),
    /// Create a topic.
    #[command(visible_alias = "create")]
    Touch(topics::TouchArgs),
    /// Delete topics (globs allowed).
    #[command(visible_alias = "delete")]
    Rm(topics::RmArgs),
    /// Show (or increase with --set) the number of partitions.
    Partitions(topics::PartitionsArgs),
    /// Low and high watermarks per partition.
    Watermarks(topics::WatermarksArgs),
    /// Show (or change with --set) a topic's config.
    Config(topics::ConfigArgs),
    /// Delete records before offsets per partition (-1 = all).
    DeleteRecords(topics::DeleteRecordsArgs),
    /// First offsets at or after timestamps (ms) per partition.
    OffsetsForTimes(topics::OffsetsForTimesArgs),
    /// List consumer groups.
    Groups(groups::GroupsArgs),
    /// Describe consumer groups.
    DescribeGroups(groups::GroupsArgs),
    /// Delete consumer groups.
    DeleteGroups(groups::DeleteGroupsArgs),
    /// Committed offsets of consumer groups.
    GroupOffsets(groups::GroupsArgs),
    /// Set a group's committed offsets.
    SetGroupOffsets(groups::SetGroupOffsetsArgs),
    /// Lag per partition of a consumer group.
    Lags(groups::LagsArgs),
    /// Copy a group's committed offsets to another storage/group.
    CpGroupOffsets(groups::CpGroupOffsetsArgs),
    /// Produce messages: VALUEs given, else one per line from stdin (empty lines are skipped).
    Produce(produce::ProduceArgs),
    /// Print messages as JSON lines.
    Cat(read::CatArgs),
    /// Print the first N messages (default 10).
    Head(read::CatArgs),
    /// Print the last N messages.
    Tail(read::TailArgs),
    /// Copy a topic to any storage, optionally through a jq map or flatmap.
    Cp(cp::CpArgs),
    /// Print messages whose key or value matches a regular expression.
    Grep(read::GrepArgs),
    /// Print messages for which a jq expression is true.
    Filter(read::FilterArgs),
    /// Count messages, words and bytes.
    Wc(read::WcArgs),
    /// Compare two topics; exit 1 if they differ.
    Diff(read::DiffArgs),
    /// Keep the last message per key (print, or write to a target).
    Compact(read::CompactArgs),
    /// Delete and re-create a topic with the same partitions and config.
    Recreate(topics::TopicArgs),
    /// List the configs available for a storage kind.
    Configs(topics::ConfigsArgs),
    #[command(flatten)]
    Registry(registry::RegistryCommand),
    /// List the brokers of a cluster (id and address).
    Brokers(cluster::BrokersArgs),
    /// Show (or change with --set) a broker's config.
    BrokerConfig(cluster::BrokerConfigArgs),
    /// List ACLs matching a filter (every given option must match).
    Acls(cluster::AclsArgs),
    /// Create an ACL.
    CreateAcl(cluster::CreateAclArgs),
    /// Delete the ACLs matching a filter.
    DeleteAcls(cluster::AclsArgs),
    /// Walk through the seed's examples on a local emulated storage.
    Quickstart(quickstart::QuickstartArgs),
}

/// Runs a command; returns the exit code for answers (0 or 1).
pub async fn run(command: Command) -> Result<u8> {
    use Command as C;
    match command {
        C::Ls(a) => topics::ls(a).await,
        C::L(a) => topics::l(a).await,
        C::Exists(a) => topics::exists(a).await,
        C::Touch(a) => topics::touch(a).await,
        C::Rm(a) => topics::rm(a).await,
        C::Partitions(a) => topics::partitions(a).await,
        C::Watermarks(a) => topics::watermarks(a).await,
        C::Config(a) => topics::config(a).await,
        C::DeleteRecords(a) => topics::delete_records(a).await,
        C::OffsetsForTimes(a) => topics::offsets_for_times(a).await,
        C::Recreate(a) => topics::recreate(a).await,
        C::Configs(a) => topics::configs(a),
        C::Groups(a) => groups::groups(a).await,
        C::DescribeGroups(a) => groups::describe_groups(a).await,
        C::DeleteGroups(a) => groups::delete_groups(a).await,
        C::GroupOffsets(a) => groups::group_offsets(a).await,
        C::SetGroupOffsets(a) => groups::set_group_offsets(a).await,
        C::Lags(a) => groups::lags(a).await,
        C::CpGroupOffsets(a) => groups::cp_group_offsets(a).await,
        C::Produce(a) => produce::produce(a).await,
        C::Cat(a) => read::cat(a, false).await,
        C::Head(a) => read::cat(a, true).await,
        C::Tail(a) => read::tail(a).await,
        C::Grep(a) => read::grep(a).await,
        C::Filter(a) => read::filter(a).await,
        C::Wc(a) => read::wc(a).await,
        C::Diff(a) => read::diff(a).await,
        C::Compact(a) => read::compact(a).await,
        C::Cp(a) => cp::cp(a).await,
        C::Registry(c) => registry::run(c).await,
        C::Brokers(a) => cluster::brokers(a).await,
        C::BrokerConfig(a) => cluster::broker_config(a).await,
        C::Acls(a) => cluster::acls(a).await,
        C::CreateAcl(a) => cluster::create_acl(a).await,
        C::DeleteAcls(a) => cluster::delete_acls(a).await,
        C::Quickstart(a) => quickstart::quickstart(a).await,
    }
}
