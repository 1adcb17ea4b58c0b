-- A subject's categories without reading its item rows.
--
-- A whole-subject erasure writes a destruction act naming the categories destroyed. Reading
-- them with `SELECT DISTINCT category` walked every item row of the subject (sealed values
-- included), so erasing a subject with 10,000 call records cost five times one with a single
-- record (issue 4 asks for at most twice). This narrow index is appended to in subject order
-- (a new subject's sequence number is the largest), so imports pay little for it, and the
-- query skips from one category to the next: a handful of index seeks however many rows.
CREATE INDEX subject_items_by_category ON subject_items (subject_seq, category);
