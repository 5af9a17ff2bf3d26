//! Work split over threads with results handed on in order: what lets the engine use
//! every core and stay deterministic. The output is the same for any number of threads;
//! only which thread computed what differs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// How many finished items may wait for the ones before them, per thread: bounds the
/// memory held when one item is slow.
pub const WINDOW_PER_THREAD: usize = 2;

/// Run `work(state, i)` for every `i` in `0..n` on up to `threads` threads, each with its
/// own `state` from `init`, and hand the results to `sink` in index order on the calling
/// thread while the work goes on. Returns every thread's state (for merging).
///
/// A panic in `work` is re-raised on the calling thread once the other threads stopped.
pub fn ordered<S: Send, R: Send>(
    n: usize,
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> R + Sync,
    sink: impl FnMut(R),
) -> Vec<S> {
    ordered_within(WINDOW_PER_THREAD, n, threads, init, work, sink)
}

/// [`ordered`] with `per_thread` items (at least one) per thread done ahead of the
/// sink at most: one for large items.
pub fn ordered_within<S: Send, R: Send>(
    per_thread: usize,
    n: usize,
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> R + Sync,
    mut sink: impl FnMut(R),
) -> Vec<S> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        let mut state = init();
        for i in 0..n {
            sink(work(&mut state, i));
        }
        return vec![state];
    }
    let window = threads * per_thread.max(1);
    let next = AtomicUsize::new(0);
    let consumed = Mutex::new(0usize);
    let moved = Condvar::new();
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (init, work, next, consumed, moved, stop) =
                    (&init, &work, &next, &consumed, &moved, &stop);
                scope.spawn(move || {
                    // Wakes the others if this thread panics, so none waits forever.
                    struct OnPanic<'a>(&'a AtomicBool, &'a Condvar);
                    impl Drop for OnPanic<'_> {
                        fn drop(&mut self) {
                            if std::thread::panicking() {
                                self.0.store(true, Ordering::SeqCst);
                                self.1.notify_all();
                            }
                        }
                    }
                    let _guard = OnPanic(stop, moved);
                    let mut state = init();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        {
                            let c = consumed.lock().unwrap_or_else(|e| e.into_inner());
                            let c = moved
                                .wait_while(c, |c| i >= *c + window && !stop.load(Ordering::SeqCst))
                                .unwrap_or_else(|e| e.into_inner());
                            drop(c);
                        }
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let r = work(&mut state, i);
                        if tx.send((i, r)).is_err() {
                            break;
                        }
                    }
                    state
                })
            })
            .collect();
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut at = 0usize;
        for (i, r) in rx {
            pending.insert(i, r);
            let before = at;
            while let Some(r) = pending.remove(&at) {
                sink(r);
                at += 1;
            }
            if at != before {
                *consumed.lock().unwrap_or_else(|e| e.into_inner()) = at;
                moved.notify_all();
            }
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_whatever_the_thread_count() {
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            let states = ordered(
                100,
                threads,
                || 0usize,
                |done, i| {
                    *done += 1;
                    // Uneven work so that threads finish out of order.
                    let spin = (i * 7919) % 13 * 1000;
                    (0..spin).fold(i, |a, b| a ^ b) ^ (0..spin).fold(0, |a, b| a ^ b)
                },
                |r| got.push(r),
            );
            assert_eq!(got, (0..100).collect::<Vec<_>>(), "{threads} threads");
            assert_eq!(states.iter().sum::<usize>(), 100, "{threads} threads");
            assert_eq!(states.len(), threads.min(100));
        }
    }

    #[test]
    fn no_item_starts_more_than_the_window_ahead_of_the_sink() {
        for (per_thread, threads) in [(1, 2), (1, 3), (2, 2)] {
            let window = per_thread * threads;
            let sunk = AtomicUsize::new(0);
            let furthest = AtomicUsize::new(0);
            ordered_within(
                per_thread,
                60,
                threads,
                || (),
                |_, i| {
                    // Items handed to the sink so far: at most this many are done or
                    // under way beyond them.
                    let ahead = i - sunk.load(Ordering::SeqCst);
                    furthest.fetch_max(ahead, Ordering::SeqCst);
                    i
                },
                |_| {
                    // A slow writer: the threads run ahead as far as they may.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    sunk.fetch_add(1, Ordering::SeqCst);
                },
            );
            let furthest = furthest.into_inner();
            assert!(
                furthest < window,
                "{per_thread} × {threads}: {furthest} ahead"
            );
            assert_eq!(
                furthest,
                window - 1,
                "{per_thread} × {threads}: the window is used"
            );
        }
    }

    #[test]
    fn nothing_to_do_runs_nothing() {
        let states = ordered(0, 4, || 7, |_, _: usize| -> u8 { unreachable!() }, |_| {});
        assert_eq!(states, vec![7]);
    }

    #[test]
    fn a_panic_in_the_work_reaches_the_caller_and_nothing_hangs() {
        let r = std::panic::catch_unwind(|| {
            ordered(
                1000,
                2,
                || (),
                |_, i| {
                    if i == 3 {
                        panic!("item 3");
                    }
                    i
                },
                |_| {},
            )
        });
        let msg = r.expect_err("the panic is re-raised");
        assert_eq!(msg.downcast_ref::<&str>(), Some(&"item 3"));
    }
}
