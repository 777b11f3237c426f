//! The local directory's tables: contacts and their phone numbers with match keys.
//!
//! Each stored phone keeps its raw text plus the keys [`PhoneRules`] derives (E.164 and the
//! last-N-digits tail), so a caller is found by an indexed equality, never a scan. When the
//! configured tail length changes, [`Contacts::reindex`] recomputes the keys.

use super::calls::fts_phrase;
use super::{now_ms, Store, StoreError};
use crate::model::{Customer, NewContact};
use crate::phone::{Normalised, PhoneRules};
use sqlx::Row;

/// The `WHERE` condition (on `contacts c`) for the contacts page's search, and its binds:
/// everything for an empty search; the trigram index `contacts_fts` for a search of at least
/// three characters (text against name, company and note; its digits against the numbers);
/// `LIKE` for shorter ones, which a trigram cannot answer.
fn search_condition(search: &str) -> (String, Vec<String>) {
    let text = search.trim();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if text.is_empty() {
        return ("1".into(), Vec::new());
    }
    let trigram = |s: &str| s.chars().count() >= 3;
    if trigram(text) && (digits.is_empty() || trigram(&digits)) {
        let mut query = format!("{{name company note}} : {}", fts_phrase(text));
        if !digits.is_empty() {
            query.push_str(&format!(" OR numbers : {}", fts_phrase(&digits)));
        }
        return (
            "c.rowid IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?1)".into(),
            vec![query],
        );
    }
    let needle = format!("%{}%", text.replace(['%', '_'], ""));
    if digits.is_empty() {
        return (
            "(c.name LIKE ?1 OR c.company LIKE ?1 OR c.note LIKE ?1)".into(),
            vec![needle],
        );
    }
    (
        "(c.name LIKE ?1 OR c.company LIKE ?1 OR c.note LIKE ?1 OR EXISTS (SELECT 1 FROM contact_phones p \
         WHERE p.contact_id = c.id AND (p.e164 LIKE ?2 OR p.tail LIKE ?2)))"
            .into(),
        vec![needle, format!("%{digits}%")],
    )
}

/// Repository over `contacts` and `contact_phones`.
#[derive(Clone, Debug)]
pub struct Contacts {
    store: Store,
}

const SELECT_CONTACT: &str = "SELECT c.id, c.name, c.company, c.vip, c.note, c.url, \
     (SELECT group_concat(raw, char(31)) FROM (SELECT raw FROM contact_phones p WHERE p.contact_id = c.id ORDER BY position)) AS phones \
     FROM contacts c";

impl Contacts {
    /// The repository over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Inserts or replaces contacts in one transaction; returns their ids in order.
    pub async fn upsert_many(
        &self,
        rules: &PhoneRules,
        contacts: &[NewContact],
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.store.pool().begin().await?;
        let now = now_ms();
        let mut ids = Vec::with_capacity(contacts.len());
        for c in contacts {
            let id =
                c.id.clone()
                    .filter(|i| !i.trim().is_empty())
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            sqlx::query(
                "INSERT INTO contacts(id, name, company, vip, note, url, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, company = excluded.company, \
                 vip = excluded.vip, note = excluded.note, url = excluded.url, updated_at = excluded.updated_at",
            )
            .bind(&id)
            .bind(&c.name)
            .bind(&c.company)
            .bind(c.vip)
            .bind(&c.note)
            .bind(&c.url)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM contact_phones WHERE contact_id = ?")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            for (position, raw) in c.phones.iter().enumerate() {
                let keys = rules.keys(raw);
                sqlx::query(
                    "INSERT INTO contact_phones(contact_id, position, raw, e164, tail) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(position as i64)
                .bind(raw)
                .bind(keys.as_ref().and_then(|k| k.e164.clone()))
                .bind(keys.map(|k| k.tail).unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Contacts whose phones match `number`: exact E.164 first, else the digit tail.
    pub async fn find_by_number(&self, number: &Normalised) -> Result<Vec<Customer>, StoreError> {
        if let Some(e164) = &number.e164 {
            let found = self
                .query_where(
                    "c.id IN (SELECT contact_id FROM contact_phones WHERE e164 = ?)",
                    e164,
                )
                .await?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        if number.tail.is_empty() {
            return Ok(Vec::new());
        }
        self.query_where(
            "c.id IN (SELECT contact_id FROM contact_phones WHERE tail = ?)",
            &number.tail,
        )
        .await
    }

    /// One contact by id.
    pub async fn get(&self, id: &str) -> Result<Option<Customer>, StoreError> {
        Ok(self.query_where("c.id = ?", id).await?.into_iter().next())
    }

    /// All contacts, by name.
    pub async fn list(&self) -> Result<Vec<Customer>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_CONTACT} ORDER BY c.name COLLATE NOCASE, c.id"
        ))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(customer_from_row).collect()
    }

    /// One page of the contacts, by name, whose name, company, note or a number contains
    /// `search` (all when empty); and how many match in all (for the contacts page's scroll).
    pub async fn page(
        &self,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Customer>, i64), StoreError> {
        let (condition, binds) = search_condition(search);
        // Numbered: sqlx counts a bare `?` on its own, not after the condition's `?1`/`?2`.
        let (limit_at, offset_at) = (binds.len() + 1, binds.len() + 2);
        let select = format!(
            "{SELECT_CONTACT} WHERE {condition} ORDER BY c.name COLLATE NOCASE, c.id LIMIT ?{limit_at} OFFSET ?{offset_at}"
        );
        let mut rows = sqlx::query(&select);
        for bind in &binds {
            rows = rows.bind(bind);
        }
        let rows = rows
            .bind(limit)
            .bind(offset)
            .fetch_all(self.store.pool())
            .await?;
        let count = format!("SELECT count(*) FROM contacts c WHERE {condition}");
        let mut total = sqlx::query_scalar(&count);
        for bind in &binds {
            total = total.bind(bind);
        }
        let total: i64 = total.fetch_one(self.store.pool()).await?;
        Ok((
            rows.iter()
                .map(customer_from_row)
                .collect::<Result<_, _>>()?,
            total,
        ))
    }

    /// Deletes a contact; true if it existed.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM contacts WHERE id = ?")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// How many contacts there are.
    pub async fn count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM contacts")
            .fetch_one(self.store.pool())
            .await?)
    }

    /// Recomputes every phone's match keys if the rules changed since the last run.
    pub async fn reindex(&self, rules: &PhoneRules, region: &str) -> Result<u64, StoreError> {
        let stamp = format!("{}:{}", region.to_ascii_uppercase(), rules.tail_digits());
        if self.store.meta("phone_keys").await?.as_deref() == Some(stamp.as_str()) {
            return Ok(0);
        }
        let rows = sqlx::query("SELECT contact_id, position, raw FROM contact_phones")
            .fetch_all(self.store.pool())
            .await?;
        let mut tx = self.store.pool().begin().await?;
        for row in &rows {
            let raw: String = row.try_get("raw")?;
            let keys = rules.keys(&raw);
            sqlx::query("UPDATE contact_phones SET e164 = ?, tail = ? WHERE contact_id = ? AND position = ?")
                .bind(keys.as_ref().and_then(|k| k.e164.clone()))
                .bind(keys.map(|k| k.tail).unwrap_or_default())
                .bind(row.try_get::<String, _>("contact_id")?)
                .bind(row.try_get::<i64, _>("position")?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.store.set_meta("phone_keys", &stamp).await?;
        Ok(rows.len() as u64)
    }

    async fn query_where(&self, condition: &str, value: &str) -> Result<Vec<Customer>, StoreError> {
        // `condition` is one of this module's constant strings; the value is bound.
        let sql = format!("{SELECT_CONTACT} WHERE {condition} ORDER BY c.vip DESC, c.name");
        let rows = sqlx::query(&sql)
            .bind(value)
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(customer_from_row).collect()
    }
}

fn customer_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Customer, StoreError> {
    let phones: Option<String> = row.try_get("phones")?;
    Ok(Customer {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        company: row.try_get("company")?,
        phones: phones
            .map(|p| p.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
        vip: row.try_get("vip")?,
        note: row.try_get("note")?,
        url: row.try_get("url")?,
        directory: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lisa() -> NewContact {
        NewContact {
            id: Some("lisa".into()),
            name: "Lisa Simpson".into(),
            phones: vec!["555-1234".into(), "+49 (0)30 123456".into()],
            vip: true,
            note: Some("Last order: 2 pepperoni pizzas".into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn stored_contact_is_found_by_any_spelling_of_its_number() {
        let store = Store::in_memory().await.unwrap();
        let contacts = Contacts::new(store);
        let us = PhoneRules::new("US", 8).unwrap();
        contacts.upsert_many(&us, &[lisa()]).await.unwrap();
        for caller in ["5551234", "(555) 1234", "+4930123456", "004930123456"] {
            let n = us.normalise(caller);
            let found = contacts.find_by_number(n.number().unwrap()).await.unwrap();
            assert_eq!(found.len(), 1, "{caller}");
            assert_eq!(found[0].phones.len(), 2);
        }
    }

    #[tokio::test]
    async fn upsert_replaces_phones_and_reindex_follows_rules() {
        let store = Store::in_memory().await.unwrap();
        let contacts = Contacts::new(store);
        let us = PhoneRules::new("US", 8).unwrap();
        contacts.upsert_many(&us, &[lisa(), lisa()]).await.unwrap();
        assert_eq!(contacts.count().await.unwrap(), 1);
        let six = PhoneRules::new("US", 6).unwrap();
        assert_eq!(contacts.reindex(&six, "US").await.unwrap(), 2);
        assert_eq!(contacts.reindex(&six, "US").await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_page_is_searched_by_name_company_note_or_any_part_of_a_number() {
        let contacts = Contacts::new(Store::in_memory().await.unwrap());
        let us = PhoneRules::new("US", 8).unwrap();
        let bart = NewContact {
            id: Some("bart".into()),
            name: "Bart Simpson".into(),
            company: Some("Springfield Elementary".into()),
            phones: vec!["555-0101".into()],
            ..Default::default()
        };
        let homer = NewContact {
            id: Some("homer".into()),
            name: "homer".into(),
            phones: vec!["555-0113".into()],
            ..Default::default()
        };
        contacts
            .upsert_many(&us, &[lisa(), bart, homer])
            .await
            .unwrap();
        let names = |page: (Vec<Customer>, i64)| {
            (page.0.into_iter().map(|c| c.id).collect::<Vec<_>>(), page.1)
        };
        let all = names(contacts.page("", 2, 0).await.unwrap());
        assert_eq!(
            all,
            (vec!["bart".to_string(), "homer".into()], 3),
            "by name, any case"
        );
        let rest = names(contacts.page("", 2, 2).await.unwrap());
        assert_eq!(rest, (vec!["lisa".to_string()], 3));
        for (search, found) in [
            ("simpson", vec!["bart", "lisa"]),
            ("elementary", vec!["bart"]),
            ("pepperoni", vec!["lisa"]),
            ("0113", vec!["homer"]),
            ("555 01", vec!["bart", "homer"]),
            ("30 1234", vec!["lisa"]),
            ("nobody", vec![]),
            ("100%_", vec![]),
        ] {
            let (ids, total) = names(contacts.page(search, 10, 0).await.unwrap());
            assert_eq!(ids, found, "{search}");
            assert_eq!(total, found.len() as i64, "{search}");
        }

        // The search index follows every change: a rename, new numbers, a delete; and a
        // search too short for a trigram still finds by "contains".
        let homer = NewContact {
            id: Some("homer".into()),
            name: "Homer Jay".into(),
            phones: vec!["555-0199".into()],
            ..Default::default()
        };
        contacts.upsert_many(&us, &[homer]).await.unwrap();
        assert!(contacts.delete("bart").await.unwrap());
        for (search, found) in [
            ("homer jay", vec!["homer"]),
            ("0199", vec!["homer"]),
            ("0113", vec![]),
            ("elementary", vec![]),
            ("simpson", vec!["lisa"]),
            ("ja", vec!["homer"]),
            ("99", vec!["homer"]),
        ] {
            let (ids, total) = names(contacts.page(search, 10, 0).await.unwrap());
            assert_eq!(ids, found, "{search}");
            assert_eq!(total, found.len() as i64, "{search}");
        }
    }
}
