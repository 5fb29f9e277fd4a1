//! Free text people send (report descriptions, appeal reasons, categories,
//! notes, hold reasons, …): each field with its length limit, and the
//! characters no field may hold. Control characters (NUL among them) and
//! the bidirectional overrides and isolates (which make text read in
//! another order than it is stored, so that `gpj.exe` shows as `exe.jpg`)
//! are refused, not stored: the people who read these fields are analysts
//! deciding on them.

/// A free-text field: its name (as requests call it), its limit in
/// characters, and whether it may run over several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextField {
    /// The field's name, as requests call it.
    pub name: &'static str,
    /// The most characters it may hold.
    pub max_chars: usize,
    /// Whether line breaks and tabs are allowed.
    pub lines: bool,
    /// The error code when it is too long.
    pub too_long: &'static str,
}

impl TextField {
    /// A field named `name` of at most `max_chars` characters, over
    /// several lines when `lines`; `too_long` is the error code past it.
    pub const fn new(
        name: &'static str,
        max_chars: usize,
        lines: bool,
        too_long: &'static str,
    ) -> TextField {
        TextField {
            name,
            max_chars,
            lines,
            too_long,
        }
    }
}

/// What a reporter saw.
pub const DESCRIPTION: TextField =
    TextField::new("description", 4000, true, "description_too_long");

/// How to reach a reporter or appellant.
pub const CONTACT: TextField = TextField::new("contact", 500, false, "contact_too_long");

/// Why an appeal is made.
pub const APPEAL_REASON: TextField = TextField::new("reason", 4000, true, "reason_too_long");

/// A category (an assessment's, an imported entry's).
pub const CATEGORY: TextField = TextField::new("category", 100, false, "category_too_long");

/// A content item's note (HMA's limit).
pub const NOTE: TextField = TextField::new("note", 255, true, "note_too_long");

/// A bank's description.
pub const BANK_DESCRIPTION: TextField =
    TextField::new("description", 1000, true, "description_too_long");

/// Why a legal hold is placed.
pub const HOLD_REASON: TextField = TextField::new("reason", 1000, true, "reason_too_long");

/// Where an imported list came from.
pub const SOURCE: TextField = TextField::new("source", 200, false, "source_too_long");

/// Every field above, for documentation and tests.
pub const FIELDS: [TextField; 8] = [
    DESCRIPTION,
    CONTACT,
    APPEAL_REASON,
    CATEGORY,
    NOTE,
    BANK_DESCRIPTION,
    HOLD_REASON,
    SOURCE,
];

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// Longer than the field's limit.
    TooLong {
        /// The field.
        field: TextField,
        /// Its length in characters.
        chars: usize,
    },
    /// A character no text may hold.
    Forbidden {
        /// The field.
        field: TextField,
        /// The character.
        character: char,
        /// Its position, in characters from the start.
        at: usize,
    },
}

impl TextError {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            TextError::TooLong { field, .. } => field.too_long,
            TextError::Forbidden { .. } => "bad_text",
        }
    }
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextError::TooLong { field, chars } => write!(
                f,
                "{} is {chars} characters long; the limit is {}",
                field.name, field.max_chars
            ),
            TextError::Forbidden {
                field,
                character,
                at,
            } => write!(
                f,
                "{} holds U+{:04X} at character {at}: control characters and \
                 bidirectional overrides are refused{}",
                field.name,
                u32::from(*character),
                if field.lines {
                    " (line breaks and tabs are fine)"
                } else {
                    ""
                }
            ),
        }
    }
}

impl std::error::Error for TextError {}

/// Whether `c` reorders the text around it when shown: the embeddings and
/// overrides (U+202A–U+202E) and the isolates (U+2066–U+2069).
pub fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl TextField {
    /// Refuses `value` when it is too long or holds a character no text
    /// may (see the module's overview).
    pub fn check(&self, value: &str) -> Result<(), TextError> {
        for (at, c) in value.chars().enumerate() {
            let layout = self.lines && matches!(c, '\n' | '\r' | '\t');
            if (c.is_control() && !layout) || bidi_control(c) {
                return Err(TextError::Forbidden {
                    field: *self,
                    character: c,
                    at,
                });
            }
            if at == self.max_chars {
                return Err(TextError::TooLong {
                    field: *self,
                    chars: value.chars().count(),
                });
            }
        }
        Ok(())
    }

    /// [`TextField::check`] of a value that may be absent.
    pub fn check_optional(&self, value: Option<&str>) -> Result<(), TextError> {
        value.map_or(Ok(()), |v| self.check(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_up_to_its_limit() {
        for field in FIELDS {
            assert!(field.check("").is_ok());
            assert!(field.check("Grüße, 東京 — ok").is_ok());
            assert!(field.check(&"é".repeat(field.max_chars)).is_ok());
            let over = "é".repeat(field.max_chars + 1);
            assert_eq!(
                field.check(&over),
                Err(TextError::TooLong {
                    field,
                    chars: field.max_chars + 1
                })
            );
        }
    }

    #[test]
    fn control_and_reordering_characters_are_refused() {
        for bad in [
            '\0', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{202E}', '\u{202A}', '\u{2066}',
            '\u{2069}',
        ] {
            for field in FIELDS {
                let text = format!("ab{bad}c");
                assert_eq!(
                    field.check(&text),
                    Err(TextError::Forbidden {
                        field,
                        character: bad,
                        at: 2
                    }),
                    "{field:?} {bad:?}"
                );
            }
        }
        // Left-to-right and right-to-left marks do not reorder anything.
        assert!(DESCRIPTION.check("a\u{200E}b\u{200F}c").is_ok());
    }

    #[test]
    fn line_breaks_only_where_lines_are() {
        assert!(DESCRIPTION.check("one\r\ntwo\tthree").is_ok());
        assert!(CATEGORY.check("A1\nB2").is_err());
        assert!(CONTACT.check("a@b.example\t").is_err());
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = CATEGORY.check("x\u{202E}y").expect_err("refused");
        assert_eq!(e.code(), "bad_text");
        assert!(e.to_string().contains("U+202E at character 1"), "{e}");
        let e = NOTE.check(&"n".repeat(300)).expect_err("refused");
        assert_eq!(e.code(), "note_too_long");
        assert!(e.to_string().contains("300 characters"), "{e}");
    }
}
