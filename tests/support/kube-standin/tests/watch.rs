//! Watch semantics at the HTTP level (as client-go's reflectors use them): resuming after a
//! `resourceVersion`, 410 `Expired` for a version older than the history, synthetic `ADDED`
//! events without a version, bookmarks (and the streaming list's end-of-initial-events one), `timeoutSeconds`, label and field selectors, events of
//! deletes, namespace termination and the simulation; and the `status` / `scale` subresources.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use skel_kube_standin::client::request;

const JSON: &str = "application/json";
const MERGE: &str = "application/merge-patch+json";
const CM: &str = "/api/v1/namespaces/default/configmaps";
const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments";

fn call(url: &str, method: &str, path: &str, ct: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    request(url, method, path, ct, &body).expect("request")
}

fn cm(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

fn rv(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a resourceVersion")
}

/// A watch's events until the server ends the stream or `limit` passes (then `ended` is false).
struct Watched {
    code: u16,
    chunked: bool,
    events: Vec<Value>,
    ended: bool,
    took: Duration,
}

fn watch(url: &str, path: &str, limit: Duration) -> Watched {
    let host = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    let start = Instant::now();
    let mut raw = Vec::new();
    let mut ended = false;
    let mut buf = [0u8; 8192];
    while start.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => {
                ended = true;
                break;
            }
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    let took = start.elapsed();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, mut body) = text.split_once("\r\n\r\n").expect("a response head");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let mut payload = String::new();
    if chunked {
        while let Some((size, rest)) = body.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || rest.len() < n {
                break;
            }
            payload.push_str(&rest[..n]);
            body = rest[n..].trim_start_matches("\r\n");
        }
    } else {
        payload = body.to_string();
    }
    let events = payload
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    Watched {
        code,
        chunked,
        events,
        ended,
        took,
    }
}

fn summary(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn a_watch_resumes_after_its_version_and_ends_at_timeout_seconds() {
    let s = skel_kube_standin::start().expect("start");
    let (_, a) = call(s.url(), "POST", CM, JSON, cm("a", json!({})));
    let (_, list) = call(s.url(), "GET", CM, JSON, Value::Null);
    let listed = rv(&list);
    assert!(listed >= rv(&a), "{list}");
    call(
        s.url(),
        "PATCH",
        &format!("{CM}/a"),
        MERGE,
        json!({"data": {"k": "w"}}),
    );
    call(s.url(), "POST", CM, JSON, cm("b", json!({})));
    call(s.url(), "DELETE", &format!("{CM}/a"), JSON, Value::Null);
    let w = watch(
        s.url(),
        &format!("{CM}?watch=true&resourceVersion={listed}&timeoutSeconds=1"),
        Duration::from_secs(10),
    );
    assert_eq!((w.code, w.chunked), (200, true));
    assert_eq!(
        summary(&w.events),
        vec![
            ("MODIFIED".into(), "a".into()),
            ("ADDED".into(), "b".into()),
            ("DELETED".into(), "a".into())
        ]
    );
    assert_eq!(w.events[0]["object"]["data"]["k"], "w");
    assert_eq!(w.events[0]["object"]["kind"], "ConfigMap");
    let versions: Vec<u64> = w.events.iter().map(|e| rv(&e["object"])).collect();
    assert!(
        versions.windows(2).all(|p| p[0] < p[1]) && versions[0] > listed,
        "{versions:?}"
    );
    assert!(w.ended, "timeoutSeconds ends the stream");
    assert!(
        w.took >= Duration::from_millis(900) && w.took < Duration::from_secs(5),
        "{:?}",
        w.took
    );
    // From the last event's version on, nothing more.
    let last = versions[versions.len() - 1];
    let w = watch(
        s.url(),
        &format!("{CM}?watch=1&resourceVersion={last}&timeoutSeconds=1"),
        Duration::from_secs(10),
    );
    assert!(w.ended && w.events.is_empty(), "{:?}", w.events);
}

#[test]
fn without_a_version_a_watch_starts_with_the_current_objects() {
    let s = skel_kube_standin::start().expect("start");
    call(s.url(), "POST", CM, JSON, cm("a", json!({})));
    call(s.url(), "POST", CM, JSON, cm("b", json!({})));
    for version in ["", "&resourceVersion=", "&resourceVersion=0"] {
        let url = s.url().to_string();
        let path = format!("{CM}?watch=true&timeoutSeconds=1{version}");
        let watcher = std::thread::spawn(move || watch(&url, &path, Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(300));
        let name = format!("c{}", version.len());
        call(s.url(), "POST", CM, JSON, cm(&name, json!({})));
        let w = watcher.join().expect("watch");
        assert_eq!(
            summary(&w.events),
            vec![
                ("ADDED".into(), "a".into()),
                ("ADDED".into(), "b".into()),
                ("ADDED".into(), name.clone())
            ],
            "{version}"
        );
        call(
            s.url(),
            "DELETE",
            &format!("{CM}/{name}"),
            JSON,
            Value::Null,
        );
    }
}

#[test]
fn a_version_older_than_the_history_is_410_expired() {
    let s = skel_kube_standin::start_with(skel_kube_standin::Options {
        watch_history: 5,
        ..Default::default()
    })
    .expect("start");
    let (_, first) = call(s.url(), "POST", CM, JSON, cm("a", json!({})));
    for i in 0..10 {
        call(
            s.url(),
            "PATCH",
            &format!("{CM}/a"),
            MERGE,
            json!({"data": {"k": i.to_string()}}),
        );
    }
    let old = rv(&first);
    let w = watch(
        s.url(),
        &format!("{CM}?watch=true&resourceVersion={old}"),
        Duration::from_secs(5),
    );
    assert_eq!(w.code, 200, "the error comes as an event");
    assert_eq!(w.events.len(), 1, "{:?}", w.events);
    let e = &w.events[0];
    assert_eq!(e["type"], "ERROR");
    assert_eq!(e["object"]["kind"], "Status");
    assert_eq!(e["object"]["code"], 410);
    assert_eq!(e["object"]["reason"], "Expired");
    let message = e["object"]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with(&format!("too old resource version: {old} (")),
        "{message}"
    );
    assert!(w.ended, "the stream ends after the error");
    // The newest versions are still in the history.
    let (_, now) = call(s.url(), "GET", &format!("{CM}/a"), JSON, Value::Null);
    let w = watch(
        s.url(),
        &format!(
            "{CM}?watch=true&resourceVersion={}&timeoutSeconds=1",
            rv(&now) - 2
        ),
        Duration::from_secs(5),
    );
    assert_eq!(
        summary(&w.events),
        vec![
            ("MODIFIED".into(), "a".into()),
            ("MODIFIED".into(), "a".into())
        ]
    );
    // A version that is no number is a bad request.
    let (code, status) = call(
        s.url(),
        "GET",
        &format!("{CM}?watch=true&resourceVersion=abc"),
        JSON,
        Value::Null,
    );
    assert_eq!((code, status["reason"].clone()), (400, json!("BadRequest")));
}

#[test]
fn bookmarks_come_only_when_allowed() {
    let s = skel_kube_standin::start_with(skel_kube_standin::Options {
        bookmark_interval: Duration::from_millis(200),
        ..Default::default()
    })
    .expect("start");
    let (_, a) = call(s.url(), "POST", CM, JSON, cm("a", json!({})));
    let from = rv(&a);
    let w = watch(
        s.url(),
        &format!(
            "{CM}?watch=true&allowWatchBookmarks=true&resourceVersion={from}&timeoutSeconds=1"
        ),
        Duration::from_secs(5),
    );
    let bookmarks: Vec<&Value> = w
        .events
        .iter()
        .filter(|e| e["type"] == "BOOKMARK")
        .collect();
    assert!(bookmarks.len() >= 2, "{:?}", w.events);
    assert_eq!(bookmarks[0]["object"]["kind"], "ConfigMap");
    assert_eq!(bookmarks[0]["object"]["apiVersion"], "v1");
    assert!(rv(&bookmarks[0]["object"]) >= from);
    let w = watch(
        s.url(),
        &format!("{CM}?watch=true&resourceVersion={from}&timeoutSeconds=1"),
        Duration::from_secs(5),
    );
    assert!(w.events.is_empty(), "{:?}", w.events);
    // A streaming list (`sendInitialEvents`, client-go's WatchList): the objects, then the
    // bookmark that marks the end of the initial events.
    let w = watch(
        s.url(),
        &format!("{CM}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1"),
        Duration::from_secs(5),
    );
    assert_eq!(
        summary(&w.events[..2]),
        vec![
            ("ADDED".into(), "a".into()),
            ("BOOKMARK".into(), String::new())
        ]
    );
    assert_eq!(
        w.events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert!(rv(&w.events[1]["object"]) >= from);
}

#[test]
fn selectors_filter_lists_and_watches() {
    let s = skel_kube_standin::start().expect("start");
    call(s.url(), "POST", CM, JSON, cm("a", json!({"env": "prod"})));
    call(
        s.url(),
        "POST",
        CM,
        JSON,
        cm("b", json!({"env": "dev", "team": "x"})),
    );
    call(s.url(), "POST", CM, JSON, cm("c", json!({})));
    let names = |path: &str| -> Vec<String> {
        let (code, list) = call(s.url(), "GET", path, JSON, Value::Null);
        assert_eq!(code, 200, "{path}: {list}");
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        names(&format!("{CM}?fieldSelector=metadata.name%3Da")),
        ["a"]
    );
    assert_eq!(
        names(&format!("{CM}?fieldSelector=metadata.name!%3Da")),
        ["b", "c"]
    );
    assert_eq!(
        names("/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddefault,metadata.name%3D%3Db"),
        ["b"]
    );
    assert_eq!(
        names(&format!("{CM}?labelSelector=env%20in%20(prod,qa)")),
        ["a"]
    );
    assert_eq!(names(&format!("{CM}?labelSelector=env,!team")), ["a"]);
    assert_eq!(
        names(&format!("{CM}?labelSelector=env!%3Dprod")),
        ["b", "c"]
    );
    assert_eq!(
        names(&format!("{CM}?labelSelector=env%20notin%20(dev)")),
        ["a", "c"]
    );
    let (code, status) = call(
        s.url(),
        "GET",
        &format!("{CM}?fieldSelector=data.k%3Dv"),
        JSON,
        Value::Null,
    );
    assert_eq!(code, 400, "{status}");
    assert_eq!(status["message"], "field label not supported: data.k");

    let url = s.url().to_string();
    let watcher = std::thread::spawn(move || {
        watch(
            &url,
            &format!("{CM}?watch=true&fieldSelector=metadata.name%3Db&timeoutSeconds=1"),
            Duration::from_secs(10),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    for name in ["a", "b"] {
        call(
            s.url(),
            "PATCH",
            &format!("{CM}/{name}"),
            MERGE,
            json!({"data": {"k": "changed"}}),
        );
    }
    let w = watcher.join().expect("watch");
    assert_eq!(
        summary(&w.events),
        vec![
            ("ADDED".into(), "b".into()),
            ("MODIFIED".into(), "b".into())
        ]
    );
}

#[test]
fn the_simulation_and_namespace_termination_send_events() {
    let s = skel_kube_standin::start().expect("start");
    let url = s.url().to_string();
    let watcher = std::thread::spawn(move || {
        watch(
            &url,
            &format!("{DEPLOY}?watch=true&fieldSelector=metadata.name%3Dweb&timeoutSeconds=2"),
            Duration::from_secs(10),
        )
    });
    std::thread::sleep(Duration::from_millis(200));
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
    call(s.url(), "POST", DEPLOY, JSON, deployment);
    // No other request: the watch itself sees the rollout happen.
    let w = watcher.join().expect("watch");
    let last = w.events.last().cloned().unwrap_or_default();
    assert_eq!(w.events[0]["type"], "ADDED", "{:?}", w.events);
    assert_eq!(last["type"], "MODIFIED");
    assert_eq!(last["object"]["status"]["readyReplicas"], 2, "{last}");
    assert_eq!(
        last["object"]["status"]["conditions"][1]["reason"],
        "NewReplicaSetAvailable"
    );

    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}});
    call(s.url(), "POST", "/api/v1/namespaces", JSON, ns);
    call(
        s.url(),
        "POST",
        "/api/v1/namespaces/gone/configmaps",
        JSON,
        cm("x", json!({})),
    );
    let (_, list) = call(s.url(), "GET", "/api/v1/configmaps", JSON, Value::Null);
    let from = rv(&list);
    call(
        s.url(),
        "DELETE",
        "/api/v1/namespaces/gone",
        JSON,
        Value::Null,
    );
    let url = s.url().to_string();
    let namespaces = std::thread::spawn(move || {
        watch(
            &url,
            &format!("/api/v1/namespaces?watch=true&resourceVersion={from}&timeoutSeconds=1"),
            Duration::from_secs(10),
        )
    });
    let w = watch(
        s.url(),
        &format!("/api/v1/configmaps?watch=true&resourceVersion={from}&timeoutSeconds=1"),
        Duration::from_secs(10),
    );
    assert_eq!(summary(&w.events), vec![("DELETED".into(), "x".into())]);
    let n = namespaces.join().expect("watch");
    let gone: Vec<(String, String)> = summary(&n.events)
        .into_iter()
        .filter(|(_, name)| name == "gone")
        .collect();
    assert_eq!(
        gone,
        vec![
            ("MODIFIED".into(), "gone".into()),
            ("DELETED".into(), "gone".into())
        ]
    );
}

#[test]
fn forbidden_watches_answer_403_while_lists_work() {
    let s = skel_kube_standin::start().expect("start");
    s.set_watch_forbidden(true);
    let (code, status) = call(
        s.url(),
        "GET",
        &format!("{DEPLOY}?watch=true"),
        JSON,
        Value::Null,
    );
    assert_eq!((code, status["reason"].clone()), (403, json!("Forbidden")));
    assert_eq!(
        status["message"],
        "deployments.apps is forbidden: User \"system:serviceaccount:default:skel\" cannot watch resource \"deployments\" in API group \"apps\" in the namespace \"default\""
    );
    let (code, _) = call(s.url(), "GET", DEPLOY, JSON, Value::Null);
    assert_eq!(code, 200);
    s.set_watch_forbidden(false);
    let w = watch(
        s.url(),
        &format!("{DEPLOY}?watch=true&timeoutSeconds=1"),
        Duration::from_secs(5),
    );
    assert_eq!((w.code, w.ended), (200, true));
}

#[test]
fn status_and_scale_subresources() {
    let s = skel_kube_standin::start().expect("start");
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
    call(s.url(), "POST", DEPLOY, JSON, deployment);
    std::thread::sleep(Duration::from_millis(300));
    let status_path = format!("{DEPLOY}/web/status");
    let (code, obj) = call(s.url(), "GET", &status_path, JSON, Value::Null);
    assert_eq!((code, obj["kind"].clone()), (200, json!("Deployment")));
    // A status write changes only the status.
    let mut sent = obj.clone();
    sent["spec"]["replicas"] = json!(7);
    sent["status"]["replicas"] = json!(9);
    let (code, after) = call(s.url(), "PUT", &status_path, JSON, sent);
    assert_eq!(code, 200, "{after}");
    assert_eq!(after["spec"]["replicas"], 1);
    assert_eq!(after["status"]["replicas"], 9);
    assert_eq!(
        after["metadata"]["generation"],
        obj["metadata"]["generation"]
    );
    // A main write ignores the status.
    let (_, after) = call(
        s.url(),
        "PATCH",
        &format!("{DEPLOY}/web"),
        MERGE,
        json!({"status": {"replicas": 1}}),
    );
    assert_eq!(after["status"]["replicas"], 9, "{after}");
    // A stale resourceVersion is a conflict.
    let (code, _) = call(
        s.url(),
        "PUT",
        &status_path,
        JSON,
        json!({"metadata": {"resourceVersion": "1"}, "status": {}}),
    );
    assert_eq!(code, 409);

    let scale_path = format!("{DEPLOY}/web/scale");
    let (code, scale) = call(s.url(), "GET", &scale_path, JSON, Value::Null);
    assert_eq!(code, 200);
    assert_eq!(
        (
            scale["kind"].clone(),
            scale["apiVersion"].clone(),
            scale["spec"]["replicas"].clone()
        ),
        (json!("Scale"), json!("autoscaling/v1"), json!(1))
    );
    assert_eq!(scale["status"]["selector"], "app=web");
    let (code, scale) = call(
        s.url(),
        "PATCH",
        &format!("{scale_path}?fieldManager=hpa"),
        MERGE,
        json!({"spec": {"replicas": 4}}),
    );
    assert_eq!((code, scale["spec"]["replicas"].clone()), (200, json!(4)));
    let mut put = scale.clone();
    put["spec"]["replicas"] = json!(-1);
    let (code, status) = call(s.url(), "PUT", &scale_path, JSON, put);
    assert_eq!(
        (code, status["reason"].clone()),
        (422, json!("Invalid")),
        "{status}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let obj = s
        .object("apps/v1", "deployments", Some("default"), "web")
        .expect("web");
    assert_eq!(obj["spec"]["replicas"], 4);
    assert_eq!(obj["status"]["readyReplicas"], 4, "{obj}");
    let hpa = obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["manager"] == "hpa"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(hpa["subresource"], "scale", "{obj}");
    assert_eq!(hpa["operation"], "Update");

    // ReplicaSets have a scale subresource too; unknown subresources are 404.
    let (_, rss) = call(
        s.url(),
        "GET",
        "/apis/apps/v1/namespaces/default/replicasets",
        JSON,
        Value::Null,
    );
    let rs = rss["items"][0]["metadata"]["name"]
        .as_str()
        .expect("a replica set")
        .to_string();
    let (code, scale) = call(
        s.url(),
        "GET",
        &format!("/apis/apps/v1/namespaces/default/replicasets/{rs}/scale"),
        JSON,
        Value::Null,
    );
    assert_eq!((code, scale["spec"]["replicas"].clone()), (200, json!(4)));
    let (code, _) = call(s.url(), "GET", &format!("{CM}/x/scale"), JSON, Value::Null);
    assert_eq!(code, 404);
}
