//! Short-lived copies of the fleet-wide aggregates (compliance, burndown).
//!
//! Those are O(hosts + findings) to compute: about 20 ms per thousand hosts
//! on SQLite, so seconds at 100k. A dashboard does not need them to the
//! second, and every page shows the "as of" time of the figures it used, so
//! pages reuse a result for [`FRESH`], then serve it while one background
//! task recomputes it (stale-while-revalidate), for at most [`STALE`]. Only
//! the first view, or one after a long idle spell, waits for the query.
//! Dashboard writes clear the cache, so a waiver shows its effect at once
//! on the replica that made it; other replicas catch up within [`FRESH`].

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Served without recomputing.
pub(crate) const FRESH: Duration = Duration::from_secs(30);
/// Served while a recompute runs in the background; older is recomputed
/// before answering.
pub(crate) const STALE: Duration = Duration::from_secs(300);

type Value = Arc<dyn Any + Send + Sync>;

struct Slot {
    at: Instant,
    value: Value,
    refreshing: bool,
}

/// The cache; one per dashboard router.
#[derive(Default)]
pub(crate) struct Cache {
    slots: Mutex<HashMap<String, Slot>>,
}

enum Plan {
    Hit(Value),
    Refresh(Value),
    Compute,
}

impl Cache {
    /// The value under `key`, computed by `compute` when missing or too old.
    pub(crate) async fn get<T, F, Fut>(
        self: &Arc<Self>,
        key: String,
        compute: F,
    ) -> uproot_fleet::Result<Arc<T>>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = uproot_fleet::Result<T>> + Send + 'static,
    {
        match self.plan(&key) {
            Plan::Hit(v) => Ok(downcast(v)),
            Plan::Refresh(v) => {
                let me = self.clone();
                let fut = compute();
                tokio::spawn(async move {
                    match fut.await {
                        Ok(fresh) => me.put(key, Arc::new(fresh)),
                        Err(e) => {
                            eprintln!("uproot serve: dashboard refresh of {key}: {e}");
                            me.done_refreshing(&key);
                        }
                    }
                });
                Ok(downcast(v))
            }
            Plan::Compute => {
                let v = Arc::new(compute().await?);
                self.put(key, v.clone());
                Ok(v)
            }
        }
    }

    fn plan(&self, key: &str) -> Plan {
        let mut slots = self.lock();
        let Some(slot) = slots.get_mut(key) else {
            return Plan::Compute;
        };
        let age = slot.at.elapsed();
        if age < FRESH {
            Plan::Hit(slot.value.clone())
        } else if age < STALE && !slot.refreshing {
            slot.refreshing = true;
            Plan::Refresh(slot.value.clone())
        } else if age < STALE {
            Plan::Hit(slot.value.clone())
        } else {
            Plan::Compute
        }
    }

    fn put<T: Send + Sync + 'static>(&self, key: String, value: Arc<T>) {
        let mut slots = self.lock();
        // Keys name dates, so old ones stop being asked for: drop them.
        slots.retain(|_, s| s.at.elapsed() < STALE);
        slots.insert(
            key,
            Slot {
                at: Instant::now(),
                value,
                refreshing: false,
            },
        );
    }

    fn done_refreshing(&self, key: &str) {
        if let Some(slot) = self.lock().get_mut(key) {
            slot.refreshing = false;
        }
    }

    /// Forgets everything (after a change made through the dashboard).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        // A panic while holding the lock cannot leave a half-written map
        // (every change is one insert or clear), so a poisoned lock is usable.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn downcast<T: Send + Sync + 'static>(v: Value) -> Arc<T> {
    // Each key prefix is used with one type only (see the callers), so a
    // mismatch is a programming error.
    v.downcast::<T>()
        .unwrap_or_else(|_| panic!("dashboard cache: a key was used with two types"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn computes_once_while_fresh_and_clears() {
        let cache = Arc::new(Cache::default());
        let calls = Arc::new(AtomicU32::new(0));
        for _ in 0..3 {
            let c = calls.clone();
            let v = cache
                .get("k".into(), move || async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    Ok(7u32)
                })
                .await
                .unwrap();
            assert_eq!(*v, 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache.clear();
        let c = calls.clone();
        cache
            .get("k".into(), move || async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(8u32)
            })
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn stale_values_are_served_while_refreshing() {
        let cache = Arc::new(Cache::default());
        cache.put("k".into(), Arc::new(1u32));
        cache.lock().get_mut("k").unwrap().at = Instant::now() - FRESH - Duration::from_secs(1);
        let v = cache.get("k".into(), || async { Ok(2u32) }).await.unwrap();
        assert_eq!(*v, 1, "the stale value answers at once");
        for _ in 0..100 {
            if *cache.get("k".into(), || async { Ok(3u32) }).await.unwrap() == 2 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the background refresh never landed");
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let cache = Arc::new(Cache::default());
        let e = cache
            .get::<u32, _, _>("k".into(), || async {
                match uproot_fleet::open("nowhere:").await {
                    Err(e) => Err(e),
                    Ok(_) => unreachable!("not a database URL"),
                }
            })
            .await;
        assert!(e.is_err());
        assert!(cache.lock().is_empty());
    }
}
