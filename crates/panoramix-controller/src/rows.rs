//! Stored rows read into types, loudly: a column the query did not select, a
//! value of another SQL type than the schema's, JSON that does not parse into
//! the type it was written from, or a status no enum knows is a [`RowError`]
//! that names the column, never an empty string, a zero or a `null` standing in
//! for it. Such a row is the server's fault (the store holds what this crate did
//! not write), so the request answers 500 `internal`, and the host logs which
//! column it was.

use crate::error::SharedError;
use crate::store::{Row, SqlValue, StoreError, Tx};
use serde::de::DeserializeOwned;

/// A stored row that does not read as the schema says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// The query's column list does not hold this column, or the row is shorter
    /// than the list (a host's store returned fewer values than selected).
    #[error("column `{column}` is not in the row")]
    Missing {
        /// The column.
        column: &'static str,
    },
    /// The value has another SQL type than the column's.
    #[error("column `{column}`: expected {expected}, found {found}")]
    Type {
        /// The column.
        column: &'static str,
        /// What the schema stores there.
        expected: &'static str,
        /// What the row holds.
        found: &'static str,
    },
    /// A JSON column that does not parse into the type it was written from.
    #[error("column `{column}` does not hold the JSON of its type")]
    Json {
        /// The column.
        column: &'static str,
        /// The parser's error.
        #[source]
        source: SharedError<serde_json::Error>,
    },
    /// A text or integer outside the column's values (an unknown status, a flag
    /// that is neither 0 nor 1).
    #[error("column `{column}`: {value:?} is not {expected}")]
    Value {
        /// The column.
        column: &'static str,
        /// The stored value, as text.
        value: String,
        /// What the column holds.
        expected: &'static str,
    },
}

fn kind(v: &SqlValue) -> &'static str {
    match v {
        SqlValue::Null => "NULL",
        SqlValue::Int(_) => "an integer",
        SqlValue::Text(_) => "text",
    }
}

/// One row and the column list of the `SELECT` that produced it: values are
/// taken by column name (each column once; the value is moved out, not copied).
#[derive(Debug)]
pub(crate) struct Cols {
    names: &'static str,
    row: Row,
}

impl Cols {
    /// The row of a `SELECT {names} ...`; `names` is the comma-separated column list.
    pub(crate) fn new(names: &'static str, row: Row) -> Cols {
        Cols { names, row }
    }

    fn take(&mut self, column: &'static str) -> Result<SqlValue, RowError> {
        self.names
            .split(',')
            .position(|n| n.trim() == column)
            .and_then(|i| self.row.get_mut(i))
            .map(|v| std::mem::replace(v, SqlValue::Null))
            .ok_or(RowError::Missing { column })
    }

    /// A `TEXT NOT NULL` column.
    pub(crate) fn text(&mut self, column: &'static str) -> Result<String, RowError> {
        match self.take(column)? {
            SqlValue::Text(s) => Ok(s),
            other => Err(RowError::Type {
                column,
                expected: "text",
                found: kind(&other),
            }),
        }
    }

    /// A nullable `TEXT` column.
    pub(crate) fn opt_text(&mut self, column: &'static str) -> Result<Option<String>, RowError> {
        match self.take(column)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(s) => Ok(Some(s)),
            other => Err(RowError::Type {
                column,
                expected: "text or NULL",
                found: kind(&other),
            }),
        }
    }

    /// An `INTEGER NOT NULL` column.
    pub(crate) fn int(&mut self, column: &'static str) -> Result<i64, RowError> {
        match self.take(column)? {
            SqlValue::Int(i) => Ok(i),
            other => Err(RowError::Type {
                column,
                expected: "an integer",
                found: kind(&other),
            }),
        }
    }

    /// A nullable `INTEGER` column.
    pub(crate) fn opt_int(&mut self, column: &'static str) -> Result<Option<i64>, RowError> {
        match self.take(column)? {
            SqlValue::Null => Ok(None),
            SqlValue::Int(i) => Ok(Some(i)),
            other => Err(RowError::Type {
                column,
                expected: "an integer or NULL",
                found: kind(&other),
            }),
        }
    }

    /// An `INTEGER NOT NULL` column holding 0 or 1.
    pub(crate) fn flag(&mut self, column: &'static str) -> Result<bool, RowError> {
        match self.int(column)? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(RowError::Value {
                column,
                value: n.to_string(),
                expected: "0 or 1",
            }),
        }
    }

    /// A `TEXT NOT NULL` column holding the JSON of a `T`.
    pub(crate) fn json<T: DeserializeOwned>(
        &mut self,
        column: &'static str,
    ) -> Result<T, RowError> {
        let s = self.text(column)?;
        parse_json(column, &s)
    }

    /// A nullable `TEXT` column holding the JSON of a `T`.
    pub(crate) fn opt_json<T: DeserializeOwned>(
        &mut self,
        column: &'static str,
    ) -> Result<Option<T>, RowError> {
        self.opt_text(column)?
            .map(|s| parse_json(column, &s))
            .transpose()
    }

    /// A `TEXT NOT NULL` column holding one of the values `parse` knows
    /// (`expected` names them).
    pub(crate) fn parsed<T>(
        &mut self,
        column: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, RowError> {
        let s = self.text(column)?;
        parse(&s).ok_or(RowError::Value {
            column,
            value: s,
            expected,
        })
    }
}

fn parse_json<T: DeserializeOwned>(column: &'static str, s: &str) -> Result<T, RowError> {
    serde_json::from_str(s).map_err(|e| RowError::Json {
        column,
        source: SharedError::new(e),
    })
}

/// Run `SELECT {cols} {rest}` and return its rows, to be read by column name.
pub(crate) fn select(
    tx: &mut dyn Tx,
    cols: &'static str,
    rest: &str,
    params: &[SqlValue],
) -> Result<Vec<Cols>, StoreError> {
    Ok(tx
        .query(&format!("SELECT {cols} {rest}"), params)?
        .into_iter()
        .map(|r| Cols::new(cols, r))
        .collect())
}

/// The first row of `SELECT {cols} {rest}`, if any.
pub(crate) fn select_one(
    tx: &mut dyn Tx,
    cols: &'static str,
    rest: &str,
    params: &[SqlValue],
) -> Result<Option<Cols>, StoreError> {
    Ok(select(tx, cols, rest, params)?.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Cols {
        Cols::new(
            "a, b, c, d, e",
            vec![
                SqlValue::Text("x".into()),
                SqlValue::Int(7),
                SqlValue::Null,
                SqlValue::Text("[1,2]".into()),
                SqlValue::Int(2),
            ],
        )
    }

    #[test]
    fn columns_read_by_name_into_their_types() {
        let mut r = row();
        assert_eq!(r.int("b"), Ok(7));
        assert_eq!(r.text("a"), Ok("x".into()));
        assert_eq!(r.opt_text("c"), Ok(None));
        assert_eq!(r.json::<Vec<i64>>("d"), Ok(vec![1, 2]));
    }

    #[test]
    fn a_mismatch_names_its_column_instead_of_defaulting() {
        let mut r = row();
        let e = r.text("b").unwrap_err();
        assert_eq!(
            e,
            RowError::Type {
                column: "b",
                expected: "text",
                found: "an integer"
            }
        );
        assert!(e.to_string().contains("`b`"), "{e}");
        assert!(matches!(
            row().int("a"),
            Err(RowError::Type { column: "a", .. })
        ));
        assert!(matches!(
            row().text("c"),
            Err(RowError::Type { found: "NULL", .. })
        ));
        assert!(matches!(
            row().int("zz"),
            Err(RowError::Missing { column: "zz" })
        ));
        assert!(matches!(
            row().flag("e"),
            Err(RowError::Value { column: "e", .. })
        ));
        let e = row().json::<Vec<String>>("d").unwrap_err();
        assert!(matches!(e, RowError::Json { column: "d", .. }));
        assert!(
            std::error::Error::source(&e).is_some(),
            "the parser's error is kept"
        );
        let e = row()
            .parsed("a", "A or B", |s| (s == "A").then_some(1))
            .unwrap_err();
        assert!(e.to_string().contains("\"x\" is not A or B"), "{e}");
        // a row shorter than its column list
        let mut short = Cols::new("a, b", vec![SqlValue::Int(1)]);
        assert_eq!(short.int("b"), Err(RowError::Missing { column: "b" }));
    }
}
