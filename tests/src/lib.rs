//! Integration tests: markdown checker suites, CLI snapshots, the no-panic corpus and the examples.
