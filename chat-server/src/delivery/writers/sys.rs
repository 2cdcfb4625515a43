//! The operating system's part of the writer pool: sends that never block, and a poller (mio:
//! epoll on Linux, kqueue on macOS and the BSDs, IOCP on Windows) that says when a full socket
//! can take more.
//!
//! - Unix: the socket stays blocking for its reader thread; each send asks not to wait
//!   (`MSG_DONTWAIT`). The poller watches the descriptor itself.
//! - Windows has no such flag, so the server's sockets are non-blocking there (see
//!   `Transport::prepare_for_pool`, whose reader waits for data with a poller of its own), and a
//!   socket is registered through a second handle to it.

use std::io::{self, IoSlice};
use std::time::Duration;

use chat_core::transport::Transport;
use mio::{Events, Poll, Registry, Token};

/// The writers' side of the poller: registering parked sockets.
#[derive(Debug)]
pub(super) struct Poller {
    registry: Registry,
}

/// The poller thread's side: waiting.
#[derive(Debug)]
pub(super) struct PollLoop {
    poll: Poll,
    events: Events,
}

/// Parked sockets reported at most at once.
const EVENTS_PER_WAIT: usize = 256;

/// A poller, split between the writers and the poller thread.
pub(super) fn poller() -> io::Result<(Poller, PollLoop)> {
    let poll = Poll::new()?;
    let registry = poll.registry().try_clone()?;
    Ok((
        Poller { registry },
        PollLoop {
            poll,
            events: Events::with_capacity(EVENTS_PER_WAIT),
        },
    ))
}

fn token(id: u64) -> Token {
    Token(usize::try_from(id).unwrap_or(usize::MAX))
}

impl PollLoop {
    /// Waits up to `timeout` and adds the ids of writable (or failed) sockets to `woken`.
    pub(super) fn wait(&mut self, woken: &mut Vec<u64>, timeout: Duration) -> io::Result<()> {
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Ok(()) => {
                woken.extend(self.events.iter().map(|e| e.token().0 as u64));
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(unix)]
mod os {
    use std::io::{self, IoSlice};
    use std::os::fd::AsRawFd;

    use chat_core::transport::Transport;
    use mio::unix::SourceFd;
    use mio::{Interest, Registry, Token};
    use nix::errno::Errno;
    use nix::sys::socket::{MsgFlags, send as send_flags, sendmsg};

    /// Whether the socket is in the poller: registered once, re-armed at each park.
    #[derive(Debug, Default)]
    pub(in crate::delivery::writers) struct Registration {
        known: bool,
    }

    /// Never wait; and never raise SIGPIPE where the flag exists (elsewhere the Rust runtime
    /// ignores that signal).
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    fn flags() -> MsgFlags {
        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL
    }

    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    fn flags() -> MsgFlags {
        MsgFlags::MSG_DONTWAIT
    }

    pub(super) fn send(transport: &Transport, bytes: &[u8]) -> io::Result<Option<usize>> {
        let fd = transport.socket().as_raw_fd();
        loop {
            match send_flags(fd, bytes, flags()) {
                Ok(0) if !bytes.is_empty() => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => return Ok(Some(n)),
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub(super) fn send_vectored(
        transport: &Transport,
        slices: &[IoSlice<'_>],
    ) -> io::Result<Option<usize>> {
        let fd = transport.socket().as_raw_fd();
        loop {
            match sendmsg::<()>(fd, slices, &[], flags(), None) {
                Ok(0) if slices.iter().any(|s| !s.is_empty()) => {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                Ok(n) => return Ok(Some(n)),
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub(super) fn watch(
        registry: &Registry,
        transport: &Transport,
        token: Token,
        registration: &mut Registration,
    ) -> io::Result<()> {
        let fd = transport.socket().as_raw_fd();
        let mut source = SourceFd(&fd);
        if registration.known {
            // Re-arming reports the socket at once if it became writable meanwhile.
            registry.reregister(&mut source, token, Interest::WRITABLE)
        } else {
            registry.register(&mut source, token, Interest::WRITABLE)?;
            registration.known = true;
            Ok(())
        }
    }
}

#[cfg(windows)]
mod os {
    use std::io::{self, IoSlice, Write};

    use chat_core::transport::Transport;
    use mio::{Interest, Registry, Token};

    /// A second handle to the socket, registered with the poller once it was first parked.
    #[derive(Debug, Default)]
    pub(in crate::delivery::writers) struct Registration {
        source: Option<mio::net::TcpStream>,
    }

    fn would_block(r: io::Result<usize>) -> io::Result<Option<usize>> {
        match r {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) fn send(transport: &Transport, bytes: &[u8]) -> io::Result<Option<usize>> {
        let mut socket = transport.socket();
        would_block(socket.write(bytes))
    }

    pub(super) fn send_vectored(
        transport: &Transport,
        slices: &[IoSlice<'_>],
    ) -> io::Result<Option<usize>> {
        let mut socket = transport.socket();
        match would_block(socket.write_vectored(slices))? {
            Some(0) if slices.iter().any(|s| !s.is_empty()) => Err(io::ErrorKind::WriteZero.into()),
            other => Ok(other),
        }
    }

    pub(super) fn watch(
        registry: &Registry,
        transport: &Transport,
        token: Token,
        registration: &mut Registration,
    ) -> io::Result<()> {
        match &mut registration.source {
            // Re-registering re-arms the poll, which completes at once if already writable.
            Some(source) => registry.reregister(source, token, Interest::WRITABLE),
            None => {
                let mut source = mio::net::TcpStream::from_std(transport.socket().try_clone()?);
                registry.register(&mut source, token, Interest::WRITABLE)?;
                registration.source = Some(source);
                Ok(())
            }
        }
    }
}

pub(super) use os::Registration;

/// Sends what the socket takes now: `Some(n)` bytes, or `None` when it is full.
pub(super) fn send(transport: &Transport, bytes: &[u8]) -> io::Result<Option<usize>> {
    os::send(transport, bytes)
}

/// Sends what the socket takes now of `slices`, in order: `Some(n)` bytes, or `None` when it is
/// full.
pub(super) fn send_vectored(
    transport: &Transport,
    slices: &[IoSlice<'_>],
) -> io::Result<Option<usize>> {
    os::send_vectored(transport, slices)
}

impl Poller {
    /// Reports `id` once the socket is writable (or failed), once per call.
    pub(super) fn watch(
        &self,
        transport: &Transport,
        id: u64,
        registration: &mut Registration,
    ) -> io::Result<()> {
        os::watch(&self.registry, transport, token(id), registration)
    }
}
