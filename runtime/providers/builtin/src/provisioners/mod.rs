//! Provisioners.
