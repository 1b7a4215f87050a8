-- fluxbot schema: fewer ledger indexes on the hold/settle hot path.
-- Sums come from ledger_totals (0002); the member index by id serves audits (Ledger.derive) and
-- /quota's last charges. The estimate reads the latest charge for a provider, model and size, so
-- only charges need that index: holds and releases no longer update it.
DROP INDEX ledger_by_member;
DROP INDEX ledger_by_price;
CREATE INDEX ledger_charges_by_price ON ledger(provider, model, size, id) WHERE kind = 'charge';
