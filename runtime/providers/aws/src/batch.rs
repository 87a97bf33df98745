//! Route 53 record changes batched by zone: a change for a zone with no change call in flight
//! goes out at once; changes that arrive while one is in flight go out together right after it
//! as one atomic change batch (see [`crate::coalesce`]), and share one wait for INSYNC (which
//! does not hold up the next batch). A batch that Route 53 rejects is retried change by change,
//! so each error names its record.

use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecordSet};
use aws_sdk_route53::Client;
use skel_provider::ProviderError;
use tokio::sync::oneshot;

use crate::coalesce::Coalescer;
use crate::error::{AwsErr, SdkResultExt, WaitFailed};

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

/// The change calls of each zone, merging the changes that wait for one.
#[derive(Default)]
pub struct Batcher {
    calls: Coalescer<Pending, ()>,
}

impl Batcher {
    /// Applies `changes` to `zone` together with whatever else arrives for the zone meanwhile;
    /// returns once they are INSYNC. `what` names the resource and the action for errors.
    pub async fn submit(
        &self,
        r53: &Client,
        zone: &str,
        what: &str,
        changes: Changes,
    ) -> Result<(), Failure> {
        let (done, result) = oneshot::channel();
        let pending = Pending {
            what: what.to_string(),
            changes,
            done,
        };
        let (r53, zone_id) = (r53.clone(), zone.to_string());
        let run = move |batch: Vec<Pending>| {
            let (r53, zone) = (r53.clone(), zone_id.clone());
            async move {
                let n = batch.len();
                flush(&r53, &zone, batch).await;
                vec![(); n]
            }
        };
        // Answered through `done` once INSYNC; the call itself returns when the change call
        // is made.
        let _ = self.calls.call(zone, pending, run).await;
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
            Ok(change) => return answer_when_insync(r53, change, group),
            // Credentials, network: every change would fail alike.
            Err(e) if e.code.is_none() || e.kind != crate::error::ErrKind::Service => {
                for p in group {
                    let _ = p
                        .done
                        .send(Err(Failure::Failed(e.clone().into_provider(&p.what))));
                }
                return;
            }
            // One change spoiled the atomic batch: find out which, one by one.
            Err(_) => {}
        }
    }
    for p in group {
        match send(r53, zone, p.changes.clone()).await {
            Ok(change) => answer_when_insync(r53, change, vec![p]),
            Err(e) => {
                let _ = p.done.send(Err(Failure::Failed(e.into_provider(&p.what))));
            }
        }
    }
}

/// Answers `group` once `change` is INSYNC (or the wait failed: the changes are written), in a
/// task of its own so the zone's next change call need not wait for it.
fn answer_when_insync(r53: &Client, change: Option<String>, group: Vec<Pending>) {
    let r53 = r53.clone();
    tokio::spawn(async move {
        let synced = match change {
            Some(change) => crate::dns::poll_insync(&r53, &change).await,
            None => Ok(()),
        };
        for p in group {
            let answer = synced.clone().map_err(|(detail, seen)| {
                Failure::Unsynced(WaitFailed {
                    what: p.what.clone(),
                    until: "INSYNC".into(),
                    detail,
                    seen,
                })
            });
            let _ = p.done.send(answer);
        }
    });
}

/// One `ChangeResourceRecordSets` call: the id of the change to wait for.
async fn send(r53: &Client, zone: &str, changes: Changes) -> Result<Option<String>, AwsErr> {
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
        .map_err(|e| AwsErr {
            kind: crate::error::ErrKind::Other,
            code: None,
            message: e.to_string(),
            status: None,
        })?;
    let out = r53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .aws()?;
    Ok(out.change_info().map(|c| c.id().to_string()))
}
