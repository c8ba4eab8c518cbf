//! A compact table of 64-bit keys (each with a small value), for the planner's
//! millions of files: a sorted vector, searched by bisection, with a small hash
//! table in front that takes the new keys and is merged into the vector (in place,
//! from its end) when it holds a sixteenth as many.
//!
//! A hash table of `u64` keys costs 9 to 18 bytes a key (one control byte, a load
//! of at most 7/8, power-of-two sizes) and needs the old and the new table at once
//! while it grows: at 2 million files the planner's two tables peaked above 150 MB.
//! The vector costs the keys' own bytes, and grows by `realloc` (no second copy
//! of what it holds).

use std::collections::HashMap;

/// Keys in the front table before it is merged, at least.
const MIN_RECENT: usize = 1024;

/// Sorted keys with their values, and the recent ones in a hash table.
#[derive(Debug, Default)]
pub(crate) struct KeyTable<V: Copy> {
    sorted: Vec<(u64, V)>,
    recent: HashMap<u64, V>,
}

/// The keys of a set: 8 bytes each once merged.
pub(crate) type KeySet = KeyTable<()>;

impl<V: Copy> KeyTable<V> {
    fn position(&self, key: u64) -> Result<usize, usize> {
        self.sorted.binary_search_by_key(&key, |(key, _)| *key)
    }

    /// The value of `key`, if it is in the table.
    pub(crate) fn get(&self, key: u64) -> Option<V> {
        match self.recent.get(&key) {
            Some(value) => Some(*value),
            None => self.position(key).ok().map(|index| self.sorted[index].1),
        }
    }

    /// Whether `key` is in the table.
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.recent.contains_key(&key) || self.position(key).is_ok()
    }

    /// Sets the value of `key`; false if it was in the table already (its value
    /// is replaced).
    pub(crate) fn insert(&mut self, key: u64, value: V) -> bool {
        if let Ok(index) = self.position(key) {
            self.sorted[index].1 = value;
            return false;
        }
        let fresh = self.recent.insert(key, value).is_none();
        if self.recent.len() >= MIN_RECENT.max(self.sorted.len() / 16) {
            self.merge();
        }
        fresh
    }

    /// Takes `key` out of the table. Rare (a file that turned out to be a
    /// folder): it moves the keys after it.
    pub(crate) fn remove(&mut self, key: u64) {
        if self.recent.remove(&key).is_none()
            && let Ok(index) = self.position(key)
        {
            self.sorted.remove(index);
        }
    }

    /// Moves the recent keys into the sorted vector: each merge moves every key
    /// once, and comes after a sixteenth as many inserts.
    fn merge(&mut self) {
        let mut recent: Vec<(u64, V)> = self.recent.drain().collect();
        self.recent.shrink_to(MIN_RECENT);
        recent.sort_unstable_by_key(|(key, _)| *key);
        let old = self.sorted.len();
        let Some(&filler) = recent.first() else {
            return;
        };
        self.sorted.resize(old + recent.len(), filler);
        // From the end: the largest of what is left of either goes last.
        let (mut left, mut right, mut end) = (old, recent.len(), old + recent.len());
        while right > 0 {
            end -= 1;
            if left > 0 && self.sorted[left - 1].0 > recent[right - 1].0 {
                self.sorted[end] = self.sorted[left - 1];
                left -= 1;
            } else {
                self.sorted[end] = recent[right - 1];
                right -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_table_answers_as_a_hash_map_would_across_merges() {
        let mut table = KeyTable::<u64>::default();
        let mut model = HashMap::new();
        // A fixed pseudo-random walk: inserts, repeats, removals, re-inserts.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for step in 0..50_000_u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let key = state % 20_000;
            match step % 7 {
                0 => {
                    table.remove(key);
                    model.remove(&key);
                    assert!(!table.contains(key));
                }
                _ => {
                    let fresh = table.insert(key, step);
                    assert_eq!(fresh, model.insert(key, step).is_none(), "{key}");
                }
            }
            if step % 997 == 0 {
                for probe in 0..20_000 {
                    assert_eq!(table.get(probe), model.get(&probe).copied(), "{probe}");
                }
            }
        }
        assert!(
            table.sorted.len() > table.recent.len(),
            "merged at least once"
        );
        assert!(table.sorted.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }
}
