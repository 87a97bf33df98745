//! The kill-point sweep of a configuration against moto, shared by the AWS crash suites (the
//! walking skeleton in `crash_aws.rs`, the other services in `crash_aws_services.rs`): a
//! [`Subject`] says how to run the configuration and what the emulator holds; [`sweep`]
//! surveys each [`Phase`] (apply, update, destroy) with a clean run, kills the real `skelc`
//! once at every crash point that run passed, and checks that the next command converges to
//! exactly the clean run's inventory and that a plan then finds nothing to do (after a destroy:
//! the state is empty). Points are killed in chains (an apply point, then an update point from
//! what that apply converged to, then a destroy point), so every recovered result is also
//! destroyed, and checked empty, by the next point or at the chain's end. Chains share one
//! queue served by a worker per core, each with a moto of its own (`SKEL_CRASH_WORKERS=N` to
//! choose).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::crash_support::{diff, points, skelc, Out, Point, Tally};
use crate::moto_support::Moto;

/// How long requests in flight at a kill are given to finish before recovery starts.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(400);

/// What the emulator and the state in a worker's directory hold between two points.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stage {
    /// Nothing: a fresh directory and an empty emulator.
    Empty,
    /// What a clean apply leaves.
    Applied,
    /// What a clean update run leaves.
    Updated,
}

/// The configuration a sweep runs, and how the emulator is looked at.
pub trait Subject: Sync {
    /// The arguments of `skelc VERB --auto-approve` for a directory at `stage` (its variables).
    fn args(&self, verb: &str, stage: Stage) -> Vec<String>;
    /// A fresh copy of the configuration under `tmp` (replacing any earlier one).
    fn fresh_dir(&self, tmp: &Path) -> PathBuf;
    /// The environment of `skelc` for a worker's moto (extra services, such as relays, are
    /// started here and live as long as the test).
    fn env(&self, moto: &Moto) -> Vec<(String, String)>;
    /// Forgets every object of the worker's moto.
    fn reset(&self, moto: &Moto, env: &[(String, String)]);
    /// Everything the configuration can make, as the AWS API reports it: one line per object,
    /// without ids or anything else a run chooses afresh, sorted.
    fn inventory(&self, moto: &Moto, env: &[(String, String)]) -> Vec<String>;
    /// After a failed recovery run: performs the step its error message asks the user to take,
    /// if it is one the configuration documents (an access key whose secret was lost), and
    /// says so; the run is then tried once more.
    fn manual_step(&self, _moto: &Moto, _env: &[(String, String)], _failed: &Out) -> bool {
        false
    }
}

/// One phase of the configuration's life: where it starts, the command that is killed, and
/// where that command leaves things once it has converged.
pub struct Phase {
    pub name: &'static str,
    pub from: Stage,
    pub verb: &'static str,
    pub to: Stage,
}

/// A configuration's whole life: apply from nothing, an update run, and destroy.
pub const LIFE: [Phase; 3] = [
    Phase {
        name: "apply",
        from: Stage::Empty,
        verb: "run",
        to: Stage::Applied,
    },
    Phase {
        name: "update",
        from: Stage::Applied,
        verb: "run",
        to: Stage::Updated,
    },
    Phase {
        name: "destroy",
        from: Stage::Applied,
        verb: "destroy",
        to: Stage::Empty,
    },
];

impl Phase {
    /// Whether the phase's command can be killed in a directory at `stage`: a destroy can
    /// start from anything that is not empty.
    fn starts_from(&self, stage: Stage) -> bool {
        stage == self.from || (self.to == Stage::Empty && stage != Stage::Empty)
    }

    /// The stage whose variables the phase's command runs with.
    fn vars(&self) -> Stage {
        if self.to == Stage::Empty {
            self.from
        } else {
            self.to
        }
    }
}

/// One worker of a sweep: its own moto and its own directory.
struct Worker<'s, S: Subject> {
    subject: &'s S,
    moto: Moto,
    env: Vec<(String, String)>,
    tmp: tempfile::TempDir,
    /// Points whose recovery needed the documented manual step.
    manual: Mutex<Vec<String>>,
}

/// One point's result: `None` when the run did not reach the point this time and ran through.
type Outcome = Option<Result<(), String>>;

impl<'s, S: Subject> Worker<'s, S> {
    fn start(subject: &'s S) -> Self {
        let moto = Moto::start();
        let env = subject.env(&moto);
        subject.reset(&moto, &env);
        Worker {
            subject,
            moto,
            env,
            tmp: tempfile::tempdir().expect("tempdir"),
            manual: Mutex::default(),
        }
    }

    fn run(&self, dir: &Path, args: &[String], fault: Option<&str>, log: Option<&Path>) -> Out {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        skelc(dir, &self.env, &args, fault, log)
    }

    fn inventory(&self) -> Vec<String> {
        self.subject.inventory(&self.moto, &self.env)
    }

    fn reset(&self) {
        self.subject.reset(&self.moto, &self.env);
    }

    fn command(&self, phase: &Phase) -> Vec<String> {
        self.subject.args(phase.verb, phase.vars())
    }

    /// The run that brings an empty directory to `stage`.
    fn set_up(&self, dir: &Path, stage: Stage, before: &str) {
        for step in [Stage::Applied, Stage::Updated] {
            if stage == Stage::Empty || (stage == Stage::Applied && step == Stage::Updated) {
                break;
            }
            let out = self.run(dir, &self.subject.args("run", step), None, None);
            assert!(out.ok(), "set-up ({step:?}) before {before}: {out:?}");
        }
    }

    /// A clean run of `phase`: what it leaves is the target, and the points it passes are the
    /// ones to kill. Ends with the emulator empty.
    fn survey(&self, phase: &Phase) -> (Vec<Point>, Vec<String>) {
        let log = self.tmp.path().join(format!("faults-{}.log", phase.name));
        let dir = self.subject.fresh_dir(self.tmp.path());
        self.set_up(&dir, phase.from, &format!("the clean {} run", phase.name));
        let out = self.run(&dir, &self.command(phase), None, Some(&log));
        assert!(out.ok(), "the clean {} run failed: {out:?}", phase.name);
        let expected = self.inventory();
        if phase.to == Stage::Empty {
            assert!(
                expected.is_empty(),
                "the clean {} run left objects behind: {expected:?}",
                phase.name
            );
        }
        let all = points(&std::fs::read_to_string(&log).expect("fault log"));
        assert!(
            !all.is_empty(),
            "the clean {} run passed no crash point: is the fault-injection feature on?",
            phase.name
        );
        if let Err(e) = self.destroy_all(&dir, phase.to) {
            panic!("clean destroy after the {} survey: {e}", phase.name);
        }
        (all, expected)
    }

    /// Kills a chain of points (at most one per phase, in the phases' order) one after the
    /// other in one directory, each from what the previous point's recovery converged to.
    /// Returns the outcome of each point; the emulator is empty afterwards.
    fn run_chain(
        &self,
        phases: &[Phase],
        chain: &[(usize, Point)],
        expected: &[Vec<String>],
    ) -> Vec<Outcome> {
        let mut dir = self.subject.fresh_dir(self.tmp.path());
        let mut stage = Stage::Empty;
        let mut outcomes = Vec::new();
        for (i, point) in chain {
            let phase = &phases[*i];
            if !phase.starts_from(stage) {
                if let Err(e) = self.destroy_all(&dir, stage) {
                    panic!(
                        "clearing a {stage:?} directory before {}: {e}",
                        point.fault()
                    );
                }
                dir = self.subject.fresh_dir(self.tmp.path());
                stage = Stage::Empty;
            }
            if stage == Stage::Empty {
                self.set_up(&dir, phase.from, &point.fault());
            }
            let outcome = self.kill_at(&dir, phase, point, &expected[*i]);
            stage = if matches!(outcome, Some(Err(_))) {
                self.reset();
                dir = self.subject.fresh_dir(self.tmp.path());
                Stage::Empty
            } else {
                phase.to
            };
            outcomes.push(outcome);
        }
        if let Err(e) = self.destroy_all(&dir, stage) {
            self.reset();
            if let Some(last) = outcomes.last_mut() {
                *last = Some(Err(e));
            }
        }
        outcomes
    }

    /// Destroys what a converged directory at `stage` holds, without reading it back first (a
    /// clean run or a verified no-op plan has just done so), and checks through the API that
    /// nothing is left.
    fn destroy_all(&self, dir: &Path, stage: Stage) -> Result<(), String> {
        if stage == Stage::Empty {
            return Ok(());
        }
        let mut destroy = self.subject.args("destroy", stage);
        destroy.push("--no-refresh".into());
        let destroyed = self.run(dir, &destroy, None, None);
        if !destroyed.ok() {
            return Err(format!("destroy after recovery failed: {destroyed:?}"));
        }
        let left = self.inventory();
        if !left.is_empty() {
            return Err(format!(
                "destroy after recovery left objects behind:{}",
                diff(&[], &left)
            ));
        }
        Ok(())
    }

    /// Kills `phase`'s command at `point` in `dir` and checks that the next commands recover
    /// exactly.
    fn kill_at(&self, dir: &Path, phase: &Phase, point: &Point, expected: &[String]) -> Outcome {
        let killed = self.run(dir, &self.command(phase), Some(&point.fault()), None);
        if killed.killed() {
            // Requests the killed process had already sent are still being served by moto
            // (a create it was making alongside the point, say); a restart after a real crash
            // comes long after they finish. Recovery is checked against that settled world, not
            // raced against moto's worker threads (which once made a route table appear after
            // recovery had looked for it).
            std::thread::sleep(SETTLE);
            Some(self.check_recovery(dir, phase, point, expected))
        } else if killed.ok() {
            None
        } else {
            Some(Err(format!("the run to kill failed instead: {killed:?}")))
        }
    }

    /// After a kill: the command again converges to `expected` (after the documented manual
    /// step, if its error asks for one), and then a plan finds nothing to do (after a destroy:
    /// the state is empty).
    fn check_recovery(
        &self,
        dir: &Path,
        phase: &Phase,
        point: &Point,
        expected: &[String],
    ) -> Result<(), String> {
        let command = self.command(phase);
        let mut again = self.run(dir, &command, None, None);
        if !again.ok() && self.subject.manual_step(&self.moto, &self.env, &again) {
            self.manual.lock().expect("manual").push(point.fault());
            again = self.run(dir, &command, None, None);
        }
        if !again.ok() {
            return Err(format!("the next `skelc {}` failed: {again:?}", phase.verb));
        }
        let got = self.inventory();
        if got != expected {
            return Err(format!(
                "after recovery the emulator holds other objects than a clean run:{}",
                diff(expected, &got)
            ));
        }
        if phase.to == Stage::Empty {
            let state = std::fs::read_to_string(dir.join("skel.state.json")).unwrap_or_default();
            let json: serde_json::Value = serde_json::from_str(&state).unwrap_or_default();
            let left = json["resources"].as_object().map(|m| m.len()).unwrap_or(0);
            return if left == 0 {
                Ok(())
            } else {
                Err(format!(
                    "after destroy the state still has {left} resources"
                ))
            };
        }
        let mut plan = self.subject.args("plan", phase.to);
        plan.retain(|a| a != "--auto-approve");
        plan.push("--detailed-exitcode".into());
        let planned = self.run(dir, &plan, None, None);
        if planned.code != Some(0) {
            return Err(format!(
                "the plan after recovery is not a no-op: {planned:?}"
            ));
        }
        Ok(())
    }
}

/// How many workers share the points: one per core (at least two), or `SKEL_CRASH_WORKERS`.
pub fn worker_count() -> usize {
    std::env::var("SKEL_CRASH_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .max(2)
        })
        .clamp(1, 16)
}

/// What a sweep did: per phase, its tally; and the points whose recovery needed the
/// documented manual step.
pub struct Swept {
    pub tallies: Vec<Tally>,
    pub manual: Vec<String>,
}

/// Every crash point of every phase, killed once each: the phases are surveyed by a clean run
/// (side by side on the workers); then the k-th points of all phases form the k-th chain (see
/// [`Worker::run_chain`]), and the workers take chains from one queue, longest first. Fails
/// the test, after printing each phase's table, when a point did not recover exactly or fewer
/// than 80% of a phase's points were reached.
pub fn sweep<S: Subject>(subject: &S, suite: &str, phases: &[Phase]) -> Swept {
    let started = std::time::Instant::now();
    let workers: Vec<Worker<S>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..worker_count())
            .map(|_| s.spawn(|| Worker::start(subject)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker start"))
            .collect()
    });
    // Phase i is surveyed by worker i mod n.
    let surveys: Vec<(Vec<Point>, Vec<String>)> = std::thread::scope(|s| {
        let n = workers.len();
        let handles: Vec<_> = workers
            .iter()
            .enumerate()
            .map(|(w, worker)| {
                s.spawn(move || {
                    phases
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % n == w)
                        .map(|(i, phase)| (i, worker.survey(phase)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("survey"))
            .collect();
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, survey)| survey).collect()
    });
    let expected: Vec<Vec<String>> = surveys.iter().map(|(_, e)| e.clone()).collect();
    let longest = surveys.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
    let queue: Mutex<VecDeque<Vec<(usize, Point)>>> = Mutex::new(
        (0..longest)
            .map(|k| {
                surveys
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (points, _))| points.get(k).map(|p| (i, p.clone())))
                    .collect()
            })
            .collect(),
    );
    let tallies: Vec<Mutex<Tally>> = phases.iter().map(|_| Mutex::default()).collect();
    std::thread::scope(|s| {
        for worker in &workers {
            let (queue, tallies, expected) = (&queue, &tallies, &expected);
            s.spawn(move || loop {
                let Some(chain) = queue.lock().expect("queue").pop_front() else {
                    break;
                };
                let at = std::time::Instant::now();
                let outcomes = worker.run_chain(phases, &chain, expected);
                let failed = outcomes
                    .iter()
                    .filter(|o| matches!(o, Some(Err(_))))
                    .count();
                eprintln!(
                    "{suite}: chain of {} points done in {:.0?} ({failed} failed; {:.0?} in all)",
                    chain.len(),
                    at.elapsed(),
                    started.elapsed()
                );
                for ((i, point), outcome) in chain.iter().zip(outcomes) {
                    let mut tally = tallies[*i].lock().expect("tally");
                    match outcome {
                        None => tally.not_reached.push(point.fault()),
                        Some(outcome) => tally.record(point, outcome),
                    }
                }
            });
        }
    });
    let mut manual: Vec<String> = workers
        .iter()
        .flat_map(|w| w.manual.lock().expect("manual").clone())
        .collect();
    manual.sort();
    let tallies: Vec<Tally> = tallies
        .into_iter()
        .map(|t| t.into_inner().expect("tally"))
        .collect();
    let mut failed = Vec::new();
    for ((phase, tally), (points, _)) in phases.iter().zip(&tallies).zip(&surveys) {
        let name = format!("{suite} {}", phase.name);
        eprintln!("{}", tally.table(&name));
        if let Err(e) = tally.check(points.len() as u64 * 8 / 10) {
            failed.push(format!("{name}: {e}"));
        }
    }
    eprintln!(
        "{suite}: {} points in {:.0?} with {} workers; the documented manual step was taken after {} of them{}",
        tallies.iter().map(Tally::killed).sum::<u64>(),
        started.elapsed(),
        workers.len(),
        manual.len(),
        if manual.is_empty() {
            String::new()
        } else {
            format!(" ({})", manual.join(", "))
        }
    );
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    Swept { tallies, manual }
}
