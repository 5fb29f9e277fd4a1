//! The takedown notice a hosting provider receives.

use serde::Serialize;

/// What a notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The hotline's case number.
    pub case: i64,
    /// The canonical URL.
    pub url: String,
    /// The assessed category.
    pub category: Option<String>,
    /// The provider's name.
    pub provider: String,
    /// Where the notice goes.
    pub abuse: String,
    /// Whose law applies.
    pub jurisdiction: String,
    /// Which notice this is (1 for the first).
    pub attempt: i64,
    /// When the material was confirmed (Unix seconds).
    pub confirmed_at: i64,
    /// Who sends it.
    pub hotline: String,
}

/// The notice as an email, headers first.
pub fn notice_text(n: &Notice) -> String {
    let reminder = if n.attempt > 1 {
        format!(
            "This is reminder {} of this notice; the material is still online.\n\n",
            n.attempt - 1
        )
    } else {
        String::new()
    };
    format!(
        "To: {abuse}\n\
         Subject: Notice of child sexual abuse material hosted by {provider} (case {case})\n\
         \n\
         {reminder}\
         {hotline} has assessed the following URL as child sexual abuse material{category}:\n\
         \n    {url}\n\n\
         Our records place it on your network (jurisdiction: {jurisdiction}). Please remove it\n\
         and preserve any related data your law requires. Do not open or download the URL\n\
         unless your law permits it. We check the URL regularly and send this notice again\n\
         until the material is gone.\n\
         \n\
         Case: {case}\nConfirmed: {confirmed} (Unix time)\n",
        abuse = n.abuse,
        provider = n.provider,
        case = n.case,
        hotline = n.hotline,
        category = n
            .category
            .as_deref()
            .map(|c| format!(" (category {c})"))
            .unwrap_or_default(),
        url = n.url,
        jurisdiction = n.jurisdiction,
        confirmed = n.confirmed_at,
    )
}
