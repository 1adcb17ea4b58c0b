-- The change feed learns a third kind: 'contacts' (key 'new'), stamped by every transaction
-- that creates subjects, so the engine's in-memory contact index knows to read the subjects
-- numbered past the last one it read (see crates/obereg-engine/src/contact_index.rs).
ALTER TABLE fact_changes DROP CONSTRAINT fact_changes_kind_check;
ALTER TABLE fact_changes ADD CONSTRAINT fact_changes_kind_check CHECK (kind IN ('subject', 'token', 'contacts'));
