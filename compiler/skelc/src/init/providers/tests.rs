//! Tests of plugin installation: filled below.
