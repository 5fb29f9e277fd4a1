//! Bank settings and sharing, and creating and updating banks with them.

use super::*;

/// Stores a bank's settings and sharing, inside a write.
fn write_settings(tx: &mut dyn SqlTx, bank: &str, settings: &BankSettings) -> Result<(), Error> {
    let id = bank_id(tx, bank)?;
    let (webhook_url, webhook_secret) = match &settings.webhook {
        Some(w) => (Some(w.url.clone()), Some(w.secret.clone())),
        None => (None, None),
    };
    tx.exec(
        "INSERT INTO bank_settings
            (bank_id, tenant, enabled_ratio, threshold, webhook_url, webhook_secret, review,
             video_query_percent, video_compared_percent, robust, view_threshold)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bank_id) DO UPDATE SET tenant = excluded.tenant,
            enabled_ratio = excluded.enabled_ratio, threshold = excluded.threshold,
            webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret,
            review = excluded.review, video_query_percent = excluded.video_query_percent,
            video_compared_percent = excluded.video_compared_percent,
            robust = excluded.robust, view_threshold = excluded.view_threshold",
        &[
            id.into(),
            settings.tenant.as_str().into(),
            settings.enabled_ratio.into(),
            settings.threshold.map(i64::from).into(),
            webhook_url.into(),
            webhook_secret.into(),
            i64::from(settings.review).into(),
            settings.video_query_percent.into(),
            settings.video_compared_percent.into(),
            i64::from(settings.robust).into(),
            settings.view_threshold.map(i64::from).into(),
        ],
    )?;
    tx.exec("DELETE FROM bank_shares WHERE bank_id = ?", &[id.into()])?;
    let mut shares: Vec<&String> = settings.shared_with.iter().collect();
    shares.extend(settings.shared_read.iter());
    shares.sort();
    shares.dedup();
    for tenant in shares {
        let access = if settings.shared_read.contains(tenant) {
            "read"
        } else {
            "match"
        };
        tx.exec(
            "INSERT INTO bank_shares (bank_id, tenant, access) VALUES (?, ?, ?)",
            &[id.into(), tenant.as_str().into(), access.into()],
        )?;
    }
    Ok(())
}

impl Records<'_> {
    /// Every bank's settings, by bank name (banks without stored settings
    /// get the defaults).
    pub fn bank_settings(&self) -> Result<HashMap<String, BankSettings>, Error> {
        self.read_tx(|tx| {
            let mut out = HashMap::new();
            let rows = tx.query(
                "SELECT b.name, s.tenant, s.enabled_ratio, s.threshold, s.webhook_url,
                        s.webhook_secret, s.review, s.video_query_percent,
                        s.video_compared_percent, s.robust, s.view_threshold
                 FROM banks b LEFT JOIN bank_settings s ON s.bank_id = b.id",
                &[],
            )?;
            for r in rows {
                let Some(name) = r.text(0)? else { continue };
                let mut settings = BankSettings::default();
                if let Some(tenant) = r.text(1)? {
                    settings.tenant = tenant;
                    settings.enabled_ratio = r.req_real(2)?;
                    settings.threshold = r.int(3)?.map(|t| t as u32);
                    settings.webhook = match (r.text(4)?, r.text(5)?) {
                        (Some(url), Some(secret)) => Some(Webhook { url, secret }),
                        _ => None,
                    };
                    settings.review = r.req_int(6)? != 0;
                    settings.video_query_percent = r.real(7)?;
                    settings.video_compared_percent = r.real(8)?;
                    settings.robust = r.req_int(9)? != 0;
                    settings.view_threshold = r.int(10)?.map(|t| t as u32);
                }
                out.insert(name, settings);
            }
            for r in tx.query(
                "SELECT b.name, h.tenant, h.access FROM bank_shares h
                 JOIN banks b ON b.id = h.bank_id ORDER BY h.tenant",
                &[],
            )? {
                if let (Some(name), Some(tenant)) = (r.text(0)?, r.text(1)?) {
                    if let Some(s) = out.get_mut(&name) {
                        match r.req_text(2)?.as_str() {
                            "match" => {}
                            "read" => s.shared_read.push(tenant.clone()),
                            other => {
                                return Err(Error::backend(format!(
                                    "bank {name:?} is shared with unknown access {other:?}"
                                )))
                            }
                        }
                        s.shared_with.push(tenant);
                    }
                }
            }
            Ok(out)
        })
    }

    /// One bank's settings.
    pub fn settings_of(&self, bank: &str) -> Result<BankSettings, Error> {
        self.bank_settings()?
            .remove(bank)
            .ok_or_else(|| Error::new(ErrorKind::NoSuchBank(bank.to_string())))
    }

    /// Creates a bank with its settings in one transaction, so that no
    /// node ever sees it without its owner.
    pub fn create_bank(
        &self,
        name: &str,
        kind: crate::BankKind,
        settings: &BankSettings,
        description: Option<&str>,
    ) -> Result<(), Error> {
        // A name is in its owner's namespace (see `Bank::name_in`).
        if !hashwatch_model::Bank::valid_name(name)
            || hashwatch_model::Bank::namespace_of(name) != settings.tenant
        {
            return Err(Error::new(ErrorKind::BadBankName(name.to_string())));
        }
        let created_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        self.write_tx(|tx| {
            if !tx
                .query("SELECT id FROM banks WHERE name = ?", &[name.into()])?
                .is_empty()
            {
                return Err(Error::new(ErrorKind::BankExists(name.to_string())));
            }
            tx.exec(
                "INSERT INTO banks (name, kind, description, created_at) VALUES (?, ?, ?, ?)",
                &[
                    name.into(),
                    kind.name().into(),
                    description.into(),
                    created_at.as_str().into(),
                ],
            )?;
            tx.change(name, &ChangeKind::BankCreated(kind))?;
            write_settings(tx, name, settings)
        })
    }

    /// Stores a bank's settings (and its sharing) and, when `rename` is
    /// given, renames it; followers on every node see the change.
    pub fn update_bank(
        &self,
        bank: &str,
        settings: &BankSettings,
        rename: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(new) = rename {
            if !hashwatch_model::Bank::valid_name(new) {
                return Err(Error::new(ErrorKind::BadBankName(new.to_string())));
            }
        }
        self.write_tx(|tx| {
            let id = bank_id(tx, bank)?;
            write_settings(tx, bank, settings)?;
            let mut name = bank.to_string();
            if let Some(new) = rename.filter(|n| *n != bank) {
                if !tx
                    .query("SELECT id FROM banks WHERE name = ?", &[new.into()])?
                    .is_empty()
                {
                    return Err(Error::new(ErrorKind::BankExists(new.to_string())));
                }
                tx.exec(
                    "UPDATE banks SET name = ? WHERE id = ?",
                    &[new.into(), id.into()],
                )?;
                // Audit entries keep the name they were written with.
                tx.exec(
                    "INSERT INTO bank_former_names (bank_id, name) VALUES (?, ?)
                     ON CONFLICT DO NOTHING",
                    &[id.into(), bank.into()],
                )?;
                tx.exec(
                    "UPDATE contents SET bank = ? WHERE bank = ?",
                    &[new.into(), bank.into()],
                )?;
                name = new.to_string();
            }
            let previous = (name != bank).then(|| bank.to_string());
            tx.change(&name, &ChangeKind::BankUpdated { previous })
        })
    }
}
