//! Blocking byte streams for files: a client connection (plain TCP, or TLS as the chat port
//! speaks it by default), and a *sink* in this process that takes and gives back bytes over the
//! same kind of connection with nothing else to do, so that a file's speed over HTTP can be set
//! against the bare stream's, measured by the same client code in the same run.
//!
//! Both ends use the project's own stream, `chat_core::transport` (the chat server's, which reads
//! the socket in chunks and hands them to rustls from memory, and seals each write whole): the
//! sink's side is thus what the server itself could do with nothing to do but move bytes.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chat_core::transport::{Transport, TransportReader, TransportWriter};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

/// Longest a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest one read or write may block.
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Bytes per read or write: a TLS record holds at most 16 KiB, a socket read takes more.
pub const IO_CHUNK_BYTES: usize = 64 * 1024;

/// A blocking connection, plain or TLS: its two halves.
#[derive(Debug)]
pub struct Stream {
    reader: TransportReader,
    writer: TransportWriter,
}

impl Stream {
    /// Connects to `addr` and, with `tls`, completes the TLS handshake, so that what is timed
    /// afterwards is the transfer alone.
    pub fn connect(addr: SocketAddr, tls: Option<&Arc<ClientConfig>>) -> io::Result<Stream> {
        let socket = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
        let transport = match tls {
            Some(config) => {
                let name = ServerName::IpAddress(addr.ip().into());
                let conn =
                    ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
                Transport::tls(ready(socket)?, conn)?
            }
            None => Transport::plain(ready(socket)?),
        };
        Ok(Stream::of(&transport))
    }

    fn of(transport: &Transport) -> Stream {
        Stream {
            reader: transport.reader(None),
            writer: transport.writer(),
        }
    }
}

/// Sets a socket as every stream here wants it: no delay for small writes, bounded waits.
fn ready(socket: TcpStream) -> io::Result<TcpStream> {
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(IO_TIMEOUT))?;
    socket.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(socket)
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Writes `bytes` in chunks of [`IO_CHUNK_BYTES`], as a client streaming a file does.
pub fn write_chunked(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    for chunk in bytes.chunks(IO_CHUNK_BYTES) {
        out.write_all(chunk)?;
    }
    out.flush()
}

/// Reads into `into` until it holds `len` bytes, [`IO_CHUNK_BYTES`] at most per read.
pub fn read_until_len(input: &mut impl Read, into: &mut Vec<u8>, len: usize) -> io::Result<()> {
    into.reserve(len.saturating_sub(into.len()));
    let mut chunk = vec![0u8; IO_CHUNK_BYTES];
    while into.len() < len {
        let want = (len - into.len()).min(IO_CHUNK_BYTES);
        match input.read(&mut chunk[..want]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => into.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A listener in this process that, on each connection, reads a command: `U` and a length, then
/// that many bytes, answered with one byte once all came; or `D` and a length, answered with
/// that many bytes of its content.
#[derive(Debug)]
pub struct Sink {
    addr: SocketAddr,
    tls: Option<Arc<ClientConfig>>,
    _accept: JoinHandle<()>,
}

/// Bytes of a sink command: a letter and a 64-bit length.
const COMMAND_BYTES: usize = 9;

impl Sink {
    /// Starts a sink on a loopback port; TLS (a self-signed certificate made here) when `tls`
    /// (the client configuration the bench uses for the server) is given. It answers `D` with
    /// the bytes of `content`.
    pub fn start(tls: Option<Arc<ClientConfig>>, content: Arc<Vec<u8>>) -> io::Result<Sink> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let server = match tls {
            Some(_) => Some(server_config()?),
            None => None,
        };
        let accept = thread::Builder::new()
            .name("bench-sink".into())
            .spawn(move || {
                for socket in listener.incoming() {
                    let Ok(socket) = socket else { continue };
                    let (server, content) = (server.clone(), Arc::clone(&content));
                    let _ =
                        thread::Builder::new()
                            .name("bench-sink-conn".into())
                            .spawn(move || {
                                if let Err(e) = serve(socket, server, &content) {
                                    eprintln!("chat-bench: sink: {e}");
                                }
                            });
                }
            })?;
        Ok(Sink {
            addr,
            tls,
            _accept: accept,
        })
    }

    /// A connection to the sink (its set-up and TLS handshake done).
    pub fn connect(&self) -> io::Result<Stream> {
        Stream::connect(self.addr, self.tls.as_ref())
    }

    /// Sends `bytes` to the sink; returns the time from the first byte written to the sink's
    /// word that it read them all.
    pub fn up(stream: &mut Stream, bytes: &[u8]) -> io::Result<Duration> {
        let started = Instant::now();
        stream.write_all(&command(b'U', bytes.len() as u64))?;
        write_chunked(stream, bytes)?;
        let mut word = [0u8; 1];
        stream.read_exact(&mut word)?;
        Ok(started.elapsed())
    }

    /// Has the sink send `len` bytes into `back`; returns the time from asking to the last byte
    /// read.
    pub fn down(stream: &mut Stream, len: usize, back: &mut Vec<u8>) -> io::Result<Duration> {
        let started = Instant::now();
        stream.write_all(&command(b'D', len as u64))?;
        stream.flush()?;
        back.clear();
        read_until_len(stream, back, len)?;
        Ok(started.elapsed())
    }
}

fn command(letter: u8, len: u64) -> [u8; COMMAND_BYTES] {
    let mut c = [0u8; COMMAND_BYTES];
    c[0] = letter;
    c[1..].copy_from_slice(&len.to_be_bytes());
    c
}

/// A TLS server configuration as the chat server's (the same provider and protocol versions),
/// with a self-signed certificate made now.
fn server_config() -> io::Result<Arc<ServerConfig>> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .map_err(io::Error::other)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![made.cert.der().clone()], key)
            .map_err(io::Error::other)?;
    Ok(Arc::new(config))
}

/// One sink connection: commands until the client closes.
fn serve(socket: TcpStream, tls: Option<Arc<ServerConfig>>, content: &[u8]) -> io::Result<()> {
    let transport = match tls {
        Some(config) => {
            let conn = ServerConnection::new(config).map_err(io::Error::other)?;
            Transport::tls(ready(socket)?, conn)?
        }
        None => Transport::plain(ready(socket)?),
    };
    commands(&mut Stream::of(&transport), content)
}

fn commands(stream: &mut (impl Read + Write), content: &[u8]) -> io::Result<()> {
    let mut chunk = vec![0u8; IO_CHUNK_BYTES];
    loop {
        let mut c = [0u8; COMMAND_BYTES];
        match stream.read_exact(&mut c) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let mut len_bytes = [0u8; 8];
        len_bytes.copy_from_slice(&c[1..]);
        let len = u64::from_be_bytes(len_bytes);
        match c[0] {
            b'U' => {
                let mut left = len;
                while left > 0 {
                    let want = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
                    match stream.read(&mut chunk[..want])? {
                        0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                        n => left -= n as u64,
                    }
                }
                stream.write_all(b"k")?;
                stream.flush()?;
            }
            b'D' => {
                let len = usize::try_from(len).map_or(content.len(), |l| l.min(content.len()));
                write_chunked(stream, &content[..len])?;
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unknown sink command {other}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn the_sink_takes_and_gives_back_every_byte_over_tls_and_plain() {
        let content = Arc::new(bytes(300_000));
        let trust = chat_core::tls::ClientTls {
            known_hosts: chat_core::tls::KnownHosts::default(),
            trust_new_certificate: true,
        };
        let (config, _) = chat_core::tls::client_config(&trust, "127.0.0.1:1").expect("config");
        for tls in [Some(config), None] {
            let sink = Sink::start(tls, Arc::clone(&content)).expect("sink");
            let mut stream = sink.connect().expect("connect");
            Sink::up(&mut stream, &content).expect("up");
            let mut back = Vec::new();
            Sink::down(&mut stream, content.len(), &mut back).expect("down");
            assert!(back == *content);
            Sink::up(&mut stream, &content[..10]).expect("up again");
        }
    }
}
