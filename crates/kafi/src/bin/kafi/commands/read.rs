//! Reading commands: `cat`, `head`, `tail`, `grep`, `filter`, `wc`,
//! `diff`, `compact`. Messages print as JSON lines, each through the codec
//! that read it.

use anyhow::Result;
use clap::Args;
use kafi::shell::jq::Jq;

use crate::error::usage;
use crate::output::Out;
use crate::render;
use crate::resolve::{open, read_options, write_options, ReadArgs, SchemaArgs, TypeArgs};

/// `cat`/`head STORAGE TOPIC`.
#[derive(Debug, Args)]
pub struct CatArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    types: TypeArgs,
}

/// `tail STORAGE TOPIC`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// Number of messages.
    #[arg(short = 'n', long = "num", default_value_t = 10)]
    n: u64,
    #[command(flatten)]
    types: TypeArgs,
}

/// `grep STORAGE TOPIC PATTERN`.
#[derive(Debug, Args)]
pub struct GrepArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// Regular expression matched against the bytes of keys and values.
    pattern: String,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    types: TypeArgs,
}

/// `filter STORAGE TOPIC EXPRESSION`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// jq expression over each message (its JSON-lines form); true keeps it.
    expression: String,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    types: TypeArgs,
}

/// `wc STORAGE TOPIC`.
#[derive(Debug, Args)]
pub struct WcArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    #[command(flatten)]
    read: ReadArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `diff STORAGE TOPIC OTHER_STORAGE OTHER_TOPIC`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// The other storage, KIND:CONFIG.
    other_storage: String,
    /// The other topic.
    other_topic: String,
    #[command(flatten)]
    types: TypeArgs,
}

/// `compact STORAGE TOPIC [TARGET_STORAGE TARGET_TOPIC]`.
#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Storage, KIND:CONFIG (e.g. local:local).
    storage: String,
    /// Topic name.
    topic: String,
    /// Storage to write the compacted topic to, KIND:CONFIG (default: print it).
    target_storage: Option<String>,
    /// Topic to write the compacted topic to.
    target_topic: Option<String>,
    #[command(flatten)]
    types: TypeArgs,
    #[command(flatten)]
    schemas: SchemaArgs,
}

/// `kafi cat` (and `kafi head`, 10 messages unless `-n`). The messages
/// before one that fails are printed, then the error.
pub async fn cat(mut args: CatArgs, head: bool) -> Result<u8> {
    if head {
        args.read.n.get_or_insert(10);
    }
    let options = read_options(&args.read, &args.types, "cat")?;
    let shell = open(&args.storage).await?;
    let mut out = Out::new();
    let result = shell
        .cat_with(&args.topic, &options, |codec, m| out.message(codec, m))
        .await;
    out.flush()?;
    result?;
    Ok(0)
}

/// `kafi tail`.
pub async fn tail(args: TailArgs) -> Result<u8> {
    let options = read_options(&ReadArgs::default(), &args.types, "tail")?;
    let shell = open(&args.storage).await?;
    let mut out = Out::new();
    let result = shell
        .tail_with(&args.topic, args.n, &options, |codec, m| {
            out.message(codec, m)
        })
        .await;
    out.flush()?;
    result?;
    Ok(0)
}

/// `kafi grep`: the matching messages, then the counts on stderr.
pub async fn grep(args: GrepArgs) -> Result<u8> {
    let options = read_options(&args.read, &args.types, "grep")?;
    let shell = open(&args.storage).await?;
    let mut out = Out::new();
    let result = shell
        .grep_with(&args.topic, &args.pattern, &options, |codec, m| {
            out.message(codec, m)
        })
        .await;
    out.flush()?;
    let (matching, total) = result?;
    eprintln!("{matching} of {total} message(s) matched");
    Ok(0)
}

/// `kafi filter`.
pub async fn filter(args: FilterArgs) -> Result<u8> {
    let jq = Jq::new(&args.expression)?;
    let options = read_options(&args.read, &args.types, "filter")?;
    let shell = open(&args.storage).await?;
    let mut out = Out::new();
    let result = shell
        .cat_with(&args.topic, &options, |codec, m| {
            if jq.test(codec, m)? {
                out.message(codec, m)?;
            }
            Ok(())
        })
        .await;
    out.flush()?;
    result?;
    Ok(0)
}

/// `kafi wc`.
pub async fn wc(args: WcArgs) -> Result<u8> {
    let options = read_options(&args.read, &TypeArgs::default(), "wc")?;
    let count = open(&args.storage).await?.wc(&args.topic, &options).await?;
    render::word_count(&args.topic, &count).print(args.json)
}

/// `kafi diff`: `< ` and `> ` lines per difference; exit 1 if there are any.
pub async fn diff(args: DiffArgs) -> Result<u8> {
    let options = read_options(&ReadArgs::default(), &args.types, "diff")?;
    let (left, right) = (open(&args.storage).await?, open(&args.other_storage).await?);
    let mut out = Out::new();
    let result = left
        .diff_with(&args.topic, &right, &args.other_topic, &options, |a, b| {
            for (sign, side) in [("<", a), (">", b)] {
                if let Some((codec, m)) = side {
                    out.prefixed_message(sign, codec, m)?;
                }
            }
            Ok(())
        })
        .await;
    out.flush()?;
    Ok(if result? == 0 { 0 } else { 1 })
}

/// `kafi compact`: prints the messages kept, or writes them to a target.
pub async fn compact(args: CompactArgs) -> Result<u8> {
    let options = read_options(&ReadArgs::default(), &args.types, "compact")?;
    match (&args.target_storage, &args.target_topic) {
        (Some(target_storage), Some(target_topic)) => {
            let write = write_options(&args.types, &args.schemas)?;
            let shell = open(&args.storage).await?;
            let target = open(target_storage).await?;
            let (kept, _) = shell
                .compact_to(&args.topic, &target, target_topic, &options, &write)
                .await?;
            eprintln!("{kept} message(s) kept");
        }
        (None, None) => {
            let shell = open(&args.storage).await?;
            let mut out = Out::new();
            let result = shell
                .compact_with(&args.topic, &options, |codec, m| out.message(codec, m))
                .await;
            out.flush()?;
            result?;
        }
        _ => {
            return Err(usage(
                "compact needs both TARGET_STORAGE and TARGET_TOPIC, or neither",
            ))
        }
    }
    Ok(0)
}
