//! Deleting an S3 bucket that holds objects, through the real `skelc` against moto: without
//! `force_destroy` the destroy fails with an error that says how many objects are in the way
//! and what to do, and keeps the bucket in state; with `force_destroy = true` it empties the
//! bucket a page of up to 1,000 keys at a time, and when killed after a page (objects partly
//! deleted) the next destroy finishes the job.

mod crash_support;
mod moto_support;

use crash_support::skelc;
use moto_support::Moto;

/// More than one page of `DeleteObjects` (1,000 keys each).
const OBJECTS: usize = 1500;

fn config(force_destroy: bool) -> String {
    format!(
        r#"
resource "aws_s3_bucket" "full" {{
  bucket        = "crash-full-bucket"
  force_destroy = {force_destroy}
}}
"#
    )
}

fn s3(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// The keys in the bucket (`None`: there is no bucket).
fn keys(moto: &Moto) -> Option<usize> {
    moto.with_sdk(|sdk| async move {
        let s3 = s3(&sdk);
        if s3
            .head_bucket()
            .bucket("crash-full-bucket")
            .send()
            .await
            .is_err()
        {
            return None;
        }
        let mut count = 0;
        let mut token = None;
        loop {
            let page = s3
                .list_objects_v2()
                .bucket("crash-full-bucket")
                .set_continuation_token(token.take())
                .send()
                .await
                .expect("ListObjectsV2");
            count += page.contents().len();
            match page.next_continuation_token() {
                Some(t) => token = Some(t.to_string()),
                None => return Some(count),
            }
        }
    })
}

#[test]
fn a_bucket_with_objects_needs_force_destroy_and_a_killed_emptying_is_finished_next_time() {
    let moto = Moto::start();
    let env = moto.env();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.skel"), config(false)).expect("write config");
    let run = skelc(dir, &env, &["run", "--auto-approve"], None, None);
    assert!(run.ok(), "{run:?}");
    moto.with_sdk(|sdk| async move {
        let s3 = s3(&sdk);
        for i in 0..OBJECTS {
            s3.put_object()
                .bucket("crash-full-bucket")
                .key(format!("artefacts/{i:05}.txt"))
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
                .send()
                .await
                .expect("PutObject");
        }
    });
    assert_eq!(keys(&moto), Some(OBJECTS));

    // Without force_destroy: a clear error, nothing deleted, the bucket still in state.
    let refused = skelc(dir, &env, &["destroy", "--auto-approve"], None, None);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("is not empty")
            // It counts one page of keys: more than that is said so.
            && refused.stderr.contains("more than 1000 objects")
            && refused.stderr.contains("force_destroy = true"),
        "the error says what is in the way and what to do: {refused:?}"
    );
    assert_eq!(keys(&moto), Some(OBJECTS), "nothing was deleted");
    let list = skelc(dir, &env, &["state", "list"], None, None);
    assert_eq!(list.stdout.trim(), "aws_s3_bucket.full", "{list:?}");

    // With force_destroy, killed right after the first page of deletes answered.
    std::fs::write(dir.join("main.skel"), config(true)).expect("write config");
    let run = skelc(dir, &env, &["run", "--auto-approve"], None, None);
    assert!(run.ok(), "{run:?}");
    let killed = skelc(
        dir,
        &env,
        &["destroy", "--auto-approve"],
        Some("aws:DeleteObjects:1:after"),
        None,
    );
    assert!(killed.killed(), "{killed:?}");
    let left = keys(&moto);
    assert!(
        matches!(left, Some(n) if n > 0 && n < OBJECTS),
        "the kill left the bucket partly emptied: {left:?}"
    );
    let finished = skelc(dir, &env, &["destroy", "--auto-approve"], None, None);
    assert!(finished.ok(), "{finished:?}");
    assert_eq!(keys(&moto), None, "the bucket is gone");
    let list = skelc(dir, &env, &["state", "list"], None, None);
    assert!(list.ok() && list.stdout.trim().is_empty(), "{list:?}");
}
