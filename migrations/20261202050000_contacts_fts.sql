-- Searching the contacts page ("contains", over name, company, note and the numbers) scanned
-- every contact with LIKE: ~0.5 s a search over 100,000 contacts. A trigram full-text index
-- answers it instead, like the call log's (`calls_fts`). Its rowid is the contact's rowid; the
-- numbers column holds each phone's match keys (E.164 and the tail digits), kept by the phone
-- triggers. Searches shorter than a trigram (1–2 characters) still use LIKE.
CREATE VIRTUAL TABLE contacts_fts USING fts5(name, company, note, numbers, tokenize='trigram');

INSERT INTO contacts_fts(rowid, name, company, note, numbers)
SELECT c.rowid, c.name, coalesce(c.company, ''), coalesce(c.note, ''),
       coalesce((SELECT group_concat(coalesce(p.e164, '') || ' ' || p.tail, ' ')
                 FROM contact_phones p WHERE p.contact_id = c.id), '')
FROM contacts c;

-- Each trigger rewrites the contact's whole index row (delete + insert: FTS5's own way to
-- change a row).
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = (SELECT rowid FROM contacts WHERE id = new.id);
    INSERT INTO contacts_fts(rowid, name, company, note, numbers)
    SELECT c.rowid, c.name, coalesce(c.company, ''), coalesce(c.note, ''),
           coalesce((SELECT group_concat(coalesce(p.e164, '') || ' ' || p.tail, ' ')
                 FROM contact_phones p WHERE p.contact_id = c.id), '')
    FROM contacts c WHERE c.id = new.id;
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, company, note ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.rowid;
    DELETE FROM contacts_fts WHERE rowid = (SELECT rowid FROM contacts WHERE id = new.id);
    INSERT INTO contacts_fts(rowid, name, company, note, numbers)
    SELECT c.rowid, c.name, coalesce(c.company, ''), coalesce(c.note, ''),
           coalesce((SELECT group_concat(coalesce(p.e164, '') || ' ' || p.tail, ' ')
                 FROM contact_phones p WHERE p.contact_id = c.id), '')
    FROM contacts c WHERE c.id = new.id;
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.rowid;
END;

CREATE TRIGGER contact_phones_fts_insert AFTER INSERT ON contact_phones BEGIN
    DELETE FROM contacts_fts WHERE rowid = (SELECT rowid FROM contacts WHERE id = new.contact_id);
    INSERT INTO contacts_fts(rowid, name, company, note, numbers)
    SELECT c.rowid, c.name, coalesce(c.company, ''), coalesce(c.note, ''),
           coalesce((SELECT group_concat(coalesce(p.e164, '') || ' ' || p.tail, ' ')
                 FROM contact_phones p WHERE p.contact_id = c.id), '')
    FROM contacts c WHERE c.id = new.contact_id;
END;
CREATE TRIGGER contact_phones_fts_delete AFTER DELETE ON contact_phones BEGIN
    DELETE FROM contacts_fts WHERE rowid = (SELECT rowid FROM contacts WHERE id = old.contact_id);
    INSERT INTO contacts_fts(rowid, name, company, note, numbers)
    SELECT c.rowid, c.name, coalesce(c.company, ''), coalesce(c.note, ''),
           coalesce((SELECT group_concat(coalesce(p.e164, '') || ' ' || p.tail, ' ')
                 FROM contact_phones p WHERE p.contact_id = c.id), '')
    FROM contacts c WHERE c.id = old.contact_id;
END;
CREATE TRIGGER contact_phones_fts_update AFTER UPDATE OF e164, tail ON contact_phones BEGIN
    DELETE FROM contacts_fts WHERE rowid = (SELECT rowid FROM contacts WHERE id = new.contact_id);
    INSERT INTO contacts_fts(rowid, name, company, note, numbers)
    SELECT c.rowid, c.name, coalesce(c.company, ''), coalesce(c.note, ''),
           coalesce((SELECT group_concat(coalesce(p.e164, '') || ' ' || p.tail, ' ')
                 FROM contact_phones p WHERE p.contact_id = c.id), '')
    FROM contacts c WHERE c.id = new.contact_id;
END;
