//! The formatter (placeholder).
use crate::SyntaxError;
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> { Ok(text.to_string()) }
