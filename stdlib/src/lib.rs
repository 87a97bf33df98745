//! The built-in functions: signatures for the checker and implementations for evaluation, in one place.
