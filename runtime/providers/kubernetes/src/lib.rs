//! The kubernetes provider.
