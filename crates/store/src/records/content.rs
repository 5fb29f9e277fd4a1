//! HMA content: notes, metadata, disabling, and the signals grouped under one item.

use super::*;
use hashwatch_model::Availability;

impl Records<'_> {
    /// Records a content item (after its entries were imported) and links
    /// the entries banked with its first one.
    pub fn create_content(
        &self,
        bank: &str,
        id: u64,
        linked: &[u64],
        note: Option<&str>,
        metadata: Option<&str>,
    ) -> Result<(), Error> {
        self.write_tx(|tx| {
            // The content may exist already: the same hash added again
            // answers the content it belongs to, with the new note kept.
            tx.exec(
                "INSERT INTO contents (id, bank, note, metadata, disable_until, updated_at)
                 VALUES (?, ?, ?, ?, 1, ?)
                 ON CONFLICT (id) DO UPDATE SET note = coalesce(excluded.note, contents.note),
                    metadata = coalesce(excluded.metadata, contents.metadata)",
                &[
                    (id as i64).into(),
                    bank.into(),
                    note.into(),
                    metadata.into(),
                    unix_now().into(),
                ],
            )?;
            for entry in linked {
                tx.exec(
                    "INSERT INTO content_links (entry_id, content_id) VALUES (?, ?)
                     ON CONFLICT (entry_id) DO NOTHING",
                    &[(*entry as i64).into(), (id as i64).into()],
                )?;
            }
            tx.change(bank, &ChangeKind::ContentUpdated { content: id })
        })
    }

    /// A content item's record, or the defaults for an entry imported
    /// without one (its content is itself).
    pub fn content(&self, bank: &str, id: u64) -> Result<Content, Error> {
        self.read_tx(|tx| {
            let rows = tx.query(
                "SELECT note, metadata, disable_until FROM contents WHERE id = ? AND bank = ?",
                &[(id as i64).into(), bank.into()],
            )?;
            let linked = tx
                .query(
                    "SELECT entry_id FROM content_links WHERE content_id = ? ORDER BY entry_id",
                    &[(id as i64).into()],
                )?
                .iter()
                .map(|r| r.req_int(0).map(|v| v as u64))
                .collect::<Result<_, _>>()?;
            Ok(match rows.first() {
                Some(r) => Content {
                    id,
                    bank: bank.to_string(),
                    note: r.text(0)?,
                    metadata: r.text(1)?,
                    availability: Availability::from_hma(r.req_int(2)?),
                    linked,
                },
                None => Content {
                    id,
                    bank: bank.to_string(),
                    note: None,
                    metadata: None,
                    availability: Availability::Enabled,
                    linked,
                },
            })
        })
    }

    /// Sets a content item's disable time and note.
    pub fn update_content(
        &self,
        bank: &str,
        id: u64,
        availability: Option<Availability>,
        note: Option<&str>,
    ) -> Result<Content, Error> {
        self.write_tx(|tx| {
            tx.exec(
                "INSERT INTO contents (id, bank, note, metadata, disable_until, updated_at)
                 VALUES (?, ?, NULL, NULL, 1, ?) ON CONFLICT (id) DO NOTHING",
                &[(id as i64).into(), bank.into(), unix_now().into()],
            )?;
            if let Some(availability) = availability {
                tx.exec(
                    "UPDATE contents SET disable_until = ?, updated_at = ? WHERE id = ?",
                    &[
                        availability.hma().into(),
                        unix_now().into(),
                        (id as i64).into(),
                    ],
                )?;
            }
            if let Some(note) = note {
                tx.exec(
                    "UPDATE contents SET note = ? WHERE id = ?",
                    &[note.into(), (id as i64).into()],
                )?;
            }
            tx.change(bank, &ChangeKind::ContentUpdated { content: id })
        })?;
        self.content(bank, id)
    }

    /// Contents whose `disable_until` is not "enabled", and every link from
    /// an entry to the content it belongs to: what a matcher node needs.
    pub fn content_state(&self) -> Result<ContentState, Error> {
        self.read_tx(|tx| {
            let disabled = tx
                .query(
                    "SELECT id, disable_until FROM contents WHERE disable_until <> 1",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.req_int(0)? as u64, Availability::from_hma(r.req_int(1)?))))
                .collect::<Result<_, Error>>()?;
            let links = tx
                .query("SELECT entry_id, content_id FROM content_links", &[])?
                .iter()
                .map(|r| Ok((r.req_int(0)? as u64, r.req_int(1)? as u64)))
                .collect::<Result<_, Error>>()?;
            Ok(ContentState { disabled, links })
        })
    }

    /// One content item's availability and links, to follow a
    /// [`ChangeKind::ContentUpdated`].
    pub fn content_links(&self, id: u64) -> Result<(Availability, Vec<u64>), Error> {
        self.read_tx(|tx| {
            let until = tx
                .query(
                    "SELECT disable_until FROM contents WHERE id = ?",
                    &[(id as i64).into()],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .flatten()
                .map_or(Availability::Enabled, Availability::from_hma);
            let links = tx
                .query(
                    "SELECT entry_id FROM content_links WHERE content_id = ?",
                    &[(id as i64).into()],
                )?
                .iter()
                .map(|r| r.req_int(0).map(|v| v as u64))
                .collect::<Result<_, _>>()?;
            Ok((until, links))
        })
    }

    /// The id of the oldest active entry with this value in a bank.
    pub fn active_entry(
        &self,
        bank: &str,
        signal_type: crate::SignalType,
        value: &[u8],
    ) -> Result<Option<u64>, Error> {
        self.read_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT e.id FROM entries e JOIN banks b ON b.id = e.bank_id
                     WHERE b.name = ? AND e.signal_type = ? AND e.value = ? AND e.revoked_at IS NULL
                       AND e.derived IS NULL
                     ORDER BY e.id LIMIT 1",
                    &[bank.into(), signal_type.name().into(), value.into()],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .flatten()
                .map(|v| v as u64))
        })
    }

    /// The bank of an active entry.
    pub fn entry_bank(&self, entry: u64) -> Result<Option<String>, Error> {
        self.read_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT b.name FROM entries e JOIN banks b ON b.id = e.bank_id
                     WHERE e.id = ? AND e.revoked_at IS NULL",
                    &[(entry as i64).into()],
                )?
                .first()
                .map(|r| r.text(0))
                .transpose()?
                .flatten())
        })
    }
}
