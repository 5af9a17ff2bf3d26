use clap::Parser;

/// mimalloc instead of glibc's malloc: resolving and writing a report is mostly
/// small allocations (glibc's malloc/free were 30% of the profile of the large
/// report). Measured in the commit that made the switch.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v2 and v3): how long freed memory is kept
/// before it is returned to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const PURGE_DELAY_MS: std::ffi::c_long = 2;

fn main() {
    // Keep freed memory 2 ms before returning it, not mimalloc's 10 ms: peak RSS stays
    // close to returning it at once while the pages a proxy frees are reused by the
    // next instead of being returned and faulted in again (docs/performance.md,
    // "Allocator settings").
    // SAFETY: sets one integer option; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    // No transparent huge pages: a half-used 2 MiB page counts whole in RSS (the peak
    // of a large report grew by a sixth with them, docs/performance.md). mimalloc reads
    // its own option before `main`, so the kernel's per-process switch is used.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and changes no memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let cli = meshtcp::cli::Cli::parse();
    match meshtcp::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("meshtcp: {e:#}");
            std::process::exit(2);
        }
    }
}
