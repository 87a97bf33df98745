//! Deterministic fault injection for crash tests: a process that dies at an exact, named point
//! of an apply (right before the N-th call of an API operation is sent, right after its
//! response arrives, right before the engine journals a result), instead of at a moment chosen
//! by a timer.
//!
//! Compiled in only with the `fault-injection` cargo feature, which `skelc`'s test builds
//! enable (its dev-dependencies) and release builds never do; without it [`point`] is an empty
//! inline function. With the feature, two environment variables steer it:
//! - `SKEL_FAULT=SOURCE:OPERATION:N:WHEN` kills the process with SIGKILL the N-th time (from 1)
//!   that `SOURCE` (`aws`, `kubernetes`, `engine`, `provisioner`, `plugin`) reaches `WHEN`
//!   (`before`, `after`) of `OPERATION` (`RunInstances`, `apply`, `aws_instance`,
//!   `ApplyResourceChange`);
//! - `SKEL_FAULT_LOG=FILE` appends every point reached, one `SOURCE:OPERATION:WHEN` line each,
//!   so a test can first list the points of a clean run and then kill at each of them.

/// Where in an operation a point is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum When {
    /// Before the request is sent: nothing has happened yet.
    Before,
    /// After the response arrived: the change was made, nobody has recorded it yet.
    After,
}

impl When {
    pub fn as_str(self) -> &'static str {
        match self {
            When::Before => "before",
            When::After => "after",
        }
    }
}

/// Reached a fault point: logs it and kills the process when it is the one `SKEL_FAULT` names.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_source: &str, _operation: &str, _when: When) {}

#[cfg(feature = "fault-injection")]
pub use enabled::point;

#[cfg(feature = "fault-injection")]
mod enabled {
    use std::collections::HashMap;
    use std::io::Write;
    use std::sync::{Mutex, OnceLock};

    use super::When;

    struct Target {
        source: String,
        operation: String,
        n: u64,
        when: String,
    }

    struct Faults {
        target: Option<Target>,
        log: Option<Mutex<std::fs::File>>,
        counts: Mutex<HashMap<String, u64>>,
    }

    fn faults() -> &'static Faults {
        static FAULTS: OnceLock<Faults> = OnceLock::new();
        FAULTS.get_or_init(|| {
            let target = std::env::var("SKEL_FAULT").ok().and_then(|spec| {
                let mut parts = spec.rsplitn(3, ':');
                let when = parts.next()?.to_string();
                let n = parts.next()?.parse().ok()?;
                let (source, operation) = parts.next()?.split_once(':')?;
                Some(Target {
                    source: source.to_string(),
                    operation: operation.to_string(),
                    n,
                    when,
                })
            });
            let log = crate::append_log_from_env("SKEL_FAULT_LOG");
            Faults {
                target,
                log,
                counts: Mutex::default(),
            }
        })
    }

    pub fn point(source: &str, operation: &str, when: When) {
        let faults = faults();
        let key = format!("{source}:{operation}:{}", when.as_str());
        if let Some(Ok(mut log)) = faults.log.as_ref().map(Mutex::lock) {
            let _ = writeln!(log, "{key}");
        }
        let Some(target) = &faults.target else {
            return;
        };
        if target.source != source || target.operation != operation || target.when != when.as_str()
        {
            return;
        }
        let n = {
            let mut counts = faults.counts.lock().unwrap_or_else(|e| e.into_inner());
            let n = counts.entry(key.clone()).or_default();
            *n += 1;
            *n
        };
        if n == target.n {
            kill_self(&key);
        }
    }

    /// SIGKILL, as a crash or `kill -9` would: no destructor, no flush, no journal line.
    fn kill_self(key: &str) -> ! {
        eprintln!("fault injection: killed at {key}");
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status();
        // `kill` missing: die as abruptly as the standard library allows.
        std::process::abort()
    }
}
