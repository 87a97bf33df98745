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
//!   so a test can first list the points of a clean run and then kill at each of them;
//! - `SKEL_FAULT_PAUSE=SOURCE:OPERATION:N:WHEN` with `SKEL_FAULT_PAUSE_FILE=FILE` pauses the
//!   calling thread there instead: it writes FILE and waits until the test removes it (at most
//!   two minutes), so a test can act on the process (send it SIGINT) at an exact point while
//!   the call is in flight.

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
        pause: Option<(Target, std::path::PathBuf)>,
        log: Option<Mutex<std::fs::File>>,
        counts: Mutex<HashMap<String, u64>>,
    }

    fn faults() -> &'static Faults {
        static FAULTS: OnceLock<Faults> = OnceLock::new();
        FAULTS.get_or_init(|| {
            let target = std::env::var("SKEL_FAULT").ok().and_then(|s| parse(&s));
            let pause = std::env::var("SKEL_FAULT_PAUSE")
                .ok()
                .and_then(|s| parse(&s))
                .zip(std::env::var_os("SKEL_FAULT_PAUSE_FILE").map(Into::into));
            let log = crate::append_log_from_env("SKEL_FAULT_LOG");
            Faults {
                target,
                pause,
                log,
                counts: Mutex::default(),
            }
        })
    }

    /// `SOURCE:OPERATION:N:WHEN`.
    fn parse(spec: &str) -> Option<Target> {
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
    }

    impl Target {
        fn is(&self, source: &str, operation: &str, when: When) -> bool {
            self.source == source && self.operation == operation && self.when == when.as_str()
        }
    }

    /// How many times `key` was reached, this one included.
    fn count(faults: &Faults, key: String) -> u64 {
        let mut counts = faults.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(key).or_default();
        *n += 1;
        *n
    }

    pub fn point(source: &str, operation: &str, when: When) {
        let faults = faults();
        let key = format!("{source}:{operation}:{}", when.as_str());
        if let Some(Ok(mut log)) = faults.log.as_ref().map(Mutex::lock) {
            let _ = writeln!(log, "{key}");
        }
        if let Some((pause, file)) = &faults.pause {
            if pause.is(source, operation, when) && count(faults, format!("pause {key}")) == pause.n
            {
                pause_here(&key, file);
            }
        }
        let Some(target) = &faults.target else {
            return;
        };
        if target.is(source, operation, when) && count(faults, key.clone()) == target.n {
            kill_self(&key);
        }
    }

    /// Writes `file` and waits until it is removed (at most two minutes). On a worker of a
    /// multi-threaded tokio runtime the wait hands the worker's other tasks to another thread
    /// first (`block_in_place`), so the rest of the process (a gRPC connection's task, the
    /// signal handler) keeps running.
    fn pause_here(key: &str, file: &std::path::Path) {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let on_worker =
            Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
        if on_worker {
            tokio::task::block_in_place(|| wait_while_exists(key, file));
        } else {
            wait_while_exists(key, file);
        }
    }

    fn wait_while_exists(key: &str, file: &std::path::Path) {
        if let Err(e) = std::fs::write(file, key) {
            eprintln!("fault injection: cannot write {}: {e}", file.display());
            return;
        }
        eprintln!("fault injection: paused at {key}");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while file.exists() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        eprintln!("fault injection: resumed at {key}");
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
