//! The skel command-line tool.
fn main() {}
