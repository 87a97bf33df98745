//! The lowered `skel { encryption { … } }` block of the root module: key providers with their
//! arguments (expressions over variables and constants, evaluated by `skelc` once variable
//! values are known), methods, and the method (and fallback) of the state and of saved plans.

use skel_syntax::Expr;

use crate::config::SourceLocation;

#[derive(Clone, Debug, Default)]
pub struct EncryptionConfig {
    pub key_providers: Vec<KeyProviderConfig>,
    pub methods: Vec<MethodConfig>,
    /// `state { }`: the state file, its backup and the journal.
    pub state: Option<EncryptionTarget>,
    /// `plan { }`: saved plan files.
    pub plan: Option<EncryptionTarget>,
    pub location: SourceLocation,
}

/// `key_provider "KIND" "NAME" { … }`.
#[derive(Clone, Debug)]
pub struct KeyProviderConfig {
    pub kind: String,
    pub name: String,
    /// The arguments as written (item-relative ranges).
    pub arguments: Vec<(String, Expr)>,
    pub location: SourceLocation,
}

/// `method "KIND" "NAME" { keys = key_provider.K.N }`.
#[derive(Clone, Debug)]
pub struct MethodConfig {
    pub kind: String,
    pub name: String,
    /// The key provider (kind, name) for `aes_gcm`.
    pub keys: Option<(String, String)>,
    pub location: SourceLocation,
}

/// `state { method = method.K.N  fallback { method = … } }` (or `plan`).
#[derive(Clone, Debug)]
pub struct EncryptionTarget {
    /// The method (kind, name) files are written with.
    pub method: (String, String),
    /// A method (kind, name) that is also read.
    pub fallback: Option<(String, String)>,
}
