//! The global allocator: jemalloc with one arena.
//!
//! Measured on the 50,000-resource workload of `BENCH_SCALE=1 scripts/bench-runtime` (issue
//! #20), peak RSS of `run` / no-op `plan`: glibc's malloc 609 / 568 MB, jemalloc with its
//! default arenas 457 / 500 MB, with one arena 432 / 474 MB — and faster (run 6.2 s → 4.8 s).
//! glibc gives each of tokio's worker threads an arena of its own and keeps the freed memory
//! of 50,000 short-lived steps spread over them; one jemalloc arena (each thread still has its
//! small cache) keeps the live data packed. At 5,000 resources it is lower too (78 → 68 MB).
//! The `mimalloc` feature swaps in mimalloc instead (higher RSS; kept for measuring), and the
//! `system-allocator` feature glibc's malloc, which `heaptrack` can follow.

#[cfg(not(any(feature = "mimalloc", feature = "system-allocator")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(all(feature = "mimalloc", not(feature = "system-allocator")))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// jemalloc's compiled-in options, read once when it starts: `malloc_conf`, a C string
/// (`_rjem_` is the prefix tikv-jemalloc-sys gives every jemalloc symbol).
#[cfg(not(any(feature = "mimalloc", feature = "system-allocator")))]
#[repr(transparent)]
pub struct MallocConf(*const std::ffi::c_char);

// SAFETY: the pointer is to a `'static` byte string that is never written.
#[cfg(not(any(feature = "mimalloc", feature = "system-allocator")))]
#[allow(unsafe_code)]
unsafe impl Sync for MallocConf {}

#[cfg(not(any(feature = "mimalloc", feature = "system-allocator")))]
#[allow(unsafe_code, non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: MallocConf = MallocConf(c"narenas:1".as_ptr());
