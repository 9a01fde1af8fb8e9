//! Sorting with one copy of the sorting code. Rust compiles a sort again for every comparison
//! it is given (about 3.5 KB of wasm each; there were 16 in the phone's first download), so the
//! app's and the domain's sorts go through these: they sort positions, comparing the items at
//! two positions through a reference, and then put the items in that order.

use std::cmp::Ordering;

/// Sorts `items` stably by `cmp`, as `slice::sort_by` does.
pub fn sort_by<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    positions(&mut order, &|a, b| cmp(&items[a], &items[b]));
    // In place, cycle by cycle: position `j` takes the item that was at `order[j]`.
    for i in 0..items.len() {
        let mut j = i;
        while order[j] != i {
            let k = order[j];
            items.swap(j, k);
            order[j] = j;
            j = k;
        }
        order[j] = j;
    }
}

/// Sorts `items` stably by the key `key` gives, as `slice::sort_by_key` does.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// The one sort: the positions, by a comparison of the items there.
#[inline(never)]
fn positions(order: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|a, b| cmp(*a, *b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the standard library's stable sort, ties kept in their order.
        #[test]
        fn sorts_as_the_standard_stable_sort(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v.clone();
            std.sort_by_key(|x| x.0);
            prop_assert_eq!(&ours, &std);
            let mut by_key = v.clone();
            sort_by_key(&mut by_key, |x| std::cmp::Reverse(x.1));
            let mut std_key = v;
            std_key.sort_by_key(|x| std::cmp::Reverse(x.1));
            prop_assert_eq!(by_key, std_key);
        }
    }
}
