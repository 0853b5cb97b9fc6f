//! User info in `schema.registry.url` authenticates requests and is never
//! shown: not in `Debug`, not in errors, not in the request line.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use kafi_config::SchemaRegistrySection;
use kafi_registry::{ClientConfig, Error, RegistryClient, SchemaRegistry};
use kafi_serde::SubjectFilter;

const PASSWORD: &str = "hunter2-in-url";

/// Serves one HTTP request on a real socket, answering `[]`; returns the
/// request line and headers it received.
fn one_request_server() -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            head.push(line);
        }
        let mut stream = stream;
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]",
            )
            .unwrap();
        head
    });
    (addr, handle)
}

#[tokio::test]
async fn user_info_in_the_url_becomes_basic_auth() {
    let (addr, server) = one_request_server();
    // A percent-encoded '@' and space in the password.
    let client = RegistryClient::new(&ClientConfig::new(format!(
        "http://sruser:{PASSWORD}%40x%20y@{addr}/"
    )))
    .unwrap();
    let debug = format!("{client:?}");
    assert!(
        !debug.contains(PASSWORD) && !debug.contains("sruser"),
        "{debug}"
    );
    let subjects = client
        .get_subjects(None, SubjectFilter::Live)
        .await
        .unwrap();
    assert!(subjects.is_empty());
    let head = server.join().unwrap();
    assert!(head[0].starts_with("GET /subjects "), "{head:?}");
    use base64::Engine as _;
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("sruser:{PASSWORD}@x y"));
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case(&format!("authorization: Basic {expected}"))),
        "{head:?}"
    );
}

#[tokio::test]
async fn basic_auth_user_info_wins_over_the_url() {
    let (addr, server) = one_request_server();
    let mut config = ClientConfig::new(format!("http://sruser:{PASSWORD}@{addr}"));
    config.user_info = Some("key:value".into());
    let client = RegistryClient::new(&config).unwrap();
    client
        .get_subjects(None, SubjectFilter::Live)
        .await
        .unwrap();
    let head = server.join().unwrap();
    use base64::Engine as _;
    let expected = base64::engine::general_purpose::STANDARD.encode("key:value");
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case(&format!("authorization: Basic {expected}"))),
        "{head:?}"
    );
}

#[tokio::test]
async fn unreachable_registry_hides_the_user_info() {
    let config = ClientConfig::new(format!("http://sruser:{PASSWORD}@127.0.0.1:1/"));
    assert!(!format!("{config:?}").contains(PASSWORD));
    let client = RegistryClient::new(&config).unwrap();
    let err = client
        .get_subjects(None, SubjectFilter::Live)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(
        !text.contains(PASSWORD) && !text.contains("sruser"),
        "{text}"
    );
    assert!(text.contains("http://127.0.0.1:1/"), "{text}");
}

#[test]
fn malformed_urls_are_config_errors_without_user_info() {
    for url in [
        format!("http://sruser:{PASSWORD}@exa mple:80"),
        format!("http://sruser:{PASSWORD}@host:99999"),
        format!("ftp://sruser:{PASSWORD}@host"),
        "localhost:8081".to_owned(),
        String::new(),
    ] {
        let err = RegistryClient::new(&ClientConfig::new(url.clone())).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(text.contains("schema.registry.url"), "{text}");
    }
}

#[tokio::test]
async fn credentials_source_url_uses_the_url() {
    let (addr, server) = one_request_server();
    let section = SchemaRegistrySection {
        url: Some(format!("http://sruser:{PASSWORD}@{addr}")),
        basic_auth_credentials_source: Some("URL".into()),
        basic_auth_user_info: Some("ignored:ignored".into()),
        ..SchemaRegistrySection::default()
    };
    let client = RegistryClient::from_section(&section).unwrap();
    client
        .get_subjects(None, SubjectFilter::Live)
        .await
        .unwrap();
    let head = server.join().unwrap();
    use base64::Engine as _;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("sruser:{PASSWORD}"));
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case(&format!("authorization: Basic {expected}"))),
        "{head:?}"
    );
    // Without user info in the URL that source is a configuration error.
    let section = SchemaRegistrySection {
        url: Some("http://h:1".into()),
        basic_auth_credentials_source: Some("URL".into()),
        ..SchemaRegistrySection::default()
    };
    let err = RegistryClient::from_section(&section).unwrap_err();
    assert!(err.to_string().contains("has no user info"), "{err}");
}
