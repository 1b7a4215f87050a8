-- fluxbot schema 21: a failed job's note as its member reads it, stored as the catalogue key and
-- its arguments (JSON, bot.i18n `Text.stored`) rather than an English sentence, so that a late
-- post, a DM or Details after a restart renders it in the job's language. NULL on older rows: they
-- keep showing `error_message` (or their error code's sentence). Plain SQL both backends run.
ALTER TABLE jobs ADD COLUMN error_note TEXT;
