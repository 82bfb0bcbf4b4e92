//! An SMTP sink for the email benchmark (`bench/outbox.py`, its default sink), built on the
//! mailin-embedded SMTP server: the same files as the test suite's Python sink
//! (`tests/support/smtp_sink.py`), every accepted message written to DIR as NNNNNN.eml with an
//! X-Envelope-To header, at a fraction of its cost per message, so that a benchmark on two
//! cores measures the server rather than the sink. Loopback only.
//!
//! Prints "ready PORT" once listening, and stops when its standard input closes.
//!
//! Usage: smtp_sink DIR

use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One per connection (the server clones it for each): the message being received.
#[derive(Clone)]
struct Sink {
    folder: Arc<PathBuf>,
    seq: Arc<AtomicU64>,
    message: Vec<u8>,
}

impl Handler for Sink {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.message.clear();
        self.message.extend_from_slice(format!("X-Envelope-To: {}\r\n", to.join(", ")).as_bytes());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.message.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let path = self.folder.join(format!("{n:06}.eml"));
        let part = path.with_extension("eml.part");
        // Written aside and renamed, so a reader counting `.eml` files never sees half of one.
        let written = std::fs::File::create(&part)
            .and_then(|mut f| f.write_all(&self.message))
            .and_then(|()| std::fs::rename(&part, &path));
        match written {
            Ok(()) => response::OK,
            Err(_) => response::INTERNAL_ERROR,
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = std::env::args().nth(1).ok_or("usage: smtp_sink DIR")?;
    std::fs::create_dir_all(&folder)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let sink = Sink { folder: Arc::new(folder.into()), seq: Arc::new(AtomicU64::new(0)), message: Vec::new() };
    let mut server = Server::new(sink);
    server.with_name("sink.localhost").with_ssl(SslConfig::None)?.with_num_threads(16).with_tcp_listener(listener);
    std::thread::spawn(move || {
        // Stops when whoever started it closes its standard input (or exits).
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    println!("ready {port}");
    std::io::stdout().flush()?;
    server.serve()?;
    Ok(())
}
