//! Item indexes, module loading and the module graph, scopes and name resolution.
