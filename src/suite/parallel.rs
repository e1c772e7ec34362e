//! Loading many case files at once: the files are independent, so they are
//! parsed and checked on every core, and the results kept in file order (the
//! first mistake reported is the same as in a one-by-one load).

/// Fewer files than this are loaded on the calling thread: starting threads
/// would cost more than it saves.
const MIN_PARALLEL: usize = 256;

/// `f` of every item, in the items' order, spread over the machine's cores.
pub(crate) fn map_in_order<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || items.len() < MIN_PARALLEL {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    // Each worker fills its own share of one vector: no per-worker vectors
    // copied into a final one (a second copy of every result at its peak).
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .zip(slots.chunks_mut(chunk))
            .map(|(part, out)| {
                scope.spawn(move || {
                    for (item, slot) in part.iter().zip(out) {
                        *slot = Some(f(item));
                    }
                })
            })
            .collect();
        for handle in handles {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    // `flatten` would copy every result; `filter_map` collects in place.
    #[allow(clippy::filter_map_identity)]
    slots.into_iter().filter_map(|r| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<usize> = (0..10_000).collect();
        let doubled = map_in_order(&items, |i| i * 2);
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(map_in_order(&items[..3], |i| *i), vec![0, 1, 2]);
    }
}
