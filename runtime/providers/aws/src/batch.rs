//! Route 53 record changes batched by zone: changes that arrive within a short window go to
//! `ChangeResourceRecordSets` as one atomic change batch and share one wait for INSYNC. A
//! batch that Route 53 rejects is retried change by change, so each error names its record.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecordSet};
use aws_sdk_route53::Client;
use skel_provider::ProviderError;
use tokio::sync::oneshot;

use crate::error::{AwsErr, SdkResultExt, WaitFailed};

/// How long the first change of a batch waits for others to join it.
const WINDOW: Duration = Duration::from_millis(40);

/// Route 53 allows 1,000 record values per change batch; an UPSERT counts twice.
const MAX_VALUES: usize = 1000;

type Changes = Vec<(ChangeAction, ResourceRecordSet)>;

struct Pending {
    what: String,
    changes: Changes,
    done: oneshot::Sender<Result<(), Failure>>,
}

/// Why a submitted change did not complete.
#[derive(Debug)]
pub enum Failure {
    /// The change was not made.
    Failed(ProviderError),
    /// Route 53 accepted the change but it was not seen INSYNC: the record set is written.
    Unsynced(WaitFailed),
}

impl From<ProviderError> for Failure {
    fn from(e: ProviderError) -> Self {
        Failure::Failed(e)
    }
}

impl Failure {
    /// The plain error, for callers that do not record the object (deletes).
    pub fn into_error(self) -> ProviderError {
        match self {
            Failure::Failed(e) => e,
            Failure::Unsynced(w) => w.into_error(),
        }
    }
}

/// Why one `ChangeResourceRecordSets` call and its wait did not complete.
enum SendErr {
    /// The call failed: nothing was changed.
    Rejected(AwsErr),
    /// The change was accepted; the wait for INSYNC failed (why, and the status last seen).
    Unsynced(String, Option<String>),
}

impl SendErr {
    fn into_failure(self, what: &str) -> Failure {
        match self {
            SendErr::Rejected(e) => Failure::Failed(e.into_provider(what)),
            SendErr::Unsynced(detail, seen) => Failure::Unsynced(WaitFailed {
                what: what.to_string(),
                until: "INSYNC".into(),
                detail,
                seen,
            }),
        }
    }
}

/// The changes waiting for each zone.
#[derive(Default)]
pub struct Batcher {
    pending: Mutex<BTreeMap<String, Vec<Pending>>>,
}

impl Batcher {
    /// Applies `changes` to `zone` together with whatever else arrives for the zone meanwhile;
    /// returns once they are INSYNC. `what` names the resource and the action for errors.
    pub async fn submit(
        self: &Arc<Self>,
        r53: &Client,
        zone: &str,
        what: &str,
        changes: Changes,
    ) -> Result<(), Failure> {
        let (done, result) = oneshot::channel();
        let first = {
            let mut pending = self
                .pending
                .lock()
                .map_err(|_| ProviderError::Other(format!("{what}: internal lock poisoned.")))?;
            let queue = pending.entry(zone.to_string()).or_default();
            queue.push(Pending {
                what: what.to_string(),
                changes,
                done,
            });
            queue.len() == 1
        };
        if first {
            // A task of its own, so the batch goes out even if this caller is dropped.
            let (me, r53, zone) = (self.clone(), r53.clone(), zone.to_string());
            tokio::spawn(async move {
                tokio::time::sleep(WINDOW).await;
                let batch = me
                    .pending
                    .lock()
                    .ok()
                    .and_then(|mut p| p.remove(&zone))
                    .unwrap_or_default();
                flush(&r53, &zone, batch).await;
            });
        }
        result.await.unwrap_or_else(|_| {
            Err(Failure::Failed(ProviderError::Other(format!(
                "{what}: the Route 53 change batch was abandoned; retry."
            ))))
        })
    }
}

fn weight(changes: &Changes) -> usize {
    changes
        .iter()
        .map(|(action, set)| {
            let values = set.resource_records().len().max(1);
            if *action == ChangeAction::Upsert {
                values * 2
            } else {
                values
            }
        })
        .sum()
}

/// Sends `batch` in as few change batches as the limit allows; answers every caller.
async fn flush(r53: &Client, zone: &str, batch: Vec<Pending>) {
    let mut group: Vec<Pending> = Vec::new();
    let mut size = 0;
    for p in batch {
        let w = weight(&p.changes);
        if !group.is_empty() && size + w > MAX_VALUES {
            send_group(r53, zone, std::mem::take(&mut group)).await;
            size = 0;
        }
        size += w;
        group.push(p);
    }
    if !group.is_empty() {
        send_group(r53, zone, group).await;
    }
}

async fn send_group(r53: &Client, zone: &str, group: Vec<Pending>) {
    if group.len() > 1 {
        let all: Changes = group.iter().flat_map(|p| p.changes.clone()).collect();
        match send(r53, zone, all).await {
            Ok(()) => {
                for p in group {
                    let _ = p.done.send(Ok(()));
                }
                return;
            }
            // Credentials, network: every change would fail alike.
            Err(SendErr::Rejected(e))
                if e.code.is_none() || e.kind != crate::error::ErrKind::Service =>
            {
                for p in group {
                    let failed = SendErr::Rejected(e.clone()).into_failure(&p.what);
                    let _ = p.done.send(Err(failed));
                }
                return;
            }
            // The batch was made (atomically) but not seen INSYNC: every change is written.
            Err(SendErr::Unsynced(detail, seen)) => {
                for p in group {
                    let failed = SendErr::Unsynced(detail.clone(), seen.clone());
                    let _ = p.done.send(Err(failed.into_failure(&p.what)));
                }
                return;
            }
            // One change spoiled the atomic batch: find out which, one by one.
            Err(SendErr::Rejected(_)) => {}
        }
    }
    for p in group {
        let result = send(r53, zone, p.changes)
            .await
            .map_err(|e| e.into_failure(&p.what));
        let _ = p.done.send(result);
    }
}

/// One `ChangeResourceRecordSets` call, then `GetChange` until INSYNC (ten minutes at most).
async fn send(r53: &Client, zone: &str, changes: Changes) -> Result<(), SendErr> {
    let changes: Vec<Change> = changes
        .into_iter()
        .filter_map(|(a, r)| {
            Change::builder()
                .action(a)
                .resource_record_set(r)
                .build()
                .ok()
        })
        .collect();
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .build()
        .map_err(|e| {
            SendErr::Rejected(AwsErr {
                kind: crate::error::ErrKind::Other,
                code: None,
                message: e.to_string(),
                status: None,
            })
        })?;
    let out = r53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .aws()
        .map_err(SendErr::Rejected)?;
    let Some(change) = out.change_info().map(|c| c.id().to_string()) else {
        return Ok(());
    };
    crate::dns::poll_insync(r53, &change)
        .await
        .map_err(|(detail, seen)| SendErr::Unsynced(detail, seen))
}
