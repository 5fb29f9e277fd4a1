//! The portable-SQL surface ([`Sql`], [`SqlTx`]) over a PostgreSQL transaction.

use super::*;

fn postgres_param(p: &Param) -> Box<dyn postgres::types::ToSql + Sync> {
    match p {
        Param::Int(v) => Box::new(*v),
        Param::Real(v) => Box::new(*v),
        Param::Text(v) => Box::new(v.clone()),
        Param::Blob(v) => Box::new(v.clone()),
    }
}

pub(super) struct PostgresTx<'a, 'b>(pub(super) &'a mut postgres::Transaction<'b>);

impl PostgresTx<'_, '_> {
    fn bound(params: &[Param]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
        params.iter().map(postgres_param).collect()
    }
}

impl SqlTx for PostgresTx<'_, '_> {
    fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64, Error> {
        let bound = PostgresTx::bound(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            bound.iter().map(|b| b.as_ref()).collect();
        Ok(self.0.execute(numbered(sql).as_str(), &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>, Error> {
        use postgres::types::Type;
        let bound = PostgresTx::bound(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            bound.iter().map(|b| b.as_ref()).collect();
        let rows = self.0.query(numbered(sql).as_str(), &refs)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut cells = Vec::with_capacity(r.len());
            for (i, column) in r.columns().iter().enumerate() {
                let t = column.type_();
                let cell = if *t == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
                } else if *t == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)?.map(|v| Cell::Int(v.into()))
                } else if *t == Type::INT2 {
                    r.try_get::<_, Option<i16>>(i)?.map(|v| Cell::Int(v.into()))
                } else if *t == Type::FLOAT8 {
                    r.try_get::<_, Option<f64>>(i)?.map(Cell::Real)
                } else if *t == Type::BOOL {
                    r.try_get::<_, Option<bool>>(i)?
                        .map(|v| Cell::Int(v.into()))
                } else {
                    r.try_get::<_, Option<String>>(i)?.map(Cell::Text)
                };
                cells.push(cell.unwrap_or(Cell::Null));
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

impl Sql for PostgresStore {
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut client = self.client();
        let mut tx = begin_write(&mut client)?;
        work(&mut PostgresTx(&mut tx))?;
        tx.commit()?;
        Ok(())
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>) -> Result<(), Error> {
        let mut client = self.client();
        // One snapshot for every query of the read, as SQLite gives.
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        work(&mut PostgresTx(&mut tx))?;
        tx.commit()?;
        Ok(())
    }
}
