//! Tests over the embedded schemas.
