//! Content: the items a bank holds (HMA's content), each one or more
//! signals banked together with a note and metadata; added, read, disabled
//! and deleted by the bank's curators.

use hashwatch_access::BankAction;
use hashwatch_model::{
    AuditAction, Availability, BankSettings, Content, Entry, EntryRef, NewEntry, SignalType,
    QUALITY_FLOOR,
};
use hashwatch_store::Records;
use serde_json::{json, Map, Value};

use crate::{Caller, Kind, OpError, OpResult, Operations};

/// One signal of content to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentSignal {
    /// The type's name as the caller spelt it (kept in the audit row).
    pub name: String,
    /// The stored type.
    pub signal_type: SignalType,
    /// The value.
    pub value: Vec<u8>,
    /// PDQ quality, for a hash made here from a picture.
    pub quality: Option<u8>,
}

/// Content to add to a bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContent {
    /// The bank, as the caller calls it.
    pub bank: String,
    /// Its signals; the first one's entry is the content's id.
    pub signals: Vec<ContentSignal>,
    /// Free text.
    pub note: Option<String>,
    /// A JSON object, checked by the caller's way in.
    pub metadata: Option<String>,
}

/// A content item read back: its bank's stored name and settings, the
/// item, and its entries.
#[derive(Debug, Clone)]
pub struct ContentRead {
    /// The bank's stored name.
    pub bank: String,
    /// Its settings.
    pub settings: BankSettings,
    /// The item.
    pub content: Content,
    /// Its active entries.
    pub entries: Vec<Entry>,
}

/// The id of the bank's active entry with this signal: one already there
/// (adding a known hash again answers the existing content, whichever item
/// it was imported for), else the one imported now.
fn entry_id_for(
    records: &Records<'_>,
    bank: &str,
    entry: &NewEntry,
    origin: &str,
) -> Result<u64, hashwatch_store::Error> {
    if let Some(id) = records.active_entry(bank, entry.signal_type, &entry.value)? {
        return Ok(id);
    }
    records.import(bank, std::slice::from_ref(entry), Some(origin))?;
    records
        .active_entry(bank, entry.signal_type, &entry.value)?
        .ok_or_else(|| hashwatch_store::Error::backend("entry missing after import"))
}

fn no_content(bank: &str, id: u64) -> OpError {
    OpError::new(
        Kind::NotFound,
        "content_not_found",
        format!("no content {id} in bank {bank:?}"),
    )
}

impl Operations {
    /// Adds content to a bank the caller curates, with its audit row
    /// (`content.add`), in one transaction; answers its id. A picture
    /// hashed here whose PDQ quality is under the floor is refused: its
    /// hash would match by accident.
    pub fn add_content(&self, caller: &Caller, new: &NewContent) -> OpResult<u64> {
        self.may(caller, BankAction::Curate)?;
        hashwatch_model::text::NOTE.check_optional(new.note.as_deref())?;
        if let Some(q) = new
            .signals
            .iter()
            .find_map(|s| s.quality)
            .filter(|q| *q < QUALITY_FLOOR)
        {
            return Err(OpError::invalid(
                "low_quality",
                format!("Invalid pdq signal: the photo's PDQ quality is {q}, below {QUALITY_FLOOR}, so its hash would match by accident"),
            ));
        }
        let (bank, _) = self.bank_for(caller, BankAction::Curate, &new.bank)?;
        let Some((first, rest)) = new.signals.split_first() else {
            return Err(OpError::invalid("no_signals", "no signals given"));
        };
        let entry = |s: &ContentSignal| NewEntry {
            quality: s.quality,
            ..NewEntry::new(s.signal_type, s.value.clone())
        };
        let origin = format!("api:{}", caller.actor().name());
        let signals_json: Map<String, Value> = new
            .signals
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    Value::String(s.signal_type.format_value(&s.value)),
                )
            })
            .collect();
        let (note, metadata) = (new.note.as_deref(), new.metadata.as_deref());
        Ok(self.records().write(|r| {
            let id = entry_id_for(r, &bank, &entry(first), &origin)?;
            let mut linked = Vec::new();
            for s in rest {
                let other = entry_id_for(r, &bank, &entry(s), &origin)?;
                if other != id {
                    linked.push(other);
                }
            }
            if note.is_some() || metadata.is_some() || !linked.is_empty() {
                r.create_content(&bank, id, &linked, note, metadata)?;
            }
            r.audit(&[self.audit_row(
                caller,
                AuditAction::ContentAdd,
                Some(&bank),
                Some(id.to_string()),
                json!({"signals": signals_json, "note": note}),
            )])?;
            Ok(id)
        })?)
    }

    /// The content and its active entries, checked to be in `bank`.
    fn content_entries(&self, bank: &str, id: u64) -> OpResult<(Content, Vec<Entry>)> {
        if self.records().entry_bank(id)?.as_deref() != Some(bank) {
            return Err(no_content(bank, id));
        }
        let content = self.records().content(bank, id)?;
        let mut entries = Vec::new();
        for &e in std::iter::once(&id).chain(&content.linked) {
            self.store
                .entries_in(e, e, false, &mut |entry| entries.push(entry))?;
        }
        Ok((content, entries))
    }

    /// A content item of a bank the caller may read.
    pub fn content(&self, caller: &Caller, given: &str, id: u64) -> OpResult<ContentRead> {
        let (bank, settings) = self.bank_for(caller, BankAction::Read, given)?;
        let (content, entries) = self.content_entries(&bank, id)?;
        Ok(ContentRead {
            bank,
            settings,
            content,
            entries,
        })
    }

    /// Enables or disables content and sets its note, with its audit row
    /// (`content.update`, which writes the availability as HMA's
    /// `disable_until_ts`, as the log always has).
    pub fn update_content(
        &self,
        caller: &Caller,
        given: &str,
        id: u64,
        availability: Option<Availability>,
        note: Option<&str>,
    ) -> OpResult<(String, BankSettings, Content)> {
        self.may(caller, BankAction::Curate)?;
        hashwatch_model::text::NOTE.check_optional(note)?;
        let (bank, settings) = self.bank_for(caller, BankAction::Curate, given)?;
        self.content_entries(&bank, id)?;
        let content = self.records().write(|r| {
            let content = r.update_content(&bank, id, availability, note)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::ContentUpdate,
                Some(&bank),
                Some(id.to_string()),
                json!({"disable_until_ts": availability.map(Availability::hma), "note": note}),
            )])?;
            Ok(content)
        })?;
        Ok((bank, settings, content))
    }

    /// Deletes content of that bank (revokes its entries), with its audit
    /// row (`content.delete`); `false` when there was none.
    pub fn delete_content(&self, caller: &Caller, given: &str, id: u64) -> OpResult<bool> {
        self.may(caller, BankAction::Curate)?;
        let (bank, _) = self.bank_for(caller, BankAction::Curate, given)?;
        let entries = match self.content_entries(&bank, id) {
            Ok((_, entries)) => entries,
            Err(e) if e.kind == Kind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        self.records().write(|r| {
            for e in &entries {
                r.revoke(&bank, &EntryRef::Id(e.id), "deleted through the API")?;
            }
            r.audit(&[self.audit_row(
                caller,
                AuditAction::ContentDelete,
                Some(&bank),
                Some(id.to_string()),
                json!({}),
            )])
        })?;
        Ok(true)
    }
}
