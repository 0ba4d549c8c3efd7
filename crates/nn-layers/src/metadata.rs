//! Reading a network's description back from checkpoint metadata.

use std::collections::BTreeMap;

use crate::{Error, Result};

/// Typed access to the key-value description a network builder writes (its
/// `metadata()`), for its `from_metadata`. Errors name the model and the key.
#[derive(Debug, Clone, Copy)]
pub struct MetadataReader<'a> {
    map: &'a BTreeMap<String, String>,
    model: &'static str,
}

impl<'a> MetadataReader<'a> {
    /// A reader for a `model` description (`"two-layer"`...).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `map` describes another model.
    pub fn new(map: &'a BTreeMap<String, String>, model: &'static str) -> Result<Self> {
        let reader = MetadataReader { map, model };
        let found = reader.str("model")?;
        if found != model {
            return Err(reader.error(format!("describes a `{found}` model, not `{model}`")));
        }
        Ok(reader)
    }

    fn error(&self, message: String) -> Error {
        Error::invalid(
            "from_metadata",
            format!("metadata of a `{}` model: {message}", self.model),
        )
    }

    /// The value of `key`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when it is missing.
    pub fn str(&self, key: &str) -> Result<&'a str> {
        self.map
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| self.error(format!("`{key}` is missing")))
    }

    fn parse<V: std::str::FromStr>(&self, key: &str, what: &str) -> Result<V> {
        let text = self.str(key)?;
        text.parse()
            .map_err(|_| self.error(format!("`{key}` is `{text}`, not {what}")))
    }

    /// `key` as a whole number.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when missing or not a number.
    pub fn usize(&self, key: &str) -> Result<usize> {
        self.parse(key, "a whole number")
    }

    /// `key` as a real number.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when missing or not a number.
    pub fn f64(&self, key: &str) -> Result<f64> {
        self.parse(key, "a number")
    }

    /// `key` as `true` or `false`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when missing or neither.
    pub fn bool(&self, key: &str) -> Result<bool> {
        self.parse(key, "true or false")
    }

    /// `key` as comma-separated whole numbers (empty: none).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when missing or malformed.
    pub fn usizes(&self, key: &str) -> Result<Vec<usize>> {
        let text = self.str(key)?;
        if text.is_empty() {
            return Ok(Vec::new());
        }
        text.split(',')
            .map(|part| {
                part.trim().parse().map_err(|_| {
                    self.error(format!(
                        "`{key}` is `{text}`, not a comma-separated list of whole numbers"
                    ))
                })
            })
            .collect()
    }
}
