-- The contacts page lists contacts by name (`ORDER BY name COLLATE NOCASE, id`), a page at a
-- time, anywhere in the list (its virtual scroll asks for the page in view). Without an index
-- every page sorted the whole table: 100,000 contacts took ~70 ms for the first page and over
-- a second for the last. With it a page is a short walk of the index.
CREATE INDEX contacts_by_name ON contacts(name COLLATE NOCASE, id);
