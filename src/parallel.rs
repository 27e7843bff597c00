//! Plain scoped threads for the large-data paths (no thread pool to configure): work is split
//! only when each thread gets enough rows to pay for itself.

/// Rows below which one thread is faster than starting several.
const ROWS_PER_THREAD: usize = 50_000;

/// How many threads to use for `rows` rows of work.
pub fn threads_for(rows: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rows / ROWS_PER_THREAD)
        .max(1)
}

/// `f` applied to every element of `inputs` on up to `threads` threads, results in order.
pub fn map_in_order<T, R, F>(inputs: &[T], threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    if threads <= 1 || inputs.len() < 2 {
        return inputs.iter().map(f).collect();
    }
    let per = inputs.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles.into_iter().flat_map(join).collect()
    })
}

/// A scoped thread's result; a panic in the thread goes on in the caller as the same panic
/// (not as a new one that would hide it).
pub fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `f` applied to each of `inputs`, moved to a thread of its own (split the work into as
/// many parts as [`threads_for`] gives); results in order.
pub fn map_owned<T, R, F>(inputs: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    if inputs.len() < 2 {
        return inputs.into_iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .into_iter()
            .map(|input| scope.spawn(move || f(input)))
            .collect();
        handles.into_iter().map(join).collect()
    })
}
