//! `?url=` fetches only from allowed hosts, follows redirects only within
//! a host, caps the size; and a stopping server finishes what it started.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use serde_json::json;

use crate::{corpus_image, Db, Server};

/// A tiny web server on loopback: `/a.png` is the image, `/same` redirects
/// to it, `/away` redirects to the same port under another host name,
/// `/big` is larger than the cap.
pub fn web_server(image: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let _ = reader.read_line(&mut line);
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap_or("/").to_string();
            let (status, location, body) = match path.as_str() {
                "/a.png" => ("200 OK", None, image.clone()),
                "/same" => ("302 Found", Some("/a.png".to_string()), Vec::new()),
                "/away" => (
                    "302 Found",
                    Some(format!("http://localhost:{port}/a.png")),
                    Vec::new(),
                ),
                "/big" => ("200 OK", None, vec![0u8; 400_000]),
                _ => ("404 Not Found", None, Vec::new()),
            };
            let mut head = format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            if let Some(l) = location {
                head += &format!("location: {l}\r\n");
            }
            head += "\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

fn fetch(db: Db) {
    let key = db.key("curator", "default");
    let (image, reference) = corpus_image("jpg_chelsea_q95_444.jpg");
    let port = web_server(image);
    let server = Server::start(
        &db,
        &key,
        &["--fetch-allow", "127.0.0.1", "--max-upload-bytes", "300000"],
    );
    let api = server.api(&key);
    let url = |path: &str| format!("/h/hash?url=http://127.0.0.1:{port}{path}");
    assert_eq!(api.get(&url("/a.png")), (200, json!({"pdq": reference})));
    assert_eq!(api.get(&url("/same")), (200, json!({"pdq": reference})));
    let (status, body) = api.get(&url("/away"));
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("fetch_failed")),
        "{body}"
    );
    let (status, body) = api.get(&url("/big"));
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("fetch_too_large"))
    );
    assert_eq!(api.get(&url("/missing")).0, 502);
    let (status, body) = api.get(&format!("/h/hash?url=http://localhost:{port}/a.png"));
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("host_not_allowed"))
    );

    // Lookup by URL.
    assert_eq!(api.post("/c/banks", json!({"name": "FETCHED"})).0, 201);
    let (_, added) = api.post("/c/bank/FETCHED/signal", json!({"pdq": reference}));
    api.until(
        &format!("/m/lookup?url=http://127.0.0.1:{port}/a.png"),
        Duration::from_secs(1),
        |b| b == &json!({"pdq": {"FETCHED": [{"bank_content_id": added["id"], "distance": "0"}]}}),
    );
}

#[test]
fn fetch_sqlite() {
    fetch(Db::sqlite());
}

#[test]
fn fetch_postgres() {
    fetch(Db::postgres());
}

/// SIGTERM while a request's body is still arriving: the request is
/// answered, then the server exits cleanly.
fn graceful_shutdown(db: Db) {
    let key = db.key("matcher", "default");
    let server = Server::start(&db, &key, &[]);
    let address = server.base.trim_start_matches("http://").to_string();
    let body = json!({"pdq": ["0".repeat(64), "1".repeat(64)]}).to_string();
    let mut stream = TcpStream::connect(&address).expect("connects");
    let (first, rest) = body.split_at(10);
    write!(
        stream,
        "POST /m/compare HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{first}",
        body.len()
    )
    .expect("writes");
    stream.flush().expect("flushes");
    std::thread::sleep(Duration::from_millis(200));
    let stopping = std::thread::spawn(move || server.stop());
    std::thread::sleep(Duration::from_millis(300));
    stream
        .write_all(rest.as_bytes())
        .expect("the server still reads");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"distance\":64"), "{answer}");
    assert!(stopping.join().expect("joins").success());
}

#[test]
fn graceful_shutdown_sqlite() {
    graceful_shutdown(Db::sqlite());
}

#[test]
fn graceful_shutdown_postgres() {
    graceful_shutdown(Db::postgres());
}
