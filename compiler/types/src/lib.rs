//! Type inference and checking of modules against provider schemas and stdlib signatures.
