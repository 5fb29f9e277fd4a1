//! How a change is written in the change log's columns, and read back.

use hashwatch_model::{BankKind, ChangeKind};

/// A change as the `changes` table's columns.
pub(crate) trait ChangeColumns: Sized {
    /// The `kind` column.
    fn name(&self) -> &'static str;
    /// The stored columns (bank kind or previous name, first entry, last
    /// entry).
    fn columns(&self) -> (Option<&str>, Option<i64>, Option<i64>);
    /// The publishable events this change adds to its bank's feed: (`add`
    /// or `remove`, first entry id, how many).
    fn feed_batch(&self) -> Option<(&'static str, i64, i64)>;
    /// Rebuilds a change from its stored columns; `None` for kinds this
    /// build does not know.
    fn from_columns(
        kind: &str,
        bank_kind: Option<&str>,
        first: Option<i64>,
        last: Option<i64>,
    ) -> Option<Self>;
}

impl ChangeColumns for ChangeKind {
    fn name(&self) -> &'static str {
        match self {
            ChangeKind::BankCreated(_) => "bank_created",
            ChangeKind::BankDeleted => "bank_deleted",
            ChangeKind::Imported { .. } => "imported",
            ChangeKind::Revoked { .. } => "revoked",
            ChangeKind::BankUpdated { .. } => "bank_updated",
            ChangeKind::ContentUpdated { .. } => "content_updated",
        }
    }

    fn columns(&self) -> (Option<&str>, Option<i64>, Option<i64>) {
        match self {
            ChangeKind::BankCreated(k) => (Some(k.name()), None, None),
            ChangeKind::BankUpdated { previous } => (previous.as_deref(), None, None),
            ChangeKind::ContentUpdated { content } => (None, Some(*content as i64), None),
            ChangeKind::BankDeleted => (None, None, None),
            ChangeKind::Imported { first, last } => (None, Some(*first as i64), Some(*last as i64)),
            ChangeKind::Revoked { entry } => (None, Some(*entry as i64), Some(*entry as i64)),
        }
    }

    fn feed_batch(&self) -> Option<(&'static str, i64, i64)> {
        match self {
            ChangeKind::Imported { first, last } => {
                Some(("add", *first as i64, (*last - *first + 1) as i64))
            }
            ChangeKind::Revoked { entry } => Some(("remove", *entry as i64, 1)),
            _ => None,
        }
    }

    fn from_columns(
        kind: &str,
        bank_kind: Option<&str>,
        first: Option<i64>,
        last: Option<i64>,
    ) -> Option<ChangeKind> {
        Some(match kind {
            "bank_created" => ChangeKind::BankCreated(if bank_kind == Some("negative") {
                BankKind::Negative
            } else {
                BankKind::Positive
            }),
            "bank_deleted" => ChangeKind::BankDeleted,
            "imported" => ChangeKind::Imported {
                first: first? as u64,
                last: last? as u64,
            },
            "revoked" => ChangeKind::Revoked {
                entry: first? as u64,
            },
            "bank_updated" => ChangeKind::BankUpdated {
                previous: bank_kind.map(str::to_string),
            },
            "content_updated" => ChangeKind::ContentUpdated {
                content: first? as u64,
            },
            _ => return None,
        })
    }
}
