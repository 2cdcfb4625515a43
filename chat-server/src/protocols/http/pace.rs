//! The slowest a file's bytes may move. A connection's thread is held for as long as its body
//! comes or its download goes; each read and write has a timeout, but a peer that trickles a
//! byte before each one ends holds the thread for days (a "slowloris"). Past a grace, a body or
//! a download (any answer: the web client's bundle is 4 MB) that has averaged less than the
//! server's `min_file_rate` is cut as if it had stopped: an upload keeps what came and answers
//! `408` with its offset (the client goes on from there), a download closes (the client
//! resumes with a `Range`). Apache's
//! `mod_reqtimeout` does the same for bodies (`body=20,MinRate=500`).

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use crate::config::ServerConfig;

/// How fast bytes must move, on average since they began, once the grace is over.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pace {
    began: Instant,
    moved: u64,
    /// Bytes a second; 0: any pace.
    min_rate: u64,
    grace: Duration,
}

impl Pace {
    /// From now, at the server's pace.
    pub fn new(config: &ServerConfig) -> Pace {
        Pace {
            began: Instant::now(),
            moved: 0,
            min_rate: config.min_file_rate,
            grace: config.file_rate_grace,
        }
    }

    /// An error once the bytes moved so far are behind the pace.
    fn keep_up(&self) -> io::Result<()> {
        let elapsed = self.began.elapsed();
        if self.min_rate == 0 || elapsed <= self.grace {
            return Ok(());
        }
        let due = u128::from(self.min_rate) * elapsed.as_millis() / 1000;
        if u128::from(self.moved) < due {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{} bytes in {:.0} s: slower than {} bytes a second",
                    self.moved,
                    elapsed.as_secs_f64(),
                    self.min_rate
                ),
            ));
        }
        Ok(())
    }
}

/// A reader or writer whose bytes must keep a [`Pace`].
pub(super) struct Paced<T> {
    inner: T,
    pace: Pace,
}

impl<T> Paced<T> {
    pub fn new(inner: T, pace: Pace) -> Paced<T> {
        Paced { inner, pace }
    }
}

impl<R: Read> Read for Paced<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.pace.keep_up()?;
        let n = self.inner.read(buf)?;
        self.pace.moved += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Paced<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pace.keep_up()?;
        let n = self.inner.write(buf)?;
        self.pace.moved += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(min_rate: u64, grace: Duration, ago: Duration, moved: u64) -> Pace {
        Pace {
            began: Instant::now() - ago,
            moved,
            min_rate,
            grace,
        }
    }

    #[test]
    fn bytes_behind_the_pace_after_the_grace_are_cut_and_none_before() {
        let second = Duration::from_secs(1);
        // Within the grace, nothing moved is fine.
        assert!(pace(500, 20 * second, 10 * second, 0).keep_up().is_ok());
        // Past it: 30 s at 500 B/s is 15,000 bytes.
        assert!(
            pace(500, 20 * second, 30 * second, 15_500)
                .keep_up()
                .is_ok()
        );
        let late = pace(500, 20 * second, 30 * second, 14_000).keep_up();
        assert_eq!(late.unwrap_err().kind(), io::ErrorKind::TimedOut);
        // 0: any pace, for as long as it takes.
        assert!(pace(0, second, 3_600 * second, 0).keep_up().is_ok());
    }

    #[test]
    fn a_paced_reader_counts_what_it_reads() {
        let mut paced = Paced::new(&b"hola"[..], pace(1, Duration::ZERO, Duration::ZERO, 0));
        let mut out = Vec::new();
        paced.read_to_end(&mut out).unwrap();
        assert_eq!((out.as_slice(), paced.pace.moved), (&b"hola"[..], 4));
    }
}
