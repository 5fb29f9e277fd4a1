//! The portable-SQL surface ([`Sql`], [`SqlTx`]) over a SQLite transaction.

use super::*;

fn sqlite_param(p: &Param) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match p {
        Param::Int(Some(v)) => Value::Integer(*v),
        Param::Real(Some(v)) => Value::Real(*v),
        Param::Text(Some(v)) => Value::Text(v.clone()),
        Param::Blob(Some(v)) => Value::Blob(v.clone()),
        Param::Int(None) | Param::Real(None) | Param::Text(None) | Param::Blob(None) => Value::Null,
    }
}

pub(super) struct SqliteTx<'a>(pub(super) &'a rusqlite::Transaction<'a>);

impl SqlTx for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64, Error> {
        let n = self
            .0
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params.iter().map(sqlite_param)))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>, Error> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.0.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(sqlite_param)))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut cells = Vec::with_capacity(columns);
            for i in 0..columns {
                cells.push(match r.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Cell::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    fn change(&mut self, bank: &str, kind: &ChangeKind) -> Result<(), Error> {
        record(self.0, bank, kind)
    }

    fn import(
        &mut self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, Error> {
        import_in(self.0, bank, entries, origin, progress)
    }

    fn revoke(&mut self, bank: &str, which: &EntryRef, reason: &str) -> Result<Vec<u64>, Error> {
        revoke_in(self.0, bank, which, reason)
    }

    fn delete_bank(&mut self, name: &str) -> Result<(), Error> {
        delete_bank_in(self.0, name)
    }
}

impl Sql for SqliteStore {
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        work(&mut SqliteTx(&tx))?;
        tx.commit()?;
        Ok(())
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        work(&mut SqliteTx(&tx))?;
        tx.commit()?;
        Ok(())
    }
}
