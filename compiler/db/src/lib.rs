//! The salsa base database: file inputs, the System trait, parsing queries and the one Diagnostic model.
