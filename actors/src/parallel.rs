//! Work over many items split across the cores: the first keystroke in a library of 100k,
//! or the index of a pull that brought 100k prompts.

/// Most threads one call uses; this runs on laptops with more cores than it needs.
const MAX_THREADS: usize = 4;

/// `work` on consecutive parts of `items`, one part per core when there are at least
/// `parallel_from` items (below that a thread costs more than it saves), results in
/// `items`' order. A panic in a part is passed on.
pub(crate) fn in_parts<T: Sync, R: Send>(
    items: &[T],
    parallel_from: usize,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
    if items.len() < parallel_from.max(2) || threads < 2 {
        return work(items);
    }
    let work = &work;
    std::thread::scope(|scope| {
        let mut parts = items.chunks(items.len().div_ceil(threads));
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts.map(|part| scope.spawn(move || work(part))).collect();
        let mut results = work(first);
        for other in others {
            results.extend(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        results
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order_whether_split_or_not() {
        let items: Vec<u32> = (0..10_001).collect();
        let doubled = |part: &[u32]| part.iter().map(|n| n * 2).collect::<Vec<_>>();
        let expected: Vec<u32> = items.iter().map(|n| n * 2).collect();
        assert_eq!(super::in_parts(&items, 10, doubled), expected);
        assert_eq!(super::in_parts(&items, 1_000_000, doubled), expected);
        assert!(super::in_parts(&[] as &[u32], 0, doubled).is_empty());
    }
}
