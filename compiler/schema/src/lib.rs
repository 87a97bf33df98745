//! Provider schemas as data: the one source of truth the checker and the providers both read.
