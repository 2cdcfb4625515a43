//! The threads a connection runs on: its first steps (TLS, hello, login), then a fresh reader
//! while it has not settled in, then a reader at normal priority. Each is a family of reusable
//! threads (`spares`); here are their priorities, how many of each wait for reuse, and how many
//! clients this process can start threads for at all (`ceiling`).

use std::time::Duration;

use crate::threads::spares::Spares;

/// Stack for a logged-in client's reader thread: decoding is depth-limited and nothing recurses
/// deeply. Only the pages a thread touches count in memory, not this size.
pub const READER_STACK_BYTES: usize = 256 * 1024;

/// Stack for a connection's first thread, which runs the TLS handshake, hello and login. More
/// than four times [`READER_STACK_BYTES`], so the C library never hands one of these stacks,
/// with the pages login touched, to a logged-in client's reader (it reuses a cached stack only
/// for a request at least a quarter of its size).
pub const HANDSHAKE_STACK_BYTES: usize = 2 * 1024 * 1024;

/// Whether a client's reading moves to a normal-priority thread once it settles in (its first
/// request beyond keep-alives, clock samples and leaving): only where threads have priorities of
/// their own (Linux); elsewhere the first reader is the only one.
pub(crate) const SETTLING: bool = cfg!(target_os = "linux");

/// Threads kept waiting for the next connection's first steps (each keeps the stack pages a
/// login touched, a few tens of kB).
const SPARE_HANDSHAKE_THREADS: usize = 64;
/// Reader threads kept waiting for the next logged-in client (each keeps two stack pages), fresh
/// ones and settled ones together.
const SPARE_READERS: usize = 256;
/// Of [`SPARE_READERS`], those kept for clients that settled in: one such hand-over per
/// connection, against one fresh reader per login.
const SPARE_SETTLED_READERS: usize = 64;
/// How long a spare thread waits before it ends.
const SPARE_LINGER: Duration = Duration::from_secs(10);
/// How far below normal priority a connection's first steps run (its handshake and login), and
/// its reading until it settles in: in a storm of arrivals the cores go to the chat of those
/// logged in first. A client that settled in is read at normal priority (those readers are
/// started apart for that).
const FIRST_STEPS_NICE: i32 = 10;
/// Threads beyond one per client, for the thread budget: those waiting for reuse, the server's
/// own (accept loops, writers, password pool, archive, store), uploads' hashing threads, and a
/// connection's two threads for a moment at a hand-over.
const OTHER_THREADS: usize =
    SPARE_HANDSHAKE_THREADS + SPARE_READERS + crate::store::files::HASHERS_MAX + 128;

/// The families of threads connections run on.
#[derive(Debug)]
pub(crate) struct ConnectionThreads {
    /// Connections' first steps (TLS, hello, login), below normal priority.
    pub handshakes: Spares,
    /// Readers of clients that just logged in, at the first steps' priority: a client that logs
    /// in and leaves again, as in a storm of reconnections, is done with entirely there.
    pub fresh_readers: Spares,
    /// Readers at normal priority: of clients that settled in (see `connection`).
    pub readers: Spares,
}

impl ConnectionThreads {
    /// The families, their priorities set relative to the calling thread's.
    pub(crate) fn new() -> Self {
        ConnectionThreads {
            handshakes: Spares::new(
                "client",
                HANDSHAKE_STACK_BYTES,
                SPARE_HANDSHAKE_THREADS,
                SPARE_LINGER,
            )
            .lower_priority(FIRST_STEPS_NICE),
            fresh_readers: Spares::new(
                "fresh",
                READER_STACK_BYTES,
                SPARE_READERS - SPARE_SETTLED_READERS,
                SPARE_LINGER,
            )
            .lower_priority(FIRST_STEPS_NICE),
            readers: Spares::new(
                "reader",
                READER_STACK_BYTES,
                // Without settling, every reader is one of these.
                if SETTLING {
                    SPARE_SETTLED_READERS
                } else {
                    SPARE_READERS
                },
                SPARE_LINGER,
            )
            .started_apart(),
        }
    }
}

/// `max_connections`, or fewer if this process cannot start that many client threads (see
/// `ceiling`): past the budget clients are refused with a goodbye, before the kernel refuses a
/// thread in a way that would end the process.
pub(crate) fn thread_budget(max_connections: usize) -> usize {
    match crate::threads::ceiling::clients_that_fit(OTHER_THREADS) {
        Some(fit) if fit < max_connections => {
            tracing::warn!(
                max_connections,
                clients = fit,
                "this process can start threads for about {fit} clients (each thread takes {} of the mappings vm.max_map_count allows); clients past that are refused; raise vm.max_map_count to reach max_connections (docs/DEPLOY.md)",
                crate::threads::ceiling::MAPS_PER_THREAD
            );
            fit
        }
        _ => max_connections,
    }
}
