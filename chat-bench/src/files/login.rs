//! A session token for one account, from a blocking connection: `hello` and `login` (with
//! `register` first when the account does not exist), the token of `logged_in` kept, then
//! `exit`. The token stays valid after the connection ends (only `logout` revokes it), which is
//! all the HTTP side asks for.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::PROTOCOL_VERSION;
use chat_core::protocol::{
    ClientFrame, ErrorCode, Gender, Registration, Request, ServerFrame, ServerMessage,
};

use super::stream::Stream;
use crate::session::CLIENT_NAME;

/// Longest a login may take, `server_busy` retries included.
const LOGIN_DEADLINE: Duration = Duration::from_secs(60);

/// Logs `login` in (registering it if needed) and returns its session token.
pub fn token(
    addr: SocketAddr,
    tls: Option<&Arc<rustls::ClientConfig>>,
    login: &str,
    password: &str,
) -> io::Result<String> {
    let mut stream = Stream::connect(addr, tls)?;
    let mut reader = FrameReader::new();
    let deadline = Instant::now() + LOGIN_DEADLINE;
    let hello = Request::Hello {
        version: PROTOCOL_VERSION,
        client: CLIENT_NAME.into(),
    };
    send(&mut stream, 1, hello)?;
    let login_request = || Request::Login {
        login: login.to_owned(),
        password: password.into(),
    };
    let mut asked = (2, login_request());
    send(&mut stream, asked.0, asked.1.clone())?;
    let mut registered = false;
    while Instant::now() < deadline {
        let Some(body) = reader.read_frame(&mut stream).map_err(io::Error::other)? else {
            return Err(io::ErrorKind::UnexpectedEof.into());
        };
        let frame: ServerFrame = decode(body).map_err(io::Error::other)?;
        if frame.re != Some(asked.0) {
            continue;
        }
        let next = match frame.message {
            ServerMessage::LoggedIn {
                token: Some(token), ..
            } => {
                let _ = send(&mut stream, asked.0 + 1, Request::Exit);
                return Ok(token);
            }
            ServerMessage::Registered { .. } => login_request(),
            ServerMessage::Error {
                code: ErrorCode::BadCredentials,
                ..
            } if !registered => {
                registered = true;
                Request::Register(Registration {
                    first_names: "Bench".into(),
                    last_names: "Client".into(),
                    login: login.to_owned(),
                    password: password.into(),
                    age: 30,
                    gender: Gender::PreferNotToSay,
                })
            }
            ServerMessage::Error {
                code: ErrorCode::ServerBusy,
                ..
            } => {
                thread::sleep(crate::session::BUSY_BACKOFF);
                asked.1.clone()
            }
            other => {
                return Err(io::Error::other(format!(
                    "logging {login} in: unexpected {other:?}"
                )));
            }
        };
        asked = (asked.0 + 1, next);
        send(&mut stream, asked.0, asked.1.clone())?;
    }
    Err(io::ErrorKind::TimedOut.into())
}

fn send(stream: &mut Stream, id: u32, request: Request) -> io::Result<()> {
    let frame = encode(&ClientFrame { id, request }).map_err(io::Error::other)?;
    stream.write_all(&frame)?;
    stream.flush()
}
