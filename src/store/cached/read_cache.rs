//! [`ReadCache`]: values kept under the generation they were read in, served only while that
//! generation is current, and bounded in entries and bytes. The rules that make that safe are
//! in the parent module's header.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Entries kept at most; beyond, the cache starts empty again (memory stays bounded).
const MAX_ENTRIES: usize = 50_000;

/// Bytes kept at most (an estimate: the values' own sizes and their text), by the same rule.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// A value larger than this is never kept: one huge answer would empty the cache for nothing.
const MAX_VALUE_BYTES: usize = MAX_BYTES / 16;

type Value = Arc<dyn Any + Send + Sync>;

/// A part of a cache key: text or a number.
pub trait KeyPart {
    fn push_onto(&self, key: &mut String);
}

impl KeyPart for &str {
    fn push_onto(&self, key: &mut String) {
        key.push_str(self);
    }
}

impl KeyPart for String {
    fn push_onto(&self, key: &mut String) {
        key.push_str(self);
    }
}

impl KeyPart for i64 {
    fn push_onto(&self, key: &mut String) {
        key.push_str(itoa::Buffer::new().format(*self));
    }
}

/// A key of `parts` written one after the other. Hot reads make several keys each, and
/// `format!` took longer than the lookups they were for.
pub fn key(parts: &[&dyn KeyPart]) -> String {
    let mut key = String::with_capacity(80);
    for part in parts {
        part.push_onto(&mut key);
    }
    key
}

#[derive(Default)]
struct Entries {
    generation: u64,
    /// Keyed with foldhash, seeded for each process: SipHash cost a tenth of a lookup.
    map: HashMap<String, Value, foldhash::fast::RandomState>,
    bytes: usize,
}

impl Entries {
    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }
}

/// The cache itself, shared by the store's clones.
#[derive(Default)]
pub struct ReadCache {
    generation: AtomicU64,
    entries: RwLock<Entries>,
}

impl ReadCache {
    /// Every cached value is stale from now on.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The database's generation of this part, read by a request (shared caches): values kept
    /// under an older one are stale from now on. A generation already as new is left alone.
    pub fn observe(&self, database: i64) {
        let generation = u64::try_from(database).unwrap_or_default() << super::LOCAL_BITS;
        self.generation.fetch_max(generation, Ordering::AcqRel);
    }

    fn get<T: Clone + 'static>(&self, key: &str, generation: u64) -> Option<T> {
        {
            // Readers share the lock; only a new generation needs it alone, to empty the map.
            let entries = self.entries.read().ok()?;
            if entries.generation == generation {
                return entries.map.get(key)?.downcast_ref::<T>().cloned();
            }
        }
        let mut entries = self.entries.write().ok()?;
        if entries.generation < generation {
            entries.clear();
            entries.generation = generation;
        }
        None
    }

    fn put<T: Send + Sync + 'static>(&self, key: String, value: T, generation: u64, bytes: usize) {
        let bytes = bytes + key.len();
        if bytes > MAX_VALUE_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        // A write started a new generation since the read began: the value may be older.
        if entries.generation != generation || self.generation.load(Ordering::Acquire) != generation
        {
            return;
        }
        if entries.map.len() >= MAX_ENTRIES || entries.bytes + bytes > MAX_BYTES {
            entries.clear();
        }
        entries.bytes += bytes;
        entries.map.insert(key, Arc::new(value));
    }

    /// Answers `key` from memory, or runs `read` and remembers its answer.
    pub async fn read<T, E, F>(&self, key: String, read: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<T, E>>,
    {
        self.read_sized(key, |_| std::mem::size_of::<T>(), read)
            .await
    }

    /// [`Self::read`] for values that hold more than their own size (lists, text): `size`
    /// estimates the bytes one takes.
    pub async fn read_sized<T, E, F>(
        &self,
        key: String,
        size: impl FnOnce(&T) -> usize,
        read: F,
    ) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<T, E>>,
    {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(value) = self.get::<T>(&key, generation) {
            return Ok(value);
        }
        let value = read.await?;
        let bytes = size(&value);
        self.put(key, value.clone(), generation, bytes);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    async fn read_counted(cache: &ReadCache, key: &str, bytes: usize, reads: &AtomicU64) -> u64 {
        let value = cache
            .read_sized(key.to_owned(), |_| bytes, async {
                Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst))
            })
            .await;
        value.unwrap_or(u64::MAX)
    }

    #[tokio::test]
    async fn memory_stays_within_its_byte_budget() {
        let cache = ReadCache::default();
        let reads = AtomicU64::new(0);
        // Kept: the second read is answered from memory.
        read_counted(&cache, "small", 100, &reads).await;
        read_counted(&cache, "small", 100, &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Too large to keep: read every time.
        read_counted(&cache, "huge", MAX_VALUE_BYTES + 1, &reads).await;
        read_counted(&cache, "huge", MAX_VALUE_BYTES + 1, &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 3);
        // Filling the budget starts the cache over: the first entry is read again.
        for i in 0..(MAX_BYTES / MAX_VALUE_BYTES + 1) {
            read_counted(&cache, &format!("big{i}"), MAX_VALUE_BYTES - 16, &reads).await;
        }
        let before = reads.load(Ordering::SeqCst);
        read_counted(&cache, "small", 100, &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), before + 1);
        let entries = cache.entries.read().map_or(usize::MAX, |e| e.bytes);
        assert!(entries <= MAX_BYTES, "{entries} bytes kept");
    }
}
