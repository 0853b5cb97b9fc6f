//! Writes the seed inputs of every target to `fuzz/seeds/TARGET/`:
//! `cargo run -p kafi-fuzz --example make_seeds`. Seeds are small valid
//! inputs the fuzzer mutates; they are committed, the corpus grown from
//! them is not.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use kafi_core::record_batch::encode_batches;
use kafi_core::{ProduceRecord, Timestamp, TimestampType};

fn record(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(&str, Option<&[u8]>)],
    ts: Option<Timestamp>,
) -> ProduceRecord {
    ProduceRecord {
        key: key.map(Bytes::copy_from_slice),
        value: value.map(Bytes::copy_from_slice),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(Bytes::copy_from_slice)))
            .collect(),
        partition: None,
        timestamp: ts,
    }
}

fn segment(flags: u8, base: i64, records: &[ProduceRecord]) -> Vec<u8> {
    let mut out = vec![flags];
    let mut body = Vec::new();
    encode_batches(&mut body, base, records, 1_700_000_000_000);
    out.extend_from_slice(&body);
    out
}

fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).expect("creating the seed directory");
    std::fs::write(dir.join(name), bytes).expect("writing a seed");
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");

    // record_batch: flags byte (1: fix CRCs, 2: chain base offsets), segment.
    let plain = [
        record(
            Some(b"k"),
            Some(br#"{"bla":1}"#),
            &[("a", Some(b"1")), ("a", None)],
            Some(Timestamp::create_time(1_700_000_000_000)),
        ),
        record(None, None, &[], None),
        record(
            Some(b""),
            Some(&[0xff, 0]),
            &[("", Some(b""))],
            Some(Timestamp {
                kind: TimestampType::NotAvailable,
                millis: -1,
            }),
        ),
    ];
    let log_append = [
        record(
            None,
            Some(b"x"),
            &[],
            Some(Timestamp {
                kind: TimestampType::LogAppendTime,
                millis: 5,
            }),
        ),
        record(
            None,
            Some(b"y"),
            &[],
            Some(Timestamp {
                kind: TimestampType::LogAppendTime,
                millis: 5,
            }),
        ),
        record(Some(b"z"), Some(b"z"), &[], Some(Timestamp::create_time(9))),
    ];
    write(
        &root,
        "record_batch",
        "three-records",
        &segment(3, 0, &plain),
    );
    write(
        &root,
        "record_batch",
        "three-batches",
        &segment(2, 100, &log_append),
    );
    write(
        &root,
        "record_batch",
        "unchained",
        &segment(1, 42, &plain[..1]),
    );
    write(&root, "record_batch", "empty", &[3]);

    // wire: magic byte, schema id, message indexes, payload.
    write(
        &root,
        "wire",
        "first-message",
        &[0, 0, 0, 0, 1, 0, 0x08, 0x7b],
    );
    write(
        &root,
        "wire",
        "nested-index",
        &[0, 0, 0, 0, 7, 4, 2, 0, 0x08, 0x01],
    );
    write(&root, "wire", "no-magic", b"{\"a\":1}");

    // protobuf: message indexes then the payload of the fuzz schema.
    // Top { i32: 123, s: "hi", inners: [{ name: "n" }] }
    write(
        &root,
        "protobuf",
        "top",
        &[0, 0x08, 0x7b, 0x3a, 2, b'h', b'i', 0x52, 3, 0x0a, 1, b'n'],
    );
    // [0, 0] Top.Inner { name: "x", deeper: { s: [1] } }
    write(
        &root,
        "protobuf",
        "inner",
        &[4, 0, 0, 0x0a, 1, b'x', 0x1a, 3, 0x0a, 1, 2],
    );
    // [1, 0] Second.Leaf { y: true }
    write(&root, "protobuf", "leaf", &[4, 2, 0, 0x08, 1]);

    // envelope: types selector (key % 3, value / 3 % 3 of bytes, str, json), line.
    let line = br#"{"topic":"t","headers":[["h",{"base64":"/w=="}],["n",null]],"partition":0,"offset":0,"timestamp":[1,1732660705555],"key":"123","value":{"bla": 123}}"#;
    write(
        &root,
        "envelope",
        "str-json",
        &[[1u8].as_slice(), line].concat(),
    );
    write(
        &root,
        "envelope",
        "json-json",
        &[
            [8u8].as_slice(),
            br#"{"key":[1,2.5e3,"x"],"value":{"a":{"b":null}},"timestamp":1}"#,
        ]
        .concat(),
    );
    write(
        &root,
        "envelope",
        "bytes-bytes",
        &[
            [0u8].as_slice(),
            br#"{"key":{"base64":"AAE="},"value":"text","partition":2,"timestamp":[2,5]}"#,
        ]
        .concat(),
    );
    write(
        &root,
        "envelope",
        "str-str",
        &[
            [4u8].as_slice(),
            br#"{"key":null,"value":"\u00e9\n","headers":null}"#,
        ]
        .concat(),
    );

    // jq: message values.
    write(
        &root,
        "jq",
        "object",
        br#"{"bla":123,"list":[1,2.5,-0,1e400,"s",null,true],"nested":{"a":{"b":[]}}}"#,
    );
    write(
        &root,
        "jq",
        "big-numbers",
        b"[18446744073709551615, -9223372036854775808, 0.1, 1.0]",
    );
    write(&root, "jq", "string", br#""\ud83d\ude00 \u0000""#);

    // config: kind selector (cluster, rest proxy, local, s3, azure blob), YAML.
    let configs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    for (kind, dir) in [
        (0u8, "clusters"),
        (1, "restproxies"),
        (2, "locals"),
        (3, "s3s"),
        (4, "azureblobs"),
    ] {
        for entry in std::fs::read_dir(configs.join(dir)).expect("configs/") {
            let path = entry.expect("a config").path();
            let yaml = std::fs::read(&path).expect("reading a config");
            let name = format!("{dir}-{}", path.file_stem().unwrap().to_string_lossy());
            write(&root, "config", &name, &[[kind].as_slice(), &yaml].concat());
        }
    }
    write(&root, "config", "substitution", b"\x02local:\n  root.dir: ${HOST:-x}/$${literal}/${NESTED}\nkafi:\n  consume.batch.size: ${NUMBER}\n  value.type: ${EMPTY:-json}\n");
}
