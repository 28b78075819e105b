//! Work over many items split across the cores: the first keystroke in a library of 100k,
//! or the index of a pull that brought 100k prompts.

/// Most threads one call uses; this runs on laptops with more cores than it needs.
const MAX_THREADS: usize = 4;

/// The threads one call uses: every core, up to [`MAX_THREADS`].
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
}

/// Folds every item `produce` hands over into one state per core, on threads of their own
/// while `produce` runs on this one: each takes the next item as soon as it is free, so
/// the work is done while the items are still being made (a start parses and indexes the
/// library while it is read). Gives the states, or `produce`'s error. A panic in a fold
/// is passed on.
pub(crate) fn fold_while_producing<T: Send, S: Send, E>(
    produce: impl FnOnce(&mut dyn FnMut(T)) -> Result<(), E>,
    start: impl Fn() -> S + Sync,
    fold: impl Fn(&mut S, T) + Sync,
) -> Result<Vec<S>, E> {
    let threads = threads();
    // Bounded: items are made no further ahead of the folds than the threads can take.
    let (send, receive) = std::sync::mpsc::sync_channel::<T>(threads * 2);
    let receive = std::sync::Mutex::new(receive);
    let (start, fold, receive) = (&start, &fold, &receive);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut state = start();
                    loop {
                        let next = receive
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        match next {
                            Ok(item) => fold(&mut state, item),
                            Err(_) => return state,
                        }
                    }
                })
            })
            .collect();
        // A send fails only when every fold has panicked, which the joins below pass on.
        let produced = produce(&mut |item| drop(send.send(item)));
        drop(send);
        let states: Vec<S> = workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect();
        produced.map(|()| states)
    })
}

/// `work` on consecutive parts of `items`, one part per core when there are at least
/// `parallel_from` items (below that a thread costs more than it saves), results in
/// `items`' order. A panic in a part is passed on.
pub(crate) fn in_parts<T: Sync, R: Send>(
    items: &[T],
    parallel_from: usize,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = threads();
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

    #[test]
    fn every_item_produced_is_folded_once() {
        let folded = super::fold_while_producing(
            |send| {
                (1..=1_000_u64).for_each(send);
                Ok::<_, ()>(())
            },
            Vec::new,
            |seen: &mut Vec<u64>, n| seen.push(n),
        )
        .expect("produced");
        let mut all: Vec<u64> = folded.into_iter().flatten().collect();
        all.sort_unstable();
        assert_eq!(all, (1..=1_000).collect::<Vec<_>>());
    }

    #[test]
    fn a_failed_production_is_the_answer() {
        let failed = super::fold_while_producing(
            |send| {
                send(1_u32);
                Err("unreadable")
            },
            || 0_u32,
            |sum: &mut u32, n| *sum += n,
        );
        assert_eq!(failed, Err("unreadable"));
    }
}
