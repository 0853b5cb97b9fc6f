//! The Confluent wire format (`kafi_serde::wire`): the magic byte and
//! schema id, and the protobuf message-index list.

use kafi_serde::wire::{self, WireError};

/// The `wire` target.
pub fn wire(data: &[u8]) {
    header(data);
    message_indexes(data);
}

fn header(data: &[u8]) {
    match wire::read_header(data) {
        Ok((id, rest)) => {
            assert_eq!(wire::schema_id(data), Some(id));
            assert_eq!(rest, &data[5..]);
            let mut again = Vec::new();
            wire::write_header(&mut again, id);
            again.extend_from_slice(rest);
            assert_eq!(again, data, "header round trip");
        }
        Err(e) => {
            assert_eq!(wire::schema_id(data), None);
            match e {
                WireError::TooShort(n) => assert!(n == data.len() && n < 5),
                WireError::NoMagicByte(b) => assert!(b != 0 && data.first() == Some(&b)),
                other => panic!("unexpected header error {other}"),
            }
            let _ = e.to_string();
        }
    }
}

fn message_indexes(data: &[u8]) {
    let Ok((indexes, rest)) = wire::read_message_indexes(data) else {
        return;
    };
    assert!(!indexes.is_empty(), "an accepted index list is never empty");
    assert!(
        rest.len() < data.len(),
        "an index list takes at least one byte"
    );
    assert_eq!(rest, &data[data.len() - rest.len()..], "rest is the tail");
    // Encoding what was read and reading it back gives the same list and
    // keeps the payload after it.
    let mut again = Vec::new();
    wire::write_message_indexes(&mut again, &indexes);
    let written = again.len();
    again.extend_from_slice(rest);
    let (back, back_rest) = wire::read_message_indexes(&again).expect("re-encoded list reads");
    assert_eq!(back, indexes, "message-index round trip");
    assert_eq!(back_rest, rest);
    // The canonical encoding is never longer than what was read.
    assert!(
        written <= data.len() - rest.len(),
        "re-encoding grew the list"
    );
}
