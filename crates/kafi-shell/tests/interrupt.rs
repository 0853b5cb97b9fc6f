//! An [`Interrupt`] stops the read loops cleanly on a real local storage:
//! what was processed is written and committed, and the error says how far
//! it got.

use std::sync::Arc;

use kafi_config::KafiSettings;
use kafi_shell::jq::{Jq, JqMode};
use kafi_shell::{Error, Interrupt, ReadOptions, Shell, WriteOptions};

async fn shell_with(dir: &std::path::Path, messages: usize) -> Shell {
    let settings = KafiSettings {
        verbose: 0,
        ..KafiSettings::default()
    };
    let storage = kafi_fs::FsStorage::local_at(dir).expect("open local storage");
    let shell = Shell::new(Arc::new(storage), settings);
    shell.touch("t", 1, Default::default()).await.unwrap();
    let mut producer = shell.producer("t", &WriteOptions::new()).await.unwrap();
    producer
        .produce_list((0..messages).map(|n| (n.to_string(), format!("{{\"n\":{n}}}"))))
        .await
        .unwrap();
    producer.close().await.unwrap();
    shell
}

fn stopped(e: &Error) -> Option<(u64, u64, i32)> {
    match e {
        Error::Interrupted {
            consumed,
            produced,
            source,
        } => match **source {
            Error::Stopped { signal } => Some((*consumed, *produced, signal)),
            _ => None,
        },
        _ => None,
    }
}

#[tokio::test]
async fn a_copy_stops_before_the_next_message_and_commits_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let shell = shell_with(dir.path(), 10).await;
    let interrupt = Interrupt::new();
    let read = ReadOptions::new().group("g").interrupt(interrupt.clone());
    let mut seen = 0;
    let err = shell
        .map_to("t", &shell, "u", &read, &WriteOptions::default(), |m| {
            seen += 1;
            if seen == 3 {
                interrupt.request(2);
            }
            Ok(m)
        })
        .await
        .unwrap_err();
    assert_eq!(stopped(&err), Some((3, 3, 2)), "{err}");
    assert_eq!(
        err.to_string(),
        "interrupted by SIGINT (after consuming 3 and producing 3 message(s))"
    );
    assert!(interrupt.acknowledged());
    assert_eq!(interrupt.progress(), Some((3, 3)));
    assert_eq!(shell.watermarks("u").await.unwrap()[&0], (0, 3));
    let committed = shell.group_offsets(Some("g")).await.unwrap();
    assert_eq!(committed["g"]["t"][&0], 3);
}

#[tokio::test]
async fn a_jq_copy_and_a_read_loop_stop_too() {
    let dir = tempfile::tempdir().unwrap();
    let shell = shell_with(dir.path(), 5).await;
    let interrupt = Interrupt::new();
    interrupt.request(15);
    let read = ReadOptions::new().interrupt(interrupt.clone());
    let jq = Jq::new(".").unwrap();
    let err = shell
        .copy("t", &shell, "u")
        .read(&read)
        .jq_to(&jq, JqMode::Map)
        .await
        .unwrap_err();
    assert_eq!(stopped(&err), Some((0, 0, 15)), "{err}");
    let err = shell.cat("t", &read).await.unwrap_err();
    assert!(
        matches!(&err, Error::ReadInterrupted { consumed: 0, source } if matches!(**source, Error::Stopped { signal: 15 })),
        "{err}"
    );
    // Without a request nothing changes.
    let read = ReadOptions::new().interrupt(Interrupt::new());
    assert_eq!(
        shell
            .copy("t", &shell, "v")
            .read(&read)
            .jq_to(&jq, JqMode::Flatmap)
            .await
            .unwrap(),
        (5, 5)
    );
}
