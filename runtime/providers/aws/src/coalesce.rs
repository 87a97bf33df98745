//! Reads that arrive while an alike read is in flight are merged into the next API call: the
//! first caller's call goes out at once (no waiting window), callers that arrive meanwhile
//! queue, and when the call returns their queries go out together as one call. Fifty instance
//! creates finishing at about the same time thus wait with a handful of `DescribeInstances`
//! instead of fifty. Also a map of values looked up once per key ([`OnceMap`]) and the
//! objects a wait has just read, kept for the apply's read-back ([`Seen`]). Every key is
//! qualified by the region of the call in progress ([`crate::region::scoped`]): queries of two
//! regions never share a call, a lookup or a kept object.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, OnceCell};

type Queue<Q, R> = Vec<(Q, oneshot::Sender<R>)>;

struct Slot<Q, R> {
    running: bool,
    queue: Queue<Q, R>,
}

type Slots<Q, R> = Arc<Mutex<HashMap<String, Slot<Q, R>>>>;

/// Merges concurrent queries of one key (a resource type, a hosted zone) into one call.
pub struct Coalescer<Q, R> {
    slots: Slots<Q, R>,
}

impl<Q, R> Default for Coalescer<Q, R> {
    fn default() -> Self {
        Coalescer {
            slots: Arc::default(),
        }
    }
}

impl<Q: Send + 'static, R: Send + 'static> Coalescer<Q, R> {
    /// The answer to `query` under `key` (in the region of the call in progress): `run` gets
    /// every query queued under `key` at the moment it is called and returns one answer per
    /// query, in order. `None` when the call was lost (the task running it panicked), which
    /// callers report as an error.
    pub async fn call<F, Fut>(&self, key: &str, query: Q, run: F) -> Option<R>
    where
        F: Fn(Vec<Q>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        let key = &crate::region::scoped(key);
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let slot = slots.entry(key.to_string()).or_insert_with(|| Slot {
                running: false,
                queue: Vec::new(),
            });
            slot.queue.push((query, tx));
            !std::mem::replace(&mut slot.running, true)
        };
        if start {
            // A task of its own, so a caller that gives up cannot strand the others.
            tokio::spawn(drain(self.slots.clone(), key.to_string(), run));
        }
        rx.await.ok()
    }
}

/// Runs the queued queries of `key` until none are left.
async fn drain<Q, R, F, Fut>(slots: Slots<Q, R>, key: String, run: F)
where
    F: Fn(Vec<Q>) -> Fut,
    Fut: Future<Output = Vec<R>>,
{
    // Should `run` panic, the slot is released so later callers start afresh (the queued ones
    // see their reply dropped).
    struct Release<'a, Q, R> {
        slots: &'a Slots<Q, R>,
        key: &'a str,
        armed: bool,
    }
    impl<Q, R> Drop for Release<'_, Q, R> {
        fn drop(&mut self) {
            if self.armed {
                let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
                slots.remove(self.key);
            }
        }
    }
    let mut release = Release {
        slots: &slots,
        key: &key,
        armed: true,
    };
    loop {
        let batch = {
            let mut slots = slots.lock().unwrap_or_else(|e| e.into_inner());
            match slots.get_mut(&key) {
                Some(slot) if !slot.queue.is_empty() => std::mem::take(&mut slot.queue),
                _ => {
                    // Under the same lock a new caller checks `running`: it finds no slot and
                    // starts a call of its own.
                    slots.remove(&key);
                    release.armed = false;
                    return;
                }
            }
        };
        let (queries, replies): (Vec<Q>, Vec<_>) = batch.into_iter().unzip();
        let answers = run(queries).await;
        for (reply, answer) in replies.into_iter().zip(answers) {
            let _ = reply.send(answer);
        }
    }
}

/// Values looked up once per key (the root device of an AMI, the name of a hosted zone):
/// concurrent askers wait for the first lookup; a failed lookup is not kept.
pub struct OnceMap<V>(Mutex<BTreeMap<String, Arc<OnceCell<V>>>>);

impl<V> Default for OnceMap<V> {
    fn default() -> Self {
        OnceMap(Mutex::default())
    }
}

impl<V: Clone> OnceMap<V> {
    pub async fn get<F, Fut, E>(&self, key: &str, lookup: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        self.cell(key).get_or_try_init(lookup).await.cloned()
    }

    /// Records `value` for `key` (known from elsewhere, e.g. a create's response).
    pub fn insert(&self, key: &str, value: V) {
        let _ = self.cell(key).set(value);
    }

    fn cell(&self, key: &str) -> Arc<OnceCell<V>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(crate::region::scoped(key)).or_default().clone()
    }
}

/// Objects a wait has just observed in their final state, by resource type and id: the apply
/// takes its read-back from here (once) instead of describing the object again.
#[derive(Default)]
pub struct Seen(Mutex<HashMap<(String, String), crate::common::Obs>>);

impl Seen {
    pub fn put(&self, type_name: &str, id: &str, obs: crate::common::Obs) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert((type_name.to_string(), crate::region::scoped(id)), obs);
    }

    pub fn take(&self, type_name: &str, id: &str) -> Option<crate::common::Obs> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(type_name.to_string(), crate::region::scoped(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn queries_arriving_during_a_call_share_the_next_call() {
        let c: Arc<Coalescer<u32, u32>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..20u32 {
            let (c, calls, sizes) = (c.clone(), calls.clone(), sizes.clone());
            tasks.push(tokio::spawn(async move {
                c.call("k", i, move |qs: Vec<u32>| {
                    let (calls, sizes) = (calls.clone(), sizes.clone());
                    async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        sizes.lock().unwrap().push(qs.len());
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        qs.iter().map(|q| q * 10).collect()
                    }
                })
                .await
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(
                t.await.unwrap(),
                Some(i as u32 * 10),
                "each gets its own answer"
            );
        }
        let calls = calls.load(Ordering::SeqCst);
        assert!(calls < 20, "{calls} calls for 20 concurrent queries");
        assert_eq!(sizes.lock().unwrap().iter().sum::<usize>(), 20);
    }

    #[tokio::test]
    async fn a_lone_query_goes_out_alone_and_keys_do_not_mix() {
        let c: Coalescer<&'static str, String> = Coalescer::default();
        let a = c
            .call("a", "x", |qs: Vec<&'static str>| async move {
                assert_eq!(qs, ["x"]);
                vec!["a:x".to_string()]
            })
            .await;
        let b = c
            .call("b", "y", |qs: Vec<&'static str>| async move {
                assert_eq!(qs, ["y"]);
                vec!["b:y".to_string()]
            })
            .await;
        assert_eq!((a.as_deref(), b.as_deref()), (Some("a:x"), Some("b:y")));
    }

    #[tokio::test]
    async fn queries_of_two_regions_never_share_a_call() {
        use crate::region::in_region;
        let c: Arc<Coalescer<u32, Vec<u32>>> = Arc::default();
        let mut tasks = Vec::new();
        for i in 0..12u32 {
            let c = c.clone();
            let region = (i % 2 == 1).then(|| "us-west-2".to_string());
            tasks.push(tokio::spawn(in_region(region.clone(), async move {
                let answer = c
                    .call("aws_vpc", i, |qs: Vec<u32>| async move {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        // Every query of a call answers with the whole batch.
                        qs.iter().map(|_| qs.clone()).collect()
                    })
                    .await
                    .unwrap();
                (region, answer)
            })));
        }
        for t in tasks {
            let (region, batch) = t.await.unwrap();
            let west = region.is_some();
            assert!(
                batch.iter().all(|q| (q % 2 == 1) == west),
                "{region:?} shared a call with another region: {batch:?}"
            );
        }
        let m: OnceMap<u32> = OnceMap::default();
        let home: Result<u32, ()> = m.get("ami-1", || async { Ok(1) }).await;
        let west: Result<u32, ()> =
            in_region(Some("us-west-2".into()), m.get("ami-1", || async { Ok(2) })).await;
        assert_eq!((home, west), (Ok(1), Ok(2)));
    }

    #[tokio::test]
    async fn a_panicking_call_is_reported_and_the_key_recovers() {
        let c: Coalescer<u32, u32> = Coalescer::default();
        let lost = c
            .call("k", 1, |_qs: Vec<u32>| async move {
                if true {
                    panic!("boom");
                }
                vec![0]
            })
            .await;
        assert_eq!(lost, None);
        let ok = c.call("k", 2, |qs: Vec<u32>| async move { qs }).await;
        assert_eq!(ok, Some(2));
    }

    #[tokio::test]
    async fn once_map_looks_up_once_and_keeps_no_failure() {
        let m: OnceMap<String> = OnceMap::default();
        let n = AtomicUsize::new(0);
        let failed: Result<String, &str> = m
            .get("k", || async {
                n.fetch_add(1, Ordering::SeqCst);
                Err("down")
            })
            .await;
        assert_eq!(failed, Err("down"));
        for _ in 0..3 {
            let v: Result<String, &str> = m
                .get("k", || async {
                    n.fetch_add(1, Ordering::SeqCst);
                    Ok("v".to_string())
                })
                .await;
            assert_eq!(v.as_deref(), Ok("v"));
        }
        assert_eq!(n.load(Ordering::SeqCst), 2);
        m.insert("z", "known".into());
        let z: Result<String, ()> = m.get("z", || async { Ok("looked up".into()) }).await;
        assert_eq!(z.as_deref(), Ok("known"));
    }
}
