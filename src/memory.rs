//! Memory hygiene for the long-running daemon: how much heap it keeps while it waits for calls.
//!
//! Two glibc allocator settings, measured with `scripts/bench-pop.sh` (BENCHMARKS.md):
//! - [`limit_arenas`]: glibc gives threads that contend their own malloc arena (up to 8 per
//!   core), and every arena keeps its freed pages. The daemon's threads (two tokio workers, one
//!   per SQLite connection) are mostly idle, so two arenas serve them as well as eight.
//! - [`release_free_heap`]: start-up peaks (loading libphonenumber's metadata parses every
//!   pattern; migrations, the first queries) leave freed memory inside the heap that glibc
//!   only hands back from its top. `malloc_trim` returns those pages to the OS once start-up
//!   is over.
//!
//! Neither changes what the daemon does; on other platforms and C libraries both are no-ops.

/// Caps glibc's malloc arenas at two. Call before the async runtime starts its threads.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::set_arena_max(2);
}

/// Hands freed heap pages back to the OS (after start-up, while idle).
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::trim();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    use std::ffi::c_int;

    /// `M_ARENA_MAX` from glibc's `<malloc.h>`.
    const M_ARENA_MAX: c_int = -8;

    extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
        fn malloc_trim(pad: usize) -> c_int;
    }

    pub fn set_arena_max(arenas: c_int) {
        // SAFETY: mallopt only changes allocator tuning and is safe to call at any time.
        if unsafe { mallopt(M_ARENA_MAX, arenas) } == 0 {
            tracing::debug!(
                arenas,
                "mallopt(M_ARENA_MAX) refused; keeping glibc's default"
            );
        }
    }

    pub fn trim() {
        // SAFETY: malloc_trim only releases free memory and takes the allocator's own locks.
        unsafe { malloc_trim(0) };
    }
}
