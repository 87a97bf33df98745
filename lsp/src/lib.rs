//! The language server: tower-lsp glue around the compiler database, one session actor owning it.
