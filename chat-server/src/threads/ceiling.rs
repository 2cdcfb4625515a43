//! How many clients this process can hold before the kernel refuses it a thread.
//!
//! Each client is a thread, and on Linux each thread of a Rust program takes four memory
//! mappings (its stack and the signal stack the standard library gives it, a guard page each);
//! `vm.max_map_count` caps the mappings of a process (65,530 by default). A thread start that
//! meets the cap does not always fail where the server can answer: when the new thread cannot
//! map its signal stack, the standard library aborts the whole process. So the server stops
//! admitting clients before the cap, keeping room for its own threads and mappings.

/// Mappings one thread takes.
pub const MAPS_PER_THREAD: usize = 4;

/// Mappings kept free for the rest of the process: memory the allocator maps as it grows, the
/// store's files, anything mapped after start.
const SPARE_MAPS: usize = 1_024;

/// The most clients this process can hold when `other_threads` threads run besides one per
/// client (threads waiting for reuse, the server's own), or `None` where no such limit is known.
pub fn clients_that_fit(other_threads: usize) -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        let max_maps = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let used_maps = std::fs::read_to_string("/proc/self/maps")
            .ok()?
            .lines()
            .count();
        Some(fit(max_maps, used_maps, other_threads))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = other_threads;
        None
    }
}

/// Clients that fit in `max_maps` mappings with `used_maps` taken and `other_threads` to run.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn fit(max_maps: usize, used_maps: usize, other_threads: usize) -> usize {
    let free = max_maps.saturating_sub(used_maps.saturating_add(SPARE_MAPS));
    (free / MAPS_PER_THREAD).saturating_sub(other_threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_leaves_room_for_the_process_and_for_other_threads() {
        // Linux's default: 65,530 mappings, a process using 300 at start, 400 other threads.
        assert_eq!(fit(65_530, 300, 400), (65_530 - 300 - SPARE_MAPS) / 4 - 400);
        assert!(fit(65_530, 300, 0) * MAPS_PER_THREAD + 300 + SPARE_MAPS <= 65_530);
        assert_eq!(
            fit(1_000, 300, 0),
            0,
            "nothing fits when the margin is gone"
        );
        assert_eq!(fit(65_530, 300, usize::MAX), 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_budget() {
        assert!(clients_that_fit(0).is_some_and(|n| n > 0));
    }
}
